// The taste recipe and its trainer: validation messages, the batcher's passes, reference refresh per round (D3PO's human-feedback protocol), the LoRA EMA against a hand computation, rounds that raise the implicit accuracy, and no tensor growth.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultTasteRecipe, roundsFor, validateRecipe, d3poConfigOf, type TasteRecipe } from '../../src/core/taste/recipe';
import { pairBatcher, TasteTrainer, UNET_PREFIX } from '../../src/core/taste/tasteTrainer';
import { LoraEma } from '../../src/core/taste/loraEma';
import type { PreferencePair } from '../../src/core/algorithms/d3poTrainer';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter } from '../../src/core/model/lora';
import { sampleWithTrajectory } from '../../src/core/diffusion/sample';
import { AdamW } from '../../src/core/train/adamw';
import { createRng } from '../../src/core/rng';
import { useBackend } from './backend';
import { trainRecipe } from '../../cli/commands/train';
import { defaultStudioTrainConfig } from '../../src/worker/trainConfig';

beforeAll(() => useBackend('wasm'));

describe('recipe', () => {
  it('accepts the default and names the first bad field with its range', () => {
    expect(validateRecipe(defaultTasteRecipe)).toBeNull();
    expect(validateRecipe({ ...defaultTasteRecipe, stepsPerRound: 2.5 })).toMatch(/stepsPerRound = 2.5 .*integer from 1/);
    expect(validateRecipe({ ...defaultTasteRecipe, learningRate: Infinity })).toMatch(/learningRate/);
    expect(validateRecipe({ ...defaultTasteRecipe, targets: [] })).toMatch(/targets/);
    expect(validateRecipe({ ...defaultTasteRecipe, targets: ['to_q', 'attn9'] })).toMatch(/pick one or more of/);
    expect(validateRecipe({ ...defaultTasteRecipe, refreshReference: 'yes' as never })).toMatch(/true or false/);
  });

  it('is the one default of the CLI `train` and the studio (the studio adds only its manual controls)', () => {
    expect(trainRecipe({ _: ['train'] })).toEqual(defaultTasteRecipe);
    const { steps: _steps, checkpointEvery: _every, ...studio } = defaultStudioTrainConfig;
    expect(studio).toEqual(defaultTasteRecipe);
    expect(trainRecipe({ _: ['train'], lr: '5e-4', rank: '8', targets: 'to_q+ff.net.2', 'refresh-reference': true })).toMatchObject({ learningRate: 5e-4, rank: 8, alpha: 8, targets: ['to_q', 'ff.net.2'], refreshReference: true });
    expect(() => trainRecipe({ _: ['train'], 'timestep-fraction': '2' })).toThrow(/--timestep-fraction = 2 is out of range; use a number from 0.01 to 1/);
    expect(() => trainRecipe({ _: ['train'], targets: 'to_x' })).toThrow(/targets/);
  });

  it('trains n labels as one round per started batch of votes, with the recipe’s D3PO settings', () => {
    const r: TasteRecipe = { ...defaultTasteRecipe, votesPerRound: 10 };
    expect([roundsFor(r, 1), roundsFor(r, 10), roundsFor(r, 11), roundsFor(r, 100)]).toEqual([1, 1, 2, 10]);
    expect(d3poConfigOf(r)).toEqual({ beta: r.beta, eps: r.eps, learningRate: r.learningRate, maxGradNorm: r.maxGradNorm, timestepFraction: r.timestepFraction, stepsPerChunk: r.stepsPerChunk, skipFinalSteps: r.skipFinalSteps });
  });
});

describe('pairBatcher', () => {
  it('gives every pair once per pass, in batches, with a new order each pass', () => {
    const pairs = Array.from({ length: 5 }, (_, i) => ({ id: `p${i}` }) as PreferencePair);
    const next = pairBatcher(pairs, 2, createRng(1));
    const seen = Array.from({ length: 5 }, () => next().map((p) => p.id));
    expect(seen.every((b) => b.length === 2 && b[0] !== b[1])).toBe(true);
    const first = seen.flat().slice(0, 5);
    expect(new Set(first).size).toBe(5); // the first 5 draws cover all pairs
    expect(pairBatcher(pairs.slice(0, 1), 4, createRng(1))()).toHaveLength(1);
  });
});

describe('LoraEma', () => {
  it('is decay·shadow + (1 − decay)·current after each update', async () => {
    const model = MiniSD.create(tinyModelConfig(), 2);
    const lora = createLoraAdapter(model.params, UNET_PREFIX, { rank: 2, alpha: 2, targets: ['to_q'], seed: 1 });
    const ema = LoraEma.of(model.params, UNET_PREFIX, lora, 0.9);
    const [name, m] = [...lora.modules.entries()][0];
    const b0 = Array.from(m.B.dataSync());
    m.B.assign(tf.onesLike(m.B));
    ema.update(lora);
    m.B.assign(tf.mul(tf.onesLike(m.B), 3));
    ema.update(lora);
    const got = ema.adapter.modules.get(name)!.B.dataSync();
    b0.forEach((v, i) => expect(got[i]).toBeCloseTo(0.9 * (0.9 * v + 0.1 * 1) + 0.1 * 3, 6));
    ema.dispose();
    lora.dispose();
    model.dispose();
  });
});

describe('TasteTrainer', () => {
  it('runs rounds that raise the implicit accuracy, refreshes the reference at each round start, and does not leak', async () => {
    const model = MiniSD.create(tinyModelConfig(), 21);
    const pairs: PreferencePair[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await sampleWithTrajectory(model, { prompts: ['dog', 'dog'], seed: 100 + i, sharedInitialNoise: true });
      r.final.dispose();
      pairs.push({ id: `p${i}`, trajectories: [r.trajectories[0], r.trajectories[1]], vote: i === 1 ? 1 : 0 });
    }
    const recipe: TasteRecipe = { ...defaultTasteRecipe, learningRate: 3e-3, timestepFraction: 1, pairsPerStep: 3, stepsPerRound: 3, refreshReference: true, targets: ['to_q', 'to_v', 'conv1'] };
    const lora = createLoraAdapter(model.params, UNET_PREFIX, { rank: 4, alpha: 4, targets: recipe.targets, seed: 2 });
    const optimizer = new AdamW(lora.variables, { learningRate: recipe.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const trainer = new TasteTrainer(model, lora, optimizer, recipe);
    const rng = createRng(0);
    const first = await trainer.round(pairs, rng);
    expect(first).toHaveLength(3);
    expect(first[0].accuracy).toBe(0); // the first step starts at B = 0: π_θ = π_ref
    // Round 2 starts from a reference equal to the adapter after round 1: its first step's log-ratios are 0 again.
    const cacheBefore = trainer.cache;
    const before = tf.memory().numTensors;
    const second = await trainer.round(pairs, rng);
    expect(trainer.cache).not.toBe(cacheBefore);
    expect(second[0].meanLogRatio).toBeCloseTo(0, 6);
    expect(second[0].accuracy).toBe(0);
    expect(second[2].accuracy).toBeGreaterThan(0.6);
    expect(tf.memory().numTensors).toBe(before);
    for (const m of trainer.reference!.modules.values()) expect(m.B.dataSync().some((v) => v !== 0)).toBe(true);
    trainer.dispose();
    optimizer.dispose();
    lora.dispose();
    model.dispose();
  });

  it('keeps the base model as the reference without refresh, and samples with the EMA when the recipe has one', async () => {
    const model = MiniSD.create(tinyModelConfig(), 22);
    const r = await sampleWithTrajectory(model, { prompts: ['dog', 'dog'], seed: 5, sharedInitialNoise: true });
    r.final.dispose();
    const recipe: TasteRecipe = { ...defaultTasteRecipe, learningRate: 1e-2, stepsPerRound: 2, pairsPerStep: 1, emaDecay: 0.5 };
    const lora = createLoraAdapter(model.params, UNET_PREFIX, { rank: 2, alpha: 2, targets: recipe.targets, seed: 2 });
    const optimizer = new AdamW(lora.variables);
    const trainer = new TasteTrainer(model, lora, optimizer, recipe);
    await trainer.round([{ id: 'q', trajectories: [r.trajectories[0], r.trajectories[1]], vote: 0 }], createRng(1));
    expect(trainer.reference).toBeNull();
    expect(trainer.samplingAdapter).toBe(trainer.ema!.adapter);
    expect(trainer.cache.reference).toBe('base');
    trainer.dispose();
    optimizer.dispose();
    lora.dispose();
    model.dispose();
  });
});
