// Worker jobs that compare models without training on the result: the blind test (two models from the same prompt, x_T and step noise; the page hides which is which) and the checkpoint gallery (fixed prompts × seeds per checkpoint, as LoRA trainers sample every N steps).
import { imagesToRgba, sampleWithTrajectory } from '../core/diffusion/sample';
import type { BlindRequest, GalleryRequest, GeneratedImage, ModelRef } from './protocol';
import type { JobContext } from './jobContext';
import { checkSampleArgs } from './pairJobs';
import { adapterFor, describeRef } from './modelRef';
import type { Session } from './session';

/** Limits of one gallery request (images per model, models per request). */
export const GALLERY_LIMITS = { prompts: 8, seeds: 4, models: 12 } as const;

/** One image per prompt for `ref` at `seed`: all prompts in one batch, so every model sees the same x_T and step noise. */
export async function sampleWith(s: Session, ref: ModelRef, prompts: string[], seed: number, steps: number, ctx: JobContext): Promise<GeneratedImage[]> {
  const { lora, loraScale } = await adapterFor(s, ref);
  const { final } = await sampleWithTrajectory(s.model, { prompts, seed, sample: { steps }, lora, loraScale: lora ? loraScale : 0 }, { shouldCancel: ctx.cancelled });
  const img = s.model.decode(final);
  final.dispose();
  try {
    const [, h, w] = img.shape;
    return (await imagesToRgba(img)).map((px) => ({ width: w, height: h, rgba: px.buffer as ArrayBuffer }));
  } finally {
    img.dispose();
  }
}

export async function handleBlind(s: Session, req: BlindRequest, ctx: JobContext): Promise<void> {
  const steps = req.steps ?? s.model.config.sample.steps;
  checkSampleArgs(req.prompt, req.seed, steps);
  if (JSON.stringify(req.a) === JSON.stringify(req.b)) throw new Error(`Both sides are ${describeRef(req.a)}; pick two different models for a blind test.`);
  const t0 = performance.now();
  const [a] = await sampleWith(s, req.a, [req.prompt], req.seed, steps, ctx);
  const [b] = await sampleWith(s, req.b, [req.prompt], req.seed, steps, ctx);
  ctx.post({ type: 'blind-ready', id: req.id, prompt: req.prompt, seed: req.seed, images: [a, b], ms: performance.now() - t0 }, [a.rgba, b.rgba]);
}

export async function handleGallery(s: Session, req: GalleryRequest, ctx: JobContext): Promise<void> {
  const steps = req.steps ?? s.model.config.sample.steps;
  if (!Array.isArray(req.prompts) || req.prompts.length < 1 || req.prompts.length > GALLERY_LIMITS.prompts) throw new Error(`A gallery needs 1 to ${GALLERY_LIMITS.prompts} prompts.`);
  if (!Array.isArray(req.seeds) || req.seeds.length < 1 || req.seeds.length > GALLERY_LIMITS.seeds) throw new Error(`A gallery needs 1 to ${GALLERY_LIMITS.seeds} seeds.`);
  if (!Array.isArray(req.models) || req.models.length < 1 || req.models.length > GALLERY_LIMITS.models) throw new Error(`A gallery shows 1 to ${GALLERY_LIMITS.models} models at once.`);
  for (const p of req.prompts) checkSampleArgs(p, req.seeds[0], steps);
  for (const [i, ref] of req.models.entries()) {
    const images: GeneratedImage[] = [];
    for (const seed of req.seeds) {
      if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}.`);
      images.push(...(await sampleWith(s, ref, req.prompts, seed, steps, ctx)));
    }
    ctx.post({ type: 'gallery-row', id: req.id, index: i, model: ref, images }, images.map((im) => im.rgba));
  }
  ctx.post({ type: 'gallery-done', id: req.id, rows: req.models.length });
}
