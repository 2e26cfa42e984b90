// Human ratings as the reward: the rating → reward mapping, answers checked against the question, the reward function passing one prompt's images to the person, and the worker's inbox (one open question per job, stale / malformed answers refused without closing it, stop rejects the wait).
import { describe, expect, it } from 'vitest';
import { HUMAN_RATING_REWARD, humanRatingReward, invalidRatings, ratingReward, type Rating } from '../../src/core/rewards/humanRating';
import { abandonRatings, askRatings, deliverRatings, forgetRatings, isWaitingForRatings, RatingStopped } from '../../src/worker/ratingInbox';
import type { StudioEvent } from '../../src/worker/protocol';
import type { RateRequestEvent } from '../../src/worker/rewardTrain';

const px = (v: number) => new Uint8ClampedArray(16).fill(v);

describe('human rating reward', () => {
  it('maps up/down/skip to +1/−1/0, so a round of equal ratings has no spread (no push)', () => {
    expect((['up', 'down', 'skip'] as Rating[]).map(ratingReward)).toEqual([1, -1, 0]);
  });

  it('checks an answer against the number of images', () => {
    expect(invalidRatings(['up', 'skip'], 2)).toBeNull();
    expect(invalidRatings(['up'], 2)).toMatch(/2 ratings are needed, got 1/);
    expect(invalidRatings(['up', 'meh'], 2)).toMatch(/Rating 2 is "meh"; use one of up, down, skip/);
    expect(invalidRatings('up', 1)).toMatch(/must be a list/);
  });

  it('asks the person about one prompt\'s images and returns their ratings as rewards', async () => {
    const seen: { images: Uint8ClampedArray[]; prompt: string }[] = [];
    const reward = humanRatingReward(async (images, prompt) => {
      seen.push({ images, prompt });
      return ['down', 'up', 'skip'];
    });
    expect(reward.name).toBe(HUMAN_RATING_REWARD);
    const images = [px(1), px(2), px(3)];
    expect(await reward.score(images, ['sun', 'sun', 'sun'])).toEqual([-1, 1, 0]);
    expect(seen).toEqual([{ images, prompt: 'sun' }]);
    await expect(reward.score([px(1), px(2)], ['sun', 'moon'])).rejects.toThrow(/one prompt at a time/);
    const short = humanRatingReward(async () => ['up']);
    await expect(short.score([px(1), px(2)], ['sun', 'sun'])).rejects.toThrow(/2 ratings are needed, got 1/);
  });
});

describe('rating inbox (worker side)', () => {
  const image = (v: number) => ({ width: 2, height: 2, rgba: px(v).buffer as ArrayBuffer });

  it('posts copies of the images, keeps the question open on stale or malformed answers, resolves on the right one', async () => {
    const events: StudioEvent[] = [];
    const originals = [image(10), image(20)];
    const answer = askRatings(41, { post: (e) => events.push(e) }, { round: 2, total: 5 }, 'sun', originals);
    const ask = events[0] as RateRequestEvent;
    expect(ask).toMatchObject({ type: 'rate-request', id: 41, request: 1, round: 2, total: 5, prompt: 'sun' });
    expect(ask.images.map((i) => new Uint8Array(i.rgba)[0])).toEqual([10, 20]);
    expect(ask.images[0].rgba).not.toBe(originals[0].rgba); // transferring the copy leaves the job's own buffer intact

    expect(deliverRatings({ target: 41, request: 2, ratings: ['up', 'up'] })).toMatch(/No open rating question 2 for job 41/);
    expect(deliverRatings({ target: 41, request: 1, ratings: ['up'] })).toMatch(/2 ratings are needed/);
    expect(isWaitingForRatings(41)).toBe(true);
    expect(deliverRatings({ target: 41, request: 1, ratings: ['skip', 'down'] })).toBeNull();
    await expect(answer).resolves.toEqual(['skip', 'down']);
    expect(isWaitingForRatings(41)).toBe(false);
    expect(deliverRatings({ target: 41, request: 1, ratings: ['skip', 'down'] })).toMatch(/No open rating question/); // a repeat

    const second = askRatings(41, { post: (e) => events.push(e) }, { round: 3, total: 5 }, 'moon', [image(1)]);
    expect((events[1] as RateRequestEvent).request).toBe(2);
    await expect(askRatings(41, { post: () => {} }, { round: 3, total: 5 }, 'moon', [image(1)])).rejects.toThrow(/already waiting/);
    abandonRatings(41);
    await expect(second).rejects.toBeInstanceOf(RatingStopped);
    forgetRatings(41);
    askRatings(41, { post: (e) => events.push(e) }, { round: 1, total: 1 }, 'sun', [image(1)]).catch(() => {});
    expect((events[2] as RateRequestEvent).request).toBe(1); // a finished job's counter is gone
    forgetRatings(41);
  });
});
