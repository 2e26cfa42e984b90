// Classifier-free guidance (MiniSD.guidedPredict, src/core/model/pipeline.ts; Ho & Salimans 2022, as diffusers'
// StableDiffusionPipeline: ε_u + w·(ε_c − ε_u)) against two separate UNet calls combined by hand, with and without a LoRA.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter, type LoraAdapter } from '../../src/core/model/lora';
import { maxAbsDiff, relErr, useBackend } from './backend';

let model: MiniSD;
let lora: LoraAdapter;
beforeAll(async () => {
  await useBackend('wasm');
  model = MiniSD.create(tinyModelConfig(), 8);
  lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q', 'to_v', 'conv1'], seed: 1 });
  lora.modules.forEach((m, name) => m.B.assign(tf.randomNormal(m.B.shape, 0, 0.1, 'float32', name.length))); // a LoRA that changes the output
});
afterAll(() => {
  lora.dispose();
  model.dispose();
});

/** Runs `f` in a tidy scope and reads its result out (temporaries such as text encodings are freed). */
const read = async (f: () => tf.Tensor) => {
  const t = tf.tidy(f);
  const v = Array.from((await t.data()) as Float32Array);
  t.dispose();
  return v;
};

describe('classifier-free guidance', () => {
  const timesteps = [900, 250];
  const prompts = ['red heart', 'dog'];

  /** ε_u + w·(ε_c − ε_u) from two separate predict calls (cond batch, uncond batch), combined in plain JS. */
  async function byHand(x: tf.Tensor4D, w: number, withLora?: LoraAdapter, scale?: number): Promise<number[]> {
    const cond = await read(() => model.predict(x, timesteps, model.encodeText(prompts), withLora, scale));
    const uncond = await read(() => model.predict(x, timesteps, model.encodeText(['', '']), withLora, scale));
    return cond.map((c, i) => uncond[i] + w * (c - uncond[i]));
  }

  it('equals ε_u + w·(ε_c − ε_u) of two separate calls, for w = 2 and 7.5, with the base model and with a LoRA at scale 0.5', async () => {
    const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
    const cond = model.encodeText(prompts);
    const uncond = model.encodeText(['']);
    for (const [w, withLora, scale] of [[2, undefined, undefined], [7.5, undefined, undefined], [2, lora, 0.5]] as const) {
      const want = await byHand(x, w, withLora, scale);
      const got = await read(() => model.guidedPredict(x, timesteps, cond, uncond, w, withLora, scale));
      expect(relErr(got, want)).toBeLessThan(1e-5);
    }
    // the check has teeth: ε_c and ε_u differ (a swapped or mis-scaled combination would be off by ≈ |ε_c − ε_u|) …
    expect(maxAbsDiff(await read(() => model.predict(x, timesteps, cond)), await read(() => model.predict(x, timesteps, model.encodeText(['', '']))))).toBeGreaterThan(1e-2);
    // … the LoRA case really differs from the base model, and w = 1 is the conditional prediction alone
    expect(maxAbsDiff(await byHand(x, 2, lora, 0.5), await byHand(x, 2))).toBeGreaterThan(1e-3);
    expect(relErr(await read(() => model.guidedPredict(x, timesteps, cond, uncond, 1)), await read(() => model.predict(x, timesteps, cond)))).toBeLessThan(1e-6);
    tf.dispose([x, cond, uncond]);
  });

  it('accepts one negative-prompt row per image (textUncond [B,L,D]) and leaks no tensors', async () => {
    const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
    const cond = model.encodeText(prompts);
    const uncondB = model.encodeText(['', '']);
    const before = tf.memory().numTensors;
    const out = model.guidedPredict(x, timesteps, cond, uncondB, 3); // outside any tidy: only the result may remain
    expect(tf.memory().numTensors).toBe(before + 1);
    const got = Array.from((await out.data()) as Float32Array);
    out.dispose();
    expect(relErr(got, await byHand(x, 3))).toBeLessThan(1e-5);
    tf.dispose([x, cond, uncondB]);
  });
});
