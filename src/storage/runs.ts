/** Training metric rows for the dashboard, per run: a summary under ['run', runId] and rows in chunks under ['run-rows', runId, n]; each append is one read-modify-write transaction. */
import { KEY, KIND, RECORD_VERSION, RUN_CHUNK_ROWS } from './keys';
import { inTx, prefixRange, req, valuesWithPrefix, type Key } from './db';

/** One dashboard row: optimizer step, epoch-ms time, and named numbers (loss, accuracy, margin, …; NaN allowed). */
export interface MetricRow {
  step: number;
  time: number;
  [metric: string]: number;
}

export interface RunInfo {
  runId: string;
  createdAt: number; // epoch ms of the first append
  updatedAt: number; // epoch ms of the last append
  rows: number;
  lastStep: number | null;
}

type RunRecord = RunInfo & { v: number; chunks: number };

const isStr = (x: unknown): x is string => typeof x === 'string';

/** Why a metric row is malformed, or null (shared by appendMetrics and backup import). */
function rowProblem(r: unknown): string | null {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'a row must be an object of numbers';
  const row = r as Record<string, unknown>;
  if (typeof row.step !== 'number' || !Number.isFinite(row.step)) return 'step must be a finite number';
  if (typeof row.time !== 'number' || !Number.isFinite(row.time)) return 'time must be epoch ms';
  for (const [k, v] of Object.entries(row)) if (typeof v !== 'number') return `metric ${JSON.stringify(k)} must be a number, got ${typeof v}`;
  return null;
}

/** Appends rows to a run (creating it). Safe to call from the worker and the page at once. Throws StorageFullError when the disk is full. */
export async function appendMetrics(runId: string, rows: MetricRow[]): Promise<void> {
  if (!isStr(runId) || runId === '') throw new Error('appendMetrics needs a non-empty runId (e.g. the training run\'s start time).');
  rows.forEach((r, i) => {
    const problem = rowProblem(r);
    if (problem) throw new Error(`Cannot store metrics of run ${runId}: row ${i}: ${problem}.`);
  });
  if (rows.length === 0) return;
  await inTx('runs', 'readwrite', `the metrics of run ${runId}`, async (os) => {
    const now = rows[rows.length - 1].time;
    const prev = (await req(os.get(KEY.run(runId)))) as RunRecord | undefined;
    const run: RunRecord = prev
      ? { ...prev }
      : { v: RECORD_VERSION, runId, createdAt: rows[0].time, updatedAt: now, rows: 0, lastStep: null, chunks: 0 };
    let chunkIndex = run.chunks - 1;
    let chunk: MetricRow[] = [];
    if (chunkIndex >= 0 && run.rows % RUN_CHUNK_ROWS !== 0) chunk = ((await req(os.get(KEY.runChunk(runId, chunkIndex)))) as MetricRow[] | undefined) ?? [];
    else chunkIndex++;
    for (const r of rows) {
      if (chunk.length === RUN_CHUNK_ROWS) {
        os.put(chunk, KEY.runChunk(runId, chunkIndex));
        chunkIndex++;
        chunk = [];
      }
      chunk.push({ ...r });
    }
    os.put(chunk, KEY.runChunk(runId, chunkIndex));
    run.chunks = chunkIndex + 1;
    run.rows += rows.length;
    run.updatedAt = Math.max(run.updatedAt, now);
    run.lastStep = rows[rows.length - 1].step;
    os.put(run, KEY.run(runId));
  });
}

/** Every row of a run in append order ([] for an unknown run). */
export async function getMetrics(runId: string): Promise<MetricRow[]> {
  const chunks = await valuesWithPrefix<MetricRow[]>('runs', [KIND.runChunk, runId]);
  return chunks.flat();
}

/** Summaries of every run, most recently updated first. */
export async function listRuns(): Promise<RunInfo[]> {
  const records = await valuesWithPrefix<RunRecord>('runs', [KIND.run]);
  return records
    .filter((r) => r && typeof r === 'object' && !Array.isArray(r))
    .map(({ v: _v, chunks: _c, ...info }) => info)
    .sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Deletes a run and all its rows in one transaction. */
export async function clearRun(runId: string): Promise<void> {
  await inTx('runs', 'readwrite', 'the deletion', (os) => {
    os.delete(KEY.run(runId));
    os.delete(prefixRange([KIND.runChunk, runId]));
  });
}

/** Why a backed-up entry of the runs database is invalid, or null. */
export function runsEntryProblem(key: Key, value: unknown): string | null {
  if (!Array.isArray(key)) return `unexpected key ${JSON.stringify(key)}`;
  if (key.length === 2 && key[0] === KIND.run && isStr(key[1])) {
    const r = value as Partial<RunRecord> | null;
    if (!r || typeof r !== 'object') return `run ${key[1]} is not a record`;
    if (r.v !== RECORD_VERSION) return `run ${key[1]} has record version ${JSON.stringify(r.v)}, expected ${RECORD_VERSION}`;
    if (r.runId !== key[1] || !Number.isInteger(r.rows) || !Number.isInteger(r.chunks) || typeof r.createdAt !== 'number' || typeof r.updatedAt !== 'number') {
      return `run ${key[1]}: the summary is incomplete`;
    }
    return null;
  }
  if (key.length === 3 && key[0] === KIND.runChunk && isStr(key[1]) && Number.isInteger(key[2])) {
    if (!Array.isArray(value)) return `metrics of run ${key[1]} are not a list of rows`;
    for (const row of value) {
      const problem = rowProblem(row);
      if (problem) return `metrics of run ${key[1]}: ${problem}`;
    }
    return null;
  }
  return `unexpected key ${JSON.stringify(key)}`;
}
