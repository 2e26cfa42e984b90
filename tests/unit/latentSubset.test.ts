// The shipped pretraining latents (large-scale RL paper's pretraining-loss term): the safetensors codec and its error messages, the pool's draws, the `latent-subset` command checked against MiniSD.encode on a synthetic dataset, and pretrainLossStep lowering the denoising loss on a fixed batch (LoRA only) without leaking tensors.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { latentSubsetCommand } from '../../cli/commands/latentSubset';
import { loadEmojiDataset } from '../../cli/pretrain/emojiData';
import { DenoisingProxy, pretrainLossStep } from '../../src/core/algorithms/pretrainLoss';
import { tinyModelConfig } from '../../src/core/config';
import { baseCaption, buildVocab } from '../../src/core/data/captions';
import { readEmojiPixels } from '../../src/core/data/emojiDataset';
import { decodeSafetensors, encodeSafetensors } from '../../src/core/io/safetensors';
import { createLoraAdapter, defaultLoraConfig } from '../../src/core/model/lora';
import { MiniSD } from '../../src/core/model/pipeline';
import { modelToSafetensors } from '../../src/core/model/weights';
import { decodeLatentSubset, encodeLatentSubset, latentSubsetPool, LATENT_SUBSET_FILE, type LatentSubset } from '../../src/core/pretrain/latentSubset';
import { createRng } from '../../src/core/rng';
import { AdamW, defaultAdamWConfig } from '../../src/core/train/adamw';
import { writeSyntheticDataset } from './syntheticEmoji';
import { useBackend } from './backend';
import { useTmpDir } from './tmpDir';

beforeAll(() => useBackend('wasm'));

/** Row k of the latents is filled with k/8 (exact in fp16) and captioned `emoji k`. */
function fixture(n: number): LatentSubset {
  const latents = new Float32Array(n * 256);
  for (let k = 0; k < n; k++) latents.fill(k / 8, k * 256, (k + 1) * 256);
  return { latents, shape: [n, 8, 8, 4], captions: Array.from({ length: n }, (_, k) => `emoji ${k}`), source: 'test' };
}

describe('latent subset file', () => {
  it('round-trips latents (fp16), captions and source', () => {
    const s = fixture(5);
    s.latents[3] = 0.1234567; // not exact in fp16
    const back = decodeLatentSubset(encodeLatentSubset(s), { sampleSize: 8, channels: 4 });
    expect(back.shape).toEqual([5, 8, 8, 4]);
    expect(back.captions).toEqual(s.captions);
    expect(back.source).toBe('test');
    expect(Math.abs(back.latents[3] - 0.1234567)).toBeLessThan(1e-4);
    expect(back.latents[4 * 256 + 7]).toBe(0.5);
  });

  it('rejects other files, a shape the UNet cannot take, and mismatched captions, saying how to regenerate', () => {
    const good = encodeLatentSubset(fixture(3));
    expect(() => decodeLatentSubset(encodeSafetensors(new Map(), { format: 'x' }))).toThrow(/Not a pretraining latent subset.*latent-subset/);
    expect(() => decodeLatentSubset(good, { sampleSize: 16, channels: 4 })).toThrow(/\[8,8,4\] latents; this model's UNet takes \[16,16,4\]/);
    const file = decodeSafetensors(good);
    const broken = encodeSafetensors(file.tensors, { ...file.metadata, captions: JSON.stringify(['only one']) });
    expect(() => decodeLatentSubset(broken)).toThrow(/captions are missing or do not match its 3 latents/);
    expect(() => encodeLatentSubset({ ...fixture(2), captions: ['a'] })).toThrow(/1 captions for 2 latents/);
    expect(() => decodeLatentSubset(good.slice(0, 40))).toThrow();
  });

  it('the pool draws whole rows with their own captions, reproducibly from the RNG', () => {
    const pool = latentSubsetPool(fixture(6));
    expect(pool.size).toBe(6);
    const a = pool.data.latentBatch!(createRng(4), 20);
    const b = pool.data.latentBatch!(createRng(4), 20);
    expect(a.captions).toEqual(b.captions);
    expect(new Set(a.captions).size).toBeGreaterThan(2);
    a.captions.forEach((c, i) => {
      const k = Number(c.split(' ')[1]);
      const row = a.latents.subarray(i * 256, (i + 1) * 256);
      expect(row.every((v) => v === k / 8)).toBe(true);
    });
  });
});

describe('latent-subset command', () => {
  let dir = '';
  useTmpDir('d3po-latents-', (d) => (dir = d));

  it('writes every training image (no held-out one) as MiniSD.encode latents with its caption', async () => {
    const records = writeSyntheticDataset(dir);
    const model = MiniSD.create(tinyModelConfig(buildVocab(records)), 5);
    model.config.autoencoder.scalingFactor = 0.75;
    const modelFile = path.join(dir, 'model.safetensors');
    fs.writeFileSync(modelFile, await modelToSafetensors(model));
    const lines: string[] = [];
    await latentSubsetCommand({ _: ['latent-subset'], model: modelFile, data: dir, count: '100' }, (s) => lines.push(s));
    const out = path.join(dir, LATENT_SUBSET_FILE);
    expect(lines.join('\n')).toContain(`wrote ${out}: 8 latents [8,8,4]`);
    const subset = decodeLatentSubset(fs.readFileSync(out));

    const ds = loadEmojiDataset(dir);
    const train = ds.train;
    expect(train).toHaveLength(8);
    const images = tf.tensor4d(Float32Array.from(train.flatMap((r) => [...readEmojiPixels(ds.pixels, ds.index, r.index)].map((v) => v / 255))), [8, 32, 32, 3]);
    const expected = model.encode(images); // scaled means, computed by the pipeline's own encode
    const want = await expected.data();
    tf.dispose([images, expected]);
    const used = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const row = subset.latents.subarray(i * 256, (i + 1) * 256);
      const match = train.findIndex((r, j) => !used.has(j) && subset.captions[i].startsWith(baseCaption(r)) && row.every((v, d) => Math.abs(v - want[j * 256 + d]) < 2e-3 * Math.max(1, Math.abs(v))));
      expect(match, `row ${i} (${subset.captions[i]})`).toBeGreaterThanOrEqual(0);
      used.add(match);
    }
    expect(used.size).toBe(8);
    model.dispose();
  });
});

describe('pretrainLossStep', () => {
  it('lowers L_pre on a fixed pool, trains only the LoRA, and leaks no tensors', async () => {
    const model = MiniSD.create(tinyModelConfig(), 2);
    const lora = createLoraAdapter(model.params, 'unet.', { ...defaultLoraConfig, rank: 4, alpha: 4 });
    const optimizer = new AdamW(lora.variables, { ...defaultAdamWConfig });
    const pool = latentSubsetPool(fixture(4));
    const opts = { weight: 2, batchSize: 4, learningRate: 1e-2, maxGradNorm: 1 };
    const base = await Promise.all([...model.params.tensors.values()].map((t) => t.data()));
    const proxy = DenoisingProxy.create(model, pool, 16, 7); // fixed x0, ε and t: a noise-free before/after
    const start = await proxy.loss(lora);
    expect(start).toBeCloseTo(await proxy.loss(), 6); // B = 0: the adapter starts as the base model
    await pretrainLossStep(model, lora, optimizer, pool, createRng(1), opts); // warm-up: optimizer slots
    const before = tf.memory().numTensors;
    const rng = createRng(2);
    for (let i = 0; i < 30; i++) expect(await pretrainLossStep(model, lora, optimizer, pool, rng, opts)).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(await proxy.loss(lora)).toBeLessThan(0.9 * start);
    const after = await Promise.all([...model.params.tensors.values()].map((t) => t.data()));
    after.forEach((a, i) => expect(a).toEqual(base[i])); // base weights untouched: only LoRA variables moved
    proxy.dispose();
    optimizer.dispose();
    lora.dispose();
    model.dispose();
  });
});
