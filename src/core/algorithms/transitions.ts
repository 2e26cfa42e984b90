/** Re-scoring stored denoising transitions (x_t → x_{t-1}) under the current weights: the one log-likelihood every method here (D3PO, DDPO, PRDP) builds on (ddim_step_with_logprob with prev_sample, kvablack/ddpo-pytorch ddpo_pytorch/diffusers_patch/ddim_with_logprob.py). */
import * as tf from '@tensorflow/tfjs';
import { latentShape } from '../config';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { Trajectory } from '../diffusion/sample';
import { alphasCumprod } from '../diffusion/schedule';
import { ddimStepWithLogProb } from '../diffusion/ddim';

/** A batch of N transitions picked from trajectories: row r is step `steps[r]` of `trajectories[r]`. */
export interface TransitionRows {
  trajectories: Trajectory[];
  steps: number[]; // index j into the trajectory: x_t = latents[j], x_{t-1} = latents[j+1]
}

export interface TransitionTensors {
  sample: tf.Tensor4D; // x_t [N,H,W,C]
  prevSample: tf.Tensor4D; // x_{t-1} [N,H,W,C]
  timesteps: number[]; // [N]
  textCond: tf.Tensor3D; // [N,L,D]
  textUncond: tf.Tensor3D; // [1,L,D]
  guidanceScale: number;
  eta: number;
  steps: number;
}

/** Sampler settings that decide how a stored step is re-scored (DDIM step count, η, guidance). */
export function samplerKey(t: Trajectory): string {
  return `${t.steps}|${t.eta}|${t.guidanceScale}`;
}

/** Splits items into groups of equal sampler settings, keeping their order within each group (first-seen group order). */
export function groupBySampler<T>(items: T[], trajectoryOf: (item: T) => Trajectory): T[][] {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const k = samplerKey(trajectoryOf(it));
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  return [...groups.values()];
}

/**
 * Builds tensors for the rows (the caller disposes them with disposeTransitions). All rows must share the sampler
 * settings (step count, η, guidance): the DDIM coefficients of a row depend on its own step count, so a 8-step row
 * scored with a 4-step row's settings would get the wrong x_{t−1} mean. Group mixed rows with groupBySampler first.
 */
export function transitionTensors(model: MiniSD, rows: TransitionRows): TransitionTensors {
  const shape = latentShape(model.config);
  const n = rows.steps.length;
  if (n === 0) throw new Error('transitionTensors needs at least one row');
  const key = samplerKey(rows.trajectories[0]);
  const other = rows.trajectories.find((t) => samplerKey(t) !== key);
  if (other) throw new Error(`Transition rows mix sampler settings (steps|eta|guidance ${key} and ${samplerKey(other)}); score each group separately (groupBySampler).`);
  const size = shape[0] * shape[1] * shape[2];
  const x = new Float32Array(n * size);
  const xPrev = new Float32Array(n * size);
  const timesteps: number[] = [];
  rows.steps.forEach((j, r) => {
    const tr = rows.trajectories[r];
    if (j < 0 || j >= tr.timesteps.length) throw new Error(`Step ${j} is outside this trajectory of ${tr.timesteps.length} steps`);
    x.set(tr.latents[j], r * size);
    xPrev.set(tr.latents[j + 1], r * size);
    timesteps.push(tr.timesteps[j]);
  });
  const first = rows.trajectories[0];
  return {
    sample: tf.tensor4d(x, [n, ...shape]),
    prevSample: tf.tensor4d(xPrev, [n, ...shape]),
    timesteps,
    textCond: model.encodeText(rows.trajectories.map((t) => t.prompt)),
    textUncond: model.encodeText(['']),
    guidanceScale: first.guidanceScale,
    eta: first.eta,
    steps: first.steps,
  };
}

export function disposeTransitions(t: TransitionTensors): void {
  tf.dispose([t.sample, t.prevSample, t.textCond, t.textUncond]);
}

/** log p(x_{t-1} | x_t) of each row under the model with `lora` at `loraScale` (0 = reference/base). -> [N] */
export function transitionLogProb(model: MiniSD, t: TransitionTensors, lora?: LoraAdapter, loraScale?: number): tf.Tensor1D {
  return tf.tidy(() => {
    const out = model.guidedPredict(t.sample, t.timesteps, t.textCond, t.textUncond, t.guidanceScale, lora, loraScale);
    const sched = model.config.scheduler;
    return ddimStepWithLogProb(sched, alphasCumprod(sched), t.steps, {
      modelOutput: out,
      timesteps: t.timesteps,
      sample: t.sample,
      eta: t.eta,
      prevSample: t.prevSample,
    }).logProb;
  });
}
