// Held-out images for the taste experiments: fixed prompts × seeds the training never samples, drawn in one batch per seed at LoRA scale 0 (base) or with an adapter, scored by a reward.
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../../src/core/model/pipeline';
import type { LoraAdapter } from '../../src/core/model/lora';
import { imagesToRgba, sampleWithTrajectory } from '../../src/core/diffusion/sample';
import type { RewardFunction } from '../../src/core/rewards/types';
import { HELD_OUT_SEED_BASE } from '../experiment/evaluate';

export interface HeldOutSet {
  prompts: string[];
  seeds: number[]; // image i is (prompts[i % P], seeds[floor(i / P)])
}

export const heldOutSet = (prompts: readonly string[], seedCount: number): HeldOutSet => ({
  prompts: [...prompts],
  seeds: Array.from({ length: seedCount }, (_, i) => HELD_OUT_SEED_BASE + 1000 + i),
});

/** The prompt of every image, in image order. */
export const heldOutPrompts = (set: HeldOutSet): string[] => set.seeds.flatMap(() => set.prompts);

/** One image per (seed, prompt): all prompts of a seed in one batch, so base and tuned images share x_T and the step noise. */
export async function sampleHeldOut(model: MiniSD, lora: LoraAdapter | undefined, set: HeldOutSet): Promise<Uint8ClampedArray[]> {
  const out: Uint8ClampedArray[] = [];
  for (const seed of set.seeds) {
    const r = await sampleWithTrajectory(model, { prompts: set.prompts, seed, lora, loraScale: lora ? undefined : 0 });
    const img = model.decode(r.final);
    out.push(...(await imagesToRgba(img)));
    tf.dispose([img, r.final]);
  }
  return out;
}

export async function scoreImages(reward: RewardFunction, images: Uint8ClampedArray[], prompts: string[]): Promise<number[]> {
  if (reward.kind === 'set') throw new Error(`${reward.name} is a set-level reward; the taste experiments need a per-image attribute.`);
  return reward.score(images, prompts);
}

/** Pooled within-prompt standard deviation: sqrt of the mean over prompts of each prompt's variance (the attribute's spread at a fixed prompt). */
export function withinPromptStd(scores: number[], prompts: string[]): number {
  const groups = new Map<string, number[]>();
  scores.forEach((s, i) => groups.set(prompts[i], [...(groups.get(prompts[i]) ?? []), s]));
  let sum = 0;
  let n = 0;
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const m = g.reduce((a, b) => a + b, 0) / g.length;
    sum += g.reduce((a, b) => a + (b - m) ** 2, 0) / (g.length - 1);
    n++;
  }
  return n === 0 ? NaN : Math.sqrt(sum / n);
}
