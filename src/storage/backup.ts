/** Whole-studio backup as one zip (every record of the pairs, labels, checkpoints and runs databases, typed arrays byte-exact), validated restore, and pruning of trajectories to free space. */
import { readZip, writeZip } from '../core/io/zip';
import type { ZipLimits } from '../core/io/zip';
import { decodeUtf8Strict, encodeUtf8 } from '../core/io/utf8';
import { DB, KEY, type DbKey } from './keys';
import { allEntries, getValues, writeEntries, type Key } from './db';
import { checkpointsEntryProblem } from './checkpoints';
import { labelsEntryProblem, listLabels } from './labels';
import { blindEntryProblem } from './blindVotes';
import { moodboardEntryProblem } from './moodboard';
import { pairsEntryProblem, prunePairs } from './pairs';
import { runsEntryProblem } from './runs';

// DO NOT CHANGE WITHOUT A MIGRATION: backups people keep on disk are read back by these.
export const BACKUP_FORMAT = 'd3po-studio-backup';
export const BACKUP_VERSION = 1;
const MANIFEST = 'backup.json';

/**
 * How much a backup may unpack to (core/io/zip.ts ZipLimits). Each database is one deflated JSON file (records without
 * their binary data, ≈ 200 bytes each: past 256 MiB, i.e. > 1 million records, it is not a studio backup) and one .bin
 * file (trajectories, images, weights: ≈ 45 KB per labeled pair) that exportAll stores uncompressed, so it may be
 * large but hardly expands: a re-zipped one packs F16/F32 data a few-fold at most. A .bin may unpack to 16× its packed
 * size (at least 64 MiB, for all-zero optimizer moments), at most 2 GiB; a 1 MB bomb asking for 1 GB is refused.
 */
const MiB = 1024 * 1024;
export const BACKUP_ZIP_LIMITS: Partial<ZipLimits> = {
  maxEntryBytes: (name, packed) => (name.endsWith('.bin') ? Math.min(2048 * MiB, Math.max(64 * MiB, 16 * packed)) : 256 * MiB),
  maxTotalBytes: 3072 * MiB,
};

/** The backed-up databases in restore order (a pair lands before its vote), with each one's entry validator. */
const BACKED_UP: [DbKey, (key: Key, value: unknown) => string | null][] = [
  ['pairs', pairsEntryProblem],
  ['checkpoints', checkpointsEntryProblem],
  ['runs', runsEntryProblem],
  ['labels', labelsEntryProblem],
  ['blind', blindEntryProblem],
  ['moodboard', moodboardEntryProblem],
];

/** A backup that cannot be restored; nothing was changed. The message says what is wrong and what to do. */
export class BackupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
  }
}

interface Manifest {
  format: string;
  version: number;
  createdAt: number;
  databases: Partial<Record<DbKey, { name: string; entries: number; json: string; bin: string }>>;
}

export interface ImportSummary {
  pairs: number;
  labels: number;
  checkpoints: number;
  runs: number;
  blindVotes: number;
  moodboardImages: number;
}

// ---------------------------------------------------------------- values <-> JSON + one binary blob per database

const TYPED = { Uint8Array, Uint16Array, Int32Array, Float32Array, Float64Array } as const;
type TypedName = keyof typeof TYPED;

function typedName(v: object): TypedName | null {
  for (const name of Object.keys(TYPED) as TypedName[]) if (Object.getPrototypeOf(v) === TYPED[name].prototype) return name;
  return v instanceof Uint8Array ? 'Uint8Array' : null; // e.g. a Node Buffer
}

/** JSON-safe copy of a stored value: typed arrays go to `blobs` as {$bin: [offset, bytes], $type}, non-finite numbers to {$num}. */
function toJson(v: unknown, blobs: { parts: Uint8Array[]; size: number }, where: string): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Object.is(v, -0) ? { $num: '-0' } : Number.isFinite(v) ? v : { $num: String(v) };
  if (typeof v !== 'object') throw new BackupError(`Cannot back up ${where}: values of type ${typeof v} are not supported. Please report this.`);
  if (Array.isArray(v)) return v.map((x, i) => (x === undefined ? null : toJson(x, blobs, `${where}[${i}]`)));
  const tn = v instanceof ArrayBuffer ? 'ArrayBuffer' : ArrayBuffer.isView(v) ? typedName(v) : undefined;
  if (tn !== undefined) {
    if (tn === null) throw new BackupError(`Cannot back up ${where}: ${v.constructor.name} is not supported. Please report this.`);
    const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array((v as ArrayBufferView).buffer, (v as ArrayBufferView).byteOffset, (v as ArrayBufferView).byteLength);
    const offset = Math.ceil(blobs.size / 8) * 8;
    if (offset > blobs.size) blobs.parts.push(new Uint8Array(offset - blobs.size));
    blobs.parts.push(bytes);
    blobs.size = offset + bytes.length;
    return { $bin: [offset, bytes.length], $type: tn };
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) throw new BackupError(`Cannot back up ${where}: ${(v as object).constructor?.name} objects are not supported. Please report this.`);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$bin' || k === '$num') throw new BackupError(`Cannot back up ${where}: the field name ${k} is reserved. Please report this.`);
    if (x !== undefined) out[k] = toJson(x, blobs, `${where}.${k}`);
  }
  return out;
}

/**
 * Field names the studio never writes and a restore refuses: assigning `__proto__` would set the record's prototype,
 * so fields inherited from it would pass validation while IndexedDB stores only own fields (`{}`), and
 * `constructor`/`prototype` are the other names JavaScript gives meaning to.
 */
const FORBIDDEN_FIELDS = new Set(['__proto__', 'constructor', 'prototype']);

/** A stored value from its JSON form; every object it returns has only own, plain data fields (no prototype smuggling). */
function fromJson(v: unknown, bin: Uint8Array, where: string): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x, i) => fromJson(x, bin, `${where}[${i}]`));
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (FORBIDDEN_FIELDS.has(k)) throw new BackupError(`${where} has a field named ${JSON.stringify(k)}, which the studio never writes; the file was altered.`);
  }
  if (Object.hasOwn(o, '$num')) {
    if (o.$num === 'NaN') return NaN;
    if (o.$num === 'Infinity') return Infinity;
    if (o.$num === '-Infinity') return -Infinity;
    if (o.$num === '-0') return -0;
    throw new BackupError(`${where} holds an unknown number ${JSON.stringify(o.$num)}.`);
  }
  if (Object.hasOwn(o, '$bin')) {
    const ref = o.$bin as unknown;
    const type = o.$type as string;
    if (!Array.isArray(ref) || ref.length !== 2 || !ref.every((n) => Number.isSafeInteger(n) && n >= 0) || ref[0] + ref[1] > bin.length) {
      throw new BackupError(`${where} points outside the backup's binary data.`);
    }
    const bytes = bin.slice(ref[0], ref[0] + ref[1]);
    if (type === 'ArrayBuffer') return bytes.buffer;
    const Ctor = TYPED[type as TypedName];
    if (!Ctor || !Object.hasOwn(TYPED, type)) throw new BackupError(`${where} has the unknown array type ${JSON.stringify(type)}.`);
    if (bytes.length % Ctor.BYTES_PER_ELEMENT !== 0) throw new BackupError(`${where} has ${bytes.length} bytes, not a whole number of ${type} elements.`);
    return new Ctor(bytes.buffer);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) Object.defineProperty(out, k, { value: fromJson(x, bin, `${where}.${k}`), enumerable: true, writable: true, configurable: true });
  return out;
}

const concat = (parts: Uint8Array[], size: number) => {
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

// ---------------------------------------------------------------- export / import

/** Everything (pairs with trajectories and images, labels, checkpoints, metrics) as one zip; remembers the export time. */
export async function exportAll(): Promise<Uint8Array> {
  const manifest: Manifest = { format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: Date.now(), databases: {} };
  const files: { name: string; data: Uint8Array }[] = [];
  for (const [db] of BACKED_UP) {
    const entries = await allEntries(db);
    const blobs = { parts: [] as Uint8Array[], size: 0 };
    const json = entries.map(([k, v], i) => [k, toJson(v, blobs, `${db} entry ${i + 1}`)]);
    const names = { json: `stores/${db}.json`, bin: `stores/${db}.bin` };
    manifest.databases[db] = { name: DB[db], entries: entries.length, ...names };
    files.push({ name: names.json, data: encodeUtf8(JSON.stringify(json)) }, { name: names.bin, data: concat(blobs.parts, blobs.size) });
  }
  const zip = writeZip([{ name: MANIFEST, data: encodeUtf8(JSON.stringify(manifest, null, 1)) }, ...files], { deflate: (n) => n.endsWith('.json') });
  try {
    await writeEntries('meta', 'the export time', [[KEY.lastExportAt, manifest.createdAt]]);
  } catch {
    // bookkeeping only: a full disk must not fail the export that frees it
  }
  return zip;
}

/** Epoch ms of the last exportAll on this device, or null. */
export async function lastExportAt(): Promise<number | null> {
  const [t] = await getValues<number>('meta', [KEY.lastExportAt]);
  return typeof t === 'number' ? t : null;
}

function parseJsonFile(files: Map<string, Uint8Array>, name: string): unknown {
  const bytes = files.get(name);
  if (!bytes) throw new BackupError(`The backup lacks ${name}; it is incomplete. Export it again.`);
  const d = decodeUtf8Strict(bytes);
  if ('badByte' in d) throw new BackupError(`${name} in the backup is not UTF-8; the file is damaged. Export it again.`);
  try {
    return JSON.parse(d.text);
  } catch {
    throw new BackupError(`${name} in the backup is not valid JSON; the file is damaged. Export it again.`);
  }
}

/** Reads and validates every record of a backup without writing anything. */
function readBackup(bytes: Uint8Array): Map<DbKey, [Key, unknown][]> {
  let files: Map<string, Uint8Array>;
  try {
    files = readZip(bytes, BACKUP_ZIP_LIMITS);
  } catch (e) {
    throw new BackupError(`This is not a readable studio backup (${(e as Error).message}). Nothing was changed.`, { cause: e });
  }
  if (!files.has(MANIFEST)) throw new BackupError(`This zip is not a studio backup (no ${MANIFEST}); choose a file made by "Export all". Nothing was changed.`);
  const m = parseJsonFile(files, MANIFEST) as Partial<Manifest>;
  if (m?.format !== BACKUP_FORMAT) throw new BackupError(`This zip is not a studio backup (format ${JSON.stringify(m?.format)}); choose a file made by "Export all". Nothing was changed.`);
  if (m.version !== BACKUP_VERSION) {
    throw new BackupError(`This backup has version ${JSON.stringify(m.version)}; this studio reads version ${BACKUP_VERSION}. Update the studio (or export again with this one). Nothing was changed.`);
  }
  const dbs = (m.databases ?? {}) as Manifest['databases'];
  if (typeof dbs !== 'object' || dbs === null || Array.isArray(dbs)) throw new BackupError(`${MANIFEST} in the backup lists no databases; the file is damaged. Export it again. Nothing was changed.`);
  const known = new Map(BACKED_UP);
  for (const k of Object.keys(dbs)) if (!known.has(k as DbKey)) throw new BackupError(`This backup holds a database "${k}" this studio does not know; update the studio. Nothing was changed.`);
  const out = new Map<DbKey, [Key, unknown][]>();
  for (const [db, problemOf] of BACKED_UP) {
    const info = Object.hasOwn(dbs, db) ? dbs[db] : undefined;
    if (!info) continue;
    if (typeof info !== 'object' || !(['name', 'json', 'bin', 'entries'] as const).every((f) => Object.hasOwn(info, f))) {
      throw new BackupError(`${MANIFEST} in the backup describes the ${db} incompletely; the file is damaged. Export it again. Nothing was changed.`);
    }
    if (info.name !== DB[db]) {
      throw new BackupError(`The backup's ${db} come from database ${info.name}, but this studio uses ${DB[db]}; update the studio. Nothing was changed.`);
    }
    const json = parseJsonFile(files, info.json);
    const bin = files.get(info.bin);
    if (!bin) throw new BackupError(`The backup lacks ${info.bin}; it is incomplete. Export it again. Nothing was changed.`);
    if (!Array.isArray(json) || json.length !== info.entries) throw new BackupError(`${info.json} does not hold the ${info.entries} records the backup lists; the file is damaged. Nothing was changed.`);
    const entries = json.map((e, i): [Key, unknown] => {
      const where = `${db} record ${i + 1}`;
      if (!Array.isArray(e) || e.length !== 2) throw new BackupError(`${where} is malformed; the backup is damaged. Nothing was changed.`);
      let value: unknown;
      try {
        value = fromJson(e[1], bin, where);
      } catch (err) {
        throw new BackupError(`${(err as Error).message} The backup is damaged. Nothing was changed.`, { cause: err });
      }
      const problem = problemOf(e[0] as Key, value);
      if (problem) throw new BackupError(`The backup's ${db} are invalid: ${problem}. The file is damaged or from another app; nothing was changed.`);
      return [e[0] as Key, value];
    });
    out.set(db, entries);
  }
  return out;
}

const countKind = (entries: [Key, unknown][] | undefined, kind: string) => (entries ?? []).filter(([k]) => Array.isArray(k) && k[0] === kind).length;

/**
 * Restores a backup from exportAll: validates everything first (a bad file throws BackupError and changes nothing),
 * then writes each database in one transaction, replacing records with the same keys and keeping all others.
 * Throws StorageFullError if the disk fills; databases already written stay, and importing again is safe.
 */
export async function importAll(bytes: Uint8Array): Promise<ImportSummary> {
  const data = readBackup(bytes);
  for (const [db] of BACKED_UP) {
    const entries = data.get(db);
    if (entries?.length) await writeEntries(db, `the backup's ${db}`, entries);
  }
  return {
    pairs: countKind(data.get('pairs'), 'pair'),
    labels: countKind(data.get('labels'), 'label'),
    checkpoints: countKind(data.get('checkpoints'), 'ckpt'),
    runs: countKind(data.get('runs'), 'run'),
    blindVotes: countKind(data.get('blind'), 'blind'),
    moodboardImages: countKind(data.get('moodboard'), 'mood'),
  };
}

/**
 * Frees space by dropping trajectories of pairs created before `olderThan` (epoch ms; all pairs when omitted).
 * Unlabeled pairs are deleted whole. Labeled pairs are kept when `keepLabeled` (the default); otherwise they keep
 * their images and vote (still exportable to Pick-a-Pic) but D3PO can no longer train on them. Returns bytes freed.
 */
export async function pruneTrajectories(opts: { keepLabeled?: boolean; olderThan?: number } = {}): Promise<number> {
  const labeled = new Set((await listLabels()).map((l) => l.pairId));
  return prunePairs({ olderThan: opts.olderThan, keepLabeled: opts.keepLabeled ?? true, isLabeled: (id) => labeled.has(id) });
}
