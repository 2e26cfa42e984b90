// The labeling screen's queue: keeps pairs (or best-of-k grids) generated 2 ahead of the one on screen, one prompt after another, and moves the next one on screen; the vote, grid and oracle actions all build on it.
import { errorMessage, getClient, hasClient, isAbort } from './client';
import { patch, useStudioStore } from './index';
import { AHEAD, GRID_SIZE, type GridView, type PairView } from './labelingSlice';
import { activePrompts } from './settingsSlice';
import { isCheckTurn } from '../core/taste/checkPairs';
import { DISTINCT_CANDIDATES } from '../core/taste/distinctPairs';
import { isRecheckTurn, pickRecheck } from '../core/preferences/recheck';
import { getPairSummary } from '../storage/pairs';
import type { GeneratedImage } from '../worker/protocol';

const MAX_SEED = 2 ** 31 - 1;
const inFlight = new Set<AbortController>();
let random: () => number = Math.random;
let pairRequests = 0; // pair requests of this page so far: every CHECK_EVERY-th asks for a check pair (the taste meter)

/** Tests make side randomisation and seeds reproducible (and restart the check-pair count). */
export function setRandomSource(r: () => number): void {
  random = r;
  pairRequests = 0;
}

function cancelInFlight(): void {
  for (const a of inFlight) a.abort();
  inFlight.clear();
}

/** Opens or closes the labeling screen; closing cancels the pairs still being generated. */
export function setLabelingActive(active: boolean): void {
  patch('labeling', { active });
  if (active) fillQueue();
  else cancelInFlight();
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

/** Drops every pair and grid on screen, queued or in flight (another profile was opened: they belong to the old one). */
export function dropPairs(): void {
  cancelInFlight();
  patch('labeling', { current: null, queue: [], shown: false, grid: null, gridQueue: [], gridShown: false, gridBest: null, error: null });
}

/** Distinct pairs on or off: pairs already queued were made the other way and are dropped. */
export function setDistinctPairs(on: boolean): void {
  patch('settings', { distinctPairs: on });
  dropPairs();
  fillQueue();
}

/** Switches between pairs and best-of-4 grids; what is queued for the other mode is dropped (pruned later). */
export function setGridMode(on: boolean): void {
  cancelInFlight();
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
    (signal) => getClient().grid({ prompt, seed, size: GRID_SIZE, steps: useStudioStore.getState().settings.train.sampleSteps }, { signal }),
    (e) => {
      const view: GridView = { gridId: e.gridId, prompt: e.prompt, seed: e.seed, loraVersion: e.loraVersion, images: e.images, pairIds: e.pairIds, implicitRewards: e.implicitRewards };
      const { labeling, settings } = useStudioStore.getState();
      if (!settings.gridMode) return; // the mode changed while it was generating
      if (labeling.grid == null) patch('labeling', { grid: view, gridShown: false, gridBest: null });
      else patch('labeling', { gridQueue: [...labeling.gridQueue, view] });
    },
  );
}

function requestPair(prompt: string): void {
  const seed = Math.floor(random() * MAX_SEED);
  const turn = pairRequests++;
  const check = isCheckTurn(turn);
  if (!check && isRecheckTurn(turn) && requestRecheck()) return;
  track(
    (signal) => {
      const { settings } = useStudioStore.getState();
      return getClient().pair({ prompt, seed, check, steps: settings.train.sampleSteps, ...(settings.distinctPairs ? { candidates: DISTINCT_CANDIDATES } : {}) }, { signal });
    },
    (e) => {
      const view: PairView = { pairId: e.pairId, prompt: e.prompt, seed: e.seed, loraVersion: e.loraVersion, images: e.images, leftIsFirst: random() < 0.5, predicted: e.predicted, check: e.check };
      const { labeling, settings } = useStudioStore.getState();
      if (settings.gridMode) return; // the mode changed while it was generating
      if (labeling.current == null) patch('labeling', { current: view, shown: false });
      else patch('labeling', { queue: [...labeling.queue, view] });
    },
  );
}

/** Queues a pair voted on before with its sides swapped (read back from storage); false when there is none to re-show. */
function requestRecheck(): boolean {
  const { labeling, session } = useStudioStore.getState();
  const shown = new Set([...labeling.rechecks.map((r) => r.pairId), ...[labeling.current, ...labeling.queue].filter((p) => p?.recheck).map((p) => p!.pairId)]);
  const label = pickRecheck(labeling.undo.filter((l) => l.modelId === session.model?.name), shown, random());
  if (label == null || (label.vote !== 0 && label.vote !== 1)) return false;
  const first = label.vote;
  track(
    async () => {
      const p = await getPairSummary(label.pairId);
      const size = useStudioStore.getState().session.model?.imageSize ?? 32;
      // Gone (pruned) or stored as PNG bytes (imports): nothing to re-show; the queue asks for a new pair instead.
      return p != null && p.images.every((im) => im.length === size * size * 4) ? p : null;
    },
    (p) => {
      if (p == null) return;
      const size = useStudioStore.getState().session.model?.imageSize ?? 32;
      const image = (rgba: Uint8Array): GeneratedImage => ({ width: size, height: size, rgba: rgba.slice().buffer as ArrayBuffer });
      // The sides the person saw, swapped.
      const view: PairView = { pairId: p.id, prompt: p.prompt, seed: p.seed, loraVersion: p.loraVersion, images: [image(p.images[0]), image(p.images[1])], leftIsFirst: !label.leftIsFirst, recheck: { first } };
      const s = useStudioStore.getState();
      if (s.settings.gridMode) return;
      if (s.labeling.current == null) patch('labeling', { current: view, shown: false });
      else patch('labeling', { queue: [...s.labeling.queue, view] });
    },
  );
  return true;
}

/** Clears a generation error and starts filling the queue again. */
export function retryGeneration(): void {
  patch('labeling', { error: null });
  fillQueue();
}

/** Shows the next queued pair (none: the screen waits for one) and tops the queue up. */
export function advancePair(): void {
  const { queue } = useStudioStore.getState().labeling;
  patch('labeling', { current: queue[0] ?? null, queue: queue.slice(1), shown: false });
  fillQueue();
}

/** Shows the next queued grid and tops the queue up. */
export function advanceGrid(): void {
  const { gridQueue } = useStudioStore.getState().labeling;
  patch('labeling', { grid: gridQueue[0] ?? null, gridQueue: gridQueue.slice(1), gridShown: false, gridBest: null });
  fillQueue();
}
