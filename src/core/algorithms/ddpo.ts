/** DDPO's clipped importance-ratio surrogate (Black et al. 2023; kvablack/ddpo-pytorch scripts/train.py), the same objective the large-scale RL paper (Zhang et al. 2024, eq. 7) maximises with batch-normalised advantages. */
import * as tf from '@tensorflow/tfjs';

export interface DdpoLossConfig {
  clipRange: number; // PPO clip on the ratio π_θ/π_old (mean-over-dims log-probs: 1e-4 in the papers)
  advClipMax: number; // advantages are clamped to ±advClipMax (5)
}

export const defaultDdpoLossConfig: DdpoLossConfig = { clipRange: 1e-4, advClipMax: 5 };

/**
 * Per-row loss max(−A·ρ, −A·clip(ρ, 1−c, 1+c)) with ρ = exp(logProb − oldLogProb).
 * logProb, oldLogProb, advantages [N] -> [N]
 */
export function ddpoLoss(logProb: tf.Tensor1D, oldLogProb: tf.Tensor1D, advantages: tf.Tensor1D, cfg: DdpoLossConfig = defaultDdpoLossConfig): tf.Tensor1D {
  return tf.tidy(() => {
    const adv = tf.clipByValue(advantages, -cfg.advClipMax, cfg.advClipMax);
    const ratio = tf.exp(tf.sub(logProb, oldLogProb));
    const unclipped = tf.mul(tf.neg(adv), ratio);
    const clipped = tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - cfg.clipRange, 1 + cfg.clipRange));
    return tf.maximum(unclipped, clipped) as tf.Tensor1D;
  });
}

/** [approx_kl = ½·mean(Δ²), clipfrac = mean(|ρ−1| > c)] as DDPO logs them. -> [2] */
export function ddpoMetricTensor(logProb: tf.Tensor1D, oldLogProb: tf.Tensor1D, clipRange: number): tf.Tensor1D {
  return tf.tidy(() => {
    const d = tf.sub(logProb, oldLogProb);
    const clipFrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(tf.exp(d), 1)), clipRange), 'float32'));
    return tf.stack([tf.mul(0.5, tf.mean(tf.square(d))), clipFrac]) as tf.Tensor1D;
  });
}
