/** One DDPO / large-scale-RL policy update: clipped importance-ratio surrogate on stored transitions against the sampling-time log-probs (θ_old), advantages from rewards (per-prompt tracker or batch-wise), optional pretraining-loss step (large-scale RL eq. 8). */
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { Trajectory } from '../diffusion/sample';
import { shuffled, type Rng } from '../rng';
import type { AdamW } from '../train/adamw';
import { ddpoLoss, ddpoMetricTensor, type DdpoLossConfig } from './ddpo';
import { transitionLogProb } from './transitions';
import { accumulateAndApply, chunkRanges } from './policyStep';
import { assertExactSamplingLogProbs } from './trajectoryCodec';

export interface DdpoTrainConfig extends DdpoLossConfig {
  learningRate: number; // AdamW step size
  maxGradNorm: number; // global-norm clip (1.0)
  timestepFraction: number; // share of each trajectory's steps trained (1.0)
  stepsPerChunk: number; // transitions per forward/backward chunk
}

export const defaultDdpoTrainConfig: DdpoTrainConfig = { clipRange: 1e-4, advClipMax: 5, learningRate: 3e-4, maxGradNorm: 1, timestepFraction: 1, stepsPerChunk: 40 };

export interface AdvantageSample {
  trajectory: Trajectory; // with sampling-time logProbs (θ_old): freshly sampled or stored F32, never F16-stored
  advantage: number; // normalised reward
}

export interface DdpoStepResult {
  loss: number;
  approxKl: number;
  clipFraction: number;
  gradNorm: number;
  learningRate: number;
  transitions: number;
}

/** One clipped-surrogate step on `samples`; refuses trajectories whose stored log-probs are not those of their latents (F16-stored). */
export async function ddpoTrainStep(model: MiniSD, lora: LoraAdapter, optimizer: AdamW, samples: AdvantageSample[], cfg: DdpoTrainConfig, rng: Rng): Promise<DdpoStepResult> {
  assertExactSamplingLogProbs(samples.map((s) => s.trajectory), 'DDPO');
  const trajectories: Trajectory[] = [];
  const steps: number[] = [];
  const adv: number[] = [];
  for (const s of samples) {
    const T = s.trajectory.timesteps.length;
    for (const j of shuffled([...Array(T).keys()], rng).slice(0, Math.max(1, Math.round(T * cfg.timestepFraction)))) {
      trajectories.push(s.trajectory);
      steps.push(j);
      adv.push(s.advantage);
    }
  }
  const n = steps.length;
  const metricParts: tf.Tensor[] = [];
  const chunks = chunkRanges(n, cfg.stepsPerChunk).map(([a, b]) => ({
    rows: { trajectories: trajectories.slice(a, b), steps: steps.slice(a, b) },
    loss: (tt: Parameters<typeof transitionLogProb>[1]) => {
      const logProb = transitionLogProb(model, tt, lora);
      const old = tf.tensor1d(Float32Array.from(trajectories.slice(a, b).map((t, i) => t.logProbs[steps[a + i]])));
      metricParts.push(tf.keep(tf.mul(ddpoMetricTensor(logProb, old, cfg.clipRange), (b - a) / n)));
      return tf.mul(tf.mean(ddpoLoss(logProb, old, tf.tensor1d(adv.slice(a, b)), cfg)), (b - a) / n) as tf.Scalar;
    },
  }));
  const { gradNorm, loss } = accumulateAndApply(model, lora, optimizer, chunks, cfg.maxGradNorm, cfg.learningRate);
  const packed = tf.tidy(() => tf.concat([tf.addN(metricParts), loss.reshape([1]), gradNorm.reshape([1])]));
  const v = await packed.data();
  tf.dispose([packed, gradNorm, loss, ...metricParts]);
  return { approxKl: v[0], clipFraction: v[1], loss: v[2], gradNorm: v[3], learningRate: cfg.learningRate, transitions: n };
}
