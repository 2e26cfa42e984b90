/**
 * Human ratings as the reward of reward-driven training: a person rates each of a round's K images thumbs up,
 * thumbs down or skip, and the rating is the image's reward for PRDP or DDPO. This is the human-in-the-loop reading
 * of those methods (D3PO, Yang et al. 2024, §1: human feedback without a reward model; DDPO, Black et al. 2024, and
 * PRDP, Deng et al. 2024, only need a scalar per image, whoever gives it). How the question reaches a person is the
 * caller's (`ask`); nothing here knows about workers or pages.
 */
import type { RewardFunction, RgbaImage } from './types';

export type Rating = 'up' | 'down' | 'skip';
export const RATINGS: readonly Rating[] = ['up', 'down', 'skip'];

/** The registry-style name of the human reward (studio settings, metric rows). */
export const HUMAN_RATING_REWARD = 'human_rating';

/**
 * A rating's reward: up = +1, down = −1, skip = 0. Skip is "no opinion", so it sits between the two: with DDPO's
 * batch-wise normalisation a skipped image gets the round's mean advantage sign-flipped around 0, with PRDP a skipped
 * image is half a step from each side; a round of all-equal ratings gives zero advantages (no preference, no push).
 */
export function ratingReward(r: Rating): number {
  return r === 'up' ? 1 : r === 'down' ? -1 : 0;
}

/** A sentence saying what is wrong with an answer to `count` images, or null when it is `count` known ratings. */
export function invalidRatings(ratings: unknown, count: number): string | null {
  if (!Array.isArray(ratings)) return `Ratings must be a list of ${RATINGS.join('/')}, got ${typeof ratings}.`;
  if (ratings.length !== count) return `Rate every image of the round: ${count} ratings are needed, got ${ratings.length}.`;
  const bad = ratings.findIndex((r) => !(RATINGS as readonly unknown[]).includes(r));
  return bad < 0 ? null : `Rating ${bad + 1} is ${JSON.stringify(ratings[bad])}; use one of ${RATINGS.join(', ')}.`;
}

/**
 * A reward whose scores are a person's ratings: `ask` shows one prompt's images and resolves with a rating per image
 * (it may reject, e.g. when the person stops the run; the rejection reaches the training loop unchanged).
 */
export function humanRatingReward(ask: (images: RgbaImage[], prompt: string) => Promise<Rating[]>): RewardFunction {
  return {
    name: HUMAN_RATING_REWARD,
    description: 'your ratings: thumbs up +1, thumbs down −1, skip 0',
    kind: 'sample',
    async score(images, prompts) {
      const distinct = [...new Set(prompts)];
      if (distinct.length > 1) throw new Error(`Human ratings are asked one prompt at a time; got ${distinct.length} prompts in one call.`);
      const ratings = await ask(images, prompts[0] ?? '');
      const invalid = invalidRatings(ratings, images.length);
      if (invalid) throw new Error(invalid);
      return ratings.map(ratingReward);
    },
  };
}
