import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { d3poLoss, d3poMetricTensor, metricsFromArray, preferenceSigns } from '../../src/core/algorithms/d3po';
import { d3poTrainStep, defaultD3poTrainConfig, type PreferencePair } from '../../src/core/algorithms/d3poTrainer';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter } from '../../src/core/model/lora';
import { sampleWithTrajectory } from '../../src/core/diffusion/sample';
import { AdamW } from '../../src/core/train/adamw';
import { createRng } from '../../src/core/rng';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

/** Hand computation of the official loss: −log σ(β·log clamp(e^Δ0)·h0 + β·log clamp(e^Δ1)·h1). */
function handLoss(d0: number, d1: number, h0: number, h1: number, beta = 0.1, eps = 0.1): number {
  const clampRatio = (d: number) => Math.min(Math.max(Math.exp(d), 1 - eps), 1 + eps);
  const z = beta * Math.log(clampRatio(d0)) * h0 + beta * Math.log(clampRatio(d1)) * h1;
  return -Math.log(1 / (1 + Math.exp(-z)));
}

describe('d3poLoss', () => {
  const d0 = [0.05, -0.3, 0.2, 0.0, 0.01];
  const d1 = [-0.02, 0.4, -0.5, 0.0, 0.03];
  const h0 = [1, -1, 1, 1, 0];
  const h1 = [-1, 1, -1, -1, 0];

  it('equals the hand-computed official loss, including clamped and tied entries', async () => {
    const loss = await d3poLoss(tf.tensor1d(d0), tf.tensor1d(d1), tf.tensor1d(h0), tf.tensor1d(h1)).data();
    d0.forEach((_, i) => expect(loss[i]).toBeCloseTo(handLoss(d0[i], d1[i], h0[i], h1[i]), 6));
    expect(loss[4]).toBeCloseTo(Math.log(2), 6); // a tie contributes log 2 and no gradient
  });

  it('stays within [softplus(−zmax), softplus(zmax)] ≈ [0.6832, 0.7032] whatever the log-ratios (the clamp bounds |z| by β·(log 1.1 − log 0.9))', async () => {
    const zMax = 0.1 * (Math.log(1.1) - Math.log(0.9));
    const softplus = (x: number) => Math.log(1 + Math.exp(x));
    const big = tf.tensor1d([50, -50, 3]);
    const loss = await d3poLoss(big, tf.neg(big) as tf.Tensor1D, tf.tensor1d([1, 1, -1]), tf.tensor1d([-1, -1, 1])).data();
    expect(loss[0]).toBeCloseTo(softplus(-zMax), 6); // fully agreeing pair hits the lower bound
    expect(loss[1]).toBeCloseTo(softplus(zMax), 6); // fully disagreeing pair hits the upper bound
    for (const l of loss) {
      expect(l).toBeGreaterThanOrEqual(softplus(-zMax) - 1e-6);
      expect(l).toBeLessThanOrEqual(softplus(zMax) + 1e-6);
    }
  });

  it('has gradient −β·h·σ(−z) inside the clamp window and exactly 0 outside (as torch.clamp)', async () => {
    const g = tf.grad((d: tf.Tensor) => tf.sum(d3poLoss(d as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D, tf.tensor1d([1, 1, 1]), tf.tensor1d([-1, -1, -1]))));
    const grads = await g(tf.tensor1d([0.05, 0.2, -0.2])).data();
    const z = 0.1 * 0.05;
    expect(grads[0]).toBeCloseTo(-0.1 * (1 / (1 + Math.exp(z))), 6);
    expect(grads[1]).toBe(0);
    expect(grads[2]).toBe(0);
  });

  it('maps votes to signs and computes accuracy, margin and clip fraction', async () => {
    expect(preferenceSigns(0)).toEqual([1, -1]);
    expect(preferenceSigns(1)).toEqual([-1, 1]);
    expect(preferenceSigns('tie')).toEqual([0, 0]);
    expect(preferenceSigns('both-bad')).toEqual([0, 0]);
    const m = metricsFromArray(await d3poMetricTensor(tf.tensor1d([0.05, -0.3]), tf.tensor1d([-0.02, 0.4]), tf.tensor1d([1, 1]), tf.tensor1d([-1, -1]), { beta: 0.1, eps: 0.1 }).data());
    expect(m.accuracy).toBeCloseTo(0.5, 6); // row 0 agrees with the vote, row 1 does not
    const c = (d: number) => 0.1 * Math.min(Math.max(d, Math.log(0.9)), Math.log(1.1));
    expect(m.margin).toBeCloseTo((c(0.05) - c(-0.02) + c(-0.3) - c(0.4)) / 2, 6);
    expect(m.clipFraction).toBeCloseTo(2 / 4, 6); // exp(−0.3) and exp(0.4) are outside [0.9, 1.1]
    expect(m.meanLogRatio).toBeCloseTo((0.05 - 0.3 - 0.02 + 0.4) / 4, 6);
  });
});

describe('d3poTrainStep', () => {
  it('raises the implicit accuracy on the trained pairs, skips ties, and does not leak tensors', async () => {
    const cfg = tinyModelConfig();
    const model = MiniSD.create(cfg, 21);
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 4, alpha: 4, targets: ['to_q', 'to_k', 'to_v', 'to_out.0', 'conv1', 'conv2'], seed: 2 });
    const pairs: PreferencePair[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await sampleWithTrajectory(model, { prompts: ['dog', 'dog'], seed: 100 + i, sharedInitialNoise: true });
      r.final.dispose();
      pairs.push({ trajectories: [r.trajectories[0], r.trajectories[1]], vote: i === 1 ? 1 : 0 });
    }
    const tie = await sampleWithTrajectory(model, { prompts: ['pizza', 'pizza'], seed: 7, sharedInitialNoise: true });
    tie.final.dispose();
    pairs.push({ trajectories: [tie.trajectories[0], tie.trajectories[1]], vote: 'tie' });

    const opt = new AdamW(lora.variables, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const rng = createRng(0);
    const train = { ...defaultD3poTrainConfig, learningRate: 1e-3, stepsPerChunk: 3 };
    const first = (await d3poTrainStep(model, lora, opt, pairs, train, rng))!;
    expect(first.accuracy).toBe(0); // LoRA starts at B = 0: π_θ = π_ref, no preference yet
    expect(first.pairsUsed).toBe(3);
    expect(first.transitions).toBe(3 * cfg.sample.steps);
    expect(first.loss).toBeCloseTo(Math.log(2), 5);
    const before = tf.memory().numTensors;
    let last = first;
    for (let s = 0; s < 5; s++) last = (await d3poTrainStep(model, lora, opt, pairs, train, rng))!;
    expect(tf.memory().numTensors).toBe(before);
    expect(last.accuracy).toBeGreaterThan(0.6);
    expect(last.margin).toBeGreaterThan(0);
    expect(last.loss).toBeLessThan(Math.log(2));
    expect(await d3poTrainStep(model, lora, opt, [pairs[3]], train, rng)).toBeNull(); // only a tie: nothing to learn
    opt.dispose();
    lora.dispose();
    model.dispose();
  });

  it('rejects pairs that do not share x_T', async () => {
    const model = MiniSD.create(tinyModelConfig(), 1);
    const lora = createLoraAdapter(model.params, 'unet.');
    const r = await sampleWithTrajectory(model, { prompts: ['dog', 'dog'], seed: 1, sharedInitialNoise: false });
    r.final.dispose();
    const opt = new AdamW(lora.variables);
    await expect(d3poTrainStep(model, lora, opt, [{ trajectories: [r.trajectories[0], r.trajectories[1]], vote: 0 }], defaultD3poTrainConfig, createRng(0))).rejects.toThrow(/share the prompt and the initial noise/);
    model.dispose();
  });
});
