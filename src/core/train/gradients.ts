/** Gradient bookkeeping shared by all trainers: accumulation across chunks, global norm, clipping (torch clip_grad_norm_). */
import * as tf from '@tensorflow/tfjs';

/** sqrt(sum of squares) over all gradients (a scalar tensor). */
export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** Scales gradients by min(1, maxNorm / (norm + 1e-6)), returning new tensors; the inputs are left alone. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, norm: tf.Scalar, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const factor = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    const out: tf.NamedTensorMap = {};
    for (const [k, g] of Object.entries(grads)) out[k] = tf.keep(tf.mul(g, factor));
    return out;
  });
}

/** acc += grads (disposing the replaced tensors); returns the new accumulator. */
export function accumulate(acc: tf.NamedTensorMap | null, grads: tf.NamedTensorMap): tf.NamedTensorMap {
  if (!acc) return grads;
  const out: tf.NamedTensorMap = {};
  for (const [k, g] of Object.entries(grads)) {
    out[k] = acc[k] ? tf.add(acc[k], g) : g;
    if (acc[k]) {
      acc[k].dispose();
      g.dispose();
    }
  }
  return out;
}
