// Unit test of the reward-driven mode's store actions with a fake worker: switching to it stops the pair queue, Start sends the settings and the active prompts, each round's row and images reach the store (dashboard + sample strip), Stop cancels, and the outcome message says what happened.
import { describe, expect, it } from 'vitest';
import type { StudioApi } from '../../src/store/client';
import type { LoraStatus, StudioEvent } from '../../src/worker/protocol';
import type { RewardRoundEvent, RewardTrainedEvent, RewardTrainRequest } from '../../src/worker/rewardTrain';
import { bootCalls, newLora } from './fakeWorker';
import { memory } from './memoryLocalStorage'; // installs localStorage before the store modules load below

const { useStudioStore, SETTINGS_STORAGE_KEY } = await import('../../src/store/index');
const { boot } = await import('../../src/store/actions');
const oracle = await import('../../src/store/oracleActions');
const training = await import('../../src/store/trainingActions');
const settingsActions = await import('../../src/store/settingsActions');
const { rewardRoundRow } = await import('../../src/worker/rewardTrain');
const rating = await import('../../src/store/ratingActions');

const lora: LoraStatus = newLora();
const image = (v: number) => ({ width: 2, height: 2, rgba: new Uint8Array(16).fill(v).buffer as ArrayBuffer });
const flush = () => new Promise((r) => setTimeout(r, 0));

function fakeClient() {
  const calls: Omit<RewardTrainRequest, 'type' | 'id'>[] = [];
  const rated: [number, number, string[]][] = [];
  let pairRequests = 0;
  let progress: ((e: StudioEvent) => void) | undefined;
  let emitRound: ((round: number) => void) | null = null;
  let finish: ((stopped: boolean) => void) | null = null;
  const client = {
    ...bootCalls(lora),
    pair: () => {
      pairRequests++;
      return new Promise(() => {});
    },
    rewardTrain: (params: Omit<RewardTrainRequest, 'type' | 'id'>, opts: { onProgress?: (e: StudioEvent) => void; signal?: AbortSignal }) => {
      calls.push(params);
      progress = opts.onProgress;
      let rounds = 0;
      emitRound = (round) => {
        rounds = round;
        const row = rewardRoundRow({ round: round - 1, task: params.settings.reward, imagesSampled: 4 * round, clicks: 0, rewardMean: 0.1 * round, rewardStd: 0.01, update: { loss: 1 / round } }, round, 5, 0);
        opts.onProgress?.({ type: 'reward-round', id: 3, row, round, total: params.settings.rounds, prompt: params.prompts[0], images: [image(round), image(2 * round)], rewards: [0.1, 0.2] } satisfies RewardRoundEvent);
      };
      return new Promise<RewardTrainedEvent>((resolve) => {
        finish = (stopped) => resolve({ type: 'reward-trained', id: 3, rounds, imagesSampled: 4 * rounds, stopped, lora: { ...lora, step: rounds } });
        opts.signal?.addEventListener('abort', () => finish!(true));
      });
    },
    rate: (target: number, request: number, ratings: string[]) => void rated.push([target, request, ratings]),
  } as unknown as StudioApi;
  const ask = (request: number, n: number) => progress?.({ type: 'rate-request', id: 3, request, round: request, total: 2, prompt: 'red heart', images: Array.from({ length: n }, (_, i) => image(i)) });
  return { client, calls, rated, ask, pairRequests: () => pairRequests, emitRound: (r: number) => emitRound!(r), finish: (s: boolean) => finish!(s) };
}

describe('reward-driven mode (fake worker)', () => {
  it('stops pairs, sends settings + active prompts, streams rows and images, stops on request, persists the settings', async () => {
    const fake = fakeClient();
    await boot('?model=tiny-test', () => fake.client);
    oracle.setLabelMode('reward');
    expect(useStudioStore.getState().labeling.active).toBe(false);
    const pairsBefore = fake.pairRequests();
    settingsActions.togglePrompt('grinning face'); // switched off: not sent
    settingsActions.setRewardTrainField('method', 'ddpo');
    settingsActions.setRewardTrainField('rounds', 3);

    const run = training.trainWithReward();
    await flush();
    expect(useStudioStore.getState().training.status).toBe('training');
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].settings).toMatchObject({ method: 'ddpo', reward: 'brightness', rounds: 3 });
    expect(fake.calls[0].prompts[0]).toBe('red heart');
    expect(fake.calls[0].prompts).not.toContain('grinning face');

    fake.emitRound(1);
    fake.emitRound(2);
    const t = useStudioStore.getState().training;
    expect(t.rows.map((r) => [r.step, r.rewardMean])).toEqual([
      [1, 0.1],
      [2, 0.2],
    ]);
    expect(t.done).toBe(2);
    expect(t.rewardSamples).toMatchObject({ round: 2, prompt: 'red heart', rewards: [0.1, 0.2] });
    expect(new Uint8Array(t.rewardSamples!.images[1].rgba)[0]).toBe(4);

    training.stopTraining();
    expect(useStudioStore.getState().training.status).toBe('stopping');
    await run;
    const end = useStudioStore.getState();
    expect(end.training.status).toBe('idle');
    expect(end.training.message).toBe('Stopped after 2 DDPO rounds (8 images sampled).');
    expect(end.session.lora?.step).toBe(2);
    expect(fake.pairRequests()).toBe(pairsBefore); // no pairs were generated in reward mode

    await flush();
    const stored = JSON.parse(memory.get(SETTINGS_STORAGE_KEY)!);
    expect(stored.state.settings).toMatchObject({ labelMode: 'reward', rewardTrain: { method: 'ddpo', rounds: 3 } });
  });

  it('human ratings: a rate-request becomes the open question, rating moves to the next unrated image, all rated → sent to the job', async () => {
    const fake = fakeClient();
    await boot('?model=tiny-test', () => fake.client);
    oracle.setLabelMode('reward');
    settingsActions.setRewardTrainField('reward', 'human_rating');
    settingsActions.setRewardTrainField('rounds', 2);
    const run = training.trainWithReward();
    await flush();
    expect(fake.calls.at(-1)!.settings.reward).toBe('human_rating');
    fake.ask(1, 3);
    const q = () => useStudioStore.getState().training.rating!;
    expect(q()).toMatchObject({ job: 3, request: 1, prompt: 'red heart', ratings: [null, null, null], cursor: 0 });
    rating.rateCurrent('up');
    expect(q()).toMatchObject({ ratings: ['up', null, null], cursor: 1 });
    rating.rateImage(2, 'down'); // a click on the third image; the cursor goes back to the one left
    expect(q()).toMatchObject({ ratings: ['up', null, 'down'], cursor: 1 });
    expect(rating.sendRatings()).toBe(false);
    expect(useStudioStore.getState().training.error).toMatch(/Rate every image first \(1 left\)/);
    expect(fake.rated).toEqual([]);
    rating.rateImage(1, 'skip');
    expect(q().cursor).toBe(1); // nothing left unrated: the cursor stays on the image just rated
    rating.moveRatingCursor(-1);
    expect(q().cursor).toBe(0);
    rating.rateCurrent('down'); // re-rates image 0
    expect(q().ratings).toEqual(['down', 'skip', 'down']);
    expect(rating.sendRatings()).toBe(true);
    expect(fake.rated).toEqual([[3, 1, ['down', 'skip', 'down']]]);
    expect(useStudioStore.getState().training).toMatchObject({ rating: null, error: null });
    fake.ask(2, 2); // the next group; Stop ends the run and drops the open question
    expect(q().request).toBe(2);
    training.stopTraining();
    await run;
    expect(useStudioStore.getState().training).toMatchObject({ status: 'idle', rating: null });
    settingsActions.setRewardTrainField('reward', 'brightness');
  });
});
