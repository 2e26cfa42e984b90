// D3PO trainer: pairs sampled with different DDIM step counts are each re-scored with their own settings, and the
// reference cache gives the same updates as recomputing the reference while doing the reference forward only once.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { d3poTrainStep, defaultD3poTrainConfig, type PreferencePair } from '../../src/core/algorithms/d3poTrainer';
import { ReferenceCache } from '../../src/core/algorithms/referenceCache';
import { disposeTransitions, transitionLogProb, transitionTensors } from '../../src/core/algorithms/transitions';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter, type LoraAdapter } from '../../src/core/model/lora';
import { sampleWithTrajectory, type Trajectory } from '../../src/core/diffusion/sample';
import { AdamW } from '../../src/core/train/adamw';
import { createRng } from '../../src/core/rng';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

async function pairOf(model: MiniSD, prompt: string, seed: number, steps: number, vote: 0 | 1, id?: string): Promise<PreferencePair> {
  const r = await sampleWithTrajectory(model, { prompts: [prompt, prompt], seed, sharedInitialNoise: true, sample: { steps } });
  r.final.dispose();
  return { id, trajectories: [r.trajectories[0], r.trajectories[1]], vote };
}

/** log π of every step of one trajectory, scored alone (its own settings), at LoRA scale `scale`. */
async function logProbsAlone(model: MiniSD, tr: Trajectory, lora: LoraAdapter, scale: number): Promise<number[]> {
  const tt = transitionTensors(model, { trajectories: tr.timesteps.map(() => tr), steps: tr.timesteps.map((_, j) => j) });
  const lp = transitionLogProb(model, tt, lora, scale);
  const v = Array.from(await lp.data());
  lp.dispose();
  disposeTransitions(tt);
  return v;
}

/** A LoRA whose B is random (so π_θ ≠ π_ref and the log-ratios are not all 0). */
function randomizedLora(model: MiniSD, seed: number): LoraAdapter {
  const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q', 'to_v', 'conv1'], seed });
  const rng = createRng(seed + 1);
  for (const m of lora.modules.values()) m.B.assign(tf.tensor(rng.normals(m.B.size).map((v) => v * 0.3), m.B.shape));
  return lora;
}

describe('d3poTrainStep with pairs of different step counts', () => {
  it('scores each pair with its own DDIM settings (the mean log-ratio matches pair-by-pair scoring)', async () => {
    const model = MiniSD.create(tinyModelConfig(), 3);
    const lora = randomizedLora(model, 5);
    const short = await pairOf(model, 'dog', 11, 4, 0);
    const long = await pairOf(model, 'dog', 12, 8, 1);
    // Independent: Δ of every step of both images of both pairs, each trajectory scored on its own.
    const deltas: number[] = [];
    for (const p of [short, long]) {
      for (const tr of p.trajectories) {
        const pol = await logProbsAlone(model, tr, lora, lora.scale);
        const ref = await logProbsAlone(model, tr, lora, 0);
        pol.forEach((v, j) => deltas.push(v - ref[j]));
      }
    }
    const expected = deltas.reduce((a, b) => a + b, 0) / deltas.length;
    const opt = new AdamW(lora.variables, { learningRate: 1e-9, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const m = (await d3poTrainStep(model, lora, opt, [short, long], { ...defaultD3poTrainConfig, timestepFraction: 1, stepsPerChunk: 3 }, createRng(0)))!;
    expect(m.transitions).toBe(4 + 8);
    expect(Math.abs(expected)).toBeGreaterThan(1e-3); // the check below can tell settings apart
    expect(m.meanLogRatio).toBeCloseTo(expected, 5);
    opt.dispose();
    lora.dispose();
    model.dispose();
  });

  it('leaves the final steps out when asked (skipFinalSteps): T − k terms per pair, their mean log-ratio over the first T − k steps', async () => {
    const model = MiniSD.create(tinyModelConfig(), 3);
    const lora = randomizedLora(model, 6);
    const p = await pairOf(model, 'dog', 13, 4, 0);
    const deltas: number[] = [];
    for (const tr of p.trajectories) {
      const pol = await logProbsAlone(model, tr, lora, lora.scale);
      const ref = await logProbsAlone(model, tr, lora, 0);
      pol.slice(0, 3).forEach((v, j) => deltas.push(v - ref[j]));
    }
    const opt = new AdamW(lora.variables, { learningRate: 1e-9, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const m = (await d3poTrainStep(model, lora, opt, [p], { ...defaultD3poTrainConfig, timestepFraction: 1, skipFinalSteps: 1 }, createRng(0)))!;
    expect(m.transitions).toBe(3);
    expect(m.meanLogRatio).toBeCloseTo(deltas.reduce((a, b) => a + b, 0) / deltas.length, 5);
    opt.dispose();
    lora.dispose();
    model.dispose();
  });

  it('refuses to build one batch from rows with different settings', async () => {
    const model = MiniSD.create(tinyModelConfig(), 3);
    const a = await pairOf(model, 'dog', 1, 4, 0);
    const b = await pairOf(model, 'dog', 2, 8, 0);
    expect(() => transitionTensors(model, { trajectories: [a.trajectories[0], b.trajectories[0]], steps: [0, 0] })).toThrow(/mix sampler settings/);
    model.dispose();
  });
});

describe('ReferenceCache', () => {
  it('gives the same updates as recomputing the reference, runs the reference once per step, and does not leak', async () => {
    const model = MiniSD.create(tinyModelConfig(), 4);
    const pairs = [await pairOf(model, 'dog', 1, 4, 0, 'p1'), await pairOf(model, 'pizza', 2, 4, 1, 'p2')];
    const run = async (cache?: ReferenceCache) => {
      const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q', 'to_v'], seed: 9 });
      const opt = new AdamW(lora.variables, { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
      const rng = createRng(3);
      const cfg = { ...defaultD3poTrainConfig, timestepFraction: 0.5, stepsPerChunk: 2 };
      await d3poTrainStep(model, lora, opt, pairs, cfg, rng, undefined, cache);
      const before = tf.memory().numTensors;
      for (let s = 0; s < 3; s++) await d3poTrainStep(model, lora, opt, pairs, cfg, rng, undefined, cache);
      expect(tf.memory().numTensors).toBe(before);
      const values = lora.variables.map((v) => Array.from(v.dataSync()));
      opt.dispose();
      lora.dispose();
      return values;
    };
    const cache = new ReferenceCache('base');
    const cached = await run(cache);
    const plain = await run();
    expect(cache.size).toBe(4); // two pairs × two images
    for (const [i, v] of cached.entries()) for (const [j, x] of v.entries()) expect(x).toBeCloseTo(plain[i][j], 6);
    // Everything cached now equals the base model's log-prob of the stored step (LoRA off), computed independently.
    const probe = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q'], seed: 1 });
    for (const p of pairs) {
      for (const [k, tr] of p.trajectories.entries()) {
        const ref = await logProbsAlone(model, tr, probe, 0);
        for (let j = 0; j < 4; j++) {
          const v = cache.lookup(`${p.id}#${k}`, j);
          if (v !== undefined) expect(v).toBeCloseTo(ref[j], 5);
        }
      }
    }
    probe.dispose();
    model.dispose();
  });

  it('computes only the missing steps and seeds whole trajectories', async () => {
    const model = MiniSD.create(tinyModelConfig(), 4);
    const p = await pairOf(model, 'dog', 5, 4, 0, 'x');
    const cache = new ReferenceCache('base');
    const tr = p.trajectories[0];
    // A trajectory sampled by the reference itself: its sampling log-probs are the reference's.
    cache.seed('x#0', tr.logProbs);
    const got = await cache.resolve(model, [{ key: 'x#0', trajectory: tr, step: 2 }, { key: 'x#1', trajectory: p.trajectories[1], step: 1 }]);
    expect(got[0]).toBe(tr.logProbs[2]);
    expect(got[1]).toBeCloseTo(p.trajectories[1].logProbs[1], 4); // re-scored by the base model = sampled by it
    expect(cache.lookup('x#1', 0)).toBeUndefined();
    expect(cache.lookup('x#1', 1)).toBe(got[1]);
    expect(cache.full('x#0')).toBeDefined();
    expect(cache.full('x#1')).toBeUndefined();
    model.dispose();
  });
});
