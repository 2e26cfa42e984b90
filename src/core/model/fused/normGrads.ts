/** Gradients of the fused norm kernels (GroupNorm(+SiLU), LayerNorm) in plain tfjs ops, registered with tf.registerGradient so a training forward can run the same fused kernels as sampling (identical forward values: D3PO's π_θ = π_ref at initialisation stays exact). */
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNELS } from './kernelNames';

/**
 * Normalisation backward (Ioffe & Szegedy 2015, "Batch Normalization", §3 — the same algebra per normalisation set):
 * with x̂ = (x − μ)·r, r = 1/√(σ² + ε), and g = dL/dx̂ over one set S,
 * dL/dx = r·(g − mean_S(g) − x̂·mean_S(g·x̂)). x, g viewed so that `axes` span S (keepDims shapes broadcast).
 */
function normInputGrad(xhat: tf.Tensor, g: tf.Tensor, r: tf.Tensor, axes: number[]): tf.Tensor {
  const m1 = tf.mean(g, axes, true);
  const m2 = tf.mean(tf.mul(g, xhat), axes, true);
  return tf.mul(tf.sub(tf.sub(g, m1), tf.mul(xhat, m2)), r);
}

/** dL/du from dL/dy for y = u·σ(u): σ(u)·(1 + u·(1 − σ(u))). */
function siluBackward(dy: tf.Tensor, u: tf.Tensor): tf.Tensor {
  const s = tf.sigmoid(u);
  return tf.mul(dy, tf.mul(s, tf.add(1, tf.mul(u, tf.sub(1, s)))));
}

let registered = false;

/** Registers both gradients (idempotent; tfjs keeps one gradient per kernel name, for every backend). */
export function registerFusedNormGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: FUSED_KERNELS.groupNorm,
    inputsToSave: ['x', 'gamma', 'beta'],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma, beta] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
      const { groups, epsilon, silu } = attrs as unknown as { groups: number; epsilon: number; silu: boolean };
      const [b, h, w, c] = x.shape;
      const grouped = [b, h, w, groups, c / groups];
      const g5 = tf.reshape(x, grouped);
      const { mean, variance } = tf.moments(g5, [1, 2, 4], true);
      const r = tf.rsqrt(tf.add(variance, epsilon));
      const xhat = tf.reshape(tf.mul(tf.sub(g5, mean), r), x.shape); // [B,H,W,C]
      const du = silu ? siluBackward(dy as tf.Tensor, tf.add(tf.mul(xhat, gamma), beta)) : (dy as tf.Tensor);
      return {
        x: () => tf.reshape(normInputGrad(tf.reshape(xhat, grouped), tf.reshape(tf.mul(du, gamma), grouped), r, [1, 2, 4]), x.shape),
        gamma: () => tf.sum(tf.mul(du, xhat), [0, 1, 2]),
        beta: () => tf.sum(du, [0, 1, 2]),
      };
    },
  });
  tf.registerGradient({
    kernelName: FUSED_KERNELS.layerNorm,
    inputsToSave: ['x', 'gamma', 'beta'],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma] = saved as [tf.Tensor, tf.Tensor1D];
      const { epsilon } = attrs as unknown as { epsilon: number };
      const last = x.rank - 1;
      const lead = [...Array(last).keys()];
      const { mean, variance } = tf.moments(x, [last], true);
      const r = tf.rsqrt(tf.add(variance, epsilon));
      const xhat = tf.mul(tf.sub(x, mean), r);
      return {
        x: () => normInputGrad(xhat, tf.mul(dy as tf.Tensor, gamma), r, [last]),
        gamma: () => tf.sum(tf.mul(dy as tf.Tensor, xhat), lead),
        beta: () => tf.sum(dy as tf.Tensor, lead),
      };
    },
  });
}
