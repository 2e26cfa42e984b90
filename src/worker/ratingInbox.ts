// The worker's open questions to the person in a human-rating run: a job posts a rate-request and waits here until the page's ratings arrive (studio.worker.ts routes RatingsRequest past the job queue) or the run is stopped.
import { invalidRatings, type Rating } from '../core/rewards/humanRating';
import type { GeneratedImage } from './protocolTypes';
import type { RatingsRequest } from './rewardTrain';
import type { JobContext } from './jobContext';

/** The job was stopped while it waited for ratings; the job ends its run (not an error). */
export class RatingStopped extends Error {
  constructor() {
    super('Stopped while waiting for ratings');
  }
}

interface Waiting {
  request: number;
  count: number;
  resolve: (r: Rating[]) => void;
  reject: (e: Error) => void;
}

/** At most one open question per job (a job asks again only after the answer). */
const waiting = new Map<number, Waiting>();
const asked = new Map<number, number>();

/** Posts copies of one prompt's images to the page and resolves with the person's ratings (one per image). */
export function askRatings(job: number, ctx: Pick<JobContext, 'post'>, round: { round: number; total: number }, prompt: string, images: GeneratedImage[]): Promise<Rating[]> {
  if (waiting.has(job)) return Promise.reject(new Error(`Job ${job} is already waiting for ratings.`));
  const request = (asked.get(job) ?? 0) + 1;
  asked.set(job, request);
  const copies = images.map((i) => ({ ...i, rgba: i.rgba.slice(0) })); // transferred: the job still posts the originals with the round
  return new Promise<Rating[]>((resolve, reject) => {
    waiting.set(job, { request, count: images.length, resolve, reject });
    ctx.post({ type: 'rate-request', id: job, request, round: round.round, total: round.total, prompt, images: copies }, copies.map((i) => i.rgba));
  });
}

/**
 * Delivers the page's answer. -> null when it answered the open question, else why it was ignored (no such question:
 * a stale or repeated answer). Answers that do not fit the question (wrong length, unknown rating) are refused with
 * a reason and the question stays open, so the page can send a corrected one.
 */
export function deliverRatings(req: Pick<RatingsRequest, 'target' | 'request' | 'ratings'>): string | null {
  const w = waiting.get(req.target);
  if (w == null || w.request !== req.request) return `No open rating question ${req.request} for job ${req.target}; the answer was ignored.`;
  const invalid = invalidRatings(req.ratings, w.count);
  if (invalid) return invalid;
  waiting.delete(req.target);
  w.resolve([...req.ratings]);
  return null;
}

/** The job was cancelled: its open question (if any) rejects with RatingStopped. */
export function abandonRatings(job: number): void {
  const w = waiting.get(job);
  waiting.delete(job);
  w?.reject(new RatingStopped());
}

/** A job ended: drops its open question (rejecting it) and its counter. */
export function forgetRatings(job: number): void {
  abandonRatings(job);
  asked.delete(job);
}

/** Whether the job has an unanswered question (tests, diagnostics). */
export function isWaitingForRatings(job: number): boolean {
  return waiting.has(job);
}
