// Labeling actions on the pair on screen: record a vote in trajectory order with the sides shown, undo, skip (Chatbot Arena / Pick-a-Pic flow); the queue behind it is pairQueue.ts.
import { voteFromSide, type VoteLetter } from '../core/preferences/votes';
import { deleteLabel, saveLabel, type Label } from '../storage/labels';
import { saveRecheck, type Recheck } from '../storage/rechecks';
import { deletePairs, getPairSummary } from '../storage/pairs';
import type { GeneratedImage } from '../worker/protocol';
import { patch, useStudioStore } from './index';
import { countLabels, type PairView } from './labelingSlice';
import { onPreferenceVote } from './trainingActions';
import { takeUndoGrid } from './gridActions';
import { advanceGrid, advancePair } from './pairQueue';
import { voteWrite } from './voteWrite';

/** Stores a vote on the pair on screen (`choice` by screen side: A = left) and shows the next one. Ignored until both images are shown. `annotator` overrides the settings' one (the oracle's 'oracle:<reward>'), which also passes its rewards (trajectory order). */
export async function vote(choice: VoteLetter, annotator?: string, rewards?: [number, number]): Promise<void> {
  const s = useStudioStore.getState();
  const pair = s.labeling.current;
  if (pair == null || !s.labeling.shown || s.labeling.saving || s.session.model == null) return;
  if (pair.recheck) return voteOnRecheck(pair, pair.recheck.first, voteFromSide(choice, pair.leftIsFirst));
  const label: Label = {
    pairId: pair.pairId,
    vote: voteFromSide(choice, pair.leftIsFirst),
    leftIsFirst: pair.leftIsFirst,
    prompt: pair.prompt,
    seed: pair.seed,
    time: Date.now(),
    modelId: s.session.model.name,
    loraVersion: pair.loraVersion,
    annotator: annotator ?? (s.settings.annotator || undefined),
    ...(rewards ? { rewards } : {}),
    ...(pair.predicted === 0 || pair.predicted === 1 ? { predicted: pair.predicted } : {}),
    ...(pair.check ? { check: true as const } : {}),
  };
  if (!(await voteWrite(() => saveLabel(label)))) return;
  const undo = [...useStudioStore.getState().labeling.undo, label];
  patch('labeling', { saving: false, undo, counts: countLabels(undo) });
  undoImages.set(pair.pairId, pair.images);
  advancePair();
  if (label.vote === 0 || label.vote === 1) onPreferenceVote();
}

/** The second vote on a re-shown pair: stored as a re-show (never a label, never trained on), then the next pair. */
async function voteOnRecheck(pair: PairView, first: 0 | 1, again: Label['vote']): Promise<void> {
  const r: Recheck = { id: `recheck-${Date.now().toString(36)}-${pair.pairId}`, pairId: pair.pairId, first, again, time: Date.now() };
  if (!(await voteWrite(() => saveRecheck(r)))) return;
  patch('labeling', { saving: false, rechecks: [...useStudioStore.getState().labeling.rechecks, r] });
  advancePair();
}

/** Images of pairs voted on in this session, so undo can put them back on screen without a storage read. */
const undoImages = new Map<string, [GeneratedImage, GeneratedImage]>();

/** Removes the last vote (all votes of one grid click) and shows its pair or grid again. */
export async function undo(): Promise<void> {
  const s = useStudioStore.getState();
  const last = s.labeling.undo[s.labeling.undo.length - 1];
  if (last == null || s.labeling.saving) return;
  // One grid click saves several labels with the same time; they go together.
  let n = 1;
  while (n < s.labeling.undo.length && s.labeling.undo[s.labeling.undo.length - 1 - n].time === last.time) n++;
  const batch = s.labeling.undo.slice(-n);
  const deleted = await voteWrite(async () => {
    for (const l of batch) await deleteLabel(l.pairId);
  });
  if (!deleted) return;
  const rest = useStudioStore.getState().labeling.undo.slice(0, -n);
  patch('labeling', { saving: false, undo: rest, counts: countLabels(rest) });
  const grid = takeUndoGrid(last.time);
  if (grid != null) {
    const l = useStudioStore.getState().labeling;
    if (useStudioStore.getState().settings.gridMode) patch('labeling', { grid, gridQueue: l.grid ? [l.grid, ...l.gridQueue] : l.gridQueue, gridShown: false, gridBest: null });
    return;
  }
  if (n > 1) return; // a grid from before this session: its votes are gone, nothing to show again
  let images = undoImages.get(last.pairId) ?? null;
  if (images == null) images = await storedImages(last.pairId);
  if (images == null) return; // pair pruned: the vote is gone, nothing to show again
  undoImages.delete(last.pairId);
  // Undoing an oracle vote hands the pair back to the person; in oracle mode it would be re-voted at once.
  if (useStudioStore.getState().settings.labelMode === 'oracle') {
    patch('settings', { labelMode: 'human' });
    patch('labeling', { oracleLast: null });
  }
  const back: PairView = { pairId: last.pairId, prompt: last.prompt, seed: last.seed, loraVersion: last.loraVersion, images, leftIsFirst: last.leftIsFirst, predicted: last.predicted ?? null, check: last.check === true };
  const { current, queue } = useStudioStore.getState().labeling;
  if (useStudioStore.getState().settings.gridMode) return;
  patch('labeling', { current: back, queue: current ? [current, ...queue] : queue, shown: false });
}

/** The RGBA images of a stored pair, read without its trajectories (after a reload). */
async function storedImages(pairId: string): Promise<[GeneratedImage, GeneratedImage] | null> {
  const summary = await getPairSummary(pairId).catch(() => undefined);
  if (summary == null) return null;
  const size = useStudioStore.getState().session.model?.imageSize ?? 32;
  if (summary.images.some((b) => b.byteLength !== size * size * 4)) return null; // PNG-encoded (imported): not shown again
  const toImage = (b: Uint8Array): GeneratedImage => ({ width: size, height: size, rgba: b.slice().buffer as ArrayBuffer });
  return [toImage(summary.images[0]), toImage(summary.images[1])];
}

/** Drops the pair (or grid) on screen without a vote (a pair is also deleted from storage; a grid's pairs are pruned later). */
export async function skip(): Promise<void> {
  if (useStudioStore.getState().settings.gridMode) {
    if (useStudioStore.getState().labeling.grid != null) advanceGrid();
    return;
  }
  const pair = useStudioStore.getState().labeling.current;
  if (pair == null) return;
  advancePair();
  if (pair.recheck) return; // a re-shown pair keeps its earlier vote and trajectories
  await deletePairs([pair.pairId]).catch(() => undefined); // an orphan pair is pruned later anyway
}
