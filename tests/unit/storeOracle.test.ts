// Unit test of the Label view's oracle mode: the scripted oracle votes on the shown pair by a pixel reward (through the human vote path) and stops when switched back to human clicks.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { StudioApi } from '../../src/store/client';
import type { LoraStatus, PairReadyEvent } from '../../src/worker/protocol';
import { bootCalls, newLora } from './fakeWorker';
import { memory } from './memoryLocalStorage'; // installs localStorage before the store modules load below


const { useStudioStore, SETTINGS_STORAGE_KEY } = await import('../../src/store/index');
const { boot } = await import('../../src/store/actions');
const labeling = await import('../../src/store/labelingActions');
const queue = await import('../../src/store/pairQueue');
const oracle = await import('../../src/store/oracleActions');
const { initialLabeling } = await import('../../src/store/labelingSlice');
const { defaultSettings } = await import('../../src/store/settingsSlice');
const { listLabels } = await import('../../src/storage/labels');

const lora: LoraStatus = newLora();
const image = (v: number) => ({ width: 2, height: 2, rgba: new Uint8Array(16).fill(v).buffer as ArrayBuffer });

/** A fake worker client whose pairs are a dark trajectory 0 (10) and a bright trajectory 1 (200), released by the test. */
function fakeClient() {
  const waiters: { prompt: string; seed: number; resolve: (e: PairReadyEvent) => void }[] = [];
  let n = 0;
  const client = {
    ...bootCalls(lora),
    pair: (p: { prompt: string; seed: number }) => new Promise<PairReadyEvent>((resolve) => waiters.push({ ...p, resolve })),
  } as unknown as StudioApi;
  const releasePair = () => {
    const w = waiters.shift();
    if (!w) throw new Error('no pair request pending');
    const id = `pair-${(n++).toString(36)}-oracle`;
    w.resolve({ type: 'pair-ready', id: 9, pairId: id, prompt: w.prompt, seed: w.seed, loraVersion: null, images: [image(10), image(200)], predicted: null, check: false, ms: 1 });
    return id;
  };
  return { client, releasePair };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

beforeAll(() => {
  queue.setRandomSource(() => 0.75); // leftIsFirst = false: the bright trajectory 1 is on the left (A)
  useStudioStore.setState({ labeling: { ...initialLabeling }, settings: { ...defaultSettings } });
});

describe('oracle clicks (fake worker, fake-indexeddb)', () => {
  it('votes for the brighter left image by brightness, tags the label, persists the mode, and stops in human mode', async () => {
    expect(useStudioStore.getState().settings.labelMode).toBe('human');
    const fake = fakeClient();
    await boot('?model=tiny-test', () => fake.client);
    queue.setLabelingActive(true);
    oracle.setOracleReward('brightness');
    oracle.setLabelMode('oracle');

    const first = fake.releasePair();
    fake.releasePair();
    await flush();
    expect(useStudioStore.getState().labeling.current).toMatchObject({ pairId: first, leftIsFirst: false });
    oracle.markShown(first); // the UI's "both drawn": the oracle votes now

    await vi.waitFor(async () => expect(await listLabels()).toHaveLength(1));
    const [label] = await listLabels();
    // Left (A) is trajectory 1 when leftIsFirst is false, and it is the brighter one.
    expect(label).toMatchObject({ pairId: first, vote: 1, leftIsFirst: false, annotator: 'oracle:brightness' });
    const l = useStudioStore.getState().labeling;
    expect(l.counts.labeled).toBe(1);
    expect(l.undo.map((x) => x.pairId)).toEqual([first]);
    expect(l.oracleLast).toMatchObject({ pairId: first, reward: 'brightness', choice: 'A' });
    expect(l.oracleLast!.left).toBeGreaterThan(l.oracleLast!.right);
    expect(label.rewards).toEqual([l.oracleLast!.right, l.oracleLast!.left]); // trajectory order: 0 is on the right here
    expect(l.current?.pairId).not.toBe(first); // advanced to the next pair

    // Mode and reward are persisted settings.
    await flush();
    const stored = JSON.parse(memory.get(SETTINGS_STORAGE_KEY)!);
    expect(stored.state.settings).toMatchObject({ labelMode: 'oracle', oracleReward: 'brightness' });

    // Undo of an oracle vote: the pair comes back for a person (mode switches to human), and is not re-voted.
    await labeling.undo();
    expect(useStudioStore.getState().settings.labelMode).toBe('human');
    expect(useStudioStore.getState().labeling.current?.pairId).toBe(first);
    oracle.markShown(first);
    for (let i = 0; i < 5; i++) await flush();
    expect(await listLabels()).toHaveLength(0);
    oracle.setLabelMode('oracle'); // back to the oracle: it labels the restored pair again
    await vi.waitFor(async () => expect(await listLabels()).toHaveLength(1));
    expect(useStudioStore.getState().labeling.current?.pairId).not.toBe(first);

    // Back to human clicks: a shown pair waits for a person.
    oracle.setLabelMode('human');
    const second = useStudioStore.getState().labeling.current!.pairId;
    oracle.markShown(second);
    for (let i = 0; i < 5; i++) await flush();
    expect(await listLabels()).toHaveLength(1);
    expect(useStudioStore.getState().labeling.current?.pairId).toBe(second);

    // ...and the human vote goes through as before, with the settings' annotator.
    await labeling.vote('B');
    const human = (await listLabels()).find((x) => x.pairId === second);
    expect(human).toMatchObject({ vote: 0, annotator: 'me' });
    queue.setLabelingActive(false);
  });
});
