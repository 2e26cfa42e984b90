// Base-model evaluation (issue "Base model", part 3), the work behind the `eval` command: samples held-out and seen prompts, reports category accuracy (vs. the classifier on real images), classifier-feature Fréchet distance, held-out denoising loss and autoencoder PSNR; follows src/core/eval.
import * as tf from '@tensorflow/tfjs';
import { type EmojiRecord } from '../../src/core/data/emojiDataset';
import { baseCaption } from '../../src/core/data/captions';
import type { MiniSD } from '../../src/core/model/pipeline';
import { sampleWithTrajectory, imagesToRgba } from '../../src/core/diffusion/sample';
import { defaultPretrainConfig } from '../../src/core/pretrain/pretrainer';
import { accuracyOf, argmax, classifierCategoryOf, classifyAll, EmojiClassifier } from '../../src/core/eval/classifier';
import { featureStats, frechetDistance } from '../../src/core/eval/frechet';
import type { EmojiDataset } from '../pretrain/emojiData';
import { type ClassifierTrainingReport, recordImages01 } from './classifierData';
import { realImageReport, type RealImageReport } from './classifierReport';
import { accuracyByGroup } from '../../src/core/eval/categoryReport';
import { LOSS_SEED, autoencoderPsnr, fixedDenoisingLoss, trainSubset } from './modelMetrics';

export const DEFAULT_CLASSIFIER_PATH = 'public/models/emoji-classifier/classifier.safetensors';

/**
 * Seen (training-split) prompts sampled by every eval: 24 common emoji, bare CLDR names as the captions use them,
 * 2–4 per category so each classifier class appears. All exist in the index and none is held out (checked at run time).
 */
export const SEEN_EVAL_PROMPTS: readonly string[] = [
  'grinning face', 'red heart', 'face with tears of joy', 'ghost', // Smileys & Emotion
  'thumbs up', 'baby', 'clapping hands', // People & Body
  'dog face', 'cat face', 'unicorn', // Animals & Nature
  'pizza', 'banana', 'birthday cake', // Food & Drink
  'sun', 'rainbow', 'fire', // Travel & Places
  'soccer ball', 'party popper', // Activities
  'light bulb', 'guitar', // Objects
  'check mark', 'warning', // Symbols
  'flag brazil', 'flag japan', // Flags
];

/** Seen prompts on the sample sheet (the other 6 rows are held-out prompts spread over the held-out list). */
export const SHEET_SEEN_PROMPTS: readonly string[] = ['grinning face', 'red heart', 'dog face', 'pizza', 'flag brazil', 'thumbs up'];
export const SHEET_ROWS = 12;
export const SHEET_SEEDS = 6;
/** Sample-accuracy / real-image-accuracy ratio the base model should reach. */
export const QUALITY_BAR = 0.75;
/** Seeds of the fixed held-out denoising-loss draws (timesteps + noise) and of the sampling. */
export const SAMPLE_SEED = 0;

// ---------------------------------------------------------------- prompts and sampling

export type PromptSplit = 'held-out' | 'seen';

export interface EvalPrompt {
  prompt: string; // bare caption (normalised emoji name)
  split: PromptSplit;
  category: string; // classifier category
  records: EmojiRecord[]; // real images of this emoji (both vendors, all skin tones)
}

/** Records grouped by bare caption, in dataset (sort) order. */
function recordsByCaption(records: readonly EmojiRecord[]): Map<string, EmojiRecord[]> {
  const map = new Map<string, EmojiRecord[]>();
  for (const r of records) {
    const k = baseCaption(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return map;
}

/** Every held-out prompt (optionally the first maxHeldOut) followed by the seen prompts; errors name missing prompts. */
export function evalPrompts(ds: EmojiDataset, seen: readonly string[], maxHeldOut = Infinity): EvalPrompt[] {
  const held = [...recordsByCaption(ds.heldOut)].slice(0, maxHeldOut);
  const train = recordsByCaption(ds.train);
  const heldNames = new Set(held.map(([p]) => p));
  const out: EvalPrompt[] = held.map(([prompt, records]) => ({ prompt, split: 'held-out', category: classifierCategoryOf(records[0].category), records }));
  for (const prompt of seen) {
    const records = train.get(prompt);
    if (!records || heldNames.has(prompt)) throw new Error(`Seen eval prompt ${JSON.stringify(prompt)} is not a training-split emoji name in the dataset index; fix SEEN_EVAL_PROMPTS (use the bare CLDR name, e.g. "flag brazil").`);
    out.push({ prompt, split: 'seen', category: classifierCategoryOf(records[0].category), records });
  }
  return out;
}

/** Sheet rows: the seen sheet prompts that are being evaluated, then held-out prompts evenly spread, SHEET_ROWS in all. */
export function sheetPrompts(prompts: readonly EvalPrompt[], rows = SHEET_ROWS): EvalPrompt[] {
  const seen = prompts.filter((p) => p.split === 'seen');
  const seenRows = SHEET_SEEN_PROMPTS.map((s) => seen.find((p) => p.prompt === s)).filter((p): p is EvalPrompt => !!p);
  const rest = seen.filter((p) => !seenRows.includes(p));
  const chosenSeen = [...seenRows, ...rest].slice(0, Math.ceil(rows / 2));
  const held = prompts.filter((p) => p.split === 'held-out');
  const nHeld = Math.min(held.length, rows - chosenSeen.length);
  const chosenHeld = Array.from({ length: nHeld }, (_, i) => held[Math.floor((i * held.length) / nHeld)]);
  return [...chosenSeen, ...chosenHeld];
}

export interface SampleSettings {
  perPrompt: number;
  steps: number;
  guidanceScale: number;
  seed: number; // chunk c of a sampling pass uses seed + c
  batch: number; // images per DDIM batch (prompts are packed across batches: wasm runs batch 32 ~5× faster per image than batch 2)
}

/** Seed offset of the sheet's own sampling pass (used when perPrompt < sheet columns). */
export const SHEET_SEED_OFFSET = 10_000;

/**
 * Samples one image per entry of `rowPrompts`, in chunks of `s.batch` rows; chunk c uses seed s.seed + seedOffset + c.
 * Deterministic for the same prompt list and settings. -> flat [R,32,32,3] in [0,1]
 */
export async function sampleRows(model: MiniSD, rowPrompts: readonly string[], s: SampleSettings, seedOffset = 0, onChunk: (done: number) => void = () => {}): Promise<Float32Array> {
  const out = new Float32Array(rowPrompts.length * 3072);
  for (let start = 0, c = 0; start < rowPrompts.length; start += s.batch, c++) {
    const prompts = rowPrompts.slice(start, start + s.batch);
    const { final } = await sampleWithTrajectory(model, { prompts, seed: s.seed + seedOffset + c, sample: { steps: s.steps, guidanceScale: s.guidanceScale } });
    const images = model.decode(final); // [b,32,32,3]
    out.set(await images.data(), start * 3072);
    tf.dispose([final, images]);
    onChunk(start + prompts.length);
  }
  return out;
}

// ---------------------------------------------------------------- the evaluation

export interface SplitMetrics {
  prompts: number;
  samples: number;
  sampleAccuracy: number; // samples classified as their prompt's category
  sampleAccuracyStdErr: number; // its standard error with prompts as the unit (samples of one prompt are not independent)
  realAccuracy: number; // classifier on the real images of the same prompts
  accuracyRatio: number; // sampleAccuracy / realAccuracy (quality bar ≥ QUALITY_BAR)
  promptCategoryProbability: number; // mean classifier probability of the prompt's category (the alignment reward)
  frechetDistance: number; // classifier features of samples vs. real images of the same prompts
  realImages: number;
}

/** Sample vs. real accuracy of the prompts of one category (held-out and seen together). */
export interface CategoryMetrics {
  category: string;
  prompts: number;
  samples: number;
  sampleAccuracy: number; // samples classified as this category
  realImages: number; // real images of the same prompts
  realAccuracy: number; // classifier accuracy on them
  accuracyRatio: number; // sampleAccuracy / realAccuracy (NaN when realAccuracy is 0)
}

export interface PromptMetrics {
  prompt: string;
  split: PromptSplit;
  category: string;
  accuracy: number;
  promptCategoryProbability: number;
  predicted: string[]; // argmax category of each sample
}

export interface EvalReport {
  settings: SampleSettings & { eta: number };
  classifier: { categories: string[]; featureDim: number; heldOutAccuracy: number; heldOut: RealImageReport; parameters: number; training?: ClassifierTrainingReport };
  splits: Record<'held-out' | 'seen' | 'all', SplitMetrics>;
  categories: CategoryMetrics[]; // every category with eval prompts, in classifier order
  qualityBar: { ratio: number; passed: boolean; on: 'all' };
  denoisingLoss: { heldOut: number; trainSubset: number; minSnrGamma: number; images: number; seed: number };
  autoencoderPsnr: { heldOut: number; trainSubset: number; images: number };
  prompts: PromptMetrics[];
  seenPromptList: string[];
  timing: { samplingSeconds: number; samplesPerSecond: number; totalSeconds: number };
}

/** Sample-side and real-side classifier outputs of one prompt. */
export interface PromptOutputs {
  p: EvalPrompt;
  sampleProbs: Float32Array[];
  sampleFeatures: Float32Array[];
  realProbs: Float32Array[];
  realFeatures: Float32Array[];
}

/** Classifies the samples (perPrompt per prompt, prompt-major) and each prompt's real images. */
export async function promptOutputs(clf: EmojiClassifier, ds: EmojiDataset, prompts: readonly EvalPrompt[], samples: Float32Array, perPrompt: number): Promise<PromptOutputs[]> {
  const s = await classifyAll(clf, samples);
  const r = await classifyAll(clf, recordImages01(ds, prompts.flatMap((p) => p.records)));
  const outs: PromptOutputs[] = [];
  let realAt = 0;
  prompts.forEach((p, i) => {
    const [a, b] = [i * perPrompt, (i + 1) * perPrompt];
    outs.push({ p, sampleProbs: s.probs.slice(a, b), sampleFeatures: s.features.slice(a, b), realProbs: r.probs.slice(realAt, realAt + p.records.length), realFeatures: r.features.slice(realAt, realAt + p.records.length) });
    realAt += p.records.length;
  });
  return outs;
}

/** The three splits' metrics of classified prompts. */
export function allSplits(clf: EmojiClassifier, outs: readonly PromptOutputs[]): Record<'held-out' | 'seen' | 'all', SplitMetrics> {
  const group = (split?: PromptSplit) => splitMetrics(clf, split ? outs.filter((o) => o.p.split === split) : outs);
  return { 'held-out': group('held-out'), seen: group('seen'), all: group() };
}

/** Standard error of the mean of per-prompt accuracies (equal samples per prompt): std / √prompts; NaN below 2 prompts. */
export function promptClusteredStdErr(perPrompt: readonly number[]): number {
  const n = perPrompt.length;
  if (n < 2) return NaN;
  const m = perPrompt.reduce((a, b) => a + b, 0) / n;
  return Math.sqrt(perPrompt.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1) / n);
}

/** Metrics of a group of prompts (a split or all). */
export function splitMetrics(clf: EmojiClassifier, outs: readonly PromptOutputs[]): SplitMetrics {
  const sampleProbs = outs.flatMap((o) => o.sampleProbs);
  const sampleLabels = outs.flatMap((o) => o.sampleProbs.map(() => clf.categoryIndex(o.p.category)));
  const realProbs = outs.flatMap((o) => o.realProbs);
  const realLabels = outs.flatMap((o) => o.realProbs.map(() => clf.categoryIndex(o.p.category)));
  const sampleAccuracy = accuracyOf(sampleProbs, sampleLabels);
  const realAccuracy = accuracyOf(realProbs, realLabels);
  const sampleFeatures = outs.flatMap((o) => o.sampleFeatures);
  const realFeatures = outs.flatMap((o) => o.realFeatures);
  const fd = sampleFeatures.length >= 2 && realFeatures.length >= 2 ? frechetDistance(featureStats(sampleFeatures), featureStats(realFeatures)) : NaN;
  return {
    prompts: outs.length,
    samples: sampleProbs.length,
    sampleAccuracy,
    sampleAccuracyStdErr: promptClusteredStdErr(outs.map((o) => accuracyOf(o.sampleProbs, o.sampleProbs.map(() => clf.categoryIndex(o.p.category))))),
    realAccuracy,
    accuracyRatio: realAccuracy > 0 ? sampleAccuracy / realAccuracy : NaN, // NaN (null in JSON) when the classifier gets no real image right
    promptCategoryProbability: sampleProbs.reduce((a, p, i) => a + p[sampleLabels[i]], 0) / Math.max(1, sampleProbs.length),
    frechetDistance: fd,
    realImages: realProbs.length,
  };
}

/**
 * Per-category sample and real accuracy over all prompts, in the classifier's category order (categories without
 * prompts left out): a sample counts for its prompt's category, a real image for its prompt's category.
 */
export function categoryMetrics(clf: EmojiClassifier, outs: readonly PromptOutputs[]): CategoryMetrics[] {
  const side = (pick: (o: PromptOutputs) => Float32Array[]) => {
    const rows = outs.flatMap((o) => pick(o).map((p) => ({ p, label: clf.categoryIndex(o.p.category), category: o.p.category })));
    return accuracyByGroup(rows.map((r) => argmax(r.p)), rows.map((r) => r.label), rows.map((r) => r.category), clf.config.categories);
  };
  const samples = side((o) => o.sampleProbs);
  const real = side((o) => o.realProbs);
  return samples
    .map((s, i) => ({ s, r: real[i], prompts: outs.filter((o) => o.p.category === s.group).length }))
    .filter(({ prompts }) => prompts > 0)
    .map(({ s, r, prompts }) => ({
      category: s.group,
      prompts,
      samples: s.count,
      sampleAccuracy: s.accuracy,
      realImages: r.count,
      realAccuracy: r.accuracy,
      accuracyRatio: r.accuracy > 0 ? s.accuracy / r.accuracy : NaN,
    }));
}

export interface EvalOptions {
  perPrompt: number;
  steps: number;
  guidanceScale?: number; // default: the model config's
  seed?: number;
  seenPrompts?: readonly string[];
  maxHeldOut?: number;
  sheetSeeds?: number; // columns of the sample sheet (default SHEET_SEEDS)
  sheetRows?: number;
  batch?: number; // images per DDIM batch (default 32)
}

/** Runs the whole evaluation; returns the report and the sheet tiles (RGBA 32×32, row-major) with labels. */
export async function evaluateBaseModel(
  model: MiniSD,
  clf: EmojiClassifier,
  ds: EmojiDataset,
  opts: EvalOptions,
  log: (s: string) => void = () => {},
): Promise<{ report: EvalReport; sheet: { tiles: Uint8ClampedArray[]; labels: string[]; cols: number; rows: string[] } }> {
  const t0 = Date.now();
  const settings: SampleSettings = {
    perPrompt: opts.perPrompt,
    steps: opts.steps,
    guidanceScale: opts.guidanceScale ?? model.config.sample.guidanceScale,
    seed: opts.seed ?? SAMPLE_SEED,
    batch: opts.batch ?? 32,
  };
  const prompts = evalPrompts(ds, opts.seenPrompts ?? SEEN_EVAL_PROMPTS, opts.maxHeldOut);
  const sheetCols = opts.sheetSeeds ?? SHEET_SEEDS;
  const sheetRows = sheetPrompts(prompts, opts.sheetRows ?? SHEET_ROWS);

  log(`sampling ${prompts.length} prompts × ${settings.perPrompt} (${settings.steps} DDIM steps, guidance ${settings.guidanceScale}, batch ${settings.batch})`);
  const rowPrompts = prompts.flatMap((p) => new Array<string>(settings.perPrompt).fill(p.prompt));
  const tSample = Date.now();
  let lastLog = 0;
  const samples = await sampleRows(model, rowPrompts, settings, 0, (done) => {
    if (Date.now() - lastLog > 10_000 || done === rowPrompts.length) {
      lastLog = Date.now();
      log(`  ${done}/${rowPrompts.length} samples, ${(done / ((Date.now() - tSample) / 1000)).toFixed(2)} samples/s`);
    }
  });
  const samplingSeconds = (Date.now() - tSample) / 1000;
  const outs = await promptOutputs(clf, ds, prompts, samples, settings.perPrompt);

  // Sheet tiles: the first columns of the eval samples, or (perPrompt < columns) a separate pass of the sheet prompts.
  const sheetSamples = new Map<string, Float32Array>();
  if (settings.perPrompt >= sheetCols) {
    for (const p of sheetRows) {
      const at = prompts.indexOf(p) * settings.perPrompt * 3072;
      sheetSamples.set(p.prompt, samples.slice(at, at + sheetCols * 3072));
    }
  } else {
    log(`sampling the sheet: ${sheetRows.length} prompts × ${sheetCols}`);
    const extra = await sampleRows(model, sheetRows.flatMap((p) => new Array<string>(sheetCols).fill(p.prompt)), settings, SHEET_SEED_OFFSET);
    sheetRows.forEach((p, i) => sheetSamples.set(p.prompt, extra.slice(i * sheetCols * 3072, (i + 1) * sheetCols * 3072)));
  }

  const splits = allSplits(clf, outs);

  log('held-out denoising loss and autoencoder PSNR');
  const gamma = defaultPretrainConfig('unet').minSnrGamma;
  const ref = trainSubset(ds, ds.heldOut.length);
  const denoising = { heldOut: await fixedDenoisingLoss(model, ds, ds.heldOut, gamma), trainSubset: await fixedDenoisingLoss(model, ds, ref, gamma), minSnrGamma: gamma, images: ds.heldOut.length, seed: LOSS_SEED };
  const psnr = { heldOut: await autoencoderPsnr(model, ds, ds.heldOut), trainSubset: await autoencoderPsnr(model, ds, ref), images: ds.heldOut.length };
  const heldOut = await realImageReport(clf, ds, ds.heldOut);

  const tiles: Uint8ClampedArray[] = [];
  const labels: string[] = [];
  for (const p of sheetRows) {
    const imgs = tf.tensor4d(sheetSamples.get(p.prompt)!, [sheetCols, 32, 32, 3]);
    tiles.push(...(await imagesToRgba(imgs)));
    imgs.dispose();
    labels.push(...[p.prompt, p.split === 'held-out' ? 'held out' : 'seen', ...new Array(sheetCols).fill('')].slice(0, sheetCols));
  }

  const report: EvalReport = {
    settings: { ...settings, eta: model.config.sample.eta },
    classifier: { categories: clf.config.categories, featureDim: clf.config.featureDim, heldOutAccuracy: heldOut.accuracy, heldOut, parameters: clf.parameterCount() },
    splits,
    categories: categoryMetrics(clf, outs),
    qualityBar: { ratio: QUALITY_BAR, passed: splits.all.accuracyRatio >= QUALITY_BAR, on: 'all' },
    denoisingLoss: denoising,
    autoencoderPsnr: psnr,
    prompts: outs.map((o) => {
      const k = clf.categoryIndex(o.p.category);
      return {
        prompt: o.p.prompt,
        split: o.p.split,
        category: o.p.category,
        accuracy: accuracyOf(o.sampleProbs, o.sampleProbs.map(() => k)),
        promptCategoryProbability: o.sampleProbs.reduce((a, p) => a + p[k], 0) / o.sampleProbs.length,
        predicted: o.sampleProbs.map((p) => clf.config.categories[argmax(p)]),
      };
    }),
    seenPromptList: [...(opts.seenPrompts ?? SEEN_EVAL_PROMPTS)],
    timing: { samplingSeconds, samplesPerSecond: rowPrompts.length / samplingSeconds, totalSeconds: (Date.now() - t0) / 1000 },
  };
  return { report, sheet: { tiles, labels, cols: sheetCols, rows: sheetRows.map((p) => p.prompt) } };
}

/** The printed summary table. */
export function formatReport(r: EvalReport): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const rows = (['held-out', 'seen', 'all'] as const).map((k) => {
    const s = r.splits[k];
    return `${k.padEnd(9)} ${String(s.prompts).padStart(7)} ${String(s.samples).padStart(7)} ${`${pct(s.sampleAccuracy)} ± ${pct(s.sampleAccuracyStdErr)}`.padStart(15)} ${pct(s.realAccuracy).padStart(9)} ${pct(s.accuracyRatio).padStart(7)} ${f(s.promptCategoryProbability).padStart(9)} ${f(s.frechetDistance, 2).padStart(8)}`;
  });
  const w = Math.max(8, ...r.categories.map((c) => c.category.length));
  const cats = r.categories.map((c) => `${c.category.padEnd(w)} ${String(c.prompts).padStart(7)} ${String(c.samples).padStart(7)} ${pct(c.sampleAccuracy).padStart(10)} ${String(c.realImages).padStart(6)} ${pct(c.realAccuracy).padStart(9)} ${pct(c.accuracyRatio).padStart(7)}`);
  const h = r.classifier.heldOut;
  return [
    `split     prompts samples  sample acc ± SE  real acc   ratio  p(categ)   Fréchet`,
    ...rows,
    `quality bar: accuracy ratio ≥ ${pct(r.qualityBar.ratio)} on all prompts — ${r.qualityBar.passed ? 'PASSED' : 'NOT MET'}`,
    '',
    `${'category'.padEnd(w)} prompts samples sample acc   real  real acc   ratio`,
    ...cats,
    '',
    `classifier held-out accuracy (real images): ${pct(h.accuracy)} of ${h.images} images (balanced ${pct(h.balancedAccuracy)})`,
    `  by category: ${h.byCategory.map((g) => `${g.group} ${pct(g.accuracy)}`).join(', ')}`,
    `  by style: ${h.byStyle.map((g) => `${g.group} ${pct(g.accuracy)}`).join(', ')}`,
    `denoising loss (min-SNR γ=${r.denoisingLoss.minSnrGamma}): held-out ${f(r.denoisingLoss.heldOut, 4)}, train subset ${f(r.denoisingLoss.trainSubset, 4)} (${r.denoisingLoss.images} images each)`,
    `autoencoder PSNR: held-out ${f(r.autoencoderPsnr.heldOut, 2)} dB, train subset ${f(r.autoencoderPsnr.trainSubset, 2)} dB`,
    `sampling: ${f(r.timing.samplesPerSecond, 2)} samples/s, total ${f(r.timing.totalSeconds, 0)} s`,
  ].join('\n');
}
