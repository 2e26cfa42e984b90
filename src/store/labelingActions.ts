// Labeling actions: keep the pair queue filled (2 ahead of the one on screen), record votes in trajectory order with the sides shown, undo, skip (Chatbot Arena / Pick-a-Pic flow).
import type { Vote } from '../core/algorithms/d3po';
import { deleteLabel, saveLabel, type Label } from '../storage/labels';
import { deletePairs, getPairSummary } from '../storage/pairs';
import type { GeneratedImage } from '../worker/protocol';
import { errorMessage, getClient, hasClient, isAbort } from './client';
import { patch, useStudioStore } from './index';
import { AHEAD, countLabels, GRID_SIZE, type GridView, type PairView } from './labelingSlice';
import { activePrompts } from './settingsSlice';
import { onPreferenceVote } from './trainingActions';
import { advanceGrid, takeUndoGrid } from './gridActions';
import { oracleLabelShown } from './oracleActions';

/** What the person chose, by screen side. */
export type Choice = 'A' | 'B' | 'tie' | 'both-bad';

const MAX_SEED = 2 ** 31 - 1;
const inFlight = new Set<AbortController>();
let random: () => number = Math.random;

/** Tests make side randomisation and seeds reproducible. */
export function setRandomSource(r: () => number): void {
  random = r;
}

/** A screen-side choice in trajectory order: A is the left image, which is trajectory 0 when leftIsFirst. */
export function voteFor(choice: Choice, leftIsFirst: boolean): Vote {
  if (choice === 'tie' || choice === 'both-bad') return choice;
  const leftVote: Vote = leftIsFirst ? 0 : 1;
  const rightVote: Vote = leftIsFirst ? 1 : 0;
  return choice === 'A' ? leftVote : rightVote;
}

/** Opens or closes the labeling screen; closing cancels the pairs still being generated. */
export function setLabelingActive(active: boolean): void {
  patch('labeling', { active });
  if (active) fillQueue();
  else {
    for (const a of inFlight) a.abort();
    inFlight.clear();
  }
}

function nextPrompt(): string | null {
  const s = useStudioStore.getState();
  const prompts = activePrompts(s.settings);
  if (prompts.length === 0) return null;
  const i = s.labeling.promptCursor % prompts.length;
  patch('labeling', { promptCursor: i + 1 });
  return prompts[i];
}

/** Requests pairs until one is on screen and AHEAD more are queued or in flight. */
export function fillQueue(): void {
  const s = useStudioStore.getState();
  if (!s.labeling.active || s.session.phase === 'starting' || s.session.phase === 'downloading' || s.session.phase === 'compiling' || s.session.phase === 'failed') return;
  if (s.session.fatal != null || s.labeling.error != null || !hasClient()) return;
  const { labeling } = s;
  const grid = s.settings.gridMode;
  const have = grid ? (labeling.grid ? 1 : 0) + labeling.gridQueue.length : (labeling.current ? 1 : 0) + labeling.queue.length;
  let missing = 1 + AHEAD - (have + labeling.inFlight);
  while (missing-- > 0) {
    const prompt = nextPrompt();
    if (prompt == null) {
      patch('labeling', { error: 'Every prompt is switched off; switch one on or add a prompt to generate pairs.' });
      return;
    }
    if (grid) requestGrid(prompt);
    else requestPair(prompt);
  }
}

/** Switches between pairs and best-of-4 grids; what is queued for the other mode is dropped (pruned later). */
export function setGridMode(on: boolean): void {
  for (const a of inFlight) a.abort();
  inFlight.clear();
  patch('settings', { gridMode: on });
  patch('labeling', { current: null, queue: [], shown: false, grid: null, gridQueue: [], gridShown: false, gridBest: null, error: null });
  fillQueue();
}

function track<T>(run: (signal: AbortSignal) => Promise<T>, onDone: (value: T) => void): void {
  const abort = new AbortController();
  inFlight.add(abort);
  patch('labeling', { inFlight: useStudioStore.getState().labeling.inFlight + 1 });
  run(abort.signal)
    .then(onDone)
    .catch((e: unknown) => {
      if (!isAbort(e)) patch('labeling', { error: errorMessage(e) });
    })
    .finally(() => {
      inFlight.delete(abort);
      patch('labeling', { inFlight: Math.max(0, useStudioStore.getState().labeling.inFlight - 1) });
      fillQueue();
    });
}

function requestGrid(prompt: string): void {
  const seed = Math.floor(random() * MAX_SEED);
  track(
    (signal) => getClient().grid({ prompt, seed, size: GRID_SIZE }, { signal }),
    (e) => {
      const view: GridView = { gridId: e.gridId, prompt: e.prompt, seed: e.seed, loraVersion: e.loraVersion, images: e.images, pairIds: e.pairIds };
      const { labeling, settings } = useStudioStore.getState();
      if (!settings.gridMode) return; // the mode changed while it was generating
      if (labeling.grid == null) patch('labeling', { grid: view, gridShown: false, gridBest: null });
      else patch('labeling', { gridQueue: [...labeling.gridQueue, view] });
    },
  );
}

function requestPair(prompt: string): void {
  const seed = Math.floor(random() * MAX_SEED);
  track(
    (signal) => getClient().pair({ prompt, seed }, { signal }),
    (e) => {
      const view: PairView = { pairId: e.pairId, prompt: e.prompt, seed: e.seed, loraVersion: e.loraVersion, images: e.images, leftIsFirst: random() < 0.5, predicted: e.predicted };
      const { labeling, settings } = useStudioStore.getState();
      if (settings.gridMode) return; // the mode changed while it was generating
      if (labeling.current == null) patch('labeling', { current: view, shown: false });
      else patch('labeling', { queue: [...labeling.queue, view] });
    },
  );
}

/** Clears a generation error and starts filling the queue again. */
export function retryGeneration(): void {
  patch('labeling', { error: null });
  fillQueue();
}

/** The UI calls this once both images of `pairId` are drawn; only then are votes accepted. */
export function markShown(pairId: string): void {
  if (useStudioStore.getState().labeling.current?.pairId !== pairId) return;
  patch('labeling', { shown: true });
  void oracleLabelShown();
}

function advance(): void {
  const { queue } = useStudioStore.getState().labeling;
  patch('labeling', { current: queue[0] ?? null, queue: queue.slice(1), shown: false });
  fillQueue();
}

/** Stores a vote on the pair on screen and shows the next one. Ignored until both images are shown. `annotator` overrides the settings' one (the oracle's 'oracle:<reward>'), which also passes its rewards (trajectory order). */
export async function vote(choice: Choice, annotator?: string, rewards?: [number, number]): Promise<void> {
  const s = useStudioStore.getState();
  const pair = s.labeling.current;
  if (pair == null || !s.labeling.shown || s.labeling.saving || s.session.model == null) return;
  const label: Label = {
    pairId: pair.pairId,
    vote: voteFor(choice, pair.leftIsFirst),
    leftIsFirst: pair.leftIsFirst,
    prompt: pair.prompt,
    seed: pair.seed,
    time: Date.now(),
    modelId: s.session.model.name,
    loraVersion: pair.loraVersion,
    annotator: annotator ?? (s.settings.annotator || undefined),
    ...(rewards ? { rewards } : {}),
    ...(pair.predicted === 0 || pair.predicted === 1 ? { predicted: pair.predicted } : {}),
  };
  patch('labeling', { saving: true });
  try {
    await saveLabel(label);
  } catch (e) {
    patch('labeling', { saving: false, error: errorMessage(e) });
    return;
  }
  const undo = [...useStudioStore.getState().labeling.undo, label];
  patch('labeling', { saving: false, undo, counts: countLabels(undo) });
  undoImages.set(pair.pairId, pair.images);
  advance();
  if (label.vote === 0 || label.vote === 1) onPreferenceVote();
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
  patch('labeling', { saving: true });
  try {
    for (const l of batch) await deleteLabel(l.pairId);
  } catch (e) {
    patch('labeling', { saving: false, error: errorMessage(e) });
    return;
  }
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
  const back: PairView = { pairId: last.pairId, prompt: last.prompt, seed: last.seed, loraVersion: last.loraVersion, images, leftIsFirst: last.leftIsFirst, predicted: last.predicted ?? null };
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
  advance();
  await deletePairs([pair.pairId]).catch(() => undefined); // an orphan pair is pruned later anyway
}
