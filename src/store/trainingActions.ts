// Training actions: automatic D3PO rounds while the person labels (one round of the taste recipe after every few votes), manual "Train N steps", reward-driven PRDP/DDPO rounds (pixel rewards or the person's ratings), stop between steps, follow per-step metrics and checkpoints, roll back, start a new adapter, and manage the D3PO reference copy.
import { listCheckpoints } from '../storage/checkpoints';
import { getMetrics } from '../storage/runs';
import type { LoraStatus, MetricRow } from '../worker/protocol';
import { errorMessage, getClient, isAbort } from './client';
import { patch, useStudioStore } from './index';
import { mergeRows } from './trainingSlice';
import { activePrompts } from './settingsSlice';
import { receiveRateRequest } from './ratingActions';

let abort: AbortController | null = null;

/** Whether a training run may start now (idle, model loaded, worker healthy). */
export function canTrain(): boolean {
  const s = useStudioStore.getState();
  return s.training.status === 'idle' && s.session.phase !== 'failed' && s.session.model != null && s.session.fatal == null;
}

/**
 * The run lifecycle both training modes share: status and progress target, a cancel signal for Stop, the worker call,
 * the adapter and outcome message from its result, errors (not cancels) shown, checkpoints refreshed at the end.
 */
export async function runTraining<R extends { lora: LoraStatus }>(target: number, call: (signal: AbortSignal) => Promise<R>, message: (result: R) => string): Promise<void> {
  abort = new AbortController();
  patch('training', { status: 'training', target, done: 0, error: null, message: null });
  try {
    const result = await call(abort.signal);
    patch('session', { lora: result.lora });
    patch('training', { message: message(result) });
  } catch (e) {
    if (!isAbort(e)) patch('training', { error: errorMessage(e) });
  } finally {
    abort = null;
    patch('training', { status: 'idle', rating: null });
    await refreshCheckpoints();
  }
}

/** A/B votes of the loaded model so far (what a round trains on). */
const preferenceVotes = () => useStudioStore.getState().labeling.undo.filter((l) => l.vote === 0 || l.vote === 1).length;

/**
 * Runs `steps` optimizer steps (default: the config's manual `steps`) on every labeled pair as one round (the reference is
 * refreshed first when the recipe says so); resolves when the run ends. `kind` says what the status line shows.
 */
export async function trainSteps(steps?: number, kind: 'manual' | 'round' = 'manual'): Promise<void> {
  if (!canTrain()) return;
  const s = useStudioStore.getState();
  const n = steps ?? s.settings.train.steps;
  patch('training', { runKind: kind, roundVotes: preferenceVotes(), ...(kind === 'round' ? { votesSinceRound: 0 } : {}) });
  await runTraining(
    n,
    (signal) =>
      getClient().train(
        { steps: n, config: s.settings.train, runId: s.training.runId, refreshReference: s.settings.train.refreshReference },
        {
          signal,
          onProgress: (e) => {
            if (e.type === 'train-step') onStep(e.row, e.index);
            else void refreshCheckpoints();
          },
        },
      ),
    (r) => (r.stopped ? `Stopped after ${r.stepsDone} of ${n} steps.` : `Trained ${r.stepsDone} step${r.stepsDone === 1 ? '' : 's'}; now at step ${r.lora.step}.`),
  );
  patch('training', { runKind: null });
  maybeStartRound(); // votes that arrived during this run
}

/** Auto-training: a round of the recipe once `votesPerRound` A/B votes arrived since the last one (never two at once). */
function maybeStartRound(): void {
  const s = useStudioStore.getState();
  if (!s.settings.autoTrain || s.settings.labelMode === 'reward' || !canTrain()) return;
  if (s.training.votesSinceRound < s.settings.train.votesPerRound) return;
  void trainSteps(s.settings.train.stepsPerRound, 'round');
}

/** Called after each A/B vote (`n` votes for a best-of-k click): counts towards the next automatic round. */
export function onPreferenceVote(n = 1): void {
  patch('training', { votesSinceRound: useStudioStore.getState().training.votesSinceRound + n });
  maybeStartRound();
}

/** Turns automatic rounds on or off (on: a round starts at once when enough votes are waiting). */
export function setAutoTrain(on: boolean): void {
  patch('settings', { autoTrain: on });
  maybeStartRound();
}

/** Reward-driven mode: runs the configured PRDP/DDPO rounds on the active prompts; resolves when the run ends. */
export async function trainWithReward(): Promise<void> {
  if (!canTrain()) return;
  const s = useStudioStore.getState();
  const settings = s.settings.rewardTrain;
  await runTraining(
    settings.rounds,
    (signal) =>
      getClient().rewardTrain(
        { settings, prompts: activePrompts(s.settings), runId: s.training.runId, checkpointEvery: s.settings.train.checkpointEvery, seed: (Date.now() % 2 ** 31) >>> 0 },
        {
          signal,
          onProgress: (e) => {
            if (e.type === 'reward-round') {
              onStep(e.row, e.round);
              patch('training', { rewardSamples: { round: e.round, prompt: e.prompt, images: e.images, rewards: e.rewards, joint: e.joint } });
            } else if (e.type === 'rate-request') receiveRateRequest(e);
            else void refreshCheckpoints();
          },
        },
      ),
    (r) => {
      const what = `${r.rounds} ${settings.method.toUpperCase()} round${r.rounds === 1 ? '' : 's'} (${r.imagesSampled} images sampled)`;
      return r.stopped ? `Stopped after ${what}.` : `Trained ${what}; now at step ${r.lora.step}.`;
    },
  );
}

export function onStep(row: MetricRow, index: number): void {
  const t = useStudioStore.getState().training;
  patch('training', { rows: mergeRows(t.rows, [row]), done: index });
  const lora = useStudioStore.getState().session.lora;
  if (lora) patch('session', { lora: { ...lora, step: row.step } });
}

/** Freezes the dashboard on the rows so far (training goes on), or resumes following them. */
export function setDashboardPaused(paused: boolean): void {
  patch('training', { pausedRows: paused ? useStudioStore.getState().training.rows : null });
}

/** Cooperative stop: the worker finishes the current step, checkpoints, and resolves. */
export function stopTraining(): void {
  if (abort == null) return;
  patch('training', { status: 'stopping' });
  abort.abort();
}

export async function refreshCheckpoints(): Promise<void> {
  try {
    patch('training', { checkpoints: await listCheckpoints(useStudioStore.getState().session.model?.name) });
  } catch (e) {
    patch('training', { error: errorMessage(e) });
  }
}

async function loraCall(run: () => Promise<{ lora: NonNullable<ReturnType<typeof useStudioStore.getState>['session']['lora']> }>, message: string): Promise<boolean> {
  if (useStudioStore.getState().training.status !== 'idle') {
    patch('training', { error: 'Stop training first.' });
    return false;
  }
  try {
    const { lora } = await run();
    patch('session', { lora });
    patch('training', { message, error: null });
    return true;
  } catch (e) {
    patch('training', { error: errorMessage(e) });
    return false;
  }
}

/** Restores a checkpoint's LoRA and AdamW state; the curve is cut back to its step. */
export async function rollbackTo(checkpointId: string): Promise<void> {
  const runId = useStudioStore.getState().training.runId;
  const ok = await loraCall(() => getClient().rollback(checkpointId, runId), 'Rolled back.');
  if (ok) patch('training', { rows: mergeRows([], (await getMetrics(runId)) as MetricRow[]) });
}

/** Replaces the adapter with a fresh one of the configured rank/alpha (the base model again) and clears the curve. */
export async function newAdapter(): Promise<void> {
  const s = useStudioStore.getState();
  const { rank, alpha, targets } = s.settings.train;
  const ok = await loraCall(() => getClient().newAdapter({ rank, alpha, targets, runId: s.training.runId }), `New adapter (rank ${rank}, alpha ${alpha}, on ${targets.join(', ')}).`);
  if (ok) patch('training', { rows: [] });
}

/** Turns the separate reference adapter on or off (off: the base model is the reference). */
export async function setReferenceEnabled(enabled: boolean): Promise<void> {
  patch('settings', { train: { ...useStudioStore.getState().settings.train, refreshReference: enabled } });
  await loraCall(() => getClient().reference({ enabled, refresh: false }), enabled ? 'The reference is a copy of the current adapter.' : 'The reference is the base model.');
}

export async function refreshReferenceNow(): Promise<void> {
  await loraCall(() => getClient().reference({ enabled: true, refresh: true }), 'Reference refreshed from the current adapter.');
}

export async function setLoraScale(scale: number): Promise<void> {
  patch('settings', { compareScale: scale });
  try {
    const { lora } = await getClient().setLoraScale(scale);
    patch('session', { lora });
  } catch (e) {
    patch('training', { error: errorMessage(e) });
  }
}
