// Distinct pairs (src/core/taste/distinctPairs.ts) against hand-worked block features and distances, and the worker's pair job: with 4 candidates the stored pair is the most different two of the 4 images the same seed gives (sampled again here independently), from one x_T.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockFeatures, imageDistance, mostDistinctPair } from '../../src/core/taste/distinctPairs';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { imagesToRgba, sampleWithTrajectory } from '../../src/core/diffusion/sample';
import { openSession } from '../../src/worker/session';
import { handlePair } from '../../src/worker/pairJobs';
import { getPair } from '../../src/storage/pairs';
import type { PairReadyEvent, StudioEvent } from '../../src/worker/protocol';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

/** A 32 × 32 RGBA image of one colour, optionally with the top-left 4 × 4 block in another. */
function image(rgb: [number, number, number], corner?: [number, number, number]): Uint8Array {
  const px = new Uint8Array(32 * 32 * 4);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) px.set([...(corner && x < 4 && y < 4 ? corner : rgb), 255], (y * 32 + x) * 4);
  }
  return px;
}

describe('distinct pairs', () => {
  it('block features are lightness, red–green and yellow–blue means of 4 × 4 blocks', () => {
    const f = blockFeatures(image([255, 0, 0], [0, 0, 255]), 32);
    expect(f.length).toBe(8 * 8 * 3);
    expect(Array.from(f.slice(0, 3))).toEqual([85, 0, -255]); // the blue corner block: L = 255/3, a = 0, b = 0 − 255
    expect(Array.from(f.slice(3, 6))).toEqual([85, 255, 127.5]); // a red block: a = 255, b = 127.5 − 0
    expect(() => blockFeatures(new Uint8Array(30 * 30 * 4), 30)).toThrow(/divisible into 4 × 4 blocks/);
  });

  it('distance: 0 for the same image; black vs white is 255 lightness over 3 channels; one changed block counts 1/64', () => {
    expect(imageDistance(image([10, 20, 30]), image([10, 20, 30]), 32)).toBe(0);
    expect(imageDistance(image([0, 0, 0]), image([255, 255, 255]), 32)).toBe(85);
    // Only the corner block differs: white vs black there → |ΔL| = 255 in 1 of 64 blocks, a and b equal.
    expect(imageDistance(image([255, 255, 255]), image([255, 255, 255], [0, 0, 0]), 32)).toBeCloseTo(255 / (64 * 3), 10);
  });

  it('picks the two most different images; ties go to the earlier pair', () => {
    const imgs = [image([128, 128, 128]), image([130, 128, 128]), image([0, 0, 0]), image([255, 255, 255])];
    expect(mostDistinctPair(imgs, 32)).toEqual({ i: 2, j: 3, distance: 85 });
    expect(mostDistinctPair([image([0, 0, 0]), image([0, 0, 0])], 32)).toEqual({ i: 0, j: 1, distance: 0 });
    expect(() => mostDistinctPair([image([0, 0, 0])], 32)).toThrow(/at least 2 images/);
  });

  it('the worker stores the most different two of 4 images from one x_T', async () => {
    const cfg = tinyModelConfig();
    const model = MiniSD.create(cfg, 7);
    const s = await openSession(model, { rank: 2, alpha: 2, targets: ['to_q'] });
    const events: StudioEvent[] = [];
    const ctx = { post: (e: StudioEvent) => events.push(e), cancelled: () => false };
    await handlePair(s, { type: 'pair', id: 1, prompt: 'dog', seed: 21, steps: 4, candidates: 4 }, ctx);
    const e = events.find((x): x is PairReadyEvent => x.type === 'pair-ready')!;
    // The same 4 images sampled here: same prompt, seed and shared x_T.
    const r = await sampleWithTrajectory(model, { prompts: ['dog', 'dog', 'dog', 'dog'], seed: 21, sharedInitialNoise: true, sample: { steps: 4 }, lora: s.lora });
    const img = model.decode(r.final);
    const four = await imagesToRgba(img);
    tf.dispose([img, r.final]);
    let best = { i: 0, j: 1, d: -1 };
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) {
      const d = imageDistance(four[i], four[j], 32);
      if (d > best.d) best = { i, j, d };
    }
    expect(Array.from(new Uint8Array(e.images[0].rgba))).toEqual(Array.from(four[best.i]));
    expect(Array.from(new Uint8Array(e.images[1].rgba))).toEqual(Array.from(four[best.j]));
    const stored = await getPair(e.pairId);
    expect(stored!.trajectories[0].latents[0]).toEqual(stored!.trajectories[1].latents[0]); // one x_T
    await expect(handlePair(s, { type: 'pair', id: 2, prompt: 'dog', seed: 1, steps: 4, candidates: 9 }, ctx)).rejects.toThrow(/2 to 8 candidate images, got 9/);
    s.optimizer.dispose();
    s.lora.dispose();
    model.dispose();
  });
});
