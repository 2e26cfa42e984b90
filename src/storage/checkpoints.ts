/** LoRA checkpoints in IndexedDB for resume and roll back: metadata under ['ckpt', id], the safetensors bytes (PEFT layout) and AdamW state under ['ckpt-data', id], written together. */
import type { AdamWState } from '../core/train/adamw';
import { decodeSafetensors } from '../core/io/safetensors';
import { KEY, KIND, RECORD_VERSION } from './keys';
import { entriesWithPrefix, getValues, noteSkippedRecord, tight, writeEntries, type Key } from './db';

export interface LoraConfigInfo {
  rank: number;
  alpha: number;
  targets: string[]; // target module names (PEFT target_modules)
}

export interface Checkpoint {
  id: string;
  step: number; // optimizer steps taken
  createdAt: number; // epoch ms
  lora: Uint8Array; // safetensors file, diffusers/PEFT layout (loraFile.ts)
  optimizer: AdamWState | null; // null = resume with a fresh optimizer
  loraConfig: LoraConfigInfo;
  modelId?: string; // base model the adapter belongs to (absent in checkpoints saved before it was recorded)
  note?: string;
}

/** What listCheckpoints returns: everything but the weights and optimizer state. */
export type CheckpointInfo = Omit<Checkpoint, 'lora' | 'optimizer'> & { bytes: number; hasOptimizer: boolean };

type CheckpointRecord = CheckpointInfo & { v: number };
interface CheckpointData {
  lora: Uint8Array;
  optimizer: AdamWState | null;
}

const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function infoProblem(c: Partial<CheckpointInfo>): string | null {
  if (!isStr(c.id) || c.id === '') return 'id must be a non-empty string';
  if (!Number.isInteger(c.step) || (c.step as number) < 0) return 'step must be a non-negative integer';
  if (!isNum(c.createdAt)) return 'createdAt must be epoch ms';
  const lc = c.loraConfig as Partial<LoraConfigInfo> | undefined;
  if (!lc || !Number.isInteger(lc.rank) || (lc.rank as number) <= 0) return 'loraConfig.rank must be a positive integer';
  if (!isNum(lc.alpha) || lc.alpha <= 0) return 'loraConfig.alpha must be a positive number';
  if (!Array.isArray(lc.targets) || !lc.targets.every(isStr)) return 'loraConfig.targets must be a list of module names';
  if (c.note !== undefined && !isStr(c.note)) return 'note must be a string when given';
  if (c.modelId !== undefined && !isStr(c.modelId)) return 'modelId must be a string when given';
  return null;
}

function dataProblem(d: Partial<CheckpointData>): string | null {
  if (!(d.lora instanceof Uint8Array)) return 'lora must be the bytes of a safetensors file';
  try {
    decodeSafetensors(d.lora);
  } catch (e) {
    return `lora is not a valid safetensors file (${(e as Error).message})`;
  }
  const o = d.optimizer as Partial<AdamWState> | null | undefined;
  if (o === null) return null;
  if (!o || !Number.isInteger(o.step) || !Array.isArray(o.m) || !Array.isArray(o.v) || o.m.length !== o.v.length) {
    return 'optimizer must be null or an AdamW state {step, m[], v[]} with as many m as v arrays';
  }
  if (![...o.m, ...o.v].every((a) => a instanceof Float32Array)) return 'optimizer m and v must be Float32Arrays';
  return null;
}

function dataBytes(d: CheckpointData): number {
  const opt = d.optimizer ? [...d.optimizer.m, ...d.optimizer.v].reduce((s, a) => s + a.byteLength, 0) : 0;
  return d.lora.byteLength + opt;
}

function infoOf({ v: _v, ...info }: CheckpointRecord): CheckpointInfo {
  return info;
}

/** Saves (or replaces) a checkpoint; metadata and weights land together. Throws StorageFullError when the disk is full. */
export async function saveCheckpoint(c: Checkpoint): Promise<void> {
  const data: CheckpointData = {
    lora: tight(c.lora),
    optimizer: c.optimizer ? { step: c.optimizer.step, m: c.optimizer.m.map(tight), v: c.optimizer.v.map(tight) } : null,
  };
  const record: CheckpointRecord = {
    v: RECORD_VERSION,
    id: c.id,
    step: c.step,
    createdAt: c.createdAt,
    loraConfig: { rank: c.loraConfig?.rank, alpha: c.loraConfig?.alpha, targets: c.loraConfig?.targets?.slice() },
    bytes: dataBytes(data),
    hasOptimizer: data.optimizer !== null,
  };
  if (c.note !== undefined) record.note = c.note;
  if (c.modelId !== undefined) record.modelId = c.modelId;
  const problem = infoProblem(record) ?? dataProblem(data);
  if (problem) throw new Error(`Cannot save checkpoint ${JSON.stringify(c.id)}: ${problem}.`);
  await writeEntries('checkpoints', `checkpoint ${c.id} (step ${c.step})`, [
    [KEY.checkpoint(c.id), record],
    [KEY.checkpointData(c.id), data],
  ]);
}

const newestFirst = (a: CheckpointInfo, b: CheckpointInfo) => b.createdAt - a.createdAt || b.step - a.step || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Why a stored metadata record (under ['ckpt', id]) is malformed, or null; shared by the readers and backup import. */
function recordProblem(value: unknown, id: string): string | null {
  if (typeof value !== 'object' || value === null) return `checkpoint ${id} is not a record`;
  const r = value as Partial<CheckpointRecord>;
  if (r.v !== RECORD_VERSION) return `checkpoint ${id} has record version ${JSON.stringify(r.v)}, expected ${RECORD_VERSION}`;
  if (r.id !== id) return `checkpoint ${id} is stored under the wrong key`;
  if (!isNum(r.bytes) || typeof r.hasOptimizer !== 'boolean') return `checkpoint ${id} lacks its size fields`;
  const problem = infoProblem(r);
  return problem ? `checkpoint ${id}: ${problem}` : null;
}

/**
 * Metadata of every checkpoint, newest first (by createdAt, then step). A malformed record (e.g. `{}` from an altered
 * backup) is skipped with a console note, so it cannot hand callers an undefined id.
 */
export async function listCheckpoints(modelId?: string, profile?: string): Promise<CheckpointInfo[]> {
  const entries = await entriesWithPrefix<unknown>('checkpoints', [KIND.checkpoint], profile);
  const records: CheckpointRecord[] = [];
  for (const [key, value] of entries) {
    const problem = recordProblem(value, String((key as [string, string])[1]));
    if (problem) noteSkippedRecord('checkpoints', key, problem);
    else records.push(value as CheckpointRecord);
  }
  // With a model id: that model's checkpoints, plus older ones that recorded none (the LoRA file's metadata decides).
  return records.map(infoOf).filter((c) => modelId === undefined || c.modelId === undefined || c.modelId === modelId).sort(newestFirst);
}

/** The full checkpoint (of the open profile, or `profile`'s), or undefined if there is none with this id or what is stored under it is malformed (noted on the console). */
export async function loadCheckpoint(id: string, profile?: string): Promise<Checkpoint | undefined> {
  if (!isStr(id)) return undefined;
  const [record, data] = await getValues<unknown>('checkpoints', [KEY.checkpoint(id), KEY.checkpointData(id)], profile);
  if (record === undefined || data === undefined) return undefined;
  const problem = recordProblem(record, id) ?? dataProblem(data as Partial<CheckpointData>);
  if (problem) {
    noteSkippedRecord('checkpoints', KEY.checkpoint(id), problem);
    return undefined;
  }
  const { bytes: _b, hasOptimizer: _h, ...info } = infoOf(record as CheckpointRecord);
  const d = data as CheckpointData;
  return { ...info, lora: d.lora, optimizer: d.optimizer };
}

/** Deletes a checkpoint (metadata and weights together). */
export async function deleteCheckpoint(id: string): Promise<void> {
  await writeEntries('checkpoints', 'the deletion', [], [KEY.checkpoint(id), KEY.checkpointData(id)]);
}

/** The newest checkpoint, or undefined when there is none. */
export async function latestCheckpoint(): Promise<Checkpoint | undefined> {
  const [newest] = await listCheckpoints();
  return newest ? loadCheckpoint(newest.id) : undefined;
}

/** Why a backed-up entry of the checkpoints database is invalid, or null. */
export function checkpointsEntryProblem(key: Key, value: unknown): string | null {
  if (!Array.isArray(key) || key.length !== 2 || !isStr(key[1])) return `unexpected key ${JSON.stringify(key)}`;
  const [kind, id] = key as [string, string];
  if (typeof value !== 'object' || value === null) return `checkpoint ${id} is not a record`;
  if (kind === KIND.checkpoint) return recordProblem(value, id);
  if (kind === KIND.checkpointData) {
    const problem = dataProblem(value as Partial<CheckpointData>);
    return problem ? `checkpoint ${id}: ${problem}` : null;
  }
  return `unexpected key ${JSON.stringify(key)}`;
}
