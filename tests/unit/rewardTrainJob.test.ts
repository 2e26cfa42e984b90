// The worker's reward-driven job (PRDP / DDPO rounds on the session's LoRA, optional pretraining-loss term) on a tiny model with fake-indexeddb: one row and one image group per round, the row's reward statistics recomputed from the posted pixels, metrics and a checkpoint read back from storage, the adapter moved, no tensors leaked; plus the settings' validation and the row mapping.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { handleRewardTrain } from '../../src/worker/rewardTrainJob';
import { defaultRewardTrainSettings, rewardRoundRow, validateRewardTrainSettings, type RewardRoundEvent, type RewardTrainedEvent } from '../../src/worker/rewardTrain';
import { openSession } from '../../src/worker/session';
import type { StudioEvent } from '../../src/worker/protocol';
import { getMetrics } from '../../src/storage/runs';
import { listCheckpoints } from '../../src/storage/checkpoints';
import { encodeLatentSubset } from '../../src/core/pretrain/latentSubset';
import { useBackend } from './backend';
import { abandonRatings, deliverRatings, isWaitingForRatings } from '../../src/worker/ratingInbox';
import type { RateRequestEvent } from '../../src/worker/rewardTrain';

beforeAll(() => useBackend('wasm'));

/** Mean pixel value in [0,1] over RGB, written out here independently of src/core/rewards. */
function meanBrightness(rgba: Uint8ClampedArray): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < rgba.length; i++) if (i % 4 !== 3) (s += rgba[i]), n++;
  return s / n / 255;
}

/** A tiny model named `name` (DDIM `steps`), its studio session and an event recorder; `dispose` frees all three. */
async function tinySession(name: string, steps: number, seed: number) {
  const cfg = tinyModelConfig();
  cfg.name = name;
  cfg.sample.steps = steps;
  const model = MiniSD.create(cfg, seed);
  const session = await openSession(model, { rank: 2, alpha: 2 });
  const events: StudioEvent[] = [];
  const ctx = { post: (e: StudioEvent) => events.push(e), cancelled: () => false };
  const dispose = () => {
    session.optimizer.dispose();
    session.lora.dispose();
    model.dispose();
  };
  return { cfg, model, session, events, ctx, dispose };
}

describe('reward-driven train job', () => {
  for (const method of ['prdp', 'ddpo'] as const) {
    it(`${method}: posts a row per round whose reward mean/std match the round's images, stores metrics and a checkpoint, moves the LoRA`, async () => {
      const { cfg, session, events, ctx, dispose } = await tinySession(`tiny-reward-${method}`, 3, 3);
      const before = await Promise.all(session.lora.variables.map(async (v) => Float32Array.from(await v.data())));
      const req = {
        type: 'reward-train' as const,
        id: 7,
        settings: { ...defaultRewardTrainSettings, method, reward: 'brightness', rounds: 3, imagesPerPrompt: 3, learningRate: 1e-2 },
        prompts: ['red heart', ' ', 'dog'],
        runId: `run-${method}`,
        checkpointEvery: 100,
        seed: 11,
      };
      await handleRewardTrain(session, req, ctx); // warm-up run (kernels, optimizer slots), then the measured one
      const tensorsBefore = tf.memory().numTensors;
      events.length = 0;
      await handleRewardTrain(session, req, ctx);
      expect(tf.memory().numTensors).toBe(tensorsBefore);

      const rounds = events.filter((e): e is RewardRoundEvent => e.type === 'reward-round');
      expect(rounds.map((r) => r.round)).toEqual([1, 2, 3]);
      for (const r of rounds) {
        expect(r.images).toHaveLength(3);
        const b = r.images.map((img) => meanBrightness(new Uint8ClampedArray(img.rgba)));
        r.rewards.forEach((x, i) => expect(x).toBeCloseTo(b[i], 6));
        const mean = b.reduce((p, q) => p + q, 0) / b.length;
        const std = Math.sqrt(b.reduce((p, q) => p + (q - mean) ** 2, 0) / b.length);
        expect(r.row.rewardMean).toBeCloseTo(mean, 6);
        expect(r.row.rewardStd).toBeCloseTo(std, 6);
        expect(Number.isFinite(r.row.loss) && Number.isFinite(r.row.gradNorm)).toBe(true);
        expect(r.row.learningRate).toBe(1e-2);
      }
      expect(rounds.map((r) => r.prompt)).toEqual(['red heart', 'dog', 'red heart']); // blank prompts dropped, cycled
      expect(rounds.map((r) => r.row.step)).toEqual([4, 5, 6]); // one update per round, after the 3 warm-up steps
      expect(rounds.map((r) => r.row.imagesSampled)).toEqual([3, 6, 9]);

      const done = events.at(-1) as RewardTrainedEvent;
      expect(done).toMatchObject({ type: 'reward-trained', id: 7, rounds: 3, imagesSampled: 9, stopped: false });
      expect(done.lora.step).toBe(6);
      const stored = await getMetrics(`run-${method}`);
      expect(stored.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(stored[5].rewardMean).toBeCloseTo(rounds[2].row.rewardMean!, 9);
      const ckpts = await listCheckpoints(cfg.name);
      expect(ckpts[0].step).toBe(6); // the end-of-run checkpoint
      const after = await Promise.all(session.lora.variables.map(async (v) => Float32Array.from(await v.data())));
      expect(after.some((a, i) => a.some((x, j) => x !== before[i][j]))).toBe(true);
      dispose();
    });
  }

  it('multi-task: each round runs both tasks; the row carries the reward statistics of each task from its own images', async () => {
    const { session, events, ctx, dispose } = await tinySession('tiny-reward-joint', 2, 5);
    const settings = { ...defaultRewardTrainSettings, method: 'ddpo' as const, reward: 'jpeg_compressibility', jointReward: 'brightness', rounds: 2, imagesPerPrompt: 2, learningRate: 1e-2 };
    const req = { type: 'reward-train' as const, id: 3, settings, prompts: ['sun', 'dog'], runId: 'joint', checkpointEvery: 100, seed: 5 };
    await handleRewardTrain(session, req, ctx); // warm-up
    const tensorsBefore = tf.memory().numTensors;
    events.length = 0;
    await handleRewardTrain(session, req, ctx);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const rounds = events.filter((e): e is RewardRoundEvent => e.type === 'reward-round');
    expect(rounds).toHaveLength(2);
    for (const r of rounds) {
      expect(r.joint?.images).toHaveLength(2);
      const b = r.joint!.images.map((img) => meanBrightness(new Uint8ClampedArray(img.rgba)));
      r.joint!.rewards.forEach((x, i) => expect(x).toBeCloseTo(b[i], 6));
      const mean = (b[0] + b[1]) / 2;
      expect(r.row.jointRewardMean).toBeCloseTo(mean, 6);
      expect(r.row.jointRewardStd).toBeCloseTo(Math.abs(b[0] - b[1]) / 2, 6);
      // the main task's statistics come from its own images (JPEG compressibility, not brightness)
      const m = (r.rewards[0] + r.rewards[1]) / 2;
      expect(r.row.rewardMean).toBeCloseTo(m, 6);
      expect(r.row.rewardMean).not.toBeCloseTo(r.row.jointRewardMean!, 3);
    }
    expect(rounds.map((r) => r.row.step)).toEqual([6, 8]); // one update per task per round, after 4 warm-up steps
    expect(rounds.map((r) => r.row.imagesSampled)).toEqual([4, 8]);
    expect(rounds.map((r) => [r.prompt, r.joint?.prompt])).toEqual([['sun', 'sun'], ['dog', 'dog']]); // each task cycles the prompts
    expect(events.at(-1)).toMatchObject({ type: 'reward-trained', rounds: 2, imagesSampled: 8, stopped: false });
    dispose();
  });

  it('pretraining-loss term: one W·L_pre step after each round on the session\'s latents (fetched once); missing or broken latents fail before sampling', async () => {
    const { session, events, ctx, dispose } = await tinySession('tiny-reward-pretrain', 2, 6);
    const settings = { ...defaultRewardTrainSettings, method: 'ddpo' as const, rounds: 2, imagesPerPrompt: 2, learningRate: 1e-2, pretrainLoss: 0.5 };
    const req = { type: 'reward-train' as const, id: 4, settings, prompts: ['sun'], runId: 'pretrain', checkpointEvery: 100, seed: 9 };

    await expect(handleRewardTrain(session, req, ctx)).rejects.toThrow(/no training latents for the pretraining-loss term; or set the pretraining-loss weight to 0/);
    session.latentSubset = async () => new Uint8Array([1, 2, 3]);
    await expect(handleRewardTrain(session, req, ctx)).rejects.toThrow(/set the pretraining-loss weight to 0/);
    expect(events).toHaveLength(0);
    expect(session.optimizer.step).toBe(0); // nothing sampled or trained

    let fetches = 0;
    const latents = Float32Array.from({ length: 4 * 256 }, (_, i) => Math.sin(i));
    session.latentSubset = async () => (fetches++, encodeLatentSubset({ latents, shape: [4, 8, 8, 4], captions: ['red heart', 'dog', 'sun', 'pizza'] }));
    await handleRewardTrain(session, req, ctx); // warm-up
    const tensorsBefore = tf.memory().numTensors;
    events.length = 0;
    await handleRewardTrain(session, req, ctx);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(fetches).toBe(1);
    const rounds = events.filter((e): e is RewardRoundEvent => e.type === 'reward-round');
    expect(rounds.map((r) => r.row.step)).toEqual([6, 8]); // DDPO update + pretraining-loss step per round, after 4 warm-up steps
    for (const r of rounds) expect(r.row.pretrainLoss).toBeGreaterThan(0);
    const stored = await getMetrics('pretrain');
    expect(stored.at(-1)!.pretrainLoss).toBe(rounds[1].row.pretrainLoss);
    // W = 0 turns it off: one step per round, no L_pre in the rows
    events.length = 0;
    await handleRewardTrain(session, { ...req, settings: { ...settings, pretrainLoss: 0 } }, ctx);
    expect(events.filter((e): e is RewardRoundEvent => e.type === 'reward-round').map((r) => [r.row.step, r.row.pretrainLoss])).toEqual([[9, undefined], [10, undefined]]);
    dispose();
  });

  it('human ratings: asks the person about each group, trains on their ratings as rewards, and a stop while rating ends the run', async () => {
    const { session, events, dispose } = await tinySession('tiny-reward-human', 2, 5);
    const answers: Record<number, ('up' | 'down' | 'skip')[]> = { 1: ['up', 'down', 'skip'], 2: ['down', 'down', 'up'] };
    const ctx = {
      post: (e: StudioEvent) => {
        events.push(e);
        if (e.type === 'rate-request') setTimeout(() => expect(deliverRatings({ target: e.id, request: e.request, ratings: answers[e.request] })).toBeNull(), 5);
      },
      cancelled: () => false,
    };
    const settings = { ...defaultRewardTrainSettings, method: 'ddpo' as const, reward: 'human_rating', rounds: 2, imagesPerPrompt: 3, learningRate: 1e-2 };
    const req = { type: 'reward-train' as const, id: 21, settings, prompts: ['sun', 'moon'], runId: 'human', checkpointEvery: 100, seed: 3 };
    const before = await Promise.all(session.lora.variables.map(async (v) => Float32Array.from(await v.data())));
    const tensorsBefore = tf.memory().numTensors;
    await handleRewardTrain(session, req, ctx);
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    const asks = events.filter((e): e is RateRequestEvent => e.type === 'rate-request');
    const rounds = events.filter((e): e is RewardRoundEvent => e.type === 'reward-round');
    expect(asks.map((a) => [a.request, a.round, a.total, a.prompt])).toEqual([[1, 1, 2, 'sun'], [2, 2, 2, 'moon']]);
    expect(rounds.map((r) => r.rewards)).toEqual([[1, -1, 0], [-1, -1, 1]]); // the ratings, as +1 / −1 / 0
    rounds.forEach((r, i) => r.images.forEach((img, j) => expect(new Uint8Array(img.rgba)).toEqual(new Uint8Array(asks[i].images[j].rgba)))); // rated what was trained on
    expect(rounds[0].row.rewardMean).toBeCloseTo(0, 6);
    expect(rounds[1].row.rewardMean).toBeCloseTo(-1 / 3, 6);
    expect(events.at(-1)).toMatchObject({ type: 'reward-trained', id: 21, rounds: 2, stopped: false });
    const after = await Promise.all(session.lora.variables.map(async (v) => Float32Array.from(await v.data())));
    expect(after.some((a, i) => a.some((x, j) => x !== before[i][j]))).toBe(true);

    // Stop while the person is rating the second group: the run ends after round 1 with a checkpoint, not a failure.
    events.length = 0;
    const stopCtx = {
      post: (e: StudioEvent) => {
        events.push(e);
        if (e.type === 'rate-request') setTimeout(() => (e.request === 1 ? deliverRatings({ target: e.id, request: 1, ratings: ['up', 'down', 'up'] }) : abandonRatings(e.id)), 5);
      },
      cancelled: () => false,
    };
    const stepBefore = session.optimizer.step;
    await handleRewardTrain(session, { ...req, id: 22, settings: { ...settings, rounds: 3 } }, stopCtx);
    expect(events.filter((e) => e.type === 'rate-request')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'reward-round')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'checkpoint-saved')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'reward-trained', id: 22, rounds: 1, stopped: true });
    expect(session.optimizer.step).toBe(stepBefore + 1);
    expect(isWaitingForRatings(22)).toBe(false);
    dispose();
  });

  it('stops after the current round when cancelled and says so', async () => {
    const cfg = tinyModelConfig();
    cfg.name = 'tiny-reward-cancel';
    cfg.sample.steps = 2;
    const model = MiniSD.create(cfg, 4);
    const session = await openSession(model, { rank: 2, alpha: 2 });
    const events: StudioEvent[] = [];
    const ctx = { post: (e: StudioEvent) => events.push(e), cancelled: () => events.some((e) => e.type === 'reward-round') };
    const settings = { ...defaultRewardTrainSettings, rounds: 5, imagesPerPrompt: 2 };
    await handleRewardTrain(session, { type: 'reward-train', id: 1, settings, prompts: ['sun'], runId: 'cancel', checkpointEvery: 5, seed: 1 }, ctx);
    expect(events.filter((e) => e.type === 'reward-round')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'reward-trained', rounds: 1, stopped: true });
    session.optimizer.dispose();
    session.lora.dispose();
    model.dispose();
  });

  it('rejects bad requests with a sentence saying what to change', async () => {
    const model = MiniSD.create(tinyModelConfig(), 1);
    const session = await openSession(model, { rank: 2, alpha: 2 });
    const run = (patch: object, prompts = ['sun']) =>
      handleRewardTrain(session, { type: 'reward-train', id: 1, settings: { ...defaultRewardTrainSettings, ...patch }, prompts, runId: 'bad', checkpointEvery: 5, seed: 1 }, { post: () => {}, cancelled: () => false });
    await expect(run({ reward: 'prompt_alignment' })).rejects.toThrow(/does not run in the browser; pick one of brightness/);
    await expect(run({}, ['  '])).rejects.toThrow(/No active prompts/);
    await expect(run({ imagesPerPrompt: 1 })).rejects.toThrow(/imagesPerPrompt = 1 is out of range; use an integer from 2 to 16/);
    await expect(run({ reward: 'human_rating', jointReward: 'brightness' })).rejects.toThrow(/Human ratings run alone/);
    session.optimizer.dispose();
    session.lora.dispose();
    model.dispose();
  });
});

describe('validateRewardTrainSettings and rewardRoundRow', () => {
  it('accepts the defaults, rejects unknown methods and fractional rounds', () => {
    expect(validateRewardTrainSettings(defaultRewardTrainSettings)).toBeNull();
    expect(validateRewardTrainSettings({ ...defaultRewardTrainSettings, method: 'd3po' as never })).toMatch(/PRDP or DDPO/);
    expect(validateRewardTrainSettings({ ...defaultRewardTrainSettings, rounds: 2.5 })).toMatch(/rounds = 2.5/);
    expect(validateRewardTrainSettings({ ...defaultRewardTrainSettings, learningRate: 0 })).toMatch(/learningRate = 0/);
    expect(validateRewardTrainSettings({ ...defaultRewardTrainSettings, jointReward: 'colourfulness' })).toBeNull();
    expect(validateRewardTrainSettings({ ...defaultRewardTrainSettings, jointReward: 'brightness' })).toMatch(/joint task needs a different reward/);
    expect(validateRewardTrainSettings({ ...defaultRewardTrainSettings, jointReward: 'prompt_alignment' })).toMatch(/Joint-task reward "prompt_alignment" does not run in the browser/);
    expect(validateRewardTrainSettings({ ...defaultRewardTrainSettings, jointReward: undefined as never })).toBeNull(); // settings saved before multi-task existed
    expect(validateRewardTrainSettings({ ...defaultRewardTrainSettings, pretrainLoss: undefined as never })).toBeNull(); // ... before the pretraining-loss term
    expect(validateRewardTrainSettings({ ...defaultRewardTrainSettings, pretrainLoss: 0.25 })).toBeNull();
    expect(validateRewardTrainSettings({ ...defaultRewardTrainSettings, pretrainLoss: -1 })).toMatch(/pretrainLoss = -1 is out of range; use a number from 0 to 100/);
  });

  it('maps a round to a dashboard row: update metrics kept, D3PO-only columns NaN', () => {
    const row = rewardRoundRow({ round: 0, task: 'brightness', imagesSampled: 8, clicks: 0, rewardMean: 0.5, rewardStd: 0.1, update: { loss: 0.2, gradNorm: 3, learningRate: 1e-3, approxKl: 0.01, clipFraction: 0.25 } }, 12, 900, 1000);
    expect(row).toMatchObject({ step: 12, ms: 900, time: 1000, loss: 0.2, gradNorm: 3, learningRate: 1e-3, approxKl: 0.01, clipFraction: 0.25, rewardMean: 0.5, rewardStd: 0.1, imagesSampled: 8 });
    expect([row.accuracy, row.margin, row.chosenReward, row.rejectedReward, row.labeled, row.meanLogRatio].every(Number.isNaN)).toBe(true);
  });
});
