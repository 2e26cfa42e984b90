import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ddimStepWithLogProb, gaussianLogProbMean } from '../../src/core/diffusion/ddim';
import { alphasCumprod, prevTimestep } from '../../src/core/diffusion/schedule';
import { defaultSchedulerConfig } from '../../src/core/config';
import { createRng } from '../../src/core/rng';
import { maxAbsDiff, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

const cfg = defaultSchedulerConfig;
const acp = alphasCumprod(cfg);
const rng = createRng(7);
const rand = (n: number) => rng.normals(n);

/** Straightforward float64 re-computation of the ddpo-pytorch ddim_step_with_logprob for one row. */
function reference(eps: Float32Array, x: Float32Array, prev: Float32Array | null, noise: Float32Array | null, t: number, steps: number, eta: number) {
  const tp = prevTimestep(cfg, t, steps);
  const a = acp[t];
  const ap = acp[tp];
  const variance = ((1 - ap) / (1 - a)) * (1 - a / ap);
  const sigma = eta * Math.sqrt(variance);
  const out = new Float64Array(x.length);
  let lp = 0;
  for (let i = 0; i < x.length; i++) {
    const x0 = (x[i] - Math.sqrt(1 - a) * eps[i]) / Math.sqrt(a);
    const mu = Math.sqrt(ap) * x0 + Math.sqrt(1 - ap - sigma ** 2) * eps[i];
    out[i] = prev ? prev[i] : mu + sigma * noise![i];
    // Gaussian log-density written independently: −½((x−mu)/σ)² − log(σ·sqrt(2π)); float64 throughout.
    lp += -0.5 * ((out[i] - mu) / sigma) ** 2 - Math.log(sigma * Math.sqrt(2 * Math.PI));
  }
  return { prev: out, logProb: lp / x.length };
}

describe('ddimStepWithLogProb', () => {
  const shape: [number, number, number, number] = [2, 4, 4, 4];
  const n = 64;

  it('samples x_{t-1} and its log-prob as a float64 re-computation does', async () => {
    const eps = rand(2 * n);
    const x = rand(2 * n);
    const z = rand(2 * n);
    const ts = [951, 451];
    const r = ddimStepWithLogProb(cfg, acp, 20, {
      modelOutput: tf.tensor4d(eps, shape),
      sample: tf.tensor4d(x, shape),
      noise: tf.tensor4d(z, shape),
      timesteps: ts,
      eta: 1,
    });
    const prev = await r.prevSample.data();
    const lp = await r.logProb.data();
    for (let row = 0; row < 2; row++) {
      const ref = reference(eps.subarray(row * n, (row + 1) * n), x.subarray(row * n, (row + 1) * n), null, z.subarray(row * n, (row + 1) * n), ts[row], 20, 1);
      expect(maxAbsDiff(prev.subarray(row * n, (row + 1) * n), ref.prev)).toBeLessThan(1e-5);
      expect(Math.abs(lp[row] - ref.logProb)).toBeLessThan(1e-4);
    }
    tf.dispose([r.prevSample, r.logProb, r.mean]);
  });

  it('re-scores a given prevSample (the last step, t=1, uses alphasCumprod[0]) and handles eta < 1', async () => {
    const eps = rand(2 * n);
    const x = rand(2 * n);
    const prevIn = rand(2 * n).map((v) => v * 0.01);
    for (const eta of [1, 0.5]) {
      const r = ddimStepWithLogProb(cfg, acp, 20, {
        modelOutput: tf.tensor4d(eps, shape),
        sample: tf.tensor4d(x, shape),
        prevSample: tf.tensor4d(prevIn, shape),
        timesteps: [1, 501],
        eta,
      });
      const lp = await r.logProb.data();
      const ref0 = reference(eps.subarray(0, n), x.subarray(0, n), prevIn.subarray(0, n), null, 1, 20, eta);
      const ref1 = reference(eps.subarray(n), x.subarray(n), prevIn.subarray(n), null, 501, 20, eta);
      expect(Math.abs(lp[0] - ref0.logProb) / Math.abs(ref0.logProb)).toBeLessThan(1e-5);
      expect(Math.abs(lp[1] - ref1.logProb)).toBeLessThan(1e-3);
      expect(maxAbsDiff(await r.prevSample.data(), prevIn)).toBe(0);
      tf.dispose([r.prevSample, r.logProb, r.mean]);
    }
  });

  it('v-prediction gives the same step as the equivalent eps prediction', async () => {
    const x = rand(n);
    const eps = rand(n);
    const t = 601;
    const a = acp[t];
    // v = sqrt(a)·eps − sqrt(1−a)·x0 with x0 = (x − sqrt(1−a)·eps)/sqrt(a)
    const v = eps.map((e, i) => Math.sqrt(a) * e - Math.sqrt(1 - a) * ((x[i] - Math.sqrt(1 - a) * e) / Math.sqrt(a)));
    const prev = rand(n);
    const s = [1, 4, 4, 4] as [number, number, number, number];
    const common = { sample: tf.tensor4d(x, s), prevSample: tf.tensor4d(prev, s), timesteps: [t], eta: 1 };
    const e = ddimStepWithLogProb(cfg, acp, 20, { ...common, modelOutput: tf.tensor4d(eps, s) });
    const vv = ddimStepWithLogProb({ ...cfg, predictionType: 'v_prediction' }, acp, 20, { ...common, modelOutput: tf.tensor4d(v, s) });
    expect(maxAbsDiff(await e.mean.data(), await vv.mean.data())).toBeLessThan(1e-4);
  });

  it('rejects eta = 0 with a message that says what to do', () => {
    const t4 = tf.zeros([1, 4, 4, 4]) as tf.Tensor4D;
    expect(() => ddimStepWithLogProb(cfg, acp, 20, { modelOutput: t4, sample: t4, prevSample: t4, timesteps: [1], eta: 0 })).toThrow(/eta > 0.*eta = 1/s);
    t4.dispose();
  });

  it('gaussianLogProbMean is the mean over dims, not the sum', async () => {
    const x = tf.tensor2d([[0, 0, 0, 0]]);
    const mu = tf.tensor2d([[0, 0, 0, 0]]);
    const lp = (await gaussianLogProbMean(x, mu, [1]).data())[0];
    expect(lp).toBeCloseTo(-0.5 * Math.log(2 * Math.PI), 6);
  });

  it('does not leak tensors', () => {
    const t4 = () => tf.randomNormal([1, 4, 4, 4]) as tf.Tensor4D;
    const [a, b, c] = [t4(), t4(), t4()];
    const step = () => {
      const r = ddimStepWithLogProb(cfg, acp, 20, { modelOutput: a, sample: b, noise: c, timesteps: [501], eta: 1 });
      tf.dispose([r.prevSample, r.logProb, r.mean]);
    };
    step();
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
