import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { allLoraTargets, createLoraAdapter, isLoraTarget } from '../../src/core/model/lora';
import { AdamW } from '../../src/core/train/adamw';
import { Ema } from '../../src/core/pretrain/ema';
import { maxAbsDiff, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

describe('LoRA', () => {
  const cfg = tinyModelConfig();

  async function unetOut(model: MiniSD, lora?: ReturnType<typeof createLoraAdapter>, scale?: number) {
    const out = tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
      return model.predict(x, [100, 700], model.encodeText(['red heart', 'dog']), lora, scale);
    });
    const d = await out.data();
    out.dispose();
    return d;
  }

  it('matches targets by module-name suffix', () => {
    expect(isLoraTarget('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', ['to_q'])).toBe(true);
    expect(isLoraTarget('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0', ['to_out.0'])).toBe(true);
    expect(isLoraTarget('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', ['to_k'])).toBe(false);
    expect(isLoraTarget('mid_block.resnets.0.conv1', ['conv1'])).toBe(true);
  });

  it('with B = 0 leaves the outputs unchanged, on linear and conv targets', async () => {
    const model = MiniSD.create(cfg, 1);
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: allLoraTargets, seed: 3 });
    expect([...lora.modules.values()].some((m) => m.kind === 'conv')).toBe(true);
    expect([...lora.modules.values()].some((m) => m.kind === 'linear')).toBe(true);
    const base = await unetOut(model);
    const adapted = await unetOut(model, lora);
    expect(maxAbsDiff(adapted, base)).toBe(0);
    lora.dispose();
    model.dispose();
  });

  it('trains only LoRA variables; scale 0 equals the base model after training, scale 1 differs', async () => {
    const model = MiniSD.create(cfg, 2);
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 4, targets: allLoraTargets, seed: 4 });
    const baseBefore = await unetOut(model);
    const baseWeights = await Promise.all(model.params.variables('unet.').map((v) => v.data()));
    const opt = new AdamW(lora.variables, { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => {
        const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', i) as tf.Tensor4D;
        return tf.mean(tf.square(tf.sub(model.predict(x, [10, 500], model.encodeText(['pizza', 'dog']), lora), 1))) as tf.Scalar;
      }, lora.variables);
      opt.apply(grads);
      tf.dispose([value, ...Object.values(grads)]);
    }
    const baseAfter = await Promise.all(model.params.variables('unet.').map((v) => v.data()));
    baseAfter.forEach((w, i) => expect(maxAbsDiff(w, baseWeights[i])).toBe(0));
    expect(maxAbsDiff(await unetOut(model, lora, 0), baseBefore)).toBe(0);
    expect(maxAbsDiff(await unetOut(model, lora), baseBefore)).toBeGreaterThan(1e-4);
    opt.dispose();
    lora.dispose();
    model.dispose();
  });

  it('creating and disposing an adapter, its optimizer and an EMA leaves no tensors behind', async () => {
    const start = tf.memory().numTensors;
    const model = MiniSD.create(cfg, 1);
    const before = tf.memory().numTensors;
    expect(before - start).toBe(model.params.tensors.size); // one tensor per weight, no temporaries
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: allLoraTargets, seed: 0 });
    const opt = new AdamW(lora.variables);
    const ema = new Ema(lora.variables, 0.9);
    [ema, opt, lora].forEach((x) => x.dispose());
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('initialises A ~ N(0, 1/r²) (diffusers LoRALinearLayer: normal_(down.weight, std=1/rank)) and B = 0, on linear and conv targets', async () => {
    const model = MiniSD.create(cfg, 1);
    for (const rank of [2, 8]) {
      const lora = createLoraAdapter(model.params, 'unet.', { rank, alpha: rank, targets: allLoraTargets, seed: 5 });
      const a = (await Promise.all([...lora.modules.values()].map((m) => m.A.data()))).flatMap((d) => Array.from(d as Float32Array));
      const mean = a.reduce((s, v) => s + v, 0) / a.length;
      const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
      expect(a.length).toBeGreaterThan(10_000); // std's relative standard error ≈ 1/sqrt(2N) < 0.7 %, so 0.02 is ≥ 3 of them
      expect(Math.abs(mean)).toBeLessThan(3 / rank / Math.sqrt(a.length)); // 3 standard errors of the mean
      expect(Math.abs(std * rank - 1)).toBeLessThan(0.02); // 1/r, not 1/sqrt(r) (std 0.71 / 0.35 at r = 2 / 8) or 1
      for (const m of lora.modules.values()) expect(Array.from((await m.B.data()) as Float32Array).every((v) => v === 0)).toBe(true);
      lora.dispose();
    }
    model.dispose();
  });

  it('rejects a bad rank or targets that match nothing', () => {
    const model = MiniSD.create(cfg, 1);
    expect(() => createLoraAdapter(model.params, 'unet.', { rank: 0, alpha: 1, targets: ['to_q'], seed: 0 })).toThrow(/rank must be a positive integer/);
    expect(() => createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 1, targets: ['nope'], seed: 0 })).toThrow(/No module matches/);
    model.dispose();
  });
});
