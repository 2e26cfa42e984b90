// Guidance-scale sweep for `eval --sweep-guidance` (issue "Base model": guidance tuned on the eval): the same prompts and seeds sampled at each classifier-free guidance weight, scored by category accuracy and Fréchet distance.
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../../src/core/model/pipeline';
import { imagesToRgba } from '../../src/core/diffusion/sample';
import type { EmojiClassifier } from '../../src/core/eval/classifier';
import type { EmojiDataset } from '../pretrain/emojiData';
import { allSplits, evalPrompts, promptOutputs, sampleRows, sheetPrompts, SAMPLE_SEED, SEEN_EVAL_PROMPTS, type EvalOptions, type SplitMetrics } from './baseModelEval';

export interface SweepRow {
  guidanceScale: number;
  splits: Record<'held-out' | 'seen' | 'all', SplitMetrics>;
  samplingSeconds: number;
}

export interface GuidanceSweep {
  settings: { perPrompt: number; steps: number; seed: number; batch: number; eta: number; scales: number[] };
  rows: SweepRow[];
  best: number; // the scale bestRow picks: accuracy within one standard error of the highest, then the lowest Fréchet distance
}

/** Parses "1.5,3,5" into distinct finite non-negative scales, in the given order; throws a message saying what to pass. */
export function parseScales(text: string): number[] {
  const scales = text.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  if (scales.length === 0 || scales.some((g) => !Number.isFinite(g) || g < 0))
    throw new Error(`--sweep-guidance needs a comma-separated list of guidance weights ≥ 0, e.g. --sweep-guidance 2,3.5,5; got ${JSON.stringify(text)}.`);
  return [...new Set(scales)];
}

/**
 * Index of the best row: among the rows whose all-prompt sample accuracy is within one standard error (the most
 * accurate row's, prompts as the unit) of the highest, the one with the lowest Fréchet distance — accuracy
 * differences smaller than the sampling noise do not decide, sample quality does.
 */
export function bestRow(rows: readonly SweepRow[]): number {
  const top = rows.reduce((b, r, i) => (r.splits.all.sampleAccuracy > rows[b].splits.all.sampleAccuracy ? i : b), 0);
  const { sampleAccuracy: p, sampleAccuracyStdErr: se } = rows[top].splits.all;
  let best = top;
  rows.forEach((r, i) => {
    if (r.splits.all.sampleAccuracy >= p - (Number.isFinite(se) ? se : 0) && r.splits.all.frechetDistance < rows[best].splits.all.frechetDistance) best = i;
  });
  return best;
}

/**
 * Samples every eval prompt `perPrompt` times at each scale with the same seeds (so differences are paired, not seed
 * noise) and scores each scale. The sheet: one row per sheet prompt (at most 6), two samples per scale.
 */
export async function guidanceSweep(
  model: MiniSD,
  clf: EmojiClassifier,
  ds: EmojiDataset,
  scales: readonly number[],
  opts: EvalOptions,
  log: (s: string) => void = () => {},
): Promise<{ sweep: GuidanceSweep; sheet: { tiles: Uint8ClampedArray[]; labels: string[]; cols: number } }> {
  const perPrompt = opts.perPrompt;
  const base = { perPrompt, steps: opts.steps, seed: opts.seed ?? SAMPLE_SEED, batch: opts.batch ?? 32 };
  const prompts = evalPrompts(ds, opts.seenPrompts ?? SEEN_EVAL_PROMPTS, opts.maxHeldOut);
  const sheetRows = sheetPrompts(prompts, opts.sheetRows ?? 6).slice(0, 6);
  const shown = Math.min(2, perPrompt);
  const rowPrompts = prompts.flatMap((p) => new Array<string>(perPrompt).fill(p.prompt));
  const rows: SweepRow[] = [];
  const sheetSamples: Float32Array[][] = sheetRows.map(() => []); // [sheet row][scale] -> shown samples
  for (const guidanceScale of scales) {
    log(`guidance ${guidanceScale}: sampling ${prompts.length} prompts × ${perPrompt}`);
    const t0 = Date.now();
    const samples = await sampleRows(model, rowPrompts, { ...base, guidanceScale });
    const samplingSeconds = (Date.now() - t0) / 1000;
    const splits = allSplits(clf, await promptOutputs(clf, ds, prompts, samples, perPrompt));
    rows.push({ guidanceScale, splits, samplingSeconds });
    log(`  accuracy ${(splits.all.sampleAccuracy * 100).toFixed(1)}% (ratio ${(splits.all.accuracyRatio * 100).toFixed(1)}%), Fréchet ${splits.all.frechetDistance.toFixed(2)} in ${samplingSeconds.toFixed(0)} s`);
    sheetRows.forEach((p, r) => {
      const at = prompts.indexOf(p) * perPrompt * 3072;
      sheetSamples[r].push(samples.slice(at, at + shown * 3072));
    });
  }
  const tiles: Uint8ClampedArray[] = [];
  const labels: string[] = [];
  for (let r = 0; r < sheetRows.length; r++) {
    for (let g = 0; g < scales.length; g++) {
      const imgs = tf.tensor4d(sheetSamples[r][g], [shown, 32, 32, 3]);
      tiles.push(...(await imagesToRgba(imgs)));
      imgs.dispose();
      labels.push(...[`g ${scales[g]}`, g === 0 ? sheetRows[r].prompt : ''].slice(0, shown));
    }
  }
  const sweep: GuidanceSweep = { settings: { ...base, eta: model.config.sample.eta, scales: [...scales] }, rows, best: rows[bestRow(rows)].guidanceScale };
  return { sweep, sheet: { tiles, labels, cols: shown * scales.length } };
}

/** The printed sweep table. */
export function formatSweep(s: GuidanceSweep): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');
  const lines = ['guidance | held-out acc | seen acc | all acc ± SE | ratio | Fréchet (all)', '---:|---:|---:|---:|---:|---:'];
  for (const r of s.rows) {
    const a = r.splits;
    lines.push(`${r.guidanceScale}${r.guidanceScale === s.best ? ' (best)' : ''} | ${pct(a['held-out'].sampleAccuracy)} | ${pct(a.seen.sampleAccuracy)} | ${pct(a.all.sampleAccuracy)} ± ${pct(a.all.sampleAccuracyStdErr)} | ${pct(a.all.accuracyRatio)} | ${a.all.frechetDistance.toFixed(2)}`);
  }
  return lines.join('\n');
}
