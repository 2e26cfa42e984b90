// Best-of-k labeling: one click on the best of 4 images from one x_T labels the k−1 pairs (best, other); optionally a second click on the worst labels (other, worst) too. Votes are in each stored pair's trajectory order.
import { voteWrite } from './voteWrite';
import { predictedPreference } from '../core/taste/implicitReward';
import type { Vote } from '../core/algorithms/d3po';
import { saveLabels, type Label } from '../storage/labels';
import { patch, useStudioStore } from './index';
import { countLabels, type GridView } from './labelingSlice';
import { advanceGrid } from './pairQueue';
import { onPreferenceVote } from './trainingActions';

/** Grids voted on in this session, by vote time, so undo can show them again. */
const undoGrids = new Map<number, GridView>();

/** Takes the grid voted at `time` for undo (null if it was not voted in this session). */
export function takeUndoGrid(time: number): GridView | null {
  const g = undoGrids.get(time) ?? null;
  undoGrids.delete(time);
  return g;
}

/**
 * The labels a best(/worst) choice implies: (best ≻ i) for every other i, and (i ≻ worst) for every i ∉ {best, worst}.
 * Pair (i, j) with i < j stores image i as trajectory 0, so "i preferred" is vote 0.
 */
export function gridVotes(k: number, best: number, worst: number | null): { i: number; j: number; vote: Vote }[] {
  if (best === worst) throw new Error('The best and the worst image must differ.');
  const out: { i: number; j: number; vote: Vote }[] = [];
  const prefer = (winner: number, loser: number) => out.push({ i: Math.min(winner, loser), j: Math.max(winner, loser), vote: winner < loser ? 0 : 1 });
  for (let x = 0; x < k; x++) if (x !== best) prefer(best, x);
  if (worst != null) for (let x = 0; x < k; x++) if (x !== best && x !== worst) prefer(x, worst);
  return out;
}

export function markGridShown(gridId: string): void {
  if (useStudioStore.getState().labeling.grid?.gridId === gridId) patch('labeling', { gridShown: true });
}

/** A click on image `index`: the best; with "also pick the worst", the second click is the worst. */
export async function pickGridImage(index: number): Promise<void> {
  const s = useStudioStore.getState();
  const grid = s.labeling.grid;
  if (grid == null || !s.labeling.gridShown || s.labeling.saving || index < 0 || index >= grid.images.length) return;
  if (s.settings.pickWorst && s.labeling.gridBest == null) {
    patch('labeling', { gridBest: index });
    return;
  }
  const best = s.settings.pickWorst ? s.labeling.gridBest! : index;
  const worst = s.settings.pickWorst ? index : null;
  if (best === worst) {
    patch('labeling', { gridBest: null }); // clicking the best again clears the pick
    return;
  }
  await saveGrid(grid, best, worst);
}

/** The taste meter's pre-vote prediction for the grid's pair (i, j): the image with the higher implicit reward. */
function predictionOf(grid: GridView, i: number, j: number): { predicted?: 0 | 1 } {
  const r = grid.implicitRewards;
  const p = r ? predictedPreference(r[i], r[j]) : null;
  return p === null ? {} : { predicted: p };
}

async function saveGrid(grid: GridView, best: number, worst: number | null): Promise<void> {
  const s = useStudioStore.getState();
  const time = Date.now();
  const labels: Label[] = gridVotes(grid.images.length, best, worst).map(({ i, j, vote }) => ({
    pairId: grid.pairIds[`${i}-${j}`],
    vote,
    leftIsFirst: true, // a grid shows the images in index order
    prompt: grid.prompt,
    seed: grid.seed,
    time,
    modelId: s.session.model?.name ?? '',
    loraVersion: grid.loraVersion,
    annotator: s.settings.annotator || undefined,
    ...predictionOf(grid, i, j),
  }));
  if (!(await voteWrite(() => saveLabels(labels)))) return;
  const undo = [...useStudioStore.getState().labeling.undo, ...labels];
  undoGrids.set(time, grid);
  patch('labeling', { saving: false, undo, counts: countLabels(undo) });
  advanceGrid();
  onPreferenceVote(labels.filter((l) => l.vote === 0 || l.vote === 1).length);
}
