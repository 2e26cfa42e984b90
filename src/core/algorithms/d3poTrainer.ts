/** One D3PO update on a batch of labeled pairs (yk7333/d3po scripts/train.py): re-score each pair's stored steps under θ and the reference (cached per reference), accumulate the per-step loss gradients, clip, AdamW. */
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { Trajectory } from '../diffusion/sample';
import type { Rng } from '../rng';
import { shuffled } from '../rng';
import { AdamW } from '../train/adamw';
import { d3poLoss, d3poMetricTensor, metricsFromArray, preferenceSigns, type D3poLossConfig, type D3poMetrics, type Vote } from './d3po';
import { groupBySampler, samplerKey, transitionLogProb, type TransitionTensors } from './transitions';
import { ReferenceCache, type ReferenceRow } from './referenceCache';
import { accumulateAndApply, chunkRanges } from './policyStep';

/** Two trajectories of one prompt from one shared x_T, and the vote between them. */
export interface PreferencePair {
  id?: string; // stable id: also keys the pair's reference log-probs in a ReferenceCache (`${id}#0`, `${id}#1`)
  trajectories: [Trajectory, Trajectory];
  vote: Vote;
}

export interface D3poTrainConfig extends D3poLossConfig {
  learningRate: number; // AdamW step size
  maxGradNorm: number; // clip the global gradient norm to this (paper 1.0)
  timestepFraction: number; // share of the T steps trained per pair (paper 1.0; lower is cheaper)
  stepsPerChunk: number; // timesteps per forward/backward chunk; gradients accumulate across chunks (memory bound on WebGPU)
  skipFinalSteps?: number; // final denoising steps never trained (default 0 = all, as the paper): with 20 steps, offset 1 and the cosine schedule the second-to-last step (t = 51 → 1, σ ≈ 0.009) has a log-ratio ~100× the others', so 2 leaves it (and t = 1 → 0) out
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

/** Reference-cache keys of a pair's two trajectories (null without an id: nothing is cached). */
export function pairKeys(p: PreferencePair): [string | null, string | null] {
  return p.id == null ? [null, null] : [`${p.id}#0`, `${p.id}#1`];
}

/** One (pair, step) term of the loss: both images' transitions at that step. */
interface PairStep {
  pair: PreferencePair;
  step: number;
  h: [number, number];
}

/** Picks each usable pair's trained steps: round(T'·fraction) of its first T' = T − skipFinal steps, at random (D3PO shuffles timesteps per sample). */
function pairSteps(usable: PreferencePair[], fraction: number, skipFinal: number, rng: Rng): PairStep[] {
  const out: PairStep[] = [];
  for (const p of usable) {
    const [a, b] = p.trajectories;
    if (a.prompt !== b.prompt || a.latents[0].some((v, i) => v !== b.latents[0][i])) {
      throw new Error('D3PO pairs must share the prompt and the initial noise x_T (sample them with sharedInitialNoise).');
    }
    if (samplerKey(a) !== samplerKey(b)) throw new Error(`The two images of a D3PO pair must be sampled with the same settings (got ${samplerKey(a)} and ${samplerKey(b)}).`);
    const T = Math.max(1, a.timesteps.length - skipFinal);
    const h = preferenceSigns(p.vote);
    for (const step of shuffled([...Array(T).keys()], rng).slice(0, Math.max(1, Math.round(T * fraction)))) out.push({ pair: p, step, h });
  }
  return out;
}

/**
 * One optimizer step over `pairs`. The reference is `refLora` when given (D3PO's human-feedback script refreshes it each round),
 * else the base model (LoRA scale 0, the reward-model script's frozen copy). `cache` holds reference log-probs across calls
 * for the same reference (the caller creates a new one when the reference changes); without it they are computed here.
 * Terms are scored in groups of equal sampler settings, so pairs sampled with different step counts mix safely.
 */
export async function d3poTrainStep(
  model: MiniSD,
  lora: LoraAdapter,
  optimizer: AdamW,
  pairs: PreferencePair[],
  cfg: D3poTrainConfig,
  rng: Rng,
  refLora?: LoraAdapter,
  cache?: ReferenceCache,
): Promise<D3poStepResult | null> {
  const usable = pairs.filter((p) => preferenceSigns(p.vote)[0] !== 0);
  if (usable.length === 0) return null;
  // Rows ordered (group, pair, step, image) so the deltas of a chunk reshape to [terms, 2].
  const terms = groupBySampler(pairSteps(usable, cfg.timestepFraction, cfg.skipFinalSteps ?? 0, rng), (r) => r.pair.trajectories[0]).flat();
  const refRows: ReferenceRow[] = terms.flatMap((r) => {
    const [k0, k1] = pairKeys(r.pair);
    return [
      { key: k0, trajectory: r.pair.trajectories[0], step: r.step },
      { key: k1, trajectory: r.pair.trajectories[1], step: r.step },
    ];
  });
  const ref = await (cache ?? new ReferenceCache('step')).resolve(model, refRows, refLora); // log π_ref [2·terms], no gradient
  const n = terms.length;
  const deltas: tf.Tensor2D[] = [];
  const chunks = groupBySampler([...terms.keys()], (i) => terms[i].pair.trajectories[0]).flatMap((group) =>
    chunkRanges(group.length, cfg.stepsPerChunk).map(([gs, ge]) => {
      const [start, end] = [group[gs], group[ge - 1] + 1]; // groups are contiguous in `terms`
      const rows = refRows.slice(2 * start, 2 * end);
      return {
        rows: { trajectories: rows.map((r) => r.trajectory), steps: rows.map((r) => r.step) },
        loss: (tt: TransitionTensors) => {
          const d = tf.sub(transitionLogProb(model, tt, lora), tf.tensor1d(ref.subarray(2 * start, 2 * end))).reshape([-1, 2]) as tf.Tensor2D; // Δ [n,2]
          deltas.push(tf.keep(d));
          const [d0, d1] = tf.unstack(d, 1) as [tf.Tensor1D, tf.Tensor1D];
          const hs = terms.slice(start, end);
          const loss = d3poLoss(d0, d1, tf.tensor1d(hs.map((r) => r.h[0])), tf.tensor1d(hs.map((r) => r.h[1])), cfg);
          return tf.mul(tf.mean(loss), (end - start) / n) as tf.Scalar;
        },
      };
    }),
  );
  const { gradNorm, loss } = accumulateAndApply(model, lora, optimizer, chunks, cfg.maxGradNorm, cfg.learningRate);
  const metricT = tf.tidy(() => {
    const d = tf.concat(deltas);
    const [d0, d1] = tf.unstack(d, 1) as [tf.Tensor1D, tf.Tensor1D];
    return tf.concat([d3poMetricTensor(d0, d1, tf.tensor1d(terms.map((r) => r.h[0])), tf.tensor1d(terms.map((r) => r.h[1])), cfg), gradNorm.reshape([1])]);
  });
  const values = await metricT.data(); // one small async read (WebGPU-safe)
  tf.dispose([metricT, gradNorm, loss, ...deltas]);
  return { ...metricsFromArray(values), gradNorm: values[8], learningRate: cfg.learningRate, pairsUsed: usable.length, transitions: n };
}

export { AdamW };
