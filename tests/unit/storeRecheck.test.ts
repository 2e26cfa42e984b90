// Consistency re-shows with fake-indexeddb and a fake worker that stores its pairs: the 20th pair request shows a pair voted on before with its sides swapped and its stored images; the vote is stored as a re-show (not a label, not trained on), agreement is counted in trajectory order, Skip keeps the pair; the pure choice rules and the storage record checked by hand.
import { describe, expect, it } from 'vitest';
import type { StudioApi } from '../../src/store/client';
import type { PairReadyEvent } from '../../src/worker/protocol';
import type { Trajectory } from '../../src/core/diffusion/sample';
import { isRecheckTurn, pickRecheck, RECHECK_EVERY } from '../../src/core/preferences/recheck';
import { consistency, listRechecks, recheckEntryProblem, saveRecheck } from '../../src/storage/rechecks';
import { labelsEntryProblem, listLabels } from '../../src/storage/labels';
import { getPair, savePair } from '../../src/storage/pairs';
import { bootCalls } from './fakeWorker';
import './memoryLocalStorage'; // installs localStorage before the store modules load below

const { useStudioStore, patch } = await import('../../src/store/index');
const { boot } = await import('../../src/store/actions');
const labeling = await import('../../src/store/labelingActions');
const queue = await import('../../src/store/pairQueue');
const { markShown } = await import('../../src/store/oracleActions');

const flush = () => new Promise((r) => setTimeout(r, 0));

function trajectory(seed: number): Trajectory {
  return { prompt: 'dog', seed, index: 0, timesteps: [501, 1], latents: [new Float32Array(4), new Float32Array(4), new Float32Array(4)], logProbs: new Float32Array(2), steps: 2, eta: 1, guidanceScale: 3 };
}

/** A fake worker whose pairs are stored (2 × 2 images of one grey level per side, as tiny-test's imageSize says). */
function fakeClient() {
  let n = 0;
  const client = {
    ...bootCalls(),
    pair: async (p: { prompt: string; seed: number }): Promise<PairReadyEvent> => {
      const id = `pair-${(n++).toString().padStart(3, '0')}`;
      const grey = (v: number) => new Uint8Array(16).fill(v);
      await savePair({ id, prompt: p.prompt, seed: p.seed, createdAt: n, modelId: 'tiny-test', loraVersion: null, trajectories: [trajectory(1), trajectory(2)], images: [grey(n), grey(100 + n)] });
      const image = (v: number) => ({ width: 2, height: 2, rgba: grey(v).buffer as ArrayBuffer });
      return { type: 'pair-ready', id: 1, pairId: id, prompt: p.prompt, seed: p.seed, loraVersion: null, images: [image(n), image(100 + n)], predicted: null, check: false, ms: 1 };
    },
  } as unknown as StudioApi;
  return client;
}

describe('consistency re-shows', () => {
  it('pure rules: one request in 20; an A/B vote, not a check pair, not re-shown yet', () => {
    expect([...Array(60).keys()].filter(isRecheckTurn)).toEqual([19, 39, 59]);
    expect(RECHECK_EVERY).toBe(20);
    const labels = [
      { pairId: 'a', vote: 'tie' as const },
      { pairId: 'b', vote: 0 as const, check: true as const },
      { pairId: 'c', vote: 1 as const },
      { pairId: 'd', vote: 0 as const },
    ];
    expect(pickRecheck(labels, new Set(), 0)?.pairId).toBe('c');
    expect(pickRecheck(labels, new Set(), 0.99)?.pairId).toBe('d');
    expect(pickRecheck(labels, new Set(['c', 'd']), 0.5)).toBeNull();
    expect(consistency([{ id: '1', pairId: 'c', first: 1, again: 1, time: 1 }, { id: '2', pairId: 'd', first: 0, again: 'tie', time: 2 }])).toEqual({ agreed: 1, n: 2 });
  });

  it('stores a re-show record that backups accept, and refuses a malformed one', async () => {
    await saveRecheck({ id: 'r1', pairId: 'p', first: 0, again: 1, time: 5 });
    expect(await listRechecks()).toEqual([{ id: 'r1', pairId: 'p', first: 0, again: 1, time: 5 }]);
    expect(labelsEntryProblem(['recheck', 'r1'], { v: 1, id: 'r1', pairId: 'p', first: 0, again: 1, time: 5 })).toBeNull();
    expect(recheckEntryProblem(['recheck', 'r2'], { v: 1, id: 'r2', pairId: 'p', first: 2, again: 1, time: 5 })).toMatch(/first must be 0 or 1/);
    await expect(saveRecheck({ id: 'r3', pairId: '', first: 0, again: 1, time: 5 })).rejects.toThrow(/pairId must be a non-empty string/);
  });

  it('the 20th request re-shows an earlier A/B pair with sides swapped; its vote is a re-show, not a label; Skip keeps the pair', async () => {
    await boot('?model=tiny-test', () => fakeClient());
    queue.setRandomSource(() => 0.25); // leftIsFirst = true for new pairs; restarts the request count
    queue.setLabelingActive(true);
    const seen: string[] = [];
    let recheck = null as ReturnType<typeof useStudioStore.getState>['labeling']['current'];
    for (let k = 0; k < 25 && recheck == null; k++) {
      await flush();
      await flush();
      const cur = useStudioStore.getState().labeling.current!;
      if (cur.recheck) {
        recheck = cur;
        break;
      }
      seen.push(cur.pairId);
      markShown(cur.pairId);
      await labeling.vote(k % 2 ? 'A' : 'B'); // A = trajectory 0 (left), B = trajectory 1
    }
    expect(recheck).not.toBeNull();
    const labels = await listLabels();
    const original = labels.find((l) => l.pairId === recheck!.pairId)!;
    expect(original.leftIsFirst).toBe(true);
    expect(recheck!.leftIsFirst).toBe(false); // sides swapped
    expect(recheck!.recheck).toEqual({ first: original.vote });
    const stored = await getPair(recheck!.pairId);
    expect(Array.from(new Uint8Array(recheck!.images[0].rgba))).toEqual(Array.from(stored!.images[0]));
    // The person picks the same image again: with the sides swapped it is now on the other side.
    const sameSide = original.vote === 0 ? 'B' : 'A'; // trajectory 0 is on the right now
    markShown(recheck!.pairId);
    const before = useStudioStore.getState().labeling.counts.labeled;
    await labeling.vote(sameSide);
    expect(await listLabels()).toHaveLength(labels.length); // no new label
    expect(useStudioStore.getState().labeling.counts.labeled).toBe(before);
    const rechecks = (await listRechecks()).filter((r) => r.pairId === recheck!.pairId);
    expect(rechecks.map((r) => [r.first, r.again])).toEqual([[original.vote, original.vote]]);
    expect(consistency(useStudioStore.getState().labeling.rechecks).agreed).toBeGreaterThanOrEqual(1);

    // Skip on a re-shown pair keeps the pair and its trajectories (it is labeled).
    patch('labeling', { current: { ...recheck!, recheck: { first: original.vote as 0 | 1 } } });
    await labeling.skip();
    expect(await getPair(recheck!.pairId)).toBeDefined();
    queue.setLabelingActive(false);
  });
});
