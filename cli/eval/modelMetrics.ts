// Model-side metrics for `eval`: held-out denoising loss at fixed seeds/timesteps and autoencoder PSNR on real emoji.
import * as tf from '@tensorflow/tfjs';
import { type EmojiRecord } from '../../src/core/data/emojiDataset';
import { captionFor } from '../../src/core/data/captions';
import { createRng } from '../../src/core/rng';
import type { MiniSD } from '../../src/core/model/pipeline';
import { alphasCumprod } from '../../src/core/diffusion/schedule';
import { denoisingLoss } from '../../src/core/pretrain/losses';
import { encodeLatents, type EmojiDataset } from '../pretrain/emojiData';
import { recordImages01 } from './classifierData';

export const LOSS_SEED = 1234;

/**
 * Denoising loss (the pretraining objective, min-SNR γ as in training) on posterior-mean latents of `records`,
 * one fixed (timestep, noise) draw per image from LOSS_SEED, full captions (name, tone, vendor).
 */
export async function fixedDenoisingLoss(model: MiniSD, ds: EmojiDataset, records: readonly EmojiRecord[], minSnrGamma: number, seed = LOSS_SEED): Promise<number> {
  if (records.length === 0) return NaN;
  const table = await encodeLatents(model, ds, [...records], false);
  const sf = model.config.autoencoder.scalingFactor;
  const acp = alphasCumprod(model.config.scheduler);
  const rng = createRng(seed);
  const n = records.length;
  const timesteps = Array.from({ length: n }, () => rng.int(model.config.scheduler.numTrainTimesteps));
  const noise = rng.normals(n * 256);
  const chunk = 64;
  let sum = 0;
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const loss = tf.tidy(() => {
      const latents = tf.mul(tf.tensor4d(table.mean.subarray(s * 256, (s + m) * 256), [m, 8, 8, 4]), sf) as tf.Tensor4D;
      const eps = tf.tensor4d(noise.subarray(s * 256, (s + m) * 256), [m, 8, 8, 4]);
      const text = model.encodeText(records.slice(s, s + m).map((r) => captionFor(r, { vendor: true, skinTone: true })));
      return denoisingLoss(model, { latents, noise: eps, timesteps: timesteps.slice(s, s + m), text }, acp, minSnrGamma);
    });
    sum += (await loss.data())[0] * m;
    loss.dispose();
  }
  return sum / n;
}

/** Mean per-image PSNR (dB, peak 1) of decode(encode(x)) against x for real images of `records`. */
export async function autoencoderPsnr(model: MiniSD, ds: EmojiDataset, records: readonly EmojiRecord[]): Promise<number> {
  if (records.length === 0) return NaN;
  const images = recordImages01(ds, records);
  const chunk = 128;
  let sum = 0;
  for (let s = 0; s < records.length; s += chunk) {
    const m = Math.min(chunk, records.length - s);
    const mse = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(s * 3072, (s + m) * 3072), [m, 32, 32, 3]);
      const recon = model.decode(model.encode(x));
      return tf.mean(tf.square(tf.sub(recon, x)).reshape([m, -1]), 1); // [m]
    });
    for (const v of await mse.data()) sum += psnrFromMse(v);
    mse.dispose();
  }
  return sum / records.length;
}

export interface StylePsnr {
  style: string;
  heldOut: number; // dB, mean per image
  heldOutImages: number;
  train: number; // dB, on the train records of that style (NaN when none)
  trainImages: number;
}

/**
 * Autoencoder PSNR per artwork style, held-out and train records side by side: does an autoencoder trained on some
 * styles reconstruct the others (the question before training a base model on a multi-style dataset)?
 */
export async function autoencoderPsnrByStyle(model: MiniSD, ds: EmojiDataset, heldOut: readonly EmojiRecord[], train: readonly EmojiRecord[]): Promise<StylePsnr[]> {
  const styles = [...new Set([...heldOut, ...train].map((r) => r.vendor as string))];
  const out: StylePsnr[] = [];
  for (const style of styles) {
    const h = heldOut.filter((r) => r.vendor === style);
    const t = train.filter((r) => r.vendor === style);
    out.push({ style, heldOut: await autoencoderPsnr(model, ds, h), heldOutImages: h.length, train: await autoencoderPsnr(model, ds, t), trainImages: t.length });
  }
  return out;
}

/** The first `n` records of each style, in order. */
export function firstPerStyle(records: readonly EmojiRecord[], n: number): EmojiRecord[] {
  const seen = new Map<string, number>();
  return records.filter((r) => {
    const k = (seen.get(r.vendor) ?? 0) + 1;
    seen.set(r.vendor, k);
    return k <= n;
  });
}

/** The per-style PSNR as a markdown table, with the image-weighted held-out mean as the last row. */
export function formatStylePsnr(title: string, rows: readonly StylePsnr[]): string {
  const n = rows.reduce((a, r) => a + r.heldOutImages, 0);
  const mean = rows.reduce((a, r) => a + (r.heldOutImages ? r.heldOut * r.heldOutImages : 0), 0) / n;
  return [
    title,
    '',
    '| style | held-out images | held-out PSNR (dB) | training images | training PSNR (dB) |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.style} | ${r.heldOutImages} | ${r.heldOut.toFixed(2)} | ${r.trainImages} | ${r.train.toFixed(2)} |`),
    `| all | ${n} | ${mean.toFixed(2)} | | |`,
  ].join('\n');
}

/** PSNR for peak 1; capped at 100 dB for a perfect reconstruction. */
export const psnrFromMse = (mse: number) => Math.min(100, -10 * Math.log10(Math.max(mse, 1e-10)));

/** `count` training records drawn without replacement by a fixed RNG (a train-side reference for the held-out numbers). */
export function trainSubset(ds: EmojiDataset, count: number, seed = LOSS_SEED): EmojiRecord[] {
  const idx = ds.train.map((_, i) => i);
  const rng = createRng(seed ^ 0x9e3779b9);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, Math.min(count, idx.length)).map((i) => ds.train[i]);
}
