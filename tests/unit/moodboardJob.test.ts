// The worker's moodboard job on a tiny model with fake-indexeddb: it trains the session's adapter on the stored images
// (a row per step in storage, a checkpoint at the end, the adapter moved), stops between steps when cancelled, runs the
// pair requests that arrive between steps, keeps the tensor count flat, and refuses bad input — too few marks, a bad
// recipe, an image of the wrong size — before anything changes.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { openSession } from '../../src/worker/session';
import { handleMoodboardTrain } from '../../src/worker/moodboardJob';
import type { MoodboardTrainRequest } from '../../src/worker/moodboardTrain';
import type { StudioEvent, TrainStepEvent } from '../../src/worker/protocol';
import { defaultMoodboardRecipe } from '../../src/core/moodboard/recipe';
import { saveMoodboardItems, type MoodboardItem } from '../../src/storage/moodboard';
import { getMetrics } from '../../src/storage/runs';
import { listCheckpoints } from '../../src/storage/checkpoints';
import { clearDb } from '../../src/storage/db';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));
beforeEach(async () => {
  await clearDb('moodboard');
});

/** A 32×32 picture: bright (liked) or dark (disliked) with a little texture. */
const picture = (bright: boolean, k: number) => Uint8Array.from({ length: 32 * 32 * 4 }, (_, i) => (i % 4 === 3 ? 255 : bright ? 200 + ((i * k) % 50) : 20 + ((i * k) % 40)));
const item = (id: string, liked: boolean, k: number, caption = '', size = 32): MoodboardItem => ({
  id,
  addedAt: k,
  name: `${id}.png`,
  liked,
  caption,
  size,
  rgba: size === 32 ? picture(liked, k) : new Uint8Array(size * size * 4).fill(255),
  source: { format: 'png', width: 64, height: 64 },
});

async function tinySession(name: string) {
  const cfg = tinyModelConfig();
  cfg.name = name;
  const model = MiniSD.create(cfg, 7);
  const session = await openSession(model, { rank: 2, alpha: 2, targets: ['to_q', 'to_v', 'conv1'] });
  const events: StudioEvent[] = [];
  const dispose = () => {
    session.optimizer.dispose();
    session.lora.dispose();
    model.dispose();
  };
  return { session, events, dispose };
}

const request = (id: number, steps: number, runId: string, over: Partial<MoodboardTrainRequest> = {}): MoodboardTrainRequest => ({
  type: 'moodboard-train',
  id,
  recipe: { ...defaultMoodboardRecipe, steps, pairsPerStep: 2, learningRate: 5e-3, beta: 500 },
  runId,
  checkpointEvery: 100,
  seed: 3,
  ...over,
});

const weights = async (vars: tf.Variable[]) => Promise.all(vars.map(async (v) => Float32Array.from(await v.data())));

describe('moodboard train job', () => {
  it('trains the session adapter on the stored images: rows in storage, a checkpoint, the adapter moved, no tensor growth', async () => {
    const { session, events, dispose } = await tinySession('tiny-mood-train');
    await saveMoodboardItems([item('l1', true, 1, 'red heart'), item('l2', true, 2), item('l3', true, 3, 'dog'), item('d1', false, 4, 'pizza'), item('d2', false, 5)]);
    const before = await weights(session.lora.variables);
    const ctx = { post: (e: StudioEvent) => events.push(e), cancelled: () => false };
    await handleMoodboardTrain(session, request(1, 2, 'warm'), ctx); // warm-up: kernels, optimizer slots
    const tensors = tf.memory().numTensors;
    events.length = 0;
    await handleMoodboardTrain(session, request(2, 3, 'mood'), ctx);
    expect(tf.memory().numTensors).toBe(tensors);

    const steps = events.filter((e): e is TrainStepEvent => e.type === 'train-step');
    expect(steps.map((e) => [e.index, e.total, e.row.step])).toEqual([
      [1, 3, 3],
      [2, 3, 4],
      [3, 3, 5],
    ]);
    for (const e of steps) {
      expect(Number.isFinite(e.row.loss) && e.row.accuracy >= 0 && e.row.accuracy <= 1 && Number.isFinite(e.row.margin)).toBe(true);
      expect(e.row.labeled).toBe(5);
      expect(e.row.pairsUsed).toBe(2);
      expect(e.row.learningRate).toBe(5e-3);
      expect(e.row.meanLogRatio).toBeNaN(); // a D3PO column: no trajectories here
    }
    expect((await getMetrics('mood')).map((r) => [r.step, r.loss])).toEqual(steps.map((e) => [e.row.step, e.row.loss]));
    expect(events.at(-1)).toMatchObject({ type: 'moodboard-trained', id: 2, stepsDone: 3, stopped: false, liked: 3, disliked: 2, lora: { step: 5 } });
    const ckpts = await listCheckpoints('tiny-mood-train');
    expect(ckpts[0]).toMatchObject({ step: 5 });
    expect(ckpts[0].note).toMatch(/moodboard/);
    const after = await weights(session.lora.variables);
    expect(after.some((a, i) => a.some((x, j) => x !== before[i][j]))).toBe(true);
    dispose();
  });

  it('stops between steps when cancelled, still ends on a checkpoint, and lets pair requests through between steps', async () => {
    const { session, events, dispose } = await tinySession('tiny-mood-cancel');
    await saveMoodboardItems([item('l1', true, 1), item('d1', false, 2)]);
    let urgentCalls = 0;
    const ctx = {
      post: (e: StudioEvent) => events.push(e),
      cancelled: () => events.filter((e) => e.type === 'train-step').length >= 2,
      runUrgent: async () => void urgentCalls++,
    };
    await handleMoodboardTrain(session, request(5, 50, 'stop'), ctx);
    expect(events.filter((e) => e.type === 'train-step')).toHaveLength(2);
    expect(urgentCalls).toBe(3); // before each step, and before the check that stopped the run
    expect(events.at(-1)).toMatchObject({ type: 'moodboard-trained', stepsDone: 2, stopped: true });
    expect(events.filter((e) => e.type === 'checkpoint-saved')).toHaveLength(1);
    expect(session.optimizer.step).toBe(2);
    dispose();
  });

  it('refuses bad input before any state changes: one-sided moodboard, bad recipe, wrong image size', async () => {
    const { session, events, dispose } = await tinySession('tiny-mood-refuse');
    const ctx = { post: (e: StudioEvent) => events.push(e), cancelled: () => false };
    const before = await weights(session.lora.variables);
    await expect(handleMoodboardTrain(session, request(1, 2, 'r'), ctx)).rejects.toThrow(/at least one liked and one disliked image .*0 liked and 0 disliked/);
    await saveMoodboardItems([item('l1', true, 1), item('l2', true, 2)]);
    await expect(handleMoodboardTrain(session, request(2, 2, 'r'), ctx)).rejects.toThrow(/2 liked and 0 disliked\); add images or switch a mark/);
    await saveMoodboardItems([item('d1', false, 3)]);
    await expect(handleMoodboardTrain(session, request(3, 0, 'r'), ctx)).rejects.toThrow(/Moodboard setting steps = 0 is out of range/);
    await expect(handleMoodboardTrain(session, request(4, 2, 'r', { checkpointEvery: 0 }), ctx)).rejects.toThrow(/checkpointEvery must be a positive integer/);
    await expect(handleMoodboardTrain(session, request(6, 2, 'r', { prompts: [42 as unknown as string] }), ctx)).rejects.toThrow(/prompts must be at most 1,000 strings/);
    await saveMoodboardItems([item('odd', false, 4, '', 16)]);
    await expect(handleMoodboardTrain(session, request(5, 2, 'r'), ctx)).rejects.toThrow(/"odd.png" is 16 × 16 but this model takes 32 × 32; remove it and add the file again/);
    expect(events).toEqual([]);
    expect(session.optimizer.step).toBe(0);
    expect(await getMetrics('r')).toEqual([]);
    expect(await listCheckpoints('tiny-mood-refuse')).toEqual([]);
    expect(await weights(session.lora.variables)).toEqual(before);
    dispose();
  });
});
