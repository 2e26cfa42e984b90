// The worker's D3PO job on a tiny model with fake-indexeddb: pairs from handlePair carry the adapter's pre-vote guess (none from the base model, then the implicit-reward preference, recomputed here independently), check pairs are Compare's two images, a round runs the pair requests that arrive between its steps, and a NaN step stops the run and puts back the last good checkpoint.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { openSession, checkpointNow, NonFiniteAdapterError, referenceCacheOf } from '../../src/worker/session';
import { handleCompare, handleGrid, handlePair } from '../../src/worker/pairJobs';
import { handleTrain } from '../../src/worker/trainJob';
import { defaultStudioTrainConfig } from '../../src/worker/trainConfig';
import { saveLabel } from '../../src/storage/labels';
import { getPair } from '../../src/storage/pairs';
import { listCheckpoints } from '../../src/storage/checkpoints';
import { disposeTransitions, transitionLogProb, transitionTensors } from '../../src/core/algorithms/transitions';
import { GUESS_SKIP_FINAL } from '../../src/core/taste/implicitReward';
import type { ComparedEvent, GridReadyEvent, PairReadyEvent, StudioEvent, TrainRequest } from '../../src/worker/protocol';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

async function tinySession(name: string, seed: number) {
  const cfg = tinyModelConfig();
  cfg.name = name;
  cfg.sample.steps = 4;
  const model = MiniSD.create(cfg, seed);
  const session = await openSession(model, { rank: 2, alpha: 2, targets: ['to_q', 'to_v', 'conv1'] });
  const events: StudioEvent[] = [];
  const dispose = () => {
    session.optimizer.dispose();
    session.lora.dispose();
    session.reference?.dispose();
    model.dispose();
  };
  return { model, session, events, dispose };
}

const ctxOf = (events: StudioEvent[], runUrgent?: () => Promise<void>) => ({ post: (e: StudioEvent) => events.push(e), cancelled: () => false, runUrgent });

/** Samples a pair through the worker job, labels it `vote` (trajectory order) and returns its event. */
async function labeledPair(s: Awaited<ReturnType<typeof tinySession>>, id: number, vote: 0 | 1): Promise<PairReadyEvent> {
  await handlePair(s.session, { type: 'pair', id, prompt: id % 2 ? 'dog' : 'red heart', seed: 100 + id }, ctxOf(s.events));
  const e = s.events.filter((x): x is PairReadyEvent => x.type === 'pair-ready').at(-1)!;
  await saveLabel({ pairId: e.pairId, vote, leftIsFirst: true, prompt: e.prompt, seed: e.seed, time: Date.now() + id, modelId: s.session.modelId, loraVersion: e.loraVersion });
  return e;
}

const trainReq = (steps: number, runId: string, over: Partial<TrainRequest['config']> = {}): TrainRequest => ({
  type: 'train',
  id: 50,
  steps,
  runId,
  refreshReference: false,
  config: { ...defaultStudioTrainConfig, learningRate: 5e-3, timestepFraction: 1, pairsPerStep: 2, targets: ['to_q', 'to_v', 'conv1'], ...over },
});

describe('D3PO train job', () => {
  it('pairs carry the pre-vote prediction: none from the base model, then the larger Σ log π_θ/π_ref (the final GUESS_SKIP_FINAL steps left out)', async () => {
    const s = await tinySession('tiny-meter', 5);
    const first = [await labeledPair(s, 1, 0), await labeledPair(s, 2, 1), await labeledPair(s, 3, 0)];
    expect(first.map((e) => e.predicted)).toEqual([null, null, null]); // the adapter is still the base model
    await handleTrain(s.session, trainReq(3, 'run-meter'), ctxOf(s.events));
    const e = await labeledPair(s, 4, 0);
    expect(e.loraVersion).toBe('step-3');
    // Independently: re-score the stored trajectories under the adapter and under LoRA off, sum all but the final GUESS_SKIP_FINAL steps.
    const stored = (await getPair(e.pairId))!;
    const sums: number[] = [];
    for (const tr of stored.trajectories) {
      const tt = transitionTensors(s.model, { trajectories: tr.timesteps.map(() => tr), steps: tr.timesteps.map((_, j) => j) });
      const d = tf.tidy(() => tf.sub(transitionLogProb(s.model, tt, s.session.lora), transitionLogProb(s.model, tt, s.session.lora, 0)));
      const v = await d.data();
      d.dispose();
      disposeTransitions(tt);
      sums.push(Array.from(v).slice(0, v.length - GUESS_SKIP_FINAL).reduce((a, b) => a + b, 0));
    }
    expect(Math.abs(sums[0] - sums[1])).toBeGreaterThan(1e-4); // the two images differ enough for the test to mean something
    expect(e.predicted).toBe(sums[0] > sums[1] ? 0 : 1);
    // A best-of-4 grid gets one implicit reward per image; an image's reference log-probs are cached under every pair it is in.
    await handleGrid(s.session, { type: 'grid', id: 9, prompt: 'dog', seed: 77, size: 4 }, ctxOf(s.events));
    const g = s.events.filter((x): x is GridReadyEvent => x.type === 'grid-ready').at(-1)!;
    expect(g.implicitRewards).toHaveLength(4);
    const cache = referenceCacheOf(s.session);
    const shared = [cache.full(`${g.pairIds['0-1']}#1`), cache.full(`${g.pairIds['1-2']}#0`), cache.full(`${g.pairIds['1-3']}#0`)];
    expect(shared.every((v) => v != null && v.length === 4)).toBe(true);
    expect(Array.from(shared[1]!)).toEqual(Array.from(shared[0]!));
    expect(Array.from(shared[2]!)).toEqual(Array.from(shared[0]!));
    s.dispose();
  });

  it('a check pair is the adapter\'s image and the base model\'s from the same prompt and noise (as Compare makes them), predicted to go to the adapter; none before training', async () => {
    const s = await tinySession('tiny-check', 8);
    await labeledPair(s, 1, 0);
    await labeledPair(s, 2, 1);
    await handlePair(s.session, { type: 'pair', id: 3, prompt: 'dog', seed: 31, check: true }, ctxOf(s.events));
    const before = s.events.filter((x): x is PairReadyEvent => x.type === 'pair-ready').at(-1)!;
    expect([before.check, before.predicted]).toEqual([false, null]); // the base model: an ordinary pair
    await handleTrain(s.session, trainReq(3, 'run-check'), ctxOf(s.events));
    await handlePair(s.session, { type: 'pair', id: 4, prompt: 'dog', seed: 31, check: true }, ctxOf(s.events));
    const e = s.events.filter((x): x is PairReadyEvent => x.type === 'pair-ready').at(-1)!;
    expect([e.check, e.predicted]).toEqual([true, 0]);
    // Independently: Compare samples base (LoRA scale 0) and tuned (the adapter's own scale alpha / r) one at a time from the same seed.
    await handleCompare(s.session, { type: 'compare', id: 5, prompt: 'dog', seed: 31 }, ctxOf(s.events));
    const c = s.events.find((x): x is ComparedEvent => x.type === 'compared')!;
    const bytes = (b: ArrayBuffer) => Array.from(new Uint8Array(b));
    expect(bytes(e.images[1].rgba)).toEqual(bytes(c.base.rgba));
    expect(bytes(e.images[0].rgba)).toEqual(bytes(c.tuned.rgba));
    expect(bytes(e.images[0].rgba)).not.toEqual(bytes(e.images[1].rgba)); // the adapter changed something, so the question means something
    // Stored like any pair, both from one x_T.
    const stored = (await getPair(e.pairId))!;
    expect(Array.from(stored.trajectories[0].latents[0])).toEqual(Array.from(stored.trajectories[1].latents[0]));
    s.dispose();
  });

  it('runs pair requests that arrive between the steps of a round, and stores a checkpoint at the end', async () => {
    const s = await tinySession('tiny-urgent', 6);
    await labeledPair(s, 1, 0);
    await labeledPair(s, 2, 1);
    let served = 0;
    const runUrgent = async () => {
      if (served >= 2) return;
      served++;
      await handlePair(s.session, { type: 'pair', id: 90 + served, prompt: 'dog', seed: served }, ctxOf(s.events));
    };
    await handleTrain(s.session, trainReq(4, 'run-urgent'), ctxOf(s.events, runUrgent));
    const order = s.events.map((e) => e.type).filter((t) => t === 'train-step' || t === 'pair-ready');
    expect(order.slice(-6)).toEqual(['pair-ready', 'train-step', 'pair-ready', 'train-step', 'train-step', 'train-step']); // pairs were served between steps
    expect((await listCheckpoints('tiny-urgent'))[0].step).toBe(4);
    s.dispose();
  });

  it('stops on NaN, restores the last good checkpoint and refuses to checkpoint non-finite weights', async () => {
    const s = await tinySession('tiny-nan', 7);
    await labeledPair(s, 1, 0);
    await labeledPair(s, 2, 1);
    await handleTrain(s.session, trainReq(2, 'run-nan'), ctxOf(s.events));
    const good = await Promise.all(s.session.lora.variables.map(async (v) => Float32Array.from(await v.data())));
    const goodCheckpoint = (await listCheckpoints('tiny-nan'))[0];
    // Poison one weight: the next step's loss and weights are NaN.
    const b = [...s.session.lora.modules.values()][0].B;
    b.assign(tf.fill(b.shape, NaN));
    await expect(checkpointNow(s.session)).rejects.toBeInstanceOf(NonFiniteAdapterError);
    await expect(handleTrain(s.session, trainReq(3, 'run-nan'), ctxOf(s.events))).rejects.toThrow(/NaN\/Inf .*restored to the last good checkpoint \(step 2\).*Lower the learning rate/);
    const after = await Promise.all(s.session.lora.variables.map(async (v) => Float32Array.from(await v.data())));
    after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(good[i])));
    expect((await listCheckpoints('tiny-nan'))[0].id).toBe(goodCheckpoint.id); // no broken checkpoint was added
    s.dispose();
  });
});
