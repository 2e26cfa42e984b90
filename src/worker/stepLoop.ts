// The training step loop the worker's D3PO and moodboard jobs share: between steps it runs the pair requests that arrived meanwhile and checks Stop; each step's metric row is stored and posted; a checkpoint every `checkpointEvery` optimizer steps and always at the end of a run (a reload resumes where it stopped); a non-finite loss, gradient or weight stops the run and puts back the last good checkpoint.
import { loraIsFinite } from '../core/model/lora';
import { appendMetrics } from '../storage/runs';
import type { MetricRow } from './protocol';
import type { JobContext } from './jobContext';
import { loadCheckpoint } from '../storage/checkpoints';
import { checkpointNow, freshAdapter, replaceAdapter, restoreCheckpoint, setReference, type Session } from './session';

export interface StepLoop {
  id: number; // the request's id (train-step and checkpoint-saved events carry it)
  runId: string; // metric rows are appended under this run
  steps: number;
  checkpointEvery: number;
  checkpointNote?: () => string; // the checkpoint's note (default: "<model> step N")
  /** One optimizer step: its loss, gradient norm and metric row (the row's step is the optimizer's after the step); null skips. */
  step(): Promise<{ loss: number; gradNorm: number; row: (ms: number) => MetricRow } | null>;
  /** The error sentence when a step went non-finite; `restored` says what was put back. */
  nonFinite(step: number, restored: string): string;
}

/** Runs the loop; resolves with the steps done and whether Stop ended it early. */
export async function runSteps(s: Session, loop: StepLoop, ctx: JobContext): Promise<{ done: number; stopped: boolean }> {
  let done = 0;
  let stopped = false;
  let lastSaved = s.checkpointStep;
  const save = async () => {
    const saved = await checkpointNow(s, loop.checkpointNote?.());
    lastSaved = saved.step;
    ctx.post({ type: 'checkpoint-saved', id: loop.id, checkpointId: saved.id, step: saved.step });
  };
  for (let i = 1; i <= loop.steps; i++) {
    await ctx.runUrgent?.();
    if (ctx.cancelled()) {
      stopped = true;
      break;
    }
    const t0 = performance.now();
    const result = await loop.step();
    if (result == null) continue;
    if (!Number.isFinite(result.loss) || !Number.isFinite(result.gradNorm) || !(await loraIsFinite(s.lora))) {
      const step = s.optimizer.step;
      throw new Error(loop.nonFinite(step, await restoreLastGood(s)));
    }
    done++;
    const row = result.row(performance.now() - t0);
    await appendMetrics(loop.runId, [row]);
    ctx.post({ type: 'train-step', id: loop.id, row, index: i, total: loop.steps });
    if (s.optimizer.step % loop.checkpointEvery === 0) await save();
  }
  if (done > 0 && lastSaved !== s.optimizer.step) await save();
  return { done, stopped };
}

/** Puts back the last good checkpoint (or a fresh adapter when there is none) after training produced NaN/Inf. */
export async function restoreLastGood(s: Session): Promise<string> {
  const id = s.checkpointId;
  const ckpt = id ? await loadCheckpoint(id) : undefined;
  const restored = ckpt ? restoreCheckpoint(s.model, ckpt) : null;
  const hadReference = s.reference != null;
  if (restored && ckpt) {
    replaceAdapter(s, restored, 'checkpoint');
    s.checkpointId = ckpt.id;
    s.checkpointStep = ckpt.step;
    if (hadReference) setReference(s, true, true);
    return `the adapter was restored to the last good checkpoint (step ${ckpt.step})`;
  }
  replaceAdapter(s, freshAdapter(s.model, s.lora.config), 'new');
  return 'no good checkpoint existed, so the adapter was reset to the base model';
}
