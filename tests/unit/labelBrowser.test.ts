// Unit test of the labeled-pairs review on fake-indexeddb: this model's votes newest first with the images in the order they were shown, a changed vote stored with the person as annotator, and deleting a vote with its pair; the labeling counters follow.
import { describe, expect, it } from 'vitest';
import type { StudioApi } from '../../src/store/client';
import type { Trajectory } from '../../src/core/diffusion/sample';
import { bootCalls } from './fakeWorker';
import './memoryLocalStorage'; // installs localStorage before the store modules load below

const { useStudioStore } = await import('../../src/store/index');
const { boot } = await import('../../src/store/actions');
const browser = await import('../../src/store/labelBrowserActions');
const { saveLabel, listLabels } = await import('../../src/storage/labels');
const { savePair, getPairSummary } = await import('../../src/storage/pairs');

const client = {
  ...bootCalls(),
  pair: () => new Promise(() => {}),
} as unknown as StudioApi;

const trajectory = (index: number): Trajectory => ({
  prompt: 'sun',
  seed: 1,
  index,
  timesteps: [501, 1],
  latents: [0, 1, 2].map((k) => new Float32Array(8 * 8 * 4).fill(k + index)),
  logProbs: Float32Array.from([-1, -2]),
  steps: 2,
  eta: 1,
  guidanceScale: 3,
});
const image = (fill: number) => new Uint8Array(16).fill(fill);
const pair = (id: string, fill: number) => ({ id, prompt: 'sun', seed: 1, createdAt: fill, modelId: 'tiny-test', loraVersion: null, trajectories: [trajectory(0), trajectory(1)] as [Trajectory, Trajectory], images: [image(fill), image(fill + 1)] as [Uint8Array, Uint8Array] });
const label = (pairId: string, vote: 0 | 1 | 'tie', leftIsFirst: boolean, time: number, modelId = 'tiny-test') => ({ pairId, vote, leftIsFirst, prompt: 'sun', seed: 1, time, modelId, loraVersion: null });

describe('labeled-pairs review', () => {
  it('lists, re-labels and deletes votes of this model', async () => {
    await boot('?model=tiny-test', () => client);
    await savePair(pair('p1', 10));
    await savePair(pair('p2', 20));
    await saveLabel({ ...label('p1', 0, false, 100), annotator: 'oracle:brightness', rewards: [0.2, 0.1] }); // trajectory 0 preferred; it was on the right
    await saveLabel(label('p2', 'tie', true, 200));
    await saveLabel(label('x', 1, true, 300, 'emoji-sd-mini')); // another model: not listed

    const page = await browser.listLabeledPairs(0, 10);
    expect(page.total).toBe(2);
    expect(page.items.map((i) => i.label.pairId)).toEqual(['p2', 'p1']); // newest first
    const p1 = page.items[1];
    expect(browser.choiceOf(p1.label)).toBe('B');
    expect(new Uint8Array(p1.left!.rgba)[0]).toBe(11); // trajectory 1's image was on the left
    expect(new Uint8Array(p1.right!.rgba)[0]).toBe(10);
    expect(p1.hasTrajectories).toBe(true);
    expect(browser.choiceOf(page.items[0].label)).toBe('tie');

    expect(await browser.changeVote(p1.label, 'A')).toBeNull();
    const changed = (await listLabels()).find((l) => l.pairId === 'p1')!;
    expect(changed).toMatchObject({ vote: 1, leftIsFirst: false, annotator: 'me' });
    expect(changed.rewards).toBeUndefined(); // the oracle's rewards no longer describe this vote
    expect(changed.time).toBeGreaterThan(100);

    expect(await browser.deleteLabeledPair('p2', true)).toBeNull();
    expect((await listLabels()).map((l) => l.pairId).sort()).toEqual(['p1', 'x']);
    expect(await getPairSummary('p2')).toBeUndefined();
    expect(await getPairSummary('p1')).toBeDefined();
    expect(useStudioStore.getState().labeling.counts.labeled).toBe(1);
    expect(useStudioStore.getState().labeling.undo.map((l) => l.pairId)).toEqual(['p1']);
  });
});
