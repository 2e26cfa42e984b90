// Unit tests for the studio store: slices, persistence (settings only), and the labeling / training actions against a fake worker client and fake-indexeddb.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StudioApi } from '../../src/store/client';
import type { LoraStatus, MetricRow, PairReadyEvent, TrainedEvent } from '../../src/worker/protocol';
import { bootCalls } from './fakeWorker';
import { memory } from './memoryLocalStorage'; // installs localStorage before the store modules load below


const { useStudioStore, SETTINGS_STORAGE_KEY } = await import('../../src/store/index');
const { boot, readUrlOptions, runIdFor } = await import('../../src/store/actions');
const labeling = await import('../../src/store/labelingActions');
const { voteFromSide } = await import('../../src/core/preferences/votes');
const queue = await import('../../src/store/pairQueue');
const { markShown } = await import('../../src/store/oracleActions');
const training = await import('../../src/store/trainingActions');
const { mergeRows, chartRows, initialTraining } = await import('../../src/store/trainingSlice');
const { initialLabeling } = await import('../../src/store/labelingSlice');
const { mergeSettings, migrateSettings, defaultSettings } = await import('../../src/store/settingsSlice');
const { addPrompts } = await import('../../src/store/settingsActions');
const { listLabels } = await import('../../src/storage/labels');
const { meterNow } = await import('../../src/store/tasteMeter');
const { appendMetrics, clearRun, getMetrics } = await import('../../src/storage/runs');

const lora = (step = 0): LoraStatus => ({
  step,
  rank: 4,
  alpha: 4,
  targets: ['to_q'],
  parameterCount: 100,
  scale: 1,
  version: step ? `step-${step}` : null,
  source: 'new',
  checkpointId: null,
  checkpointStep: null,
  hasReference: false,
});

const image = (v: number) => ({ width: 2, height: 2, rgba: new Uint8Array(16).fill(v).buffer as ArrayBuffer });

function row(step: number, labeled = 1): MetricRow {
  return { step, time: step, loss: 0.69, accuracy: 0.5, margin: 0, chosenReward: 0, rejectedReward: 0, meanLogRatio: 0, approxKl: 0, clipFraction: 0, gradNorm: 0.1, learningRate: 3e-4, labeled, pairsUsed: 1, ms: 1 };
}

/** A fake worker client: pair requests wait until the test releases them; train emits one row per step. */
function fakeClient() {
  const pairWaiters: { prompt: string; seed: number; check?: boolean; steps?: number; candidates?: number; resolve: (e: PairReadyEvent) => void }[] = [];
  const checkAsked: boolean[] = [];
  let n = 0;
  let step = 0;
  const trainCalls: number[] = [];
  const client = {
    ...bootCalls(lora()),
    pair: (p: { prompt: string; seed: number; check?: boolean; steps?: number; candidates?: number }, o?: { signal?: AbortSignal }) =>
      new Promise<PairReadyEvent>((resolve, reject) => {
        checkAsked.push(p.check === true);
        pairWaiters.push({ ...p, resolve });
        o?.signal?.addEventListener('abort', () => reject(new DOMException('Cancelled', 'AbortError'))); // as the real client
      }),
    train: async (p: { steps: number }, o: { onProgress?: (e: { type: 'train-step'; id: number; row: MetricRow; index: number; total: number }) => void }) => {
      trainCalls.push(p.steps);
      for (let i = 1; i <= p.steps; i++) o.onProgress?.({ type: 'train-step', id: 3, row: row(++step), index: i, total: p.steps });
      return { type: 'trained', id: 3, stepsDone: p.steps, stopped: false, lora: lora(step) } satisfies TrainedEvent;
    },
  } as unknown as StudioApi;
  /** Answers the oldest request; a check request gets a check pair (the worker's prediction for it: image 0, the adapter's). */
  const releasePair = (predicted: 0 | 1 | null = null) => {
    const w = pairWaiters.shift();
    if (!w) throw new Error('no pair request pending');
    const id = `pair-${(n++).toString(36)}-test`;
    const check = w.check === true;
    w.resolve({ type: 'pair-ready', id: 9, pairId: id, prompt: w.prompt, seed: w.seed, loraVersion: null, images: [image(10), image(20)], predicted: check ? 0 : predicted, check, ms: 1 });
    return id;
  };
  return { client, pairWaiters, releasePair, trainCalls, checkAsked };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

beforeAll(() => {
  queue.setRandomSource(() => 0.25); // leftIsFirst = true (0.25 < 0.5), seeds deterministic
});

beforeEach(() => {
  queue.setRandomSource(() => 0.25); // also restarts the count of pair requests (every third asks for a check pair)
  useStudioStore.setState({ labeling: { ...initialLabeling }, training: { ...initialTraining }, settings: { ...defaultSettings } });
});

describe('pure helpers', () => {
  it('maps screen sides to votes in trajectory order', () => {
    expect(voteFromSide('A', true)).toBe(0);
    expect(voteFromSide('B', true)).toBe(1);
    expect(voteFromSide('A', false)).toBe(1);
    expect(voteFromSide('B', false)).toBe(0);
    expect(voteFromSide('tie', false)).toBe('tie');
    expect(voteFromSide('both-bad', true)).toBe('both-bad');
  });

  it('merges metric rows by step (a later row wins) in step order', () => {
    const merged = mergeRows([row(1), row(2), row(3)], [row(2, 7), row(4)]);
    expect(merged.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(merged[1].labeled).toBe(7);
  });

  it('draws the paused snapshot and only the newest N steps when a window is set', () => {
    const rows = [1, 2, 3, 4, 5].map((s) => row(s));
    expect(chartRows(rows, null, 0).map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    expect(chartRows(rows, null, 2).map((r) => r.step)).toEqual([4, 5]);
    expect(chartRows(rows, rows.slice(0, 3), 0).map((r) => r.step)).toEqual([1, 2, 3]);
    expect(chartRows(rows, rows.slice(0, 3), 2).map((r) => r.step)).toEqual([2, 3]);
    expect(chartRows(rows, null, 10)).toBe(rows);
  });

  it('reads URL options, ignoring an unknown backend with a warning', () => {
    expect(readUrlOptions('?backend=wasm&model=tiny-test&view=train')).toEqual({ backend: 'wasm', model: 'tiny-test', view: 'train' });
    const bad = readUrlOptions('?backend=metal');
    expect(bad.backend).toBeUndefined();
    expect(bad.model).toBe('emoji-sd');
    expect(bad.warning).toMatch(/Unknown \?backend=metal/);
  });

  it('fills new settings fields from the defaults when merging persisted settings', () => {
    const merged = mergeSettings({ smoothing: 0.9, train: { beta: 0.2 } as never });
    expect(merged.smoothing).toBe(0.9);
    expect(merged.train.beta).toBe(0.2);
    expect(merged.train.learningRate).toBe(defaultSettings.train.learningRate);
    expect(merged.prompts.length).toBeGreaterThanOrEqual(20);
  });

  it('adds prompts trimmed and deduplicated; focus switches the others off', () => {
    const added = addPrompts(['  smiling   cat ', 'pizza', '', 'smiling cat', '# comment'], true);
    const s = useStudioStore.getState().settings;
    expect(added).toBe(1);
    expect(s.prompts).toContain('smiling cat');
    expect(s.disabledPrompts).not.toContain('smiling cat');
    expect(s.disabledPrompts).not.toContain('pizza');
    expect(s.disabledPrompts).toContain('red heart');
  });
});

describe('persistence', () => {
  it('persists only the settings slice, with a version', async () => {
    useStudioStore.setState({ settings: { ...defaultSettings, smoothing: 0.8 } });
    await flush();
    const stored = JSON.parse(memory.get(SETTINGS_STORAGE_KEY)!);
    expect(stored.version).toBe(4);
    expect(Object.keys(stored.state)).toEqual(['settings']);
    expect(stored.state.settings.smoothing).toBe(0.8);
  });

  it('migrates version-1 settings: the old training defaults give way to the recipe, manual fields and other settings stay', () => {
    const v1 = { smoothing: 0.7, online: true, refreshReference: true, train: { ...defaultSettings.train, learningRate: 3e-4, stepsPerRound: undefined, steps: 25, checkpointEvery: 7 } };
    const got = mergeSettings(migrateSettings(v1 as never, 1));
    expect(got.smoothing).toBe(0.7);
    expect(got.train.learningRate).toBe(defaultSettings.train.learningRate);
    expect(got.train.stepsPerRound).toBe(defaultSettings.train.stepsPerRound);
    expect([got.train.steps, got.train.checkpointEvery]).toEqual([25, 7]);
    expect(got.autoTrain).toBe(true);
    expect('online' in got).toBe(false);
    // A current-version object is left as it is.
    expect(migrateSettings({ smoothing: 0.1 }, 3)).toEqual({ smoothing: 0.1 });
  });

  it('migrates version-3 settings: the old moodboard default (no captions) moves to shared captions; a caption dropout the person set keeps own captions', () => {
    const v3 = { moodboard: { ...defaultSettings.moodboard, captionDropout: 1, sharedCaption: undefined } };
    const got = mergeSettings(migrateSettings(v3 as never, 3));
    expect([got.moodboard.captionDropout, got.moodboard.sharedCaption]).toEqual([0, true]);
    const own = mergeSettings(migrateSettings({ moodboard: { ...defaultSettings.moodboard, captionDropout: 0.5, sharedCaption: undefined } } as never, 3));
    expect([own.moodboard.captionDropout, own.moodboard.sharedCaption]).toEqual([0.5, false]);
    const v2 = mergeSettings(migrateSettings({ train: { ...defaultSettings.train }, moodboard: { ...defaultSettings.moodboard, captionDropout: 1, sharedCaption: undefined } } as never, 2));
    expect(v2.moodboard.sharedCaption).toBe(true); // older versions pass through every step
  });

  it('migrates version-2 settings: the 20-step default learning rate moves to the 10-step recipe; a learning rate the person set keeps 20-step pairs', () => {
    const v2 = { smoothing: 0.7, train: { ...defaultSettings.train, learningRate: 5e-4, stepsPerRound: 12, sampleSteps: undefined } };
    const got = mergeSettings(migrateSettings(v2 as never, 2));
    expect([got.train.learningRate, got.train.sampleSteps]).toEqual([defaultSettings.train.learningRate, 10]);
    expect([got.smoothing, got.train.stepsPerRound]).toEqual([0.7, 12]);
    const own = mergeSettings(migrateSettings({ train: { ...defaultSettings.train, learningRate: 1e-3, sampleSteps: undefined } } as never, 2));
    expect([own.train.learningRate, own.train.sampleSteps]).toEqual([1e-3, 20]);
  });
});

describe('labeling and training actions (fake worker, fake-indexeddb)', () => {
  it('after a reload mid-round, drops the metric rows past the restored checkpoint from the chart and from storage', async () => {
    const runId = runIdFor('tiny-test');
    await clearRun(runId);
    await appendMetrics(runId, [1, 2, 3, 4, 5, 6].map((s) => row(s)));
    const fake = fakeClient();
    const restored = { ...fake.client, load: async () => ({ ...(await bootCalls(lora(4)).load()), lora: lora(4) }) } as unknown as StudioApi; // the worker restored the checkpoint at step 4
    await boot('?model=tiny-test', () => restored);
    expect(useStudioStore.getState().training.rows.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect((await getMetrics(runId)).map((r) => r.step)).toEqual([1, 2, 3, 4]);
  });

  it('distinct pairs off: the pairs asked for next are plain two-image pairs (no candidates); on again: 4 candidates', async () => {
    const fake = fakeClient();
    await boot('?model=tiny-test', () => fake.client);
    queue.setLabelingActive(true);
    const asked = fake.pairWaiters.length;
    queue.setDistinctPairs(false);
    await flush(); // the aborted requests settle, then the queue refills
    expect(useStudioStore.getState().settings.distinctPairs).toBe(false);
    expect(fake.pairWaiters.slice(asked).map((w) => w.candidates)).toEqual([undefined, undefined, undefined]); // the queue was refilled
    const off = fake.pairWaiters.length;
    queue.setDistinctPairs(true);
    await flush();
    expect(fake.pairWaiters.slice(off).map((w) => w.candidates)).toEqual([4, 4, 4]);
    queue.setLabelingActive(false);
  });

  it('keeps 2 pairs ahead, stores votes in trajectory order, undoes and skips', async () => {
    const fake = fakeClient();
    await boot('?model=tiny-test', () => fake.client);
    expect(useStudioStore.getState().session.phase).toBe('ready');
    expect(useStudioStore.getState().training.runId).toBe(runIdFor('tiny-test'));

    queue.setLabelingActive(true);
    expect(fake.pairWaiters.length).toBe(3); // the one on screen + 2 ahead
    // The recipe's sampling steps, not the model's; distinct pairs (on by default): the two most different of 4 images.
    expect(fake.pairWaiters.map((w) => [w.steps, w.candidates])).toEqual([[10, 4], [10, 4], [10, 4]]);
    const first = fake.releasePair();
    fake.releasePair();
    await flush();
    let l = useStudioStore.getState().labeling;
    expect(l.current?.pairId).toBe(first);
    expect(l.queue.length).toBe(1);
    expect(l.current?.leftIsFirst).toBe(true);

    // Votes wait until both images are drawn.
    await labeling.vote('B');
    expect(await listLabels()).toEqual([]);
    markShown(first);
    await labeling.vote('B'); // right image = trajectory 1 when leftIsFirst
    const stored = await listLabels();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ pairId: first, vote: 1, leftIsFirst: true, modelId: 'tiny-test' });
    l = useStudioStore.getState().labeling;
    expect(l.counts.labeled).toBe(1);
    expect(l.current?.pairId).not.toBe(first);
    expect(fake.pairWaiters.length).toBe(2); // refilled: 1 still pending + 1 new

    // A tie counts as labeled and as a tie.
    const second = l.current!.pairId;
    markShown(second);
    await labeling.vote('tie');
    expect(useStudioStore.getState().labeling.counts).toEqual({ labeled: 2, ties: 1, bothBad: 0 });

    // Undo removes the tie from IndexedDB and puts its pair back on screen.
    await labeling.undo();
    expect((await listLabels()).map((x) => x.pairId)).toEqual([first]);
    l = useStudioStore.getState().labeling;
    expect(l.current?.pairId).toBe(second);
    expect(l.shown).toBe(false);
    expect(l.counts).toEqual({ labeled: 1, ties: 0, bothBad: 0 });

    // Skip drops it without a vote.
    await labeling.skip();
    expect(useStudioStore.getState().labeling.current?.pairId).not.toBe(second);
    expect((await listLabels()).length).toBe(1);

    // Closing the screen cancels what is in flight (the fake ignores the signal; the flag stops refills).
    queue.setLabelingActive(false);
    expect(useStudioStore.getState().labeling.active).toBe(false);
  });

  it('trains N steps by hand, streams rows into the store, and runs an automatic round after every votesPerRound A/B votes', async () => {
    const fake = fakeClient();
    await boot('?model=tiny-test', () => fake.client);
    await training.trainSteps(3);
    let t = useStudioStore.getState().training;
    expect(t.status).toBe('idle');
    expect(t.rows.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(useStudioStore.getState().session.lora?.step).toBe(3);
    expect(t.message).toMatch(/Trained 3 steps/);

    useStudioStore.setState((s) => ({ settings: { ...s.settings, autoTrain: true, train: { ...s.settings.train, votesPerRound: 2, stepsPerRound: 4 } } }));
    queue.setLabelingActive(true);
    const voteOn = async (choice: 'A' | 'B' | 'tie', predicted: 0 | 1 | null) => {
      const id = fake.releasePair(predicted);
      await flush();
      markShown(id);
      await labeling.vote(choice);
      await flush();
      await flush();
    };
    await voteOn('A', 0);
    expect(fake.trainCalls).toEqual([3]); // 1 of 2 votes: no round yet
    expect(useStudioStore.getState().training.votesSinceRound).toBe(1);
    await voteOn('tie', 1); // ties do not count towards a round
    expect(fake.trainCalls).toEqual([3]);
    await voteOn('B', 0);
    expect(fake.trainCalls).toEqual([3, 4]); // the second A/B vote starts a round of stepsPerRound steps
    t = useStudioStore.getState().training;
    expect(t.rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(t.votesSinceRound).toBe(0);
    // Every third pair request asks for a check pair (requests 0, 1, 2 went out when labeling opened, the rest as pairs left).
    expect(fake.checkAsked.slice(0, 6)).toEqual([false, false, true, false, false, true]);
    // Each vote kept the sampling adapter's prediction (trajectory order; leftIsFirst here): right, the tie's, wrong on the check pair.
    const stored = (await listLabels()).slice(-3);
    expect(stored.map((l) => [l.vote, l.predicted, l.check])).toEqual([
      [0, 0, undefined],
      ['tie', 1, undefined],
      [1, 0, true],
    ]);
    // The meter counts check votes only: one, which did not pick the model's image.
    expect(meterNow(stored)).toMatchObject({ n: 1, successes: 0 });
    queue.setLabelingActive(false);
  });

  it('keeps automatic rounds off when the person turns them off', async () => {
    const fake = fakeClient();
    await boot('?model=tiny-test', () => fake.client);
    useStudioStore.setState((s) => ({ settings: { ...s.settings, autoTrain: false, train: { ...s.settings.train, votesPerRound: 1 } } }));
    queue.setLabelingActive(true);
    const id = fake.releasePair();
    await flush();
    markShown(id);
    await labeling.vote('A');
    await flush();
    expect(fake.trainCalls).toEqual([]);
    training.setAutoTrain(true); // turning it on starts the waiting round
    await flush();
    await flush();
    expect(fake.trainCalls).toEqual([useStudioStore.getState().settings.train.stepsPerRound]);
    queue.setLabelingActive(false);
  });
});
