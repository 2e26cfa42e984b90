// The labeling screen's queue: keeps pairs (or best-of-k grids) generated 2 ahead of the one on screen, one prompt after another, and moves the next one on screen; the vote, grid and oracle actions all build on it.
import { errorMessage, getClient, hasClient, isAbort } from './client';
import { patch, useStudioStore } from './index';
import { AHEAD, GRID_SIZE, type GridView, type PairView } from './labelingSlice';
import { activePrompts } from './settingsSlice';
import { isCheckTurn } from '../core/taste/checkPairs';

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
  const check = isCheckTurn(pairRequests++);
  track(
    (signal) => getClient().pair({ prompt, seed, check, steps: useStudioStore.getState().settings.train.sampleSteps }, { signal }),
    (e) => {
      const view: PairView = { pairId: e.pairId, prompt: e.prompt, seed: e.seed, loraVersion: e.loraVersion, images: e.images, leftIsFirst: random() < 0.5, predicted: e.predicted, check: e.check };
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
