// The base model's labeled-pair pool of one seed for the offline taste protocol (`pairs` + an oracle labeler): pairs of one prompt from one shared x_T, with their decoded images, cached as a trajectory file so every setting and reward of a sweep trains on the same pairs.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../../src/core/model/pipeline';
import type { LoraAdapter } from '../../src/core/model/lora';
import { imagesToRgba, sampleWithTrajectory, type Trajectory } from '../../src/core/diffusion/sample';
import { sampleCheckPair } from '../../src/core/taste/checkPairs';
import { decodePairs, encodePairs, type LabeledPair } from '../../src/core/algorithms/trajectoryCodec';
import { createRng, type Rng } from '../../src/core/rng';
import { latentShape } from '../../src/core/config';
import { DISTINCT_CANDIDATES, mostDistinctPair } from '../../src/core/taste/distinctPairs';

export interface SampledPair {
  pair: LabeledPair; // trajectories, no vote
  images: [Uint8ClampedArray, Uint8ClampedArray];
}

/** Samples one pair (shared x_T) with an adapter (undefined = the base model) and decodes both images. */
export async function samplePair(model: MiniSD, lora: LoraAdapter | undefined, id: string, prompt: string, seed: number): Promise<SampledPair> {
  const r = await sampleWithTrajectory(model, { prompts: [prompt, prompt], seed, sharedInitialNoise: true, lora, loraScale: lora ? undefined : 0 });
  return withImages(model, id, [r.trajectories[0], r.trajectories[1]], r.final);
}

/** A distinct pair: K images from one x_T with an adapter, and the two that differ most (core/taste/distinctPairs.ts). */
export async function sampleDistinctPair(model: MiniSD, lora: LoraAdapter | undefined, id: string, prompt: string, seed: number, k = DISTINCT_CANDIDATES): Promise<SampledPair & { distance: number }> {
  const r = await sampleWithTrajectory(model, { prompts: new Array<string>(k).fill(prompt), seed, sharedInitialNoise: true, lora, loraScale: lora ? undefined : 0 });
  const img = model.decode(r.final);
  const rgba = await imagesToRgba(img);
  tf.dispose([img, r.final]);
  const { i, j, distance } = mostDistinctPair(rgba, model.config.autoencoder.imageSize);
  return { pair: { id, trajectories: [r.trajectories[i], r.trajectories[j]] }, images: [rgba[i], rgba[j]], distance };
}

/** A check pair (the adapter's image and the reference's from one x_T and the same noise; trajectory 0 is the adapter's), decoded. */
export async function sampleCheck(model: MiniSD, lora: LoraAdapter, id: string, prompt: string, seed: number): Promise<SampledPair> {
  const r = await sampleCheckPair(model, lora, prompt, seed);
  return withImages(model, id, r.trajectories, r.final);
}

async function withImages(model: MiniSD, id: string, trajectories: [Trajectory, Trajectory], final: tf.Tensor4D): Promise<SampledPair> {
  const img = model.decode(final);
  const rgba = await imagesToRgba(img);
  tf.dispose([img, final]);
  return { pair: { id, trajectories }, images: [rgba[0], rgba[1]] };
}

/** Decodes the final latents of every trajectory of the pairs to RGBA (the images a person saw). */
async function decodeFinals(model: MiniSD, pairs: LabeledPair[]): Promise<[Uint8ClampedArray, Uint8ClampedArray][]> {
  const shape = latentShape(model.config);
  const out: [Uint8ClampedArray, Uint8ClampedArray][] = [];
  for (const p of pairs) {
    const x = tf.tensor4d(Float32Array.from([...p.trajectories[0].latents.at(-1)!, ...p.trajectories[1].latents.at(-1)!]), [2, ...shape]);
    const img = model.decode(x);
    const rgba = await imagesToRgba(img);
    tf.dispose([x, img]);
    out.push([rgba[0], rgba[1]]);
  }
  return out;
}

/** The pair pool of `seed` (count pairs, prompts cycled), sampled once and cached in `dir`. */
export async function basePairPool(model: MiniSD, dir: string, seed: number, count: number, prompts: readonly string[], log: (s: string) => void): Promise<SampledPair[]> {
  const file = path.join(dir, `base-pairs-s${seed}-n${count}.safetensors`);
  if (fs.existsSync(file)) {
    const pairs = decodePairs(new Uint8Array(fs.readFileSync(file)));
    const images = await decodeFinals(model, pairs);
    return pairs.map((pair, i) => ({ pair, images: images[i] }));
  }
  const rng: Rng = createRng(seed ^ 0x7a57e);
  const out: SampledPair[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    out.push(await samplePair(model, undefined, `s${seed}-p${i}`, prompts[i % prompts.length], rng.int(2 ** 31)));
    if ((i + 1) % 25 === 0) log(`  base pairs seed ${seed}: ${i + 1}/${count} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, encodePairs(out.map((s) => s.pair), 'F32', { seed, count }));
  return out;
}
