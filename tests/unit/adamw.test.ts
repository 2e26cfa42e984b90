import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../../src/core/train/adamw';
import { clipByGlobalNorm, globalNorm } from '../../src/core/train/gradients';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

describe('AdamW', () => {
  it('matches a hand-written PyTorch AdamW update over three steps', async () => {
    const p = tf.variable(tf.tensor1d([1, -2, 0.5]), true, 'adamw-test-p');
    const cfg = { learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.01 };
    const opt = new AdamW([p], cfg);
    const gs = [[0.5, -1, 2], [0.1, 0.2, -0.3], [-1, 1, 0]];
    // Reference: torch.optim.AdamW (p ← p·(1 − lr·wd); m, v; p ← p − lr·m̂/(sqrt(v̂)+eps))
    const ref = [1, -2, 0.5];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    gs.forEach((g, k) => {
      const t = k + 1;
      for (let i = 0; i < 3; i++) {
        ref[i] *= 1 - cfg.learningRate * cfg.weightDecay;
        m[i] = cfg.beta1 * m[i] + (1 - cfg.beta1) * g[i];
        v[i] = cfg.beta2 * v[i] + (1 - cfg.beta2) * g[i] ** 2;
        ref[i] -= (cfg.learningRate * (m[i] / (1 - cfg.beta1 ** t))) / (Math.sqrt(v[i] / (1 - cfg.beta2 ** t)) + cfg.epsilon);
      }
      const grad = tf.tensor1d(g);
      opt.apply({ [p.name]: grad });
      grad.dispose();
    });
    const got = await p.data();
    ref.forEach((r, i) => expect(got[i]).toBeCloseTo(r, 5));
    const state = await opt.getState();
    expect(state.step).toBe(3);
    const opt2 = new AdamW([p], cfg);
    opt2.setState(state);
    expect(Array.from((await opt2.getState()).m[0])).toEqual(Array.from(state.m[0]));
    expect(() => new AdamW([], cfg).setState(state)).toThrow(/belongs to another model/);
  });

  it('clips by global norm like torch clip_grad_norm_', async () => {
    const g = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
    const n = globalNorm(g);
    expect((await n.data())[0]).toBeCloseTo(5, 5);
    const c = clipByGlobalNorm(g, n, 1);
    expect(Array.from(await c.a.data())[0]).toBeCloseTo(0.6, 5);
    expect(Array.from(await c.b.data())[1]).toBeCloseTo(0.8, 5);
    const same = clipByGlobalNorm(g, n, 10);
    expect(Array.from(await same.a.data())[0]).toBeCloseTo(3, 5);
  });
});
