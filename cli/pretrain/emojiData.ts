// Pretraining data from the emoji dataset files: stage 1 images and stage 2 latents (precomputed with the frozen autoencoder, plus flipped copies), held-out split excluded.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseEmojiIndex, readEmojiPixels, type EmojiIndex, type EmojiRecord } from '../../src/core/data/emojiDataset';
import { canFlip, captionFor, isHeldOut } from '../../src/core/data/captions';
import type { PretrainData } from '../../src/core/pretrain/pretrainer';
import type { MiniSD } from '../../src/core/model/pipeline';
import { COMPONENTS } from '../../src/core/model/pipeline';
import { encoderForward } from '../../src/core/model/autoencoder';
import type { Rng } from '../../src/core/rng';

export interface EmojiDataset {
  index: EmojiIndex;
  pixels: ArrayBuffer; // uint8 RGB N×32×32×3
  train: EmojiRecord[]; // records outside the held-out split
  heldOut: EmojiRecord[];
}

export function loadEmojiDataset(dir = 'data'): EmojiDataset {
  const bin = path.join(dir, 'emoji32.bin');
  const json = path.join(dir, 'emoji32.json');
  if (!fs.existsSync(bin) || !fs.existsSync(json)) throw new Error(`No emoji dataset in ${dir}/ — run \`npm run data\` first (it reads the emoji-datasource packages installed by npm install).`);
  const index = parseEmojiIndex(JSON.parse(fs.readFileSync(json, 'utf8')));
  const buf = fs.readFileSync(bin);
  const pixels = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  return { index, pixels, train: index.records.filter((r) => !isHeldOut(r)), heldOut: index.records.filter((r) => isHeldOut(r)) };
}

/** Image [32,32,3] of record i in [-1,1], optionally mirrored left-right. */
export function imageFloats(ds: EmojiDataset, rec: EmojiRecord, flip: boolean, out: Float32Array, offset: number): void {
  const px = readEmojiPixels(ds.pixels, ds.index, rec.index);
  for (let y = 0; y < 32; y++)
    for (let x = 0; x < 32; x++) {
      const sx = flip ? 31 - x : x;
      for (let c = 0; c < 3; c++) out[offset + (y * 32 + x) * 3 + c] = px[(y * 32 + sx) * 3 + c] / 127.5 - 1;
    }
}

/** Stage 1: random training images, flipped half the time where mirroring keeps the meaning. */
export function autoencoderData(ds: EmojiDataset): PretrainData {
  return {
    imageBatch: (rng: Rng, b: number) => {
      const out = new Float32Array(b * 3072);
      for (let i = 0; i < b; i++) {
        const rec = ds.train[rng.int(ds.train.length)];
        imageFloats(ds, rec, canFlip(rec) && rng.next() < 0.5, out, i * 3072);
      }
      return out;
    },
  };
}

/** Posterior mean and std of every training image (and its mirror where allowed), unscaled. */
export interface LatentTable {
  records: EmojiRecord[];
  mean: Float32Array; // [K,8,8,4]
  std: Float32Array; // [K,8,8,4]
}

export async function encodeLatents(model: MiniSD, ds: EmojiDataset, records: EmojiRecord[], withFlips: boolean, log: (s: string) => void = () => {}): Promise<LatentTable> {
  const items: { rec: EmojiRecord; flip: boolean }[] = [];
  for (const rec of records) {
    items.push({ rec, flip: false });
    if (withFlips && canFlip(rec)) items.push({ rec, flip: true });
  }
  const mean = new Float32Array(items.length * 256);
  const std = new Float32Array(items.length * 256);
  const chunk = 256;
  for (let s = 0; s < items.length; s += chunk) {
    const part = items.slice(s, s + chunk);
    const imgs = new Float32Array(part.length * 3072);
    part.forEach((it, i) => imageFloats(ds, it.rec, it.flip, imgs, i * 3072));
    const [m, sd] = tf.tidy(() => {
      const r = encoderForward(model.ctx(COMPONENTS.vae), model.config.autoencoder, tf.tensor4d(imgs, [part.length, 32, 32, 3]));
      return [r.mean, tf.exp(tf.mul(r.logvar, 0.5))];
    });
    mean.set(await m.data(), s * 256);
    std.set(await sd.data(), s * 256);
    tf.dispose([m, sd]);
    log(`encoded ${Math.min(s + chunk, items.length)}/${items.length} latents`);
  }
  return { records: items.map((i) => i.rec), mean, std };
}

/** SD's scaling factor: 1 / std of the latent means, so scaled latents have unit variance. */
export function scalingFactorOf(table: LatentTable): number {
  let s = 0;
  let s2 = 0;
  for (const v of table.mean) {
    s += v;
    s2 += v * v;
  }
  const n = table.mean.length;
  return 1 / Math.sqrt(s2 / n - (s / n) ** 2);
}

/** Stage 2: posterior samples z = mu + std·eps of random training items, scaled; captions drawn per step. */
export function unetData(table: LatentTable, scalingFactor: number): PretrainData {
  return {
    latentBatch: (rng: Rng, b: number) => {
      const latents = new Float32Array(b * 256);
      const captions: string[] = [];
      for (let i = 0; i < b; i++) {
        const k = rng.int(table.records.length);
        for (let j = 0; j < 256; j++) latents[i * 256 + j] = (table.mean[k * 256 + j] + table.std[k * 256 + j] * rng.normal()) * scalingFactor;
        captions.push(captionFor(table.records[k], { vendor: true, skinTone: true }, () => rng.next()));
      }
      return { latents, captions };
    },
  };
}
