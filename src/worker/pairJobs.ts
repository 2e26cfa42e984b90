// Worker jobs that sample images: a D3PO pair from one shared x_T (stored in IndexedDB here; only its id and RGBA images go to the page), and base-vs-tuned compare (D3PO App. A: both images of a pair start from the same noise).
import * as tf from '@tensorflow/tfjs';
import { imagesToRgba, sampleWithTrajectory } from '../core/diffusion/sample';
import { savePair } from '../storage/pairs';
import type { CompareRequest, GeneratedImage, GridRequest, PairRequest } from './protocol';
import type { JobContext } from './jobContext';
import { loraVersion, referenceCacheOf, type Session } from './session';
import type { Trajectory } from '../core/diffusion/sample';
import { trajectoryRows } from '../core/algorithms/referenceCache';
import { implicitReward, GUESS_SKIP_FINAL, predictedPreference } from '../core/taste/implicitReward';
import { CHECK_TUNED, sampleCheckPair } from '../core/taste/checkPairs';
import { withSamplingAdapter } from './profileJobs';
import { mostDistinctPair } from '../core/taste/distinctPairs';

const MAX_STEPS = 1000;

export function checkSampleArgs(prompt: string, seed: number, steps: number): void {
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new Error('The prompt is empty; type a prompt or pick one from the list.');
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}.`);
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) throw new Error(`steps must be an integer from 1 to ${MAX_STEPS}, got ${steps}.`);
}

/** Decodes latents [B,h,w,c] to RGBA images (the latents tensor is disposed). */
async function decodeToImages(s: Session, latents: tf.Tensor4D): Promise<GeneratedImage[]> {
  const decoded = s.model.decode(latents); // [B,32,32,3] in [0,1]
  latents.dispose();
  try {
    const [, h, w] = decoded.shape;
    const rgba = await imagesToRgba(decoded);
    return rgba.map((px) => ({ width: w, height: h, rgba: px.buffer as ArrayBuffer }));
  } finally {
    decoded.dispose();
  }
}

/**
 * The implicit-reward guess: which of the two images the adapter that sampled them prefers, by D3PO's implicit reward,
 * before the person votes (null while the adapter is still the base model). The reference log-probs go into the session's
 * cache under the pair's id, where training finds them.
 */
export async function adapterPrediction(s: Session, pairId: string, trajectories: [Trajectory, Trajectory]): Promise<0 | 1 | null> {
  const rewards = await implicitRewards(s, trajectories, (k) => [`${pairId}#${k}`]);
  return rewards ? predictedPreference(rewards[0], rewards[1]) : null;
}

/**
 * D3PO's implicit reward of each trajectory the adapter just sampled (null while it is the base model). The reference
 * log-probs are cached under every key `keysOf(k)` names (a grid image belongs to several stored pairs).
 */
async function implicitRewards(s: Session, trajectories: Trajectory[], keysOf: (k: number) => string[]): Promise<number[] | null> {
  if (loraVersion(s) == null) return null;
  const cache = referenceCacheOf(s);
  const rewards: number[] = [];
  for (const [k, t] of trajectories.entries()) {
    const [first, ...more] = keysOf(k);
    const ref = await cache.resolve(s.model, trajectoryRows(first ?? null, t), s.reference ?? undefined);
    for (const key of more) cache.seed(key, ref);
    rewards.push(implicitReward(t.logProbs, ref, GUESS_SKIP_FINAL));
  }
  return rewards;
}

export async function handlePair(s: Session, req: PairRequest, ctx: JobContext): Promise<void> {
  const steps = req.steps ?? s.model.config.sample.steps;
  checkSampleArgs(req.prompt, req.seed, steps);
  const t0 = performance.now();
  const version = loraVersion(s);
  // A check pair needs an adapter that has trained (before that both images would be the base model's).
  const check = req.check === true && version != null;
  const hooks = { onStep: (step: number, total: number) => ctx.post({ type: 'generate-progress', id: req.id, step, total }), shouldCancel: ctx.cancelled };
  const k = req.candidates ?? 2;
  if (!Number.isInteger(k) || k < 2 || k > 8) throw new Error(`A pair is picked from 2 to 8 candidate images, got ${k}.`);
  const sampled = check
    ? await sampleCheckPair(s.model, s.lora, req.prompt, req.seed, { steps }, hooks)
    : await withSamplingAdapter(s, (lora) => sampleWithTrajectory(s.model, { prompts: new Array<string>(k).fill(req.prompt), seed: req.seed, sharedInitialNoise: true, sample: { steps }, lora }, hooks));
  const all = await decodeToImages(s, sampled.final);
  // Distinct pairs: of k images from one x_T, the two that differ most to the eye (near-duplicates are never shown).
  const { i, j } = check || k === 2 ? { i: 0, j: 1 } : mostDistinctPair(all.map((im) => new Uint8Array(im.rgba)), all[0].width);
  const trajectories = [sampled.trajectories[i], sampled.trajectories[j]];
  const images = [all[i], all[j]];
  const pairId = `pair-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  const predicted = check ? CHECK_TUNED : await adapterPrediction(s, pairId, [trajectories[0], trajectories[1]]);
  // Stored before the images are transferred away (the record keeps its own copies).
  await savePair({
    id: pairId,
    prompt: req.prompt,
    seed: req.seed,
    createdAt: Date.now(),
    modelId: s.modelId,
    loraVersion: version,
    trajectories: [trajectories[0], trajectories[1]],
    images: [new Uint8Array(images[0].rgba.slice(0)), new Uint8Array(images[1].rgba.slice(0))],
  });
  ctx.post(
    { type: 'pair-ready', id: req.id, pairId, prompt: req.prompt, seed: req.seed, loraVersion: version, images: [images[0], images[1]], predicted, check, ms: performance.now() - t0 },
    images.map((i) => i.rgba),
  );
}

export async function handleGrid(s: Session, req: GridRequest, ctx: JobContext): Promise<void> {
  const steps = req.steps ?? s.model.config.sample.steps;
  checkSampleArgs(req.prompt, req.seed, steps);
  if (!Number.isInteger(req.size) || req.size < 2 || req.size > 8) throw new Error(`A best-of-k grid needs k from 2 to 8 images, got ${req.size}.`);
  const t0 = performance.now();
  const version = loraVersion(s);
  const { trajectories, final } = await withSamplingAdapter(s, (lora) =>
    sampleWithTrajectory(
      s.model,
      { prompts: new Array<string>(req.size).fill(req.prompt), seed: req.seed, sharedInitialNoise: true, sample: { steps }, lora },
      { onStep: (step, total) => ctx.post({ type: 'generate-progress', id: req.id, step, total }), shouldCancel: ctx.cancelled },
    ),
  );
  const images = await decodeToImages(s, final);
  const gridId = `grid-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  const pairIds: Record<string, string> = {};
  const keys: string[][] = trajectories.map(() => []); // image k is trajectory 0 of its pairs with later images, 1 of those with earlier ones
  const createdAt = Date.now();
  for (let i = 0; i < req.size; i++) {
    for (let j = i + 1; j < req.size; j++) {
      const pairId = `pair-${createdAt.toString(36)}-${gridId.slice(-8)}-${i}${j}`;
      await savePair({
        id: pairId,
        prompt: req.prompt,
        seed: req.seed,
        createdAt,
        modelId: s.modelId,
        loraVersion: version,
        trajectories: [trajectories[i], trajectories[j]],
        images: [new Uint8Array(images[i].rgba.slice(0)), new Uint8Array(images[j].rgba.slice(0))],
        group: gridId,
      });
      pairIds[`${i}-${j}`] = pairId;
      keys[i].push(`${pairId}#0`);
      keys[j].push(`${pairId}#1`);
    }
  }
  const rewards = await implicitRewards(s, trajectories, (k) => keys[k]);
  ctx.post(
    { type: 'grid-ready', id: req.id, gridId, prompt: req.prompt, seed: req.seed, loraVersion: version, images, pairIds, implicitRewards: rewards, ms: performance.now() - t0 },
    images.map((i) => i.rgba),
  );
}

export async function handleCompare(s: Session, req: CompareRequest, ctx: JobContext): Promise<void> {
  const steps = req.steps ?? s.model.config.sample.steps;
  checkSampleArgs(req.prompt, req.seed, steps);
  const images: GeneratedImage[] = [];
  // Same prompt and seed => same x_T and same per-step noise; only the LoRA scale differs (the tuned side is the profiles' blend when one is set).
  await withSamplingAdapter(s, async (lora) => {
    for (const [k, loraScale] of [0, s.scale * lora.scale].entries()) {
      const { final } = await sampleWithTrajectory(
        s.model,
        { prompts: [req.prompt], seed: req.seed, sample: { steps }, lora, loraScale },
        { onStep: (step, total) => ctx.post({ type: 'generate-progress', id: req.id, step: k * total + step, total: 2 * total }), shouldCancel: ctx.cancelled },
      );
      images.push(...(await decodeToImages(s, final)));
    }
  });
  ctx.post({ type: 'compared', id: req.id, base: images[0], tuned: images[1], scale: s.scale }, [images[0].rgba, images[1].rgba]);
}
