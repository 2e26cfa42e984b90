// Held-out evaluation of a tuned LoRA (as onlineLoop.evaluateReward, keeping the images): fixed prompts × held-out seeds at LoRA scale 0 (base) and 1, rewards per prompt set, win rate vs base, before/after sheets.
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../../src/core/model/pipeline';
import type { LoraAdapter } from '../../src/core/model/lora';
import type { RewardFunction } from '../../src/core/rewards/types';
import { imagesToRgba, sampleWithTrajectory } from '../../src/core/diffusion/sample';
import { composeGrid, type RgbaImage } from '../png';

/** First held-out seed: far from the small seeds people pass by hand; training seeds are drawn from the run's RNG. */
export const HELD_OUT_SEED_BASE = 900_000_000;
export const SHEET_SCALE = 3;

export const heldOutSeeds = (n: number): number[] => Array.from({ length: n }, (_, i) => HELD_OUT_SEED_BASE + i);

/** Images of prompts × seeds in prompt-major order, at one LoRA multiplier. */
export interface EvalImages {
  prompts: string[];
  seeds: number[];
  multiplier: number; // LoRA multiplier (0 = base model, 1 = as trained)
  images: Uint8ClampedArray[];
}

/** Samples one image per (prompt, seed), as evaluateReward (and `sample --count 1`) do; multiplier scales the adapter's alpha/r. */
export async function sampleEvalImages(model: MiniSD, lora: LoraAdapter | undefined, multiplier: number, prompts: string[], seeds: number[]): Promise<EvalImages> {
  const images: Uint8ClampedArray[] = [];
  const loraScale = lora ? (multiplier * lora.config.alpha) / lora.config.rank : undefined;
  for (const prompt of prompts) {
    for (const seed of seeds) {
      const r = await sampleWithTrajectory(model, { prompts: [prompt], seed, lora, loraScale });
      const img = model.decode(r.final);
      images.push(...(await imagesToRgba(img)));
      tf.dispose([img, r.final]);
    }
  }
  return { prompts, seeds, multiplier, images };
}

/** Rewards in the images' order; each prompt's seeds form one set (set-level rewards such as diversity). */
export async function scoreEvalImages(ev: EvalImages, reward: RewardFunction): Promise<number[]> {
  const k = ev.seeds.length;
  const out: number[] = [];
  for (let p = 0; p < ev.prompts.length; p++) {
    out.push(...(await reward.score(ev.images.slice(p * k, (p + 1) * k), new Array(k).fill(ev.prompts[p]))));
  }
  return out;
}

/** Population mean and std. */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  if (xs.length === 0) return { mean: NaN, std: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
}

/** Sheet: one row per prompt, one column per seed, each tile labelled with its prompt. */
export function evalSheet(ev: EvalImages): RgbaImage {
  const labels = ev.prompts.flatMap((p) => ev.seeds.map(() => p));
  return composeGrid(ev.images, ev.seeds.length, SHEET_SCALE, labels);
}
