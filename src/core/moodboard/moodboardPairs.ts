/**
 * Moodboard preference pairs: every liked image is preferred to every disliked one (a moodboard is a 1-vs-1 preference
 * set of size liked × disliked, the (preferred, dispreferred) image pairs Diffusion-DPO trains on; Wallace et al. 2023). Each training step draws its pairs
 * with the trainer's RNG: liked and disliked images are each dealt from their own shuffled deck (a new shuffle per pass),
 * so every image is used equally often and the partners change from pass to pass. Each image keeps its own caption
 * (the trainer conditions the loser on `loserPrompt`; '' = unconditional), except that with probability
 * `captionDropout` a pair is trained unconditionally — both captions replaced by '' — as upstream's
 * `--proportion_empty_prompts` (SalesforceAIResearch/DiffusionDPO train.py, default 0.2) does per example.
 * With `sharedCaption` both images of a pair are conditioned on one caption instead (see recipe.ts for why: under
 * classifier-free guidance a preference learned only unconditionally is scaled by 1 − w).
 */
import { shuffled, type Rng } from '../rng';
import type { ImagePreference } from '../algorithms/diffusionDpoTrainer';

/** One moodboard image as the trainer sees it: its autoencoder latent (scaled), caption and mark. */
export interface MoodboardImage {
  latent: Float32Array;
  caption: string; // '' = no caption (the unconditional embedding)
  liked: boolean;
}

/** Why these images cannot train (what to add), or null. */
export function moodboardProblem(images: readonly { liked: boolean }[]): string | null {
  const liked = images.filter((i) => i.liked).length;
  const disliked = images.length - liked;
  if (liked === 0 || disliked === 0) {
    return `The moodboard needs at least one liked and one disliked image to learn from (it has ${liked} liked and ${disliked} disliked); add images or switch a mark.`;
  }
  return null;
}

/** Deals the items of `xs` in shuffled passes, one at a time. */
function deck<T>(xs: readonly T[], rng: Rng): () => T {
  let order: T[] = [];
  return () => {
    if (order.length === 0) order = shuffled(xs, rng);
    return order.pop()!;
  };
}

/** A function that returns the next step's `pairsPerStep` (liked, disliked) pairs as Diffusion-DPO image preferences. */
export function moodboardPairSampler(images: readonly MoodboardImage[], pairsPerStep: number, rng: Rng, captionDropout = 0, sharedCaption = false, fallbackPrompts: readonly string[] = []): () => ImagePreference[] {
  const problem = moodboardProblem(images);
  if (problem) throw new Error(problem);
  if (!Number.isInteger(pairsPerStep) || pairsPerStep < 1) throw new Error(`pairsPerStep must be a positive integer, got ${pairsPerStep}.`);
  if (!(captionDropout >= 0 && captionDropout <= 1)) throw new Error(`captionDropout must be a probability from 0 to 1, got ${captionDropout}.`);
  const nextLiked = deck(images.filter((i) => i.liked), rng);
  const nextDisliked = deck(images.filter((i) => !i.liked), rng);
  return () =>
    Array.from({ length: pairsPerStep }, () => {
      const w = nextLiked();
      const l = nextDisliked();
      const drop = captionDropout > 0 && rng.next() < captionDropout; // no draw at 0: the same pairs as without dropout
      if (drop) return { prompt: '', winner: w.latent, loser: l.latent, loserPrompt: '' };
      if (!sharedCaption) return { prompt: w.caption, winner: w.latent, loser: l.latent, loserPrompt: l.caption };
      // Shared: both images under one of their two captions (a fair coin; the other one when it is empty), so the
      // preference is learned under a prompt; two uncaptioned images take one of `fallbackPrompts` (the person's own).
      const [first, second] = rng.next() < 0.5 ? [w.caption, l.caption] : [l.caption, w.caption];
      const caption = first || second || (fallbackPrompts.length > 0 ? fallbackPrompts[rng.int(fallbackPrompts.length)] : '');
      return { prompt: caption, winner: w.latent, loser: l.latent, loserPrompt: caption };
    });
}
