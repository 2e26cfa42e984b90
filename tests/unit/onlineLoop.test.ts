import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter } from '../../src/core/model/lora';
import { AdamW } from '../../src/core/train/adamw';
import { evaluateReward, runOnline, winRate, type OnlineConfig } from '../../src/core/algorithms/onlineLoop';
import { brightnessReward } from '../../src/core/rewards/imageRewards';
import { defaultD3poTrainConfig } from '../../src/core/algorithms/d3poTrainer';
import { defaultDdpoTrainConfig } from '../../src/core/algorithms/ddpoTrainer';
import { defaultPrdpTrainConfig } from '../../src/core/algorithms/prdpTrainer';
import { disposeTransitions, transitionLogProb, transitionTensors } from '../../src/core/algorithms/transitions';
import type { Trajectory } from '../../src/core/diffusion/sample';
import type { LoraAdapter } from '../../src/core/model/lora';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

const lr = 1e-2;
const baseConfig = (method: OnlineConfig['method']): OnlineConfig => ({
  method,
  tasks: [{ name: 'brightness', prompts: ['dog', 'red heart'], reward: brightnessReward }],
  promptsPerRound: 2,
  imagesPerPrompt: 4,
  updatesPerRound: 2,
  normalization: 'batch',
  oracle: { tieMargin: 0, temperature: 0 },
  d3po: { ...defaultD3poTrainConfig, learningRate: lr },
  ddpo: { ...defaultDdpoTrainConfig, learningRate: lr, clipRange: 1e-2 },
  prdp: { ...defaultPrdpTrainConfig, learningRate: lr, beta: 0.1, clipEps: 1e-2 },
  seed: 0,
});

function setup() {
  const cfg = tinyModelConfig();
  cfg.sample.steps = 4;
  const model = MiniSD.create(cfg, 5);
  const lora = createLoraAdapter(model.params, 'unet.', { rank: 4, alpha: 4, targets: ['to_q', 'to_k', 'to_v', 'to_out.0', 'conv1', 'conv2', 'proj_out'], seed: 1 });
  const opt = new AdamW(lora.variables, { learningRate: lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  return { model, lora, opt, dispose: () => [opt, lora, model].forEach((x) => x.dispose()) };
}

describe('online loop with the scripted oracle', () => {
  it('D3PO from oracle clicks raises the reward on held-out seeds (tiny model, brightness)', async () => {
    const { model, lora, opt, dispose } = setup();
    const seeds = [101, 102, 103, 104, 105, 106, 107, 108]; // never used for training samples
    const before = await evaluateReward(model, lora, 1, ['dog'], seeds, brightnessReward);
    const rounds = await runOnline(model, lora, opt, baseConfig('d3po'), 48);
    const after = await evaluateReward(model, lora, 1, ['dog'], seeds, brightnessReward);
    const mean = (x: number[]) => x.reduce((a, b) => a + b) / x.length;
    expect(rounds.at(-1)!.imagesSampled).toBe(48);
    expect(rounds.at(-1)!.clicks).toBe(6 * 12); // C(4,2) pairs × 2 prompts × 6 rounds
    expect(mean(after)).toBeGreaterThan(mean(before));
    expect(winRate(after, before)).toBeGreaterThanOrEqual(7 / 8);
    // LoRA scale 0 is still the base model
    expect(await evaluateReward(model, lora, 0, ['dog'], seeds, brightnessReward)).toEqual(before);
    dispose();
  });

  it('DDPO and PRDP rounds run, report reward statistics and leave no tensors behind', async () => {
    for (const method of ['ddpo', 'prdp'] as const) {
      const { model, lora, opt, dispose } = setup();
      await runOnline(model, lora, opt, baseConfig(method), 8);
      const n0 = tf.memory().numTensors;
      const rounds = await runOnline(model, lora, opt, { ...baseConfig(method), updatesPerRound: 1 }, 8);
      expect(tf.memory().numTensors).toBe(n0);
      const r = rounds[0];
      expect(r.imagesSampled).toBe(8);
      expect(r.rewardStd).toBeGreaterThan(0);
      expect(Number.isFinite(r.update.loss)).toBe(true);
      expect(Number.isFinite(r.update.gradNorm)).toBe(true);
      dispose();
    }
  });

  /** Σ_t log π_θ(x_{t−1} | x_t) of a stored trajectory under the adapter's current weights. */
  async function trajectoryLogProb(model: MiniSD, lora: LoraAdapter, tr: Trajectory): Promise<number> {
    const tt = transitionTensors(model, { trajectories: tr.timesteps.map(() => tr), steps: tr.timesteps.map((_, j) => j) });
    const lp = transitionLogProb(model, tt, lora);
    const v = ((await lp.data()) as Float32Array).reduce((a, b) => a + b, 0);
    lp.dispose();
    disposeTransitions(tt);
    return v;
  }

  it('DDPO and PRDP updates raise the likelihood of above-average-reward samples relative to below-average ones (a flipped advantage sign fails)', async () => {
    for (const method of ['ddpo', 'prdp'] as const) {
      const { model, lora, opt, dispose } = setup();
      const scored: { rewards: number[]; trajectories: Trajectory[] }[] = [];
      const small = 1e-4; // one AdamW step of ≈ lr per weight: small enough for the first-order argument below
      const base = baseConfig(method);
      const cfg = { ...base, promptsPerRound: 1, updatesPerRound: 1, ddpo: { ...base.ddpo, learningRate: small }, prdp: { ...base.prdp, learningRate: small } };
      await runOnline(model, lora, opt, cfg, 4, { onScored: (_p, _i, rewards, trajectories) => scored.push({ rewards, trajectories }) });
      expect(scored.length).toBe(1); // one round of K = 4
      const { rewards, trajectories } = scored[0];
      const mean = rewards.reduce((a, b) => a + b) / rewards.length;
      // Δ_k = Σ_t [log π_new − log π_old] of sample k (π_old = its sampling-time log-probs, reproduced exactly by re-scoring).
      const delta: number[] = [];
      for (const tr of trajectories) delta.push((await trajectoryLogProb(model, lora, tr)) - tr.logProbs.reduce((a, b) => a + b, 0));
      // A step that descends either loss moves Σ_k (r_k − r̄)·Δ_k up to first order: DDPO's surrogate is −mean A·ρ with A ∝ r − r̄
      // on one prompt; PRDP regresses Σ_t log-ratio differences onto (r_i − r_j)/β from 0 (a fresh adapter is the reference).
      const alignment = rewards.reduce((s, r, k) => s + (r - mean) * delta[k], 0);
      const dMean = delta.reduce((a, b) => a + b) / delta.length;
      const scale = Math.sqrt(rewards.reduce((s, r) => s + (r - mean) ** 2, 0) * delta.reduce((s, d) => s + (d - dMean) ** 2, 0));
      expect(scale).toBeGreaterThan(0);
      expect(alignment / scale).toBeGreaterThan(0.9); // correlation of reward and likelihood change across the K samples (≈ 0.99; −0.99 with the sign flipped)
      dispose();
    }
  });

  it('multi-task DDPO cycles through the tasks every round', async () => {
    const { model, lora, opt, dispose } = setup();
    const cfg = baseConfig('ddpo');
    cfg.tasks = [cfg.tasks[0], { name: 'other', prompts: ['pizza'], reward: brightnessReward }];
    const rounds = await runOnline(model, lora, opt, { ...cfg, updatesPerRound: 1 }, 32);
    expect(rounds.map((r) => r.task)).toEqual(['brightness', 'other', 'brightness', 'other']);
    expect(() => winRate([1], [])).toThrow(/equal, non-empty/);
    dispose();
  });
});
