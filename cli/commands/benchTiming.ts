// Bench timing helpers: backend info, one timed call, the matmul probe, and measurement within a time budget (used by `bench` and `info`).
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import type { BackendInfo } from '../../src/platform/node';

// ---------------------------------------------------------------------------------------------------------------
// shared helpers (also used by `info`)

/** The backend tfjs is using now, without re-initialising it (threads from XNNPACK on wasm). */
export async function currentBackendInfo(): Promise<BackendInfo> {
  const name = tf.getBackend();
  if (name !== 'wasm') return { name, threads: 1, simd: false };
  let threads = 1;
  try {
    threads = tfwasm.getThreadsCount();
  } catch {
    // stock wasm backend not constructed through setThreadsCount: single-threaded
  }
  return { name, threads, simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean };
}

/** Wall time of one call in ms; cpu and wasm run ops synchronously, and we also read the result to be safe. */
export async function timeOnce(fn: () => tf.Tensor | tf.Tensor[] | Promise<unknown> | void): Promise<number> {
  const t0 = performance.now();
  const out = await fn();
  const ts = out instanceof tf.Tensor ? [out] : Array.isArray(out) ? out.filter((t): t is tf.Tensor => t instanceof tf.Tensor) : [];
  if (ts.length > 0) await syncRead(ts);
  const ms = performance.now() - t0;
  tf.dispose(ts);
  return ms;
}

/** Reads one value that depends on every tensor (forces completion on any backend). */
async function syncRead(ts: tf.Tensor[]): Promise<void> {
  const probe = tf.tidy(() => tf.addN(ts.map((t) => tf.sum(t.flatten().slice([0], [1])))));
  await probe.data();
  probe.dispose();
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface ProbeResult {
  n: number;
  ms: number; // median per matmul
  gflops: number;
  reps: number;
}

/** n×n×n float32 matmul, `warmup` untimed runs then the median of `reps`: the backend's attainable GFLOP/s. */
export async function matmulProbe(n = 512, reps = 5, warmup = 2): Promise<ProbeResult> {
  const a = tf.randomNormal([n, n]) as tf.Tensor2D;
  const b = tf.randomNormal([n, n]) as tf.Tensor2D;
  try {
    for (let i = 0; i < warmup; i++) await timeOnce(() => tf.matMul(a, b));
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await timeOnce(() => tf.matMul(a, b)));
    const ms = median(times);
    return { n, ms, gflops: (2 * n ** 3) / ms / 1e6, reps };
  } finally {
    tf.dispose([a, b]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// measurement with a time budget

export interface Measured {
  ms: number; // median per run
  reps: number; // timed runs (0 = only the cold first run fitted in the limit)
}
export type Outcome = Measured | { skipped: string };

export interface MeasureOptions {
  reps: number;
  estimateMs: number; // skip when the estimated time of one run exceeds the limit
  limitMs: number;
  warmup: boolean; // one untimed run first (its time also caps the repetitions)
}

export const fmtS = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

export async function measure(fn: () => tf.Tensor | tf.Tensor[] | Promise<unknown> | void, o: MeasureOptions): Promise<Outcome> {
  if (o.estimateMs > o.limitMs) return { skipped: `skipped: estimated ${fmtS(o.estimateMs)} > ${fmtS(o.limitMs)} limit` };
  let budget = o.limitMs;
  let perRun = o.estimateMs;
  if (o.warmup) {
    perRun = await timeOnce(fn);
    budget -= perRun;
  }
  const reps = Math.min(o.reps, Math.max(0, Math.floor(budget / Math.max(perRun, 1e-3))));
  if (reps === 0) return o.warmup ? { ms: perRun, reps: 0 } : { skipped: `skipped: estimated ${fmtS(perRun)} does not fit the limit` };
  const times: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < reps; i++) {
    times.push(await timeOnce(fn));
    counts.push(tf.memory().numTensors);
  }
  assertNoLeak(counts);
  return { ms: median(times), reps };
}

/**
 * A benchmarked call that leaves tensors behind is measuring the leak, not the work: on wasm, 700 leaked intermediates
 * per UNet forward made it ≈ 4× slower (session 9). Tensor counts after each timed run may grow only on the first
 * (lazily created optimizer state); any growth after that is refused.
 */
export function assertNoLeak(countsAfterRuns: number[]): void {
  for (let i = 1; i < countsAfterRuns.length; i++) {
    const grew = countsAfterRuns[i] - countsAfterRuns[i - 1];
    if (grew > 0) throw new Error(`the benchmarked call leaked ${grew} tensors in one run (wrap it in tf.tidy or dispose its intermediates); its time would measure the leak`);
  }
}

export const isSkipped = (o: Outcome): o is { skipped: string } => 'skipped' in o;
export const repsText = (m: Measured) => (m.reps === 0 ? 'single cold run (limit)' : m.reps === 1 ? '1 run' : `median of ${m.reps}`);
