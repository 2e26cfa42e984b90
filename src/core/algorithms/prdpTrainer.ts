/** One PRDP update (Deng et al. 2024, Algorithm 1 inner step): for each prompt's K trajectories sampled from θ_old, regress Σ_t log-ratio differences onto Δreward/β with per-step proximal clipping around θ_old. */
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { Trajectory } from '../diffusion/sample';
import type { AdamW } from '../train/adamw';
import { prdpLoss, type PrdpLossConfig } from './prdp';
import { disposeTransitions, transitionLogProb, transitionTensors } from './transitions';
import { accumulateAndApply } from './policyStep';

export interface PrdpTrainConfig extends PrdpLossConfig {
  learningRate: number;
  maxGradNorm: number;
}

export const defaultPrdpTrainConfig: PrdpTrainConfig = { beta: 1, clipEps: 1e-3, learningRate: 3e-4, maxGradNorm: 1 };

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

export async function prdpTrainStep(model: MiniSD, lora: LoraAdapter, optimizer: AdamW, groups: PrdpGroup[], cfg: PrdpTrainConfig): Promise<PrdpStepResult> {
  const ratioMeans: tf.Tensor[] = [];
  const chunks = groups.map((g) => {
    const K = g.trajectories.length;
    const T = g.trajectories[0].timesteps.length;
    const rows = { trajectories: g.trajectories.flatMap((tr) => new Array(T).fill(tr)), steps: g.trajectories.flatMap(() => [...Array(T).keys()]) };
    const ref = Float32Array.from(g.refLogProbs.flatMap((r) => Array.from(r)));
    const old = Float32Array.from(g.trajectories.flatMap((tr, k) => Array.from(tr.logProbs, (lp, t) => lp - g.refLogProbs[k][t])));
    return {
      rows,
      loss: (tt: Parameters<typeof transitionLogProb>[1]) => {
        const logRatio = tf.sub(transitionLogProb(model, tt, lora), tf.tensor1d(ref)).reshape([K, T]) as tf.Tensor2D; // [K,T]
        ratioMeans.push(tf.keep(tf.mean(logRatio)));
        return tf.div(prdpLoss(logRatio, tf.tensor2d(old, [K, T]), g.rewards, cfg), groups.length) as tf.Scalar;
      },
    };
  });
  const { gradNorm, loss } = accumulateAndApply(model, lora, optimizer, chunks, cfg.maxGradNorm, cfg.learningRate);
  const packed = tf.tidy(() => tf.stack([loss, gradNorm, tf.mean(tf.stack(ratioMeans))]));
  const v = await packed.data();
  tf.dispose([packed, loss, gradNorm, ...ratioMeans]);
  return { loss: v[0], gradNorm: v[1], learningRate: cfg.learningRate, meanLogRatio: v[2] };
}
