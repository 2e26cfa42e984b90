// DDPO (src/core/algorithms/ddpo.ts, ddpoTrainer.ts): the clipped surrogate and its gradient against a plain-JS re-derivation with θ_old log-probs ≠ 0 (kvablack/ddpo-pytorch scripts/train.py), and the chunked train step against the one-chunk step.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter, type LoraAdapter } from '../../src/core/model/lora';
import { AdamW } from '../../src/core/train/adamw';
import { sampleWithTrajectory, type Trajectory } from '../../src/core/diffusion/sample';
import { ddpoLoss, ddpoMetricTensor } from '../../src/core/algorithms/ddpo';
import { ddpoTrainStep, defaultDdpoTrainConfig, type AdvantageSample } from '../../src/core/algorithms/ddpoTrainer';
import { disposeTransitions, transitionLogProb, transitionTensors } from '../../src/core/algorithms/transitions';
import { createRng } from '../../src/core/rng';
import { relErr, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

/**
 * DDPO's per-row loss, written out: A clamped to ±advMax, ρ = exp(log π − log π_old),
 * L = max(−A·ρ, −A·clip(ρ, 1−c, 1+c)); ∂L/∂log π = −A·ρ when the unclipped term is the max (ties included), else 0.
 */
function ddpoRow(logp: number, old: number, adv: number, c: number, advMax: number): { loss: number; grad: number } {
  const a = Math.min(advMax, Math.max(-advMax, adv));
  const rho = Math.exp(logp - old);
  const unclipped = -a * rho;
  const clipped = -a * Math.min(1 + c, Math.max(1 - c, rho));
  return unclipped >= clipped ? { loss: unclipped, grad: -a * rho } : { loss: clipped, grad: 0 };
}

describe('DDPO clipped surrogate with θ_old ≠ 0', () => {
  it('matches the written-out loss, gradient and metrics for log-probs far from 0, inside and outside the clip, both advantage signs', async () => {
    const c = 0.05;
    const old = [-3.2, 1.7, -0.4, 2.5, -1.1, 0.9, -5.0, 3.3];
    const offset = [0.01, -0.02, 0.2, -0.3, 0.04, 0.12, -0.07, 0]; // log ρ: inside (|ρ−1| < c) and outside the clip range
    const adv = [1.5, -0.7, 2, -3, 8, -9, 0.4, -1];
    const logp = old.map((o, i) => o + offset[i]);
    const want = logp.map((l, i) => ddpoRow(l, old[i], adv[i], c, 5));
    expect(want.filter((w) => w.grad === 0).length).toBeGreaterThan(0); // some rows clipped …
    expect(want.filter((w) => w.grad !== 0).length).toBeGreaterThan(0); // … and some not
    const oldT = tf.tensor1d(old);
    const advT = tf.tensor1d(adv);
    const loss = ddpoLoss(tf.tensor1d(logp), oldT, advT, { clipRange: c, advClipMax: 5 });
    expect(relErr(await loss.data(), want.map((w) => w.loss))).toBeLessThan(1e-5);
    const g = await tf.grad((lp: tf.Tensor) => tf.sum(ddpoLoss(lp as tf.Tensor1D, oldT, advT, { clipRange: c, advClipMax: 5 })))(tf.tensor1d(logp)).data();
    expect(relErr(g, want.map((w) => w.grad))).toBeLessThan(1e-5);
    // approx_kl = ½·mean((log π − log π_old)²), clipfrac = share of |ρ − 1| > c
    const m = await ddpoMetricTensor(tf.tensor1d(logp), oldT, c).data();
    expect(m[0]).toBeCloseTo(0.5 * offset.reduce((s, d) => s + d * d, 0) / offset.length, 6);
    expect(m[1]).toBe(offset.filter((d) => Math.abs(Math.exp(d) - 1) > c).length / offset.length);
  });
});

describe('ddpoTrainStep in chunks', () => {
  const cfg = tinyModelConfig();
  cfg.sample.steps = 4;

  /** A model, an adapter moved away from the sampling weights (so ratios ≠ 1 and some rows clip), and 2 samples of 4 steps. */
  async function setup(): Promise<{ model: MiniSD; lora: LoraAdapter; samples: AdvantageSample[] }> {
    const model = MiniSD.create(cfg, 4);
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q', 'to_k', 'to_v', 'to_out.0'], seed: 2 });
    const r = await sampleWithTrajectory(model, { prompts: ['dog', 'red heart'], seed: 6, lora });
    r.final.dispose();
    lora.modules.forEach((m, name) => m.B.assign(tf.randomNormal(m.B.shape, 0, 0.02, 'float32', name.length)));
    return { model, lora, samples: r.trajectories.map((trajectory, k) => ({ trajectory, advantage: k === 0 ? 1.3 : -0.6 })) };
  }

  /** log π_θ of every step of a trajectory under the current weights. */
  async function logProbs(model: MiniSD, lora: LoraAdapter, tr: Trajectory): Promise<number[]> {
    const tt = transitionTensors(model, { trajectories: tr.timesteps.map(() => tr), steps: tr.timesteps.map((_, j) => j) });
    const lp = transitionLogProb(model, tt, lora);
    const v = Array.from((await lp.data()) as Float32Array);
    lp.dispose();
    disposeTransitions(tt);
    return v;
  }

  async function step(stepsPerChunk: number) {
    const { model, lora, samples } = await setup();
    const opt = new AdamW(lora.variables, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const train = { ...defaultDdpoTrainConfig, clipRange: 2e-3, stepsPerChunk };
    // the loss the step should report: the mean over all 8 rows (timestepFraction 1) of the written-out per-row loss
    const rows = (await Promise.all(samples.map((s) => logProbs(model, lora, s.trajectory)))).flatMap((lp, k) =>
      lp.map((l, j) => ddpoRow(l, samples[k].trajectory.logProbs[j], samples[k].advantage, train.clipRange, train.advClipMax)),
    );
    const expectedLoss = rows.reduce((s, r) => s + r.loss, 0) / rows.length;
    const result = await ddpoTrainStep(model, lora, opt, samples, train, createRng(5));
    const weights = await Promise.all(lora.variables.map(async (v) => Array.from((await v.data()) as Float32Array)));
    const before = tf.memory().numTensors;
    await ddpoTrainStep(model, lora, opt, samples, train, createRng(6));
    const leaked = tf.memory().numTensors - before;
    [opt, lora, model].forEach((x) => x.dispose());
    return { result, weights: weights.flat(), expectedLoss, clipped: rows.filter((r) => r.grad === 0).length, leaked };
  }

  it('gives the one-chunk loss, metrics, gradient norm and update for chunks of 3 (3 + 3 + 2 rows crossing trajectories)', async () => {
    const one = await step(100);
    const three = await step(3);
    expect(one.result.transitions).toBe(8);
    expect(one.clipped).toBeGreaterThan(0); // the clip is exercised (zero gradient for 2 of the 8 rows here)
    expect(one.clipped).toBeLessThan(8); // and some rows carry gradient
    expect(one.result.loss).toBeCloseTo(one.expectedLoss, 5);
    expect(three.result.loss).toBeCloseTo(one.result.loss, 6);
    expect(one.result.approxKl).toBeGreaterThan(0);
    expect(Math.abs(three.result.approxKl - one.result.approxKl) / one.result.approxKl).toBeLessThan(1e-5);
    expect(three.result.clipFraction).toBeCloseTo(one.result.clipFraction, 6);
    expect(one.result.gradNorm).toBeGreaterThan(0);
    expect(Math.abs(three.result.gradNorm - one.result.gradNorm) / one.result.gradNorm).toBeLessThan(1e-4);
    expect(relErr(three.weights, one.weights)).toBeLessThan(1e-4);
    expect([one.leaked, three.leaked]).toEqual([0, 0]);
  });
});
