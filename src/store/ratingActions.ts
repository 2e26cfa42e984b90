// Human ratings in reward-driven mode: the worker's rate-request becomes the open question, the person rates each image thumbs up / down / skip (keys or buttons; the cursor moves to the next unrated image), and the answer goes back to the waiting job once every image is rated.
import type { Rating } from '../core/rewards/humanRating';
import type { RateRequestEvent } from '../worker/rewardTrain';
import { errorMessage, getClient } from './client';
import { patch, useStudioStore } from './index';
import type { RatingAsk } from './trainingSlice';

const ask = (): RatingAsk | null => useStudioStore.getState().training.rating;

/** A new question from the worker replaces any older one (the worker asks one at a time). */
export function receiveRateRequest(e: RateRequestEvent): void {
  patch('training', { rating: { job: e.id, request: e.request, round: e.round, total: e.total, prompt: e.prompt, images: e.images, ratings: e.images.map(() => null), cursor: 0 } });
}

/** The next unrated index after `from` (wrapping), or `from` when every image is rated. */
export function nextUnrated(ratings: readonly (Rating | null)[], from: number): number {
  for (let k = 1; k <= ratings.length; k++) {
    const i = (from + k) % ratings.length;
    if (ratings[i] == null) return i;
  }
  return from;
}

/** Rates image `index` and moves the cursor to the next unrated image. */
export function rateImage(index: number, rating: Rating): void {
  const a = ask();
  if (a == null || index < 0 || index >= a.images.length) return;
  const ratings = a.ratings.map((r, i) => (i === index ? rating : r));
  patch('training', { rating: { ...a, ratings, cursor: nextUnrated(ratings, index) } });
}

/** Rates the image under the cursor (the keyboard path). */
export function rateCurrent(rating: Rating): void {
  const a = ask();
  if (a) rateImage(a.cursor, rating);
}

/** Moves the cursor by `delta` images (wrapping). */
export function moveRatingCursor(delta: number): void {
  const a = ask();
  if (a == null) return;
  const n = a.images.length;
  patch('training', { rating: { ...a, cursor: (((a.cursor + delta) % n) + n) % n } });
}

/** Sends the ratings to the waiting job once every image is rated. -> whether they were sent */
export function sendRatings(): boolean {
  const a = ask();
  if (a == null) return false;
  if (a.ratings.some((r) => r == null)) {
    const missing = a.ratings.filter((r) => r == null).length;
    patch('training', { error: `Rate every image first (${missing} left): thumbs up, thumbs down or skip.` });
    return false;
  }
  try {
    getClient().rate(a.job, a.request, a.ratings as Rating[]);
  } catch (e) {
    patch('training', { error: errorMessage(e) });
    return false;
  }
  patch('training', { rating: null, error: null });
  return true;
}
