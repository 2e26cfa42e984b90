// The oracle's moodboard for the Diffusion-DPO benchmark: a random pool of real emoji training images (held-out emoji excluded), scored by a public pixel reward; the top N become the liked images and the bottom M the disliked ones, each with its emoji's plain caption (or none).
import type { EmojiDataset } from '../pretrain/emojiData';
import { readEmojiPixels } from '../../src/core/data/emojiDataset';
import { baseCaption } from '../../src/core/data/captions';
import { createRng, shuffled } from '../../src/core/rng';
import type { RewardFunction } from '../../src/core/rewards/types';

export interface OracleImage {
  rgba: Uint8ClampedArray; // 32×32 RGBA, opaque (the dataset's images are on white)
  caption: string;
  liked: boolean;
  score: number;
  name: string; // the emoji's name and vendor, for the log
}

/** Indices of the `liked` highest and `disliked` lowest scores (ties broken by index), disjoint. */
export function extremeIndices(scores: readonly number[], liked: number, disliked: number): { liked: number[]; disliked: number[] } {
  if (!(Number.isInteger(liked) && Number.isInteger(disliked) && liked >= 1 && disliked >= 1)) throw new Error(`--liked and --disliked must be positive integers, got ${liked} and ${disliked}`);
  if (liked + disliked > scores.length) throw new Error(`A pool of ${scores.length} images cannot give ${liked} liked and ${disliked} disliked images; raise --pool to at least ${liked + disliked}.`);
  const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return { liked: order.slice(0, liked), disliked: order.slice(order.length - disliked).reverse() };
}

/** `pool` random training images of `seed`, scored; the extremes as a moodboard (captions: the emoji's name, or '' without). */
export async function oracleMoodboard(ds: EmojiDataset, reward: RewardFunction, opts: { pool: number; liked: number; disliked: number; seed: number; captions: boolean }): Promise<{ images: OracleImage[]; poolScores: number[] }> {
  if (reward.kind === 'set') throw new Error(`${reward.name} is a set-level reward; the moodboard benchmark needs a per-image attribute.`);
  const records = shuffled(ds.train, createRng(opts.seed ^ 0x600db0a2)).slice(0, opts.pool);
  const rgba = records.map((r) => {
    const px = readEmojiPixels(ds.pixels, ds.index, r.index);
    const out = new Uint8ClampedArray(32 * 32 * 4);
    for (let p = 0; p < 32 * 32; p++) {
      out.set(px.subarray(p * 3, p * 3 + 3), p * 4);
      out[p * 4 + 3] = 255;
    }
    return out;
  });
  const captions = records.map((r) => baseCaption(r));
  const scores = await reward.score(rgba, captions);
  const pick = extremeIndices(scores, opts.liked, opts.disliked);
  const image = (i: number, liked: boolean): OracleImage => ({ rgba: rgba[i], caption: opts.captions ? captions[i] : '', liked, score: scores[i], name: `${records[i].name} (${records[i].vendor})` });
  return { images: [...pick.liked.map((i) => image(i, true)), ...pick.disliked.map((i) => image(i, false))], poolScores: scores };
}
