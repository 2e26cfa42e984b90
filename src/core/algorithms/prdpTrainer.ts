/** One PRDP update (Deng et al. 2024, Algorithm 1 inner step): for each prompt's K trajectories sampled from θ_old, regress Σ_t log-ratio differences onto Δreward/β with per-step proximal clipping around θ_old. */
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { Trajectory } from '../diffusion/sample';
import type { AdamW } from '../train/adamw';
import { prdpLoss, type PrdpLossConfig } from './prdp';
import { disposeTransitions, transitionLogProb, transitionTensors, type TransitionRows } from './transitions';
import { chunkRanges } from './policyStep';
import { assertExactSamplingLogProbs } from './trajectoryCodec';
import { accumulate, clipByGlobalNorm, globalNorm } from '../train/gradients';

export interface PrdpTrainConfig extends PrdpLossConfig {
  learningRate: number;
  maxGradNorm: number;
  stepsPerChunk: number; // transitions on the gradient tape at once (memory bound; the result does not depend on it)
}

export const defaultPrdpTrainConfig: PrdpTrainConfig = { beta: 1, clipEps: 1e-3, learningRate: 3e-4, maxGradNorm: 1, stepsPerChunk: 20 };

/** One prompt's group: K ≥ 2 trajectories from θ_old with their rewards, and the reference log-probs (cached per round). */
export interface PrdpGroup {
  trajectories: Trajectory[];
  rewards: number[];
  refLogProbs: Float32Array[]; // [K][T] log π_ref of each stored step (LoRA off), from `referenceLogProbs`
}

/** log π_ref of every step of every trajectory (no gradient; compute once per sampling round). */
export async function referenceLogProbs(model: MiniSD, trajectories: Trajectory[], refLora?: LoraAdapter): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const tr of trajectories) {
    const T = tr.timesteps.length;
    const tt = transitionTensors(model, { trajectories: new Array(T).fill(tr), steps: [...Array(T).keys()] });
    const lp = transitionLogProb(model, tt, refLora, refLora ? undefined : 0);
    out.push((await lp.data()) as Float32Array);
    lp.dispose();
    disposeTransitions(tt);
  }
  return out;
}

export interface PrdpStepResult {
  loss: number;
  gradNorm: number;
  learningRate: number;
  meanLogRatio: number; // mean per-step log π_θ/π_ref before the update (KL proxy)
}

/** The rows of transitions s..e−1 of `rows`. */
const rowSlice = (rows: TransitionRows, s: number, e: number): TransitionRows => ({ trajectories: rows.trajectories.slice(s, e), steps: rows.steps.slice(s, e) });

/** log π_θ of every row, `chunk` rows at a time, without a gradient tape. -> [N] */
async function logProbsInChunks(model: MiniSD, lora: LoraAdapter, rows: TransitionRows, chunk: number): Promise<Float32Array> {
  const out = new Float32Array(rows.steps.length);
  for (const [s, e] of chunkRanges(rows.steps.length, chunk)) {
    const tt = transitionTensors(model, rowSlice(rows, s, e));
    const lp = transitionLogProb(model, tt, lora);
    out.set((await lp.data()) as Float32Array, s);
    lp.dispose();
    disposeTransitions(tt);
  }
  return out;
}

/**
 * Gradient of the mean over groups of the PRDP loss w.r.t. the LoRA, with at most `stepsPerChunk` transitions on the
 * tape at once. The loss couples all K·T log-ratios of a group, so it is split by the chain rule: a tape-free pass gives
 * r̂ [K,T] and w = ∂L/∂r̂ (a tiny tape on r̂ alone), then each chunk contributes ∂(Σᵢ wᵢ·log π_θ,ᵢ)/∂θ — exact, since
 * log π_ref is constant. Memory is that of one chunk instead of K·T transitions (K = 4, T = 20 with CFG is a batch of 160).
 */
export async function prdpGradients(model: MiniSD, lora: LoraAdapter, groups: PrdpGroup[], cfg: PrdpTrainConfig): Promise<{ grads: tf.NamedTensorMap; loss: number; meanLogRatio: number }> {
  assertExactSamplingLogProbs(groups.flatMap((g) => g.trajectories), 'PRDP'); // θ_old's log-ratios come from the stored log-probs
  let grads: tf.NamedTensorMap | null = null;
  let loss = 0;
  let ratioSum = 0;
  let ratioCount = 0;
  for (const g of groups) {
    const K = g.trajectories.length;
    const T = g.trajectories[0].timesteps.length;
    const rows: TransitionRows = { trajectories: g.trajectories.flatMap((tr) => new Array<Trajectory>(T).fill(tr)), steps: g.trajectories.flatMap(() => [...Array(T).keys()]) };
    const ref = Float32Array.from(g.refLogProbs.flatMap((r) => Array.from(r)));
    const old = Float32Array.from(g.trajectories.flatMap((tr, k) => Array.from(tr.logProbs, (lp, t) => lp - g.refLogProbs[k][t])));
    const logp = await logProbsInChunks(model, lora, rows, cfg.stepsPerChunk);
    const ratio = logp.map((x, i) => x - ref[i]); // r̂ [K·T]
    ratio.forEach((r) => (ratioSum += r));
    ratioCount += ratio.length;
    const { value, grad } = tf.tidy(() => tf.valueAndGrad((r: tf.Tensor) => prdpLoss(r as tf.Tensor2D, tf.tensor2d(old, [K, T]), g.rewards, cfg))(tf.tensor2d(ratio, [K, T])));
    loss += (await value.data())[0] / groups.length;
    const w = ((await grad.data()) as Float32Array).map((x) => x / groups.length); // ∂L/∂r̂ = ∂L/∂log π_θ
    tf.dispose([value, grad]);
    for (const [s, e] of chunkRanges(K * T, cfg.stepsPerChunk)) {
      const tt = transitionTensors(model, rowSlice(rows, s, e));
      const wChunk = tf.tensor1d(w.subarray(s, e));
      try {
        const { grads: gc, value: v } = tf.variableGrads(() => tf.sum(tf.mul(transitionLogProb(model, tt, lora), wChunk)) as tf.Scalar, lora.variables);
        v.dispose();
        grads = accumulate(grads, gc);
      } finally {
        disposeTransitions(tt);
        wChunk.dispose();
      }
    }
  }
  if (!grads) throw new Error('PRDP needs at least one group of trajectories');
  return { grads, loss, meanLogRatio: ratioSum / Math.max(1, ratioCount) };
}

export async function prdpTrainStep(model: MiniSD, lora: LoraAdapter, optimizer: AdamW, groups: PrdpGroup[], cfg: PrdpTrainConfig): Promise<PrdpStepResult> {
  const { grads, loss, meanLogRatio } = await prdpGradients(model, lora, groups, cfg);
  const norm = globalNorm(grads);
  const clipped = clipByGlobalNorm(grads, norm, cfg.maxGradNorm);
  optimizer.apply(clipped, cfg.learningRate);
  const gradNorm = (await norm.data())[0];
  tf.dispose([norm, ...Object.values(grads), ...Object.values(clipped)]);
  return { loss, gradNorm, learningRate: cfg.learningRate, meanLogRatio };
}
