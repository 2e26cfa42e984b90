// PRDP's loss (src/core/algorithms/prdp.ts; Deng et al., CVPR 2024, eqs. 14–21) and its gradient against a plain-JS re-derivation with θ_old log-ratios ≠ 0, so the proximal clip window old ± ϵ sits away from 0.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { prdpLoss } from '../../src/core/algorithms/prdp';
import { createRng } from '../../src/core/rng';
import { relErr, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

/**
 * Written out: c_kt = clamp(r̂_kt, old_kt − ϵ, old_kt + ϵ); s_k = Σ_t r̂_kt, s^c_k = Σ_t c_kt; for each pair i < j with
 * target (r_i − r_j)/β, ℓ = (s_i − s_j − target)², ℓ^c = (s^c_i − s^c_j − target)²; loss = mean over pairs of max(ℓ, ℓ^c).
 * Gradient: the larger branch's 2·residual·(±1) flows to every step of i and j (unclipped), or only to steps strictly
 * inside their clip window (clipped branch; clamp has zero gradient outside).
 */
function prdpWrittenOut(r: number[][], old: number[][], rewards: number[], beta: number, eps: number): { loss: number; grad: number[][]; clippedWins: number } {
  const K = r.length;
  const T = r[0].length;
  const clip = r.map((row, k) => row.map((x, t) => Math.min(old[k][t] + eps, Math.max(old[k][t] - eps, x))));
  const inside = r.map((row, k) => row.map((x, t) => (x > old[k][t] - eps && x < old[k][t] + eps ? 1 : 0)));
  const sum = (row: number[]) => row.reduce((a, b) => a + b, 0);
  const s = r.map(sum);
  const sc = clip.map(sum);
  const grad = r.map((row) => row.map(() => 0));
  let loss = 0;
  let pairs = 0;
  let clippedWins = 0;
  for (let i = 0; i < K; i++)
    for (let j = i + 1; j < K; j++) {
      const target = (rewards[i] - rewards[j]) / beta;
      const e = s[i] - s[j] - target;
      const ec = sc[i] - sc[j] - target;
      pairs++;
      if (e * e >= ec * ec) {
        loss += e * e;
        for (let t = 0; t < T; t++) {
          grad[i][t] += 2 * e;
          grad[j][t] -= 2 * e;
        }
      } else {
        clippedWins++;
        loss += ec * ec;
        for (let t = 0; t < T; t++) {
          grad[i][t] += 2 * ec * inside[i][t];
          grad[j][t] -= 2 * ec * inside[j][t];
        }
      }
    }
  return { loss: loss / pairs, grad: grad.map((row) => row.map((g) => g / pairs)), clippedWins };
}

describe('PRDP loss with θ_old ≠ 0', () => {
  it('matches the written-out loss and gradient when old log-ratios are far from 0 and r̂ is inside and outside old ± ϵ', async () => {
    const rng = createRng(3);
    const K = 4;
    const T = 5;
    const eps = 0.05;
    const beta = 0.5;
    const old = Array.from({ length: K }, () => Array.from(rng.normals(T), (x) => 0.8 * x + 0.3));
    // r̂ = old + a per-step offset: some within ±ϵ (clip inactive), some beyond (clip active)
    const r = old.map((row) => row.map((o) => o + 0.12 * (rng.next() - 0.5) * (rng.next() < 0.5 ? 1 : 0.2)));
    const rewards = [0.9, -0.4, 0.1, 0.6];
    const want = prdpWrittenOut(r, old, rewards, beta, eps);
    expect(want.clippedWins).toBeGreaterThan(0); // both branches of the max are exercised (4 of the 6 pairs clipped)
    expect(want.clippedWins).toBeLessThan(6);
    const insideCount = r.flat().filter((x, i) => Math.abs(x - old.flat()[i]) < eps).length;
    expect(insideCount).toBeGreaterThan(0);
    expect(insideCount).toBeLessThan(K * T);
    const oldT = tf.tensor2d(old);
    const lossOf = (x: tf.Tensor) => prdpLoss(x as tf.Tensor2D, oldT as tf.Tensor2D, rewards, { beta, clipEps: eps });
    const got = (await lossOf(tf.tensor2d(r)).data())[0];
    expect(Math.abs(got - want.loss) / want.loss).toBeLessThan(1e-5);
    const g = await tf.grad(lossOf)(tf.tensor2d(r)).data();
    expect(relErr(g, want.grad.flat())).toBeLessThan(1e-5);
  });
});
