// The benchmark rows' shared state and helpers (cli/commands/bench.ts, benchD3po.ts): what earlier rows measured for the later ones' estimates, repetitions, GFLOP/s and each rate's share of the backend's matmul probe.
import type { MiniSD } from '../../src/core/model/pipeline';
import type { Trajectory } from '../../src/core/diffusion/sample';
import type { ProbeResult } from './benchTiming';

/** Targets from the issue; printed next to the numbers. */
export const TARGETS = { pairGenerationSeconds: 0.5, d3poVsPytorch: 1.5 } as const;
/** DDIM steps of the pair-generation and D3PO rows. */
export const PAIR_STEPS = 20;
export const PROMPT = 'red heart';

export interface BenchContext {
  model: MiniSD;
  flops: { unet: number; textEncoder: number; decoder: number };
  quick: boolean;
  cpu: boolean;
  limitMs: number;
  probe?: ProbeResult;
  unetMsPerLatent?: number;
  decodeMsPerImage?: number;
  convRatio?: number; // fwd+bwd / fwd of conv2dSame, for the D3PO estimate
  pair?: [Trajectory, Trajectory];
}

export const reps = (c: BenchContext, wasm: number, cpu: number) => (c.cpu ? cpu : c.quick ? Math.max(1, Math.ceil(wasm / 2)) : wasm);
export const gf = (flops: number, ms: number) => flops / ms / 1e6;
/** " = X % of the matmul probe" for a row's GFLOP/s (issue: every row's efficiency against the backend's own peak). */
export const probeShare = (c: BenchContext, gflops: number) => (c.probe ? ` = ${((100 * gflops) / c.probe.gflops).toFixed(1)} % of the matmul probe` : '');
/** A rate's share of the matmul probe as a number for the JSON (NaN before the probe ran). */
export const probeRatio = (c: BenchContext, gflops: number) => (c.probe ? gflops / c.probe.gflops : NaN);
