/** PRDP's reward-difference-prediction loss with proximal clipping (Deng et al., CVPR 2024, eqs. 14–21): for all pairs of a prompt's K trajectories, (Δ Σ_t r̂_θ,t − Δr/β)², per-step r̂ clipped to r̂_old ± ϵ, max of clipped and unclipped. */
import * as tf from '@tensorflow/tfjs';

export interface PrdpLossConfig {
  beta: number; // KL coefficient: the model regresses Δreward / β
  clipEps: number; // proximal clip of each step's log-ratio around its value under the sampling snapshot θ_old
}

export const defaultPrdpLossConfig: PrdpLossConfig = { beta: 1, clipEps: 1e-3 };

/** All index pairs i < j of K items. */
export function allPairs(k: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) out.push([i, j]);
  return out;
}

/**
 * logRatio [K,T]: r̂_θ,t = log π_θ(x_{t−1}|x_t) − log π_ref(x_{t−1}|x_t) for each of a prompt's K trajectories (with gradient);
 * oldLogRatio [K,T]: the same under θ_old (constants); rewards [K]. -> scalar mean over the C(K,2) pairs.
 */
export function prdpLoss(logRatio: tf.Tensor2D, oldLogRatio: tf.Tensor2D, rewards: readonly number[], cfg: PrdpLossConfig = defaultPrdpLossConfig): tf.Scalar {
  const k = logRatio.shape[0];
  if (rewards.length !== k) throw new Error(`PRDP got ${rewards.length} rewards for ${k} trajectories`);
  if (k < 2) throw new Error('PRDP needs at least 2 trajectories per prompt');
  return tf.tidy(() => {
    const clipped = tf.minimum(tf.maximum(logRatio, tf.sub(oldLogRatio, cfg.clipEps)), tf.add(oldLogRatio, cfg.clipEps));
    const sum = tf.sum(logRatio, 1); // r̂_θ(x̄) [K]
    const sumClip = tf.sum(clipped, 1); // r̂_θ^clip(x̄) [K]
    const pairs = allPairs(k);
    // Pair differences as a ±1 matrix product D·s, D [P,K] (gather's gradient needs a kernel wasm 4.22 lacks).
    const d = new Float32Array(pairs.length * k);
    pairs.forEach(([a, b], p) => {
      d[p * k + a] = 1;
      d[p * k + b] = -1;
    });
    const diffMatrix = tf.tensor2d(d, [pairs.length, k]);
    const target = tf.tensor1d(pairs.map(([a, b]) => (rewards[a] - rewards[b]) / cfg.beta));
    const pairDiff = (s: tf.Tensor) => tf.matMul(diffMatrix, s.reshape([k, 1])).reshape([pairs.length]); // [P]
    const l = tf.square(tf.sub(pairDiff(sum), target));
    const lClip = tf.square(tf.sub(pairDiff(sumClip), target));
    return tf.mean(tf.maximum(l, lClip)) as tf.Scalar;
  });
}
