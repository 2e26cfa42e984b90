// The worker's train job: loads the labeled pairs from IndexedDB, runs N D3PO optimizer steps (AdamW over the LoRA) as the taste recipe says, posts one plain-number metrics row per step, appends it to the run, checkpoints every N steps, lets pair requests through between steps, and stops cooperatively (yk7333/d3po scripts/train.py).
import { createRng } from '../core/rng';
import { d3poTrainStep, type PreferencePair } from '../core/algorithms/d3poTrainer';
import { d3poConfigOf } from '../core/taste/recipe';
import { pairBatcher } from '../core/taste/tasteTrainer';
import { listLabels, type Label } from '../storage/labels';
import { getPair } from '../storage/pairs';
import type { MetricRow, TrainRequest } from './protocol';
import { validateTrainConfig } from './trainConfig';
import type { JobContext } from './jobContext';
import { loraStatus, referenceCacheOf, setReference, type Session } from './session';
import { runSteps } from './stepLoop';

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
 * the adapter currently samples score (DDPO's reward mean/std, which needs a reward or scripted oracle). Null without any.
 */
export function recentOracleRewards(labels: Label[], modelId: string, n = RECENT_ORACLE_LABELS): { mean: number; std: number } | null {
  const scored = labels.filter((l) => l.modelId === modelId && l.rewards != null).sort((a, b) => b.time - a.time).slice(0, n);
  if (scored.length === 0) return null;
  const xs = scored.flatMap((l) => l.rewards!);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
}

/** The labeled pairs with stored trajectories, as D3PO training pairs (id = pair id: it keys the reference cache). */
async function labeledPairs(labels: Label[]): Promise<PreferencePair[]> {
  const out: PreferencePair[] = [];
  for (const l of labels) {
    const pair = await getPair(l.pairId);
    if (pair == null || pair.trajectories == null) continue; // pruned: the label stays, its trajectories are gone
    out.push({ id: pair.id, trajectories: pair.trajectories, vote: l.vote });
  }
  return out;
}


/**
 * Runs `req.steps` D3PO steps over the labeled set (one round of the taste recipe, or a manual "Train N steps"): batches
 * of `pairsPerStep` pairs, a new shuffle per pass, reference log-probs cached per reference. Between steps it runs any
 * pair requests that arrived meanwhile (the person keeps labeling) and checks for Stop. A non-finite loss or weight stops
 * the run and puts back the last good checkpoint.
 */
export async function handleTrain(s: Session, req: TrainRequest, ctx: JobContext): Promise<void> {
  const cfg = req.config;
  const invalid = validateTrainConfig(cfg);
  if (invalid) throw new Error(invalid);
  if (!Number.isInteger(req.steps) || req.steps < 1) throw new Error(`steps must be a positive integer, got ${req.steps}.`);
  s.optimizer.config = { ...s.optimizer.config, learningRate: cfg.learningRate, weightDecay: cfg.weightDecay };
  const rng = createRng((Date.now() ^ (s.optimizer.step * 2654435761)) >>> 0);
  const all = await listLabels();
  const labels = usableLabels(all, s.modelId);
  const oracle = recentOracleRewards(all, s.modelId);
  const pairs = await labeledPairs(labels);
  if (pairs.length === 0) {
    throw new Error(
      labels.length === 0
        ? 'Nothing to train on yet: label at least one pair "A better" or "B better" (ties and both-bad are skipped by D3PO).'
        : 'The labeled pairs have no stored trajectories (they were pruned); label new pairs to train.',
    );
  }
  if (req.refreshReference) setReference(s, true, true);
  const next = pairBatcher(pairs, cfg.pairsPerStep, rng);
  const d3po = d3poConfigOf(cfg);

  const { done, stopped } = await runSteps(
    s,
    {
      id: req.id,
      runId: req.runId,
      steps: req.steps,
      checkpointEvery: cfg.checkpointEvery,
      step: async () => {
        const result = await d3poTrainStep(s.model, s.lora, s.optimizer, next(), d3po, rng, s.reference ?? undefined, referenceCacheOf(s));
        if (result == null) return null; // cannot happen: every pair has a preference
        return {
          loss: result.loss,
          gradNorm: result.gradNorm,
          row: (ms): MetricRow => ({
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
            labeled: pairs.length,
            pairsUsed: result.pairsUsed,
            ms,
            ...(oracle ? { rewardMean: oracle.mean, rewardStd: oracle.std } : {}),
          }),
        };
      },
      nonFinite: (step, restored) =>
        `Training stopped at step ${step}: the loss or the weights became NaN/Inf (learning rate ${cfg.learningRate} may be too high); ${restored}. Lower the learning rate in Advanced and train again.`,
    },
    ctx,
  );
  ctx.post({ type: 'trained', id: req.id, stepsDone: done, stopped, lora: loraStatus(s) });
}
