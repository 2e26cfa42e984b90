/** Shared optimizer-step plumbing for the trajectory methods (D3PO, DDPO, PRDP): chunked gradient accumulation over stored transitions, global-norm clipping, AdamW, one async read of the metrics. */
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { AdamW } from '../train/adamw';
import { accumulate, clipByGlobalNorm, globalNorm } from '../train/gradients';
import { disposeTransitions, transitionTensors, type TransitionRows, type TransitionTensors } from './transitions';

export interface ChunkLoss {
  rows: TransitionRows; // transitions this chunk re-scores
  /** Scalar loss of the chunk (already weighted so chunk losses sum to the batch loss); may tf.keep tensors for metrics. */
  loss: (t: TransitionTensors) => tf.Scalar;
}

/** Runs every chunk's loss under tf.variableGrads, accumulates, clips and applies; returns the pre-clip gradient norm tensor. */
export function accumulateAndApply(model: MiniSD, lora: LoraAdapter, optimizer: AdamW, chunks: ChunkLoss[], maxGradNorm: number, learningRate: number): { gradNorm: tf.Scalar; loss: tf.Scalar } {
  let grads: tf.NamedTensorMap | null = null;
  let total: tf.Scalar = tf.scalar(0);
  for (const c of chunks) {
    const tt = transitionTensors(model, c.rows);
    try {
      const { grads: g, value } = tf.variableGrads(() => c.loss(tt), lora.variables);
      grads = accumulate(grads, g);
      const t2 = tf.add(total, value) as tf.Scalar;
      tf.dispose([total, value]);
      total = t2;
    } finally {
      disposeTransitions(tt);
    }
  }
  if (!grads) throw new Error('accumulateAndApply needs at least one chunk');
  const norm = globalNorm(grads);
  const clipped = clipByGlobalNorm(grads, norm, maxGradNorm);
  optimizer.apply(clipped, learningRate);
  tf.dispose([...Object.values(grads), ...Object.values(clipped)]);
  return { gradNorm: norm, loss: total };
}

/** Splits n row indices into consecutive chunks of at most `size`. */
export function chunkRanges(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += Math.max(1, size)) out.push([s, Math.min(n, s + Math.max(1, size))]);
  return out;
}
