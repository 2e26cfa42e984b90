// Check pairs (the taste meter's question): which pair requests are checks, the two images against separate samples of the adapter and of the base model from the same seed, the meter counting check votes only, and the vote record's rules for them.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter, type LoraAdapter } from '../../src/core/model/lora';
import { sampleWithTrajectory } from '../../src/core/diffusion/sample';
import { CHECK_EVERY, CHECK_TUNED, isCheckTurn, sampleCheckPair } from '../../src/core/taste/checkPairs';
import { meterCurve, meterNow, meterOutcomes } from '../../src/store/tasteMeter';
import { saveLabel, type Label } from '../../src/storage/labels';
import { maxAbsDiff, useBackend } from './backend';

let model: MiniSD;
let lora: LoraAdapter;
beforeAll(async () => {
  await useBackend('wasm');
  const cfg = tinyModelConfig();
  cfg.sample.steps = 4;
  model = MiniSD.create(cfg, 21);
  lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q', 'to_v', 'conv1'], seed: 1 });
  // A trained-looking adapter: B is zero at creation (the adapter would be the base model), so give every factor values.
  lora.variables.forEach((v, i) => v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', 100 + i)));
});
afterAll(() => {
  lora.dispose();
  model.dispose();
});

describe('isCheckTurn', () => {
  it('marks every n-th request, counting from 0', () => {
    const turns = Array.from({ length: 10 }, (_, i) => i).filter((i) => isCheckTurn(i, 3));
    expect(turns).toEqual([2, 5, 8]);
    expect(Array.from({ length: 8 }, (_, i) => isCheckTurn(i, 4))).toEqual([false, false, false, true, false, false, false, true]);
    expect(Array.from({ length: 5 }, (_, i) => isCheckTurn(i, 0)).some(Boolean)).toBe(false); // 0 = no checks
    expect(Array.from({ length: 3 * CHECK_EVERY }, (_, i) => isCheckTurn(i)).filter(Boolean)).toHaveLength(3);
    expect(() => isCheckTurn(-1)).toThrow(/non-negative integer/);
    expect(() => isCheckTurn(1.5)).toThrow(/non-negative integer/);
  });
});

describe('sampleCheckPair', () => {
  it("is the adapter's sample and the base model's sample of one seed: one x_T, one noise, only the LoRA differs", async () => {
    const before = tf.memory().numTensors;
    const pair = await sampleCheckPair(model, lora, 'red heart', 9);
    const tuned = await sampleWithTrajectory(model, { prompts: ['red heart'], seed: 9, lora });
    const base = await sampleWithTrajectory(model, { prompts: ['red heart'], seed: 9, lora, loraScale: 0 });
    const plain = await sampleWithTrajectory(model, { prompts: ['red heart'], seed: 9 }); // no adapter at all
    const [a, b] = pair.trajectories;
    expect(CHECK_TUNED).toBe(0);
    expect([a.index, b.index]).toEqual([0, 1]);
    a.latents.forEach((l, k) => expect(maxAbsDiff(l, tuned.trajectories[0].latents[k])).toBe(0));
    b.latents.forEach((l, k) => expect(maxAbsDiff(l, base.trajectories[0].latents[k])).toBe(0));
    expect(maxAbsDiff(b.latents.at(-1)!, plain.trajectories[0].latents.at(-1)!)).toBe(0);
    expect(maxAbsDiff(a.logProbs, tuned.trajectories[0].logProbs)).toBe(0);
    expect(maxAbsDiff(a.latents[0], b.latents[0])).toBe(0); // the same x_T
    expect(maxAbsDiff(a.latents.at(-1)!, b.latents.at(-1)!)).toBeGreaterThan(1e-3); // the adapter changed the image
    expect(pair.final.shape).toEqual([2, 8, 8, 4]);
    const second = pair.final.slice([1], [1]);
    expect(maxAbsDiff(await second.data(), b.latents.at(-1)!)).toBe(0);
    tf.dispose([second, pair.final, tuned.final, base.final, plain.final]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports progress over both images and leaks nothing when cancelled half-way', async () => {
    const before = tf.memory().numTensors;
    const seen: string[] = [];
    const r = await sampleCheckPair(model, lora, 'dog', 3, {}, { onStep: (s, t) => seen.push(`${s}/${t}`) });
    tf.dispose(r.final);
    expect(seen).toEqual(['1/8', '2/8', '3/8', '4/8', '5/8', '6/8', '7/8', '8/8']);
    let steps = 0;
    await expect(sampleCheckPair(model, lora, 'dog', 3, {}, { onStep: () => steps++, shouldCancel: () => steps >= 6 })).rejects.toThrow(/cancelled/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

const label = (i: number, vote: Label['vote'], extra: Partial<Label> = {}): Label => ({ pairId: `p${i}`, vote, leftIsFirst: true, prompt: 'dog', seed: i, time: i, modelId: 'tiny-test', loraVersion: 'step-1', ...extra });

describe('the meter counts check votes', () => {
  it('only A/B votes on check pairs, newest window, with the Wilson interval', () => {
    const labels: Label[] = [
      label(0, 0, { predicted: 0 }), // an implicit-reward guess on an ordinary pair: not the meter
      label(1, 0, { predicted: 0, check: true }), // picked the model's image
      label(2, 'tie', { predicted: 0, check: true }), // no A/B vote: not counted
      label(3, 1, { predicted: 0, check: true }), // picked the base model's image
      label(4, 1, { predicted: 1 }),
      label(5, 0, { predicted: 0, check: true }),
    ];
    expect(meterOutcomes(labels)).toEqual([null, true, null, false, null, true]);
    const all = meterNow(labels);
    expect([all.successes, all.n]).toEqual([2, 3]);
    // Wilson 95 % for 2 of 3, by hand: centre (p + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p(1−p)/n + z²/4n²)
    const z = 1.959963984540054;
    const [p, n] = [2 / 3, 3];
    const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
    expect(all.low).toBeCloseTo(centre - half, 12);
    expect(all.high).toBeCloseTo(centre + half, 12);
    expect(meterNow(labels, 2)).toMatchObject({ successes: 1, n: 2 });
    expect(meterCurve(meterOutcomes(labels), 2).map((q) => q.rate)).toEqual([1, 0.5, 0.5]);
  });

  it("a stored check vote must carry the adapter's image as its prediction", async () => {
    await expect(saveLabel(label(7, 1, { check: true }))).rejects.toThrow(/check pair's prediction is the adapter's image/);
    await expect(saveLabel(label(8, 1, { check: true, predicted: 1 }))).rejects.toThrow(/check pair's prediction/);
    await expect(saveLabel(label(9, 1, { check: 1 as unknown as true, predicted: 0 }))).rejects.toThrow(/check must be true/);
    await saveLabel(label(10, 1, { check: true, predicted: 0 }));
  });
});
