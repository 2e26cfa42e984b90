import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { defaultPretrainConfig, Pretrainer, type PretrainData } from '../../src/core/pretrain/pretrainer';
import { minSnrWeights } from '../../src/core/pretrain/losses';
import { learningRateAt } from '../../src/core/train/lrSchedule';
import { alphasCumprod } from '../../src/core/diffusion/schedule';
import { defaultSchedulerConfig } from '../../src/core/config';
import { maxAbsDiff, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

/** Four fixed 32×32 "emoji": coloured discs and squares on white, in [-1,1]. */
function fixtureImages(): Float32Array[] {
  const shapes = [
    [1, 0.8, 0, 'disc'],
    [0.9, 0, 0, 'square'],
    [0, 0.4, 1, 'disc'],
    [0, 0.7, 0.2, 'square'],
  ] as const;
  return shapes.map(([r, g, b, kind]) => {
    const img = new Float32Array(32 * 32 * 3).fill(1);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const inside = kind === 'disc' ? (x - 15.5) ** 2 + (y - 15.5) ** 2 < 100 : Math.abs(x - 15.5) < 9 && Math.abs(y - 15.5) < 9;
        if (inside) [r, g, b].forEach((v, c) => (img[(y * 32 + x) * 3 + c] = v * 2 - 1));
      }
    return img;
  });
}

const fixtureData = (): PretrainData => {
  const imgs = fixtureImages();
  const captions = ['yellow face', 'red heart', 'blue face', 'green heart'];
  return {
    imageBatch: (rng, b) => {
      const out = new Float32Array(b * 3072);
      for (let i = 0; i < b; i++) out.set(imgs[rng.int(imgs.length)], i * 3072);
      return out;
    },
    latentBatch: (rng, b) => {
      const latents = new Float32Array(b * 256);
      const caps: string[] = [];
      for (let i = 0; i < b; i++) {
        const k = rng.int(4);
        for (let j = 0; j < 256; j++) latents[i * 256 + j] = Math.sin(j * (k + 1) * 0.1);
        caps.push(captions[k]);
      }
      return { latents, captions: caps };
    },
  };
};

describe('pretraining', () => {
  it('warm-up then cosine LR, and min-SNR weights as in Hang et al.', () => {
    const s = { base: 1, warmupSteps: 10, decaySteps: 100, minRatio: 0.1 };
    expect(learningRateAt(0, s)).toBeCloseTo(0.1);
    expect(learningRateAt(9, s)).toBeCloseTo(1);
    expect(learningRateAt(60, s)).toBeCloseTo(0.1 + 0.45 * (1 + Math.cos(Math.PI / 2)));
    expect(learningRateAt(1000, s)).toBeCloseTo(0.1);
    // A decay phase added to a resumed run: constant until decayStart, then the same cosine shifted.
    const late = { ...s, decayStart: 500 };
    expect(learningRateAt(499, late)).toBe(1);
    expect(learningRateAt(550, late)).toBeCloseTo(0.1 + 0.45 * (1 + Math.cos(Math.PI / 2)));
    expect(learningRateAt(5000, late)).toBeCloseTo(0.1);
    expect(learningRateAt(60, { ...s, decayStart: 3 })).toBeCloseTo(learningRateAt(60, s)); // never before warm-up ends
    const acp = alphasCumprod(defaultSchedulerConfig);
    const [w0, w999] = minSnrWeights(acp, [0, 999], 5, 'epsilon');
    expect(w0).toBeCloseTo(5 / (acp[0] / (1 - acp[0])), 8); // high SNR: clipped to γ/SNR
    expect(w999).toBe(1); // low SNR: weight 1
  });

  it('a tiny autoencoder run lowers the reconstruction loss', async () => {
    const model = MiniSD.create(tinyModelConfig(), 1, true);
    const tr = new Pretrainer(model, { ...defaultPretrainConfig('autoencoder'), batchSize: 4, warmupSteps: 1, learningRate: 3e-3 });
    const data = fixtureData();
    const first = await tr.trainStep(data);
    let last = first;
    for (let i = 0; i < 40; i++) last = await tr.trainStep(data);
    expect(last.parts.l1).toBeLessThan(first.parts.l1 * 0.6);
    expect(tr.imagesSeen).toBe(41 * 4);
    tr.dispose();
    model.dispose();
  });

  it('a tiny UNet run lowers the denoising loss and does not leak tensors', async () => {
    const model = MiniSD.create(tinyModelConfig(), 2, true);
    const tr = new Pretrainer(model, { ...defaultPretrainConfig('unet'), batchSize: 8, warmupSteps: 1, learningRate: 2e-3, minSnrGamma: 0 });
    const data = fixtureData();
    const losses: number[] = [];
    await tr.trainStep(data);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 40; i++) losses.push((await tr.trainStep(data)).loss);
    expect(tf.memory().numTensors).toBe(before);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
    expect(avg(losses.slice(-10))).toBeLessThan(avg(losses.slice(0, 10)) * 0.8);
    tr.dispose();
    model.dispose();
  });

  it('checkpoint → resume gives the same next step as an uninterrupted run', async () => {
    const data = fixtureData();
    const cfg = { ...defaultPretrainConfig('unet'), batchSize: 4, warmupSteps: 2 };
    const a = new Pretrainer(MiniSD.create(tinyModelConfig(), 3, true), cfg);
    for (let i = 0; i < 3; i++) await a.trainStep(data);
    const bytes = await a.checkpoint();
    const b = Pretrainer.fromCheckpoint(bytes);
    expect(b.step).toBe(3);
    const ma = await a.trainStep(data);
    const mb = await b.trainStep(data);
    expect(mb.loss).toBe(ma.loss);
    expect(mb.learningRate).toBe(ma.learningRate);
    const wa = await a.model.params.tensors.get('unet.conv_out.weight')!.data();
    const wb = await b.model.params.tensors.get('unet.conv_out.weight')!.data();
    expect(maxAbsDiff(wa, wb)).toBe(0);
    const ea = await a.ema.shadows[0].data();
    const eb = await b.ema.shadows[0].data();
    expect(maxAbsDiff(ea, eb)).toBe(0);
    expect(() => Pretrainer.fromCheckpoint(bytes, { stage: 'autoencoder' })).toThrow(/cannot resume as stage/);
    for (const t of [a, b]) {
      t.dispose();
      t.model.dispose();
    }
  });
});
