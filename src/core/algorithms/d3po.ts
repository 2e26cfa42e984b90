/** D3PO loss (Yang et al., CVPR 2024; yk7333/d3po scripts/train.py): per denoising step, −log σ(β·Σ_i h_i·log clamp(π_θ/π_ref, 1−ε, 1+ε)), and the dashboard metrics derived from the same log-ratios. */
import * as tf from '@tensorflow/tfjs';

export interface D3poLossConfig {
  beta: number; // temperature / KL coefficient (paper 0.1)
  eps: number; // ratio clamp: π_θ/π_ref is clamped to [1−ε, 1+ε] (paper 0.1)
}

export const defaultD3poLossConfig: D3poLossConfig = { beta: 0.1, eps: 0.1 };

/** Which image of a pair the person preferred. 'tie' and 'both-bad' carry no preference and are skipped. */
export type Vote = 0 | 1 | 'tie' | 'both-bad';

/** h = [+1, −1] when image 0 won, [−1, +1] when image 1 won, [0, 0] otherwise (D3PO App. A). */
export function preferenceSigns(vote: Vote): [number, number] {
  if (vote === 0) return [1, -1];
  if (vote === 1) return [-1, 1];
  return [0, 0];
}

/**
 * Per-element D3PO loss. delta_i = log π_θ(x_{t−1}^i|x_t^i) − log π_ref(x_{t−1}^i|x_t^i) (mean-over-dims log-probs).
 * delta0, delta1, h0, h1 [N] -> loss [N]
 * log(clamp(exp Δ, 1−ε, 1+ε)) = clamp(Δ, log(1−ε), log(1+ε)); the clamp has zero gradient outside that range, as torch.clamp.
 */
export function d3poLoss(delta0: tf.Tensor1D, delta1: tf.Tensor1D, h0: tf.Tensor1D, h1: tf.Tensor1D, cfg: D3poLossConfig = defaultD3poLossConfig): tf.Tensor1D {
  return tf.tidy(() => {
    const lo = Math.log(1 - cfg.eps);
    const hi = Math.log(1 + cfg.eps);
    const z = tf.mul(cfg.beta, tf.add(tf.mul(h0, tf.clipByValue(delta0, lo, hi)), tf.mul(h1, tf.clipByValue(delta1, lo, hi))));
    // −log σ(z) = softplus(−z); tf.logSigmoid's custom gradient reads a closure tensor that tidy disposes, softplus saves its input.
    return tf.softplus(tf.neg(z)) as tf.Tensor1D;
  });
}

export interface D3poMetrics {
  loss: number; // mean D3PO loss (confined to ≈[0.683, 0.703] by the clamp: not a progress signal)
  accuracy: number; // rewards/accuracies: share of (pair, step) where h0·Δ0 + h1·Δ1 > 0
  margin: number; // rewards/margins: mean β·(clampΔ_chosen − clampΔ_rejected)
  chosenReward: number; // rewards/chosen: mean β·clampΔ of the preferred image
  rejectedReward: number; // rewards/rejected
  meanLogRatio: number; // mean Δ over both images (KL proxy)
  approxKl: number; // 0.5·mean(Δ²), as DDPO logs it
  clipFraction: number; // share of ratios exp(Δ) outside [1−ε, 1+ε]
}

/** Metric scalars from the log-ratios of preference-carrying rows, stacked in D3poMetrics order. delta0/1, h0 [N] -> [8] */
export function d3poMetricTensor(delta0: tf.Tensor1D, delta1: tf.Tensor1D, h0: tf.Tensor1D, h1: tf.Tensor1D, cfg: D3poLossConfig): tf.Tensor1D {
  return tf.tidy(() => {
    const lo = Math.log(1 - cfg.eps);
    const hi = Math.log(1 + cfg.eps);
    const loss = tf.mean(d3poLoss(delta0, delta1, h0, h1, cfg));
    const acc = tf.mean(tf.cast(tf.greater(tf.add(tf.mul(h0, delta0), tf.mul(h1, delta1)), 0), 'float32'));
    const c0 = tf.mul(cfg.beta, tf.clipByValue(delta0, lo, hi));
    const c1 = tf.mul(cfg.beta, tf.clipByValue(delta1, lo, hi));
    const first = tf.cast(tf.greater(h0, 0), 'float32'); // 1 where image 0 is the chosen one
    const chosen = tf.add(tf.mul(first, c0), tf.mul(tf.sub(1, first), c1));
    const rejected = tf.add(tf.mul(first, c1), tf.mul(tf.sub(1, first), c0));
    const both = tf.concat([delta0, delta1]);
    const ratio = tf.exp(both);
    const clipped = tf.logicalOr(tf.less(ratio, 1 - cfg.eps), tf.greater(ratio, 1 + cfg.eps));
    return tf.stack([
      loss,
      acc,
      tf.mean(tf.sub(chosen, rejected)),
      tf.mean(chosen),
      tf.mean(rejected),
      tf.mean(both),
      tf.mul(0.5, tf.mean(tf.square(both))),
      tf.mean(tf.cast(clipped, 'float32')),
    ]) as tf.Tensor1D;
  });
}

export function metricsFromArray(a: ArrayLike<number>): D3poMetrics {
  return { loss: a[0], accuracy: a[1], margin: a[2], chosenReward: a[3], rejectedReward: a[4], meanLogRatio: a[5], approxKl: a[6], clipFraction: a[7] };
}
