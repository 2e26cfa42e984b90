/**
 * Training the adapter on a moodboard: the images are encoded once with the autoencoder (posterior means, scaled as the
 * UNet's latents), then each step is one Diffusion-DPO update (diffusionDpoTrainStep; Wallace et al. 2023) on pairs the
 * moodboard sampler deals — no trajectories needed. Shared by the studio's worker and `npm run cli -- moodboard`.
 */
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { AdamW } from '../train/adamw';
import type { Rng } from '../rng';
import { diffusionDpoTrainStep, type DiffusionDpoStepResult, type ImagePreference } from '../algorithms/diffusionDpoTrainer';
import { moodboardPairSampler, type MoodboardImage } from './moodboardPairs';
import type { MoodboardRecipe } from './recipe';

/** Images at the model's size (RGBA8, opaque) → scaled latent means [S·S·C] each; one read for the batch. */
export async function encodeMoodboardImages(model: MiniSD, images: readonly Uint8ClampedArray[] | readonly Uint8Array[], chunk = 64): Promise<Float32Array[]> {
  const size = model.config.autoencoder.imageSize;
  const latentSize = model.config.unet.sampleSize ** 2 * model.config.unet.inChannels;
  const out: Float32Array[] = [];
  for (let s = 0; s < images.length; s += chunk) {
    const part = images.slice(s, s + chunk);
    const rgb = new Float32Array(part.length * size * size * 3);
    part.forEach((img, i) => {
      if (img.length !== size * size * 4) throw new Error(`Moodboard image ${s + i + 1} has ${img.length} bytes; the model takes ${size} × ${size} RGBA (${size * size * 4} bytes).`);
      for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) rgb[(i * size * size + p) * 3 + c] = img[p * 4 + c] / 255;
    });
    const x = tf.tensor4d(rgb, [part.length, size, size, 3]);
    const z = model.encode(x);
    const v = await z.data();
    tf.dispose([x, z]);
    for (let i = 0; i < part.length; i++) out.push(Float32Array.from(v.subarray(i * latentSize, (i + 1) * latentSize)));
  }
  return out;
}

/** Diffusion-DPO steps on one moodboard with one adapter and optimizer (the recipe's settings are applied every step). */
export class MoodboardTrainer {
  private readonly next: () => ImagePreference[];

  constructor(
    readonly model: MiniSD,
    readonly lora: LoraAdapter,
    readonly optimizer: AdamW,
    readonly recipe: MoodboardRecipe,
    images: readonly MoodboardImage[],
    private readonly rng: Rng,
    fallbackPrompts: readonly string[] = [], // shared captions for two uncaptioned images: the person's own prompts
  ) {
    this.next = moodboardPairSampler(images, recipe.pairsPerStep, rng, recipe.captionDropout, recipe.sharedCaption === true, fallbackPrompts);
  }

  async step(): Promise<DiffusionDpoStepResult> {
    const r = this.recipe;
    this.optimizer.config = { ...this.optimizer.config, learningRate: r.learningRate, weightDecay: r.weightDecay };
    return diffusionDpoTrainStep(this.model, this.lora, this.optimizer, this.next(), { beta: r.beta, learningRate: r.learningRate, maxGradNorm: r.maxGradNorm }, this.rng);
  }
}
