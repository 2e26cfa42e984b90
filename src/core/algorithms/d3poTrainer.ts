/** One D3PO update on a batch of labeled pairs (yk7333/d3po scripts/train.py): re-score each pair's stored steps under θ and the reference, accumulate the per-step loss gradients, clip, AdamW. */
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { Trajectory } from '../diffusion/sample';
import type { Rng } from '../rng';
import { shuffled } from '../rng';
import { AdamW } from '../train/adamw';
import { d3poLoss, d3poMetricTensor, metricsFromArray, preferenceSigns, type D3poLossConfig, type D3poMetrics, type Vote } from './d3po';
import { transitionLogProb, type TransitionTensors } from './transitions';
import { accumulateAndApply, chunkRanges } from './policyStep';

/** Two trajectories of one prompt from one shared x_T, and the vote between them. */
export interface PreferencePair {
  id?: string;
  trajectories: [Trajectory, Trajectory];
  vote: Vote;
}

export interface D3poTrainConfig extends D3poLossConfig {
  learningRate: number; // AdamW step size
  maxGradNorm: number; // clip the global gradient norm to this (paper 1.0)
  timestepFraction: number; // share of the T steps trained per pair (paper 1.0; lower is cheaper)
  stepsPerChunk: number; // timesteps per forward/backward chunk; gradients accumulate across chunks (memory bound on WebGPU)
}

export const defaultD3poTrainConfig: D3poTrainConfig = {
  beta: 0.1,
  eps: 0.1,
  learningRate: 3e-4,
  maxGradNorm: 1.0,
  timestepFraction: 1.0,
  stepsPerChunk: 20,
};

export interface D3poStepResult extends D3poMetrics {
  gradNorm: number; // before clipping
  learningRate: number;
  pairsUsed: number; // pairs with a preference (ties skipped)
  transitions: number; // (pair, step) terms in the loss
}

/**
 * One optimizer step over `pairs`. The reference is `refLora` when given (D3PO's human-feedback script refreshes it each round),
 * else the base model (LoRA scale 0, the reward-model script's frozen copy).
 */
export async function d3poTrainStep(
  model: MiniSD,
  lora: LoraAdapter,
  optimizer: AdamW,
  pairs: PreferencePair[],
  cfg: D3poTrainConfig,
  rng: Rng,
  refLora?: LoraAdapter,
): Promise<D3poStepResult | null> {
  const usable = pairs.filter((p) => preferenceSigns(p.vote)[0] !== 0);
  if (usable.length === 0) return null;
  const T = usable[0].trajectories[0].timesteps.length;
  const k = Math.max(1, Math.round(T * cfg.timestepFraction));
  // Rows ordered (pair, step, image) so deltas reshape to [pairs·steps, 2].
  const trajectories: Trajectory[] = [];
  const steps: number[] = [];
  const h0: number[] = [];
  const h1: number[] = [];
  for (const p of usable) {
    const [a, b] = p.trajectories;
    if (a.prompt !== b.prompt || a.latents[0].some((v, i) => v !== b.latents[0][i])) {
      throw new Error('D3PO pairs must share the prompt and the initial noise x_T (sample them with sharedInitialNoise).');
    }
    const [s0, s1] = preferenceSigns(p.vote);
    for (const j of shuffled([...Array(T).keys()], rng).slice(0, k)) {
      trajectories.push(a, b);
      steps.push(j, j);
      h0.push(s0);
      h1.push(s1);
    }
  }
  const terms = h0.length;
  const deltas: tf.Tensor2D[] = [];
  const chunks = chunkRanges(terms, cfg.stepsPerChunk).map(([start, end]) => ({
    rows: { trajectories: trajectories.slice(2 * start, 2 * end), steps: steps.slice(2 * start, 2 * end) },
    before: (tt: TransitionTensors) => transitionLogProb(model, tt, refLora, refLora ? undefined : 0), // log π_ref [2n], no gradient
    loss: (tt: TransitionTensors, ref?: tf.Tensor) => {
      const d = tf.sub(transitionLogProb(model, tt, lora), ref!).reshape([-1, 2]) as tf.Tensor2D; // Δ [n,2]
      deltas.push(tf.keep(d));
      const [d0, d1] = tf.unstack(d, 1) as [tf.Tensor1D, tf.Tensor1D];
      const loss = d3poLoss(d0, d1, tf.tensor1d(h0.slice(start, end)), tf.tensor1d(h1.slice(start, end)), cfg);
      return tf.mul(tf.mean(loss), (end - start) / terms) as tf.Scalar;
    },
  }));
  const { gradNorm, loss } = accumulateAndApply(model, lora, optimizer, chunks, cfg.maxGradNorm, cfg.learningRate);
  const metricT = tf.tidy(() => {
    const d = tf.concat(deltas);
    const [d0, d1] = tf.unstack(d, 1) as [tf.Tensor1D, tf.Tensor1D];
    return tf.concat([d3poMetricTensor(d0, d1, tf.tensor1d(h0), tf.tensor1d(h1), cfg), gradNorm.reshape([1])]);
  });
  const values = await metricT.data(); // one small async read (WebGPU-safe)
  tf.dispose([metricT, gradNorm, loss, ...deltas]);
  return { ...metricsFromArray(values), gradNorm: values[8], learningRate: cfg.learningRate, pairsUsed: usable.length, transitions: terms };
}

export { AdamW };
