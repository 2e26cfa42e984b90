// Unit tests for best-of-4 labeling: the votes a best/worst pick implies, and the grid flow against a fake worker (labels saved together, undo restores the grid).
import { describe, expect, it, vi } from 'vitest';
import type { StudioApi } from '../../src/store/client';
import type { GridReadyEvent } from '../../src/worker/protocol';

import './memoryLocalStorage'; // installs localStorage before the store modules load below

const { useStudioStore } = await import('../../src/store/index');
const { gridVotes, markGridShown, pickGridImage } = await import('../../src/store/gridActions');
const { undo } = await import('../../src/store/labelingActions');
const { setGridMode, setLabelingActive } = await import('../../src/store/pairQueue');
const { setClient } = await import('../../src/store/client');
const { listLabels } = await import('../../src/storage/labels');

describe('gridVotes', () => {
  it('best beats every other image; pair (i, j) stores i first, so vote 0 means i won', () => {
    expect(gridVotes(4, 2, null)).toEqual([
      { i: 0, j: 2, vote: 1 },
      { i: 1, j: 2, vote: 1 },
      { i: 2, j: 3, vote: 0 },
    ]);
  });

  it('with a worst pick, every middle image also beats the worst', () => {
    const v = gridVotes(4, 3, 0);
    expect(v).toHaveLength(5);
    expect(v.slice(3)).toEqual([
      { i: 0, j: 1, vote: 1 },
      { i: 0, j: 2, vote: 1 },
    ]);
    expect(() => gridVotes(4, 1, 1)).toThrow(/differ/);
  });
});

describe('grid flow (fake worker, fake-indexeddb)', () => {
  it('one click saves 3 labels with one time; undo removes all 3 and shows the grid again', async () => {
    let n = 0;
    const grid = vi.fn(async (p: { prompt: string; seed: number; size: number }): Promise<GridReadyEvent> => {
      const gridId = `grid-${n++}`;
      const pairIds: Record<string, string> = {};
      for (let i = 0; i < p.size; i++) for (let j = i + 1; j < p.size; j++) pairIds[`${i}-${j}`] = `${gridId}-${i}${j}`;
      const images = Array.from({ length: p.size }, () => ({ width: 2, height: 2, rgba: new ArrayBuffer(16) }));
      // The adapter's implicit reward per image (the taste meter): image 2 highest, then 0, 3, 1.
      return { type: 'grid-ready', id: 1, gridId, prompt: p.prompt, seed: p.seed, loraVersion: null, images, pairIds, implicitRewards: [0.3, 0.1, 0.5, 0.2], ms: 1 };
    });
    // Pairs never finish on their own; like the real client, an abort rejects them with an AbortError.
    const pair = (_p: unknown, o: { signal: AbortSignal }) => new Promise((_, reject) => o.signal.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError'))));
    setClient({ grid, pair } as unknown as StudioApi);
    useStudioStore.setState((s) => ({ session: { ...s.session, phase: 'ready', model: { name: 'tiny-test' } as never } }));
    setLabelingActive(true);
    setGridMode(true);
    await vi.waitFor(() => expect(useStudioStore.getState().labeling.grid).not.toBeNull());
    expect(grid).toHaveBeenCalledTimes(3); // on screen + 2 ahead
    const shownGrid = useStudioStore.getState().labeling.grid!;
    markGridShown(shownGrid.gridId);
    await pickGridImage(1);
    const labels = await listLabels();
    expect(labels.map((l) => `${l.pairId}:${l.vote}`).sort()).toEqual([`${shownGrid.gridId}-01:1`, `${shownGrid.gridId}-12:0`, `${shownGrid.gridId}-13:0`]);
    // Each pair keeps the pre-vote prediction from the rewards: (0,1) → 0, (1,2) → 1, (1,3) → 1.
    expect(labels.map((l) => `${l.pairId}:${l.predicted}`).sort()).toEqual([`${shownGrid.gridId}-01:0`, `${shownGrid.gridId}-12:1`, `${shownGrid.gridId}-13:1`]);
    expect(new Set(labels.map((l) => l.time)).size).toBe(1);
    expect(useStudioStore.getState().labeling.counts.labeled).toBe(3);
    expect(useStudioStore.getState().labeling.grid?.gridId).not.toBe(shownGrid.gridId);

    await undo();
    expect(await listLabels()).toEqual([]);
    expect(useStudioStore.getState().labeling.grid?.gridId).toBe(shownGrid.gridId);
    expect(useStudioStore.getState().labeling.counts.labeled).toBe(0);
    setLabelingActive(false);
  });
});
