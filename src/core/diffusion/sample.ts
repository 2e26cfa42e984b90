/** Text-to-latent sampling with DDIM (eta = 1) that records the whole denoising trajectory and each step's log-prob (D3PO/DDPO pipeline_with_logprob). */
import * as tf from '@tensorflow/tfjs';
import type { SampleConfig } from '../config';
import { latentShape } from '../config';
import { createRng } from '../rng';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import { alphasCumprod, ddimTimesteps } from './schedule';
import { ddimStepWithLogProb } from './ddim';

export interface SampleRequest {
  prompts: string[]; // one per image
  seed: number; // seeds x_T and every step's noise
  sharedInitialNoise?: boolean; // all rows start from the same x_T (D3PO pairs); default false
  sample?: Partial<SampleConfig>; // steps, eta, guidanceScale (defaults from the model config)
  lora?: LoraAdapter; // adapter to sample with
  loraScale?: number; // overrides the adapter's scale; 0 = base model
  negativePrompt?: string; // unconditional prompt for CFG (default '')
}

/** One image's denoising chain: latents[0] = x_T … latents[T] = x_0 (scaled latents, [H,W,C] flattened). */
export interface Trajectory {
  prompt: string;
  seed: number;
  index: number; // row in the request
  timesteps: number[]; // t of each step, descending [T]
  latents: Float32Array[]; // T+1 arrays of H·W·C
  logProbs: Float32Array; // [T] sampling-time log p(x_{t-1}|x_t), mean over dims
  steps: number;
  eta: number;
  guidanceScale: number;
}

export interface SampleResult {
  trajectories: Trajectory[];
  final: tf.Tensor4D; // x_0 latents [B,H,W,C] (caller disposes)
}

export interface SampleHooks {
  onStep?: (step: number, total: number) => void;
  shouldCancel?: () => boolean; // checked between steps; throws SamplingCancelled when true
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class SamplingCancelled extends Error {
  constructor() {
    super('Sampling was cancelled');
  }
}

/** Deterministic initial noise x_T [B,H,W,C] for a seed (shared across rows when asked). */
export function initialNoise(shape: [number, number, number], batch: number, seed: number, shared: boolean): Float32Array {
  const n = shape[0] * shape[1] * shape[2];
  const rng = createRng(seed);
  const out = new Float32Array(batch * n);
  if (shared) {
    const one = rng.normals(n);
    for (let b = 0; b < batch; b++) out.set(one, b * n);
  } else out.set(rng.normals(batch * n));
  return out;
}

export async function sampleWithTrajectory(model: MiniSD, req: SampleRequest, hooks: SampleHooks = {}): Promise<SampleResult> {
  const cfg = { ...model.config.sample, ...req.sample };
  const sched = model.config.scheduler;
  const shape = latentShape(model.config);
  const b = req.prompts.length;
  if (b === 0) throw new Error('sampleWithTrajectory needs at least one prompt');
  const acp = alphasCumprod(sched);
  const timesteps = ddimTimesteps(sched, cfg.steps);
  // Per-step noise comes from a second stream so x_T depends only on (seed, shared).
  const stepRng = createRng(req.seed ^ 0x5bd1e995);
  const textCond = model.encodeText(req.prompts); // [B,L,D]
  const textUncond = model.encodeText([req.negativePrompt ?? '']); // [1,L,D]
  let x = tf.tensor4d(initialNoise(shape, b, req.seed, req.sharedInitialNoise ?? false), [b, ...shape]);
  const states: tf.Tensor4D[] = [x];
  const logProbs: tf.Tensor1D[] = [];
  try {
    for (let i = 0; i < timesteps.length; i++) {
      if (hooks.shouldCancel?.()) throw new SamplingCancelled();
      const t = timesteps[i];
      const noise = tf.tensor4d(stepRng.normals(b * shape[0] * shape[1] * shape[2]), [b, ...shape]);
      const step = tf.tidy(() => {
        const out = model.guidedPredict(x, new Array(b).fill(t), textCond, textUncond, cfg.guidanceScale, req.lora, req.loraScale);
        const r = ddimStepWithLogProb(sched, acp, cfg.steps, { modelOutput: out, timesteps: new Array(b).fill(t), sample: x, eta: cfg.eta, noise });
        return { prevSample: r.prevSample, logProb: r.logProb };
      });
      noise.dispose();
      x = step.prevSample;
      states.push(x);
      logProbs.push(step.logProb);
      hooks.onStep?.(i + 1, timesteps.length);
      // Wait for this step's result (B floats, async: WebGPU-safe) so GPU backends cannot queue the whole chain ahead:
      // a cancel then lands between steps there too. Then yield so a worker can receive the cancel message.
      await step.logProb.data();
      await yieldToEventLoop();
    }
    // One read for the whole chain (async: safe on WebGPU). [T+1,B,H,W,C] and [T,B]
    const stacked = tf.stack(states);
    const lpStacked = tf.stack(logProbs);
    const [lat, lps] = await Promise.all([stacked.data(), lpStacked.data()]);
    stacked.dispose();
    lpStacked.dispose();
    const n = shape[0] * shape[1] * shape[2];
    const T = timesteps.length;
    const trajectories: Trajectory[] = req.prompts.map((prompt, row) => ({
      prompt,
      seed: req.seed,
      index: row,
      timesteps: timesteps.slice(),
      latents: Array.from({ length: T + 1 }, (_, k) => Float32Array.from(lat.subarray((k * b + row) * n, (k * b + row + 1) * n))),
      logProbs: Float32Array.from({ length: T }, (_, k) => lps[k * b + row]),
      steps: cfg.steps,
      eta: cfg.eta,
      guidanceScale: cfg.guidanceScale,
    }));
    const final = x.clone();
    return { trajectories, final };
  } finally {
    tf.dispose([...states, ...logProbs, textCond, textUncond]);
  }
}

/** images [B,H,W,3] in [0,1] -> RGBA bytes per image (for PNG encoding or a canvas). */
export async function imagesToRgba(images: tf.Tensor4D): Promise<Uint8ClampedArray[]> {
  const [b, h, w] = images.shape;
  const data = await images.data();
  return Array.from({ length: b }, (_, i) => {
    const out = new Uint8ClampedArray(h * w * 4);
    for (let p = 0; p < h * w; p++) {
      for (let c = 0; c < 3; c++) out[p * 4 + c] = Math.round(data[(i * h * w + p) * 3 + c] * 255);
      out[p * 4 + 3] = 255;
    }
    return out;
  });
}
