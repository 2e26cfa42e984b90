/** Generated pairs in IndexedDB: provenance + the two images under ['pair', id], the two trajectories as trajectoryCodec bytes (F16 latents) under ['traj', id], written together. */
import type { Trajectory } from '../core/diffusion/sample';
import { decodePairs, encodePairs } from '../core/algorithms/trajectoryCodec';
import { KEY, KIND, RECORD_VERSION } from './keys';
import { entriesWithPrefix, getValues, inTx, keysWithPrefix, noteSkippedRecord, req, stringBytes, tight, writeEntries, type Key } from './db';
import { isQuotaError } from './quota';

/** A generated pair: both trajectories + the two images (PNG or raw RGBA bytes) + provenance. */
export interface StoredPair {
  id: string;
  prompt: string;
  seed: number;
  createdAt: number; // epoch ms
  modelId: string;
  loraVersion: string | null; // adapter that sampled the pair; null = base model
  trajectories: [Trajectory, Trajectory];
  images: [Uint8Array, Uint8Array]; // RGBA 32×32×4 (or PNG bytes)
  group?: string; // best-of-k grid id
}

/** A pair without its trajectories: what stays after pruneTrajectories, enough to show and export it. */
export type PairSummary = Omit<StoredPair, 'trajectories'> & { hasTrajectories: boolean; bytes: number };

/** Stored under ['pair', id]. */
interface PairRecord {
  v: number;
  id: string;
  prompt: string;
  seed: number;
  createdAt: number;
  modelId: string;
  loraVersion: string | null;
  images: [Uint8Array, Uint8Array];
  group?: string;
  trajectoryBytes: number; // size of ['traj', id]; 0 once pruned
}

/** Latent precision on disk (trajectoryCodec: ≤ 300 KB per pair; log-probs stay F32). */
const LATENT_DTYPE = 'F16';
const RECORD_OVERHEAD = 128; // keys, numbers and structured-clone framing, roughly

const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isBytes = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.length > 0;

/** Why a pair record is malformed, or null (shared by savePair and backup import, so what saves also restores). */
function recordProblem(r: Partial<PairRecord> | Partial<StoredPair>): string | null {
  if (!isStr(r.id) || r.id === '') return 'its id must be a non-empty string';
  if (!isStr(r.prompt)) return 'its prompt must be a string';
  if (!isNum(r.seed)) return 'its seed must be a finite number';
  if (!isNum(r.createdAt)) return 'createdAt must be a time in epoch ms';
  if (!isStr(r.modelId)) return 'modelId must be a string';
  if (r.loraVersion !== null && !isStr(r.loraVersion)) return 'loraVersion must be a string or null';
  if (!Array.isArray(r.images) || r.images.length !== 2 || !r.images.every(isBytes)) return 'images must be two non-empty Uint8Arrays';
  if (r.group !== undefined && !isStr(r.group)) return 'group must be a string when given';
  return null;
}

function encodeTrajectories(p: Pick<StoredPair, 'id' | 'trajectories'>): Uint8Array {
  if (!Array.isArray(p.trajectories) || p.trajectories.length !== 2) {
    throw new Error(`Pair ${p.id} needs exactly two trajectories (from sampleWithTrajectory with sharedInitialNoise); got ${describeLength(p.trajectories)}.`);
  }
  return encodePairs([{ id: p.id, trajectories: p.trajectories }], LATENT_DTYPE);
}

const describeLength = (x: unknown) => (Array.isArray(x) ? `${x.length}` : typeof x);

function toRecord(p: StoredPair, trajectoryBytes: number): PairRecord {
  const r: PairRecord = {
    v: RECORD_VERSION,
    id: p.id,
    prompt: p.prompt,
    seed: p.seed,
    createdAt: p.createdAt,
    modelId: p.modelId,
    loraVersion: p.loraVersion,
    images: [tight(p.images[0]), tight(p.images[1])],
    trajectoryBytes,
  };
  if (p.group !== undefined) r.group = p.group;
  return r;
}

function recordBytes(r: Pick<PairRecord, 'prompt' | 'modelId' | 'loraVersion' | 'group' | 'id' | 'images'>, trajectoryBytes: number): number {
  return (
    RECORD_OVERHEAD +
    trajectoryBytes +
    r.images[0].byteLength +
    r.images[1].byteLength +
    stringBytes(r.id) * 2 +
    stringBytes(r.prompt) +
    stringBytes(r.modelId) +
    stringBytes(r.loraVersion) +
    stringBytes(r.group)
  );
}

/**
 * The summary of a record; `hasTrajectory` says whether ['traj', id] is still stored. Pruning deletes trajectories
 * before it rewrites the record's trajectoryBytes (so it frees space on a full disk), so the key is the truth.
 */
function summaryOf(r: PairRecord, hasTrajectory: boolean): PairSummary {
  const trajectoryBytes = hasTrajectory ? r.trajectoryBytes : 0;
  const s: PairSummary = {
    id: r.id,
    prompt: r.prompt,
    seed: r.seed,
    createdAt: r.createdAt,
    modelId: r.modelId,
    loraVersion: r.loraVersion,
    images: r.images,
    hasTrajectories: trajectoryBytes > 0,
    bytes: recordBytes(r, trajectoryBytes),
  };
  if (r.group !== undefined) s.group = r.group;
  return s;
}

/** Approximate bytes the pair takes in storage (encoded trajectories + images + strings). */
export function pairBytes(p: StoredPair): number {
  return recordBytes(p, encodeTrajectories(p).byteLength);
}

/** Saves (or replaces) a pair; record and trajectories land together or not at all. Throws StorageFullError when the disk is full. */
export async function savePair(p: StoredPair): Promise<void> {
  const problem = recordProblem(p);
  if (problem) throw new Error(`Cannot save pair ${JSON.stringify(p?.id)}: ${problem}.`);
  const traj = encodeTrajectories(p);
  const record = toRecord(p, traj.byteLength);
  await writeEntries('pairs', `the pair for "${p.prompt}"`, [
    [KEY.pair(p.id), record],
    [KEY.trajectories(p.id), traj],
  ]);
}

/** Why a stored pair record (under ['pair', id]) is malformed, or null; shared by the readers and backup import. */
function storedRecordProblem(value: unknown, id: string): string | null {
  if (typeof value !== 'object' || value === null) return `pair ${id} is not a record`;
  const r = value as Partial<PairRecord>;
  if (r.v !== RECORD_VERSION) return `pair ${id} has record version ${JSON.stringify(r.v)}, expected ${RECORD_VERSION}`;
  if (r.id !== id) return `pair ${id} is stored under the wrong key`;
  if (!isNum(r.trajectoryBytes) || r.trajectoryBytes < 0) return `pair ${id} lacks trajectoryBytes`;
  const problem = recordProblem(r);
  return problem ? `pair ${id}: ${problem}` : null;
}

/** The record stored under ['pair', id], or undefined when absent or malformed (noted on the console, never thrown). */
function validRecord(value: unknown, id: string): PairRecord | undefined {
  if (value === undefined) return undefined;
  const problem = storedRecordProblem(value, id);
  if (problem === null) return value as PairRecord;
  noteSkippedRecord('pairs', KEY.pair(id), problem);
  return undefined;
}

/** The pair with its decoded trajectories, or undefined if absent, malformed, or its trajectories were pruned (use getPairSummary then). */
export async function getPair(id: string): Promise<StoredPair | undefined> {
  const [record, traj] = await getValues<unknown>('pairs', [KEY.pair(id), KEY.trajectories(id)]);
  const r = validRecord(record, id);
  if (!r || !(traj instanceof Uint8Array)) return undefined;
  let decoded;
  try {
    decoded = decodePairs(traj);
  } catch (e) {
    throw new Error(`The stored trajectories of pair ${id} are damaged (${(e as Error).message}); delete the pair and generate it again.`, { cause: e });
  }
  if (decoded.length !== 1) throw new Error(`The stored trajectories of pair ${id} hold ${decoded.length} pairs, not one; delete the pair and generate it again.`);
  const { hasTrajectories: _h, bytes: _b, ...rest } = summaryOf(r, true);
  return { ...rest, trajectories: decoded[0].trajectories };
}

/** The pair without trajectories (also for pruned pairs), or undefined (absent or malformed). */
export async function getPairSummary(id: string): Promise<PairSummary | undefined> {
  const [record, trajectories] = await inTx('pairs', 'readonly', 'the pair', (os) => Promise.all([req(os.get(KEY.pair(id))), req(os.count(KEY.trajectories(id)))]));
  const r = validRecord(record, id);
  return r ? summaryOf(r, trajectories > 0) : undefined;
}

/** Ids of the pairs whose trajectories are stored. */
async function idsWithTrajectories(): Promise<Set<string>> {
  return new Set((await keysWithPrefix('pairs', [KIND.trajectories])).map((k) => (k as [string, string])[1]));
}

/** Every valid pair record (malformed ones are skipped with a console note). */
async function validRecords(): Promise<PairRecord[]> {
  const entries = await entriesWithPrefix<unknown>('pairs', [KIND.pair]);
  return entries.flatMap(([key, value]) => validRecord(value, String((key as [string, string])[1])) ?? []);
}

/** Every pair's summary, oldest first (reads the images too); malformed records are skipped with a console note. */
export async function listPairSummaries(): Promise<PairSummary[]> {
  const [records, withTrajectories] = await Promise.all([validRecords(), idsWithTrajectories()]);
  return records.map((r) => summaryOf(r, withTrajectories.has(r.id))).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Ids of all stored pairs (including pruned ones), in id order. */
export async function listPairIds(): Promise<string[]> {
  const ks = await keysWithPrefix('pairs', [KIND.pair]);
  return ks.map((k) => (k as [string, string])[1]);
}

/** Deletes pairs (record and trajectories) in one transaction. Their labels stay; delete them with labels.deleteLabel. */
export async function deletePairs(ids: string[]): Promise<void> {
  await writeEntries('pairs', 'the deletion', [], ids.flatMap((id) => [KEY.pair(id), KEY.trajectories(id)]));
}

/**
 * Frees space among pairs created before `olderThan` (epoch ms; all pairs when omitted): unlabeled pairs are deleted
 * whole; labeled ones are skipped when `keepLabeled`, else lose only their trajectories (images and label stay, so
 * they still show and export to Pick-a-Pic, but D3PO can no longer train on them). Returns bytes freed.
 *
 * Works when storage is full, which is when the quota message advises it: all deletes go first, in a transaction of
 * their own (a delete needs no room). Only then are the labeled pairs' records rewritten with trajectoryBytes 0, in a
 * second transaction; if that one is refused the space stays freed, readers still see the trajectories as gone (they
 * check the key), and the next prune retries the rewrite. (One transaction for both, as before, let a refused put
 * roll the deletes back and free nothing.)
 */
export async function prunePairs(opts: { olderThan?: number; keepLabeled: boolean; isLabeled: (id: string) => boolean }): Promise<number> {
  const [records, withTrajectories] = await Promise.all([validRecords(), idsWithTrajectories()]);
  const deletes: Key[] = [];
  const rewrites: [Key, PairRecord][] = [];
  let freed = 0;
  for (const r of records) {
    if (opts.olderThan !== undefined && !(r.createdAt < opts.olderThan)) continue;
    const stored = withTrajectories.has(r.id) ? r.trajectoryBytes : 0;
    if (opts.isLabeled(r.id)) {
      if (opts.keepLabeled || r.trajectoryBytes === 0) continue;
      if (stored > 0) deletes.push(KEY.trajectories(r.id));
      rewrites.push([KEY.pair(r.id), { ...r, trajectoryBytes: 0 }]);
      freed += stored;
    } else {
      deletes.push(KEY.pair(r.id), KEY.trajectories(r.id));
      freed += recordBytes(r, stored);
    }
  }
  await writeEntries('pairs', 'the pruning', [], deletes);
  try {
    await writeEntries('pairs', 'the pruned pairs', rewrites);
  } catch (e) {
    if (!isQuotaError(e)) throw e;
  }
  return freed;
}

/** Why a backed-up entry of the pairs database is invalid, or null (backup import validates every entry before writing any). */
export function pairsEntryProblem(key: Key, value: unknown): string | null {
  if (!Array.isArray(key) || key.length !== 2 || !isStr(key[1])) return `unexpected key ${JSON.stringify(key)}`;
  const [kind, id] = key as [string, string];
  if (kind === KIND.pair) return storedRecordProblem(value, id);
  if (kind === KIND.trajectories) {
    if (!(value instanceof Uint8Array)) return `trajectories of pair ${id} are not bytes`;
    try {
      const decoded = decodePairs(value);
      if (decoded.length !== 1 || decoded[0].id !== id) return `trajectories of pair ${id} belong to another pair`;
    } catch (e) {
      return `trajectories of pair ${id} are damaged (${(e as Error).message})`;
    }
    return null;
  }
  return `unexpected key ${JSON.stringify(key)}`;
}
