// The worker's train job: loads labeled pairs from IndexedDB, runs N D3PO optimizer steps (AdamW over the LoRA), posts one plain-number metrics row per step, appends it to the run, checkpoints every N steps, and stops cooperatively between steps (style.md §3 rule 11; yk7333/d3po scripts/train.py).
import { createRng, shuffled } from '../core/rng';
import { d3poTrainStep, type PreferencePair } from '../core/algorithms/d3poTrainer';
import { listLabels, type Label } from '../storage/labels';
import { getPair, type StoredPair } from '../storage/pairs';
import { appendMetrics } from '../storage/runs';
import type { MetricRow, TrainRequest } from './protocol';
import { validateTrainConfig } from './trainConfig';
import type { JobContext } from './pairJobs';
import { checkpointNow, loraStatus, setReference, type Session } from './session';

/** Labels that carry a preference (A or B better) for this model, newest vote per pair. */
export function usableLabels(labels: Label[], modelId: string): Label[] {
  const latest = new Map<string, Label>();
  for (const l of labels) {
    if (l.modelId !== modelId) continue;
    const prev = latest.get(l.pairId);
    if (prev == null || l.time >= prev.time) latest.set(l.pairId, l);
  }
  return [...latest.values()].filter((l) => l.vote === 0 || l.vote === 1);
}

/** How many of the newest oracle-scored labels the dashboard's reward mean ± std covers (2 images each). */
export const RECENT_ORACLE_LABELS = 8;

/**
 * Mean ± std of the oracle's rewards over the images of this model's newest `n` oracle-scored pairs: how the images
 * the adapter currently samples score (conventions §8: mean/std reward with a scripted oracle). Null without any.
 */
export function recentOracleRewards(labels: Label[], modelId: string, n = RECENT_ORACLE_LABELS): { mean: number; std: number } | null {
  const scored = labels.filter((l) => l.modelId === modelId && l.rewards != null).sort((a, b) => b.time - a.time).slice(0, n);
  if (scored.length === 0) return null;
  const xs = scored.flatMap((l) => l.rewards!);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
}

export async function handleTrain(s: Session, req: TrainRequest, ctx: JobContext): Promise<void> {
  const cfg = req.config;
  const invalid = validateTrainConfig(cfg);
  if (invalid) throw new Error(invalid);
  if (!Number.isInteger(req.steps) || req.steps < 1) throw new Error(`steps must be a positive integer, got ${req.steps}.`);
  s.optimizer.config = { ...s.optimizer.config, learningRate: cfg.learningRate, weightDecay: cfg.weightDecay };
  const rng = createRng((Date.now() ^ (s.optimizer.step * 2654435761)) >>> 0);
  const cache = new Map<string, StoredPair | null>(); // this request's pairs (labels may change between requests)
  if (req.refreshReference) setReference(s, true, true);

  let done = 0;
  let stopped = false;
  let lastSaved = s.checkpointStep;
  for (let i = 1; i <= req.steps; i++) {
    if (ctx.cancelled()) {
      stopped = true;
      break;
    }
    const all = await listLabels();
    const labels = usableLabels(all, s.modelId);
    const oracle = recentOracleRewards(all, s.modelId);
    const batch: PreferencePair[] = [];
    for (const l of shuffled(labels, rng)) {
      if (batch.length >= cfg.pairsPerStep) break;
      if (!cache.has(l.pairId)) cache.set(l.pairId, (await getPair(l.pairId)) ?? null);
      const pair = cache.get(l.pairId);
      if (pair == null || pair.trajectories == null) continue; // pruned: the label stays, its trajectories are gone
      batch.push({ id: pair.id, trajectories: pair.trajectories, vote: l.vote });
    }
    if (batch.length === 0) {
      if (done > 0) break;
      throw new Error(
        labels.length === 0
          ? 'Nothing to train on yet: label at least one pair "A better" or "B better" (ties and both-bad are skipped by D3PO).'
          : 'The labeled pairs have no stored trajectories (they were pruned); label new pairs to train.',
      );
    }
    const t0 = performance.now();
    const result = await d3poTrainStep(
      s.model,
      s.lora,
      s.optimizer,
      batch,
      { beta: cfg.beta, eps: cfg.eps, learningRate: cfg.learningRate, maxGradNorm: cfg.maxGradNorm, timestepFraction: cfg.timestepFraction, stepsPerChunk: cfg.stepsPerChunk },
      rng,
      s.reference ?? undefined,
    );
    if (result == null) continue; // cannot happen: every batch pair has a preference
    done++;
    const row: MetricRow = {
      step: s.optimizer.step,
      time: Date.now(),
      loss: result.loss,
      accuracy: result.accuracy,
      margin: result.margin,
      chosenReward: result.chosenReward,
      rejectedReward: result.rejectedReward,
      meanLogRatio: result.meanLogRatio,
      approxKl: result.approxKl,
      clipFraction: result.clipFraction,
      gradNorm: result.gradNorm,
      learningRate: result.learningRate,
      labeled: labels.length,
      pairsUsed: result.pairsUsed,
      ms: performance.now() - t0,
      ...(oracle ? { rewardMean: oracle.mean, rewardStd: oracle.std } : {}),
    };
    await appendMetrics(req.runId, [row]);
    ctx.post({ type: 'train-step', id: req.id, row, index: i, total: req.steps });
    if (s.optimizer.step % cfg.checkpointEvery === 0) {
      const saved = await checkpointNow(s);
      lastSaved = saved.step;
      ctx.post({ type: 'checkpoint-saved', id: req.id, checkpointId: saved.id, step: saved.step });
    }
  }
  // A multi-step run always ends on a checkpoint; online single steps rely on checkpointEvery (no checkpoint per label).
  if (done > 0 && req.steps > 1 && lastSaved !== s.optimizer.step) {
    const saved = await checkpointNow(s);
    ctx.post({ type: 'checkpoint-saved', id: req.id, checkpointId: saved.id, step: saved.step });
  }
  ctx.post({ type: 'trained', id: req.id, stepsDone: done, stopped, lora: loraStatus(s) });
}
