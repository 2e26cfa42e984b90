// The style classifier (issue "Base model v2", target "the requested style on ≥ 80 % of samples"): the plain CNN trained on real v2 images labelled by artwork style, and the style check of a model's samples — every eval prompt drawn as "<prompt>, <style> style" in every style, the style classifier asked which style it sees and the category classifier whether the emoji is still recognisable.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { imagesToRgba } from '../../src/core/diffusion/sample';
import { argmax, categoryOfPrompt, classifierFromSafetensors, classifierToSafetensors, classifyAll, styleClassifierConfig, type EmojiClassifier } from '../../src/core/eval/classifier';
import { accuracyByGroup, confusionMatrix, formatConfusion, formatGroupAccuracy, type GroupAccuracy } from '../../src/core/eval/categoryReport';
import { STYLE_IDS, stylePhrase, type EmojiStyle } from '../../src/core/data/styles';
import { withStyle } from '../../src/core/data/captions';
import type { MiniSD } from '../../src/core/model/pipeline';
import type { EmojiDataset } from '../pretrain/emojiData';
import { classifierAccuracy, trainEmojiClassifier, trainingMetadata, type ClassifierSampling, type ClassifierTrainingReport, type ClassifierTrainOptions } from './classifierData';
import { evalPrompts, sampleRows, SEEN_EVAL_PROMPTS, type EvalPrompt, type SampleSettings } from './baseModelEval';
import { writeAtomic } from '../fsAtomic';

export const DEFAULT_STYLE_CLASSIFIER_PATH = 'public/models/emoji-classifier/style-classifier.safetensors';
export const DEFAULT_STYLE_CLASSIFIER_CHECKPOINT = 'checkpoints/classifier/style-classifier-latest.safetensors';

/**
 * Style batches: uniform over styles, then over base emoji, then over that emoji's images of the style (skin tones);
 * shifts, ±10 % scale and mirrors (where a mirror keeps the meaning) but no colour jitter — palette and shading are
 * part of what tells the styles apart.
 */
export const STYLE_SAMPLING: ClassifierSampling = { classPower: 0, perEmoji: true, augment: { maxShift: 3, scaleJitter: 0.1, gammaJitter: 0, saturationJitter: 0, hueDegrees: 0 } };

/** Styles present in the dataset, in STYLE_IDS order. */
export function datasetStyles(ds: EmojiDataset): EmojiStyle[] {
  const present = new Set(ds.index.records.map((r) => r.vendor));
  return STYLE_IDS.filter((s) => present.has(s));
}

/** Loads the style classifier, or trains it on the training split of `ds` (held-out accuracy on its held-out split) and saves it (fp16); null when stopped. */
export async function loadOrTrainStyleClassifier(
  ds: EmojiDataset,
  file: string,
  opts: { retrain: boolean; dataDir: string; epochs?: number; steps?: number; checkpoint?: ClassifierTrainOptions['checkpoint']; stop?: () => boolean },
  log: (s: string) => void,
): Promise<{ classifier: EmojiClassifier; training?: ClassifierTrainingReport; metadata: Record<string, string> } | null> {
  if (!opts.retrain && fs.existsSync(file)) {
    const { classifier, metadata } = classifierFromSafetensors(fs.readFileSync(file));
    if (classifier.config.labels !== 'style') {
      classifier.dispose();
      throw new Error(`${file} is a category classifier, not a style classifier; give --style-classifier another path or retrain it with --retrain-style-classifier.`);
    }
    log(`style classifier ${file} (trained ${metadata.trained_at ?? '?'} on ${metadata.train_data ?? '?'}, held-out accuracy ${metadata.held_out_accuracy ?? '?'})`);
    return { classifier, metadata };
  }
  const styles = datasetStyles(ds);
  if (styles.length < 2) throw new Error(`${opts.dataDir} holds one style (${styles.join('')}); the style classifier needs the multi-style data: run \`npm run data -- --v2\` and pass --data data/v2.`);
  log(`training the style classifier on ${styles.length} styles of ${opts.dataDir} (${file} ${fs.existsSync(file) ? 'is replaced' : 'does not exist'})`);
  const trained = await trainEmojiClassifier(ds, { config: styleClassifierConfig(styles), sampling: STYLE_SAMPLING, epochs: opts.epochs ?? 30, steps: opts.steps, checkpoint: opts.checkpoint, stop: opts.stop }, log);
  if (!trained) return null;
  // The fp16 weights the file holds, so the reported numbers are the ones a later run reading the file gets.
  const classifier = classifierFromSafetensors(await classifierToSafetensors(trained.classifier, 'F16')).classifier;
  trained.classifier.dispose();
  const report = trained.report;
  report.heldOutAccuracy = await classifierAccuracy(classifier, ds, ds.heldOut);
  log(`style classifier trained in ${report.seconds.toFixed(0)} s, held-out accuracy ${(report.heldOutAccuracy * 100).toFixed(1)}%`);
  const metadata = trainingMetadata(report, { train_data: opts.dataDir, labels: 'style', class_sampling: 'balanced (uniform over styles, then over base emoji)', augmentation: JSON.stringify(STYLE_SAMPLING.augment) });
  writeAtomic(file, await classifierToSafetensors(classifier, 'F16', metadata));
  log(`saved ${file}`);
  return { classifier, training: report, metadata };
}

export interface StyleSampleReport {
  styles: EmojiStyle[];
  prompts: { prompt: string; split: EvalPrompt['split']; category: string }[];
  perPromptStyle: number; // samples per (prompt, style)
  styleAccuracy: number; // samples whose predicted style is the requested one
  byStyle: GroupAccuracy[]; // the same per requested style
  confusion: number[][]; // [requested][predicted] over `styles`
  categoryAccuracy: number; // samples the category classifier puts in their prompt's category
  categoryByStyle: GroupAccuracy[];
  plainStyleShares: Record<string, number>; // styles the style classifier sees in samples of the plain prompts (no style words)
  settings: Omit<SampleSettings, 'perPrompt'>;
}

/** Requested style of each sample row and the row's prompt, style-major: for each style, each prompt × perPromptStyle. */
export function styleRows(prompts: readonly string[], styles: readonly EmojiStyle[], perPromptStyle: number): { prompt: string; caption: string; style: EmojiStyle | 'plain' }[] {
  const rows: { prompt: string; caption: string; style: EmojiStyle | 'plain' }[] = [];
  for (const style of [...styles, 'plain' as const])
    for (const prompt of prompts) for (let k = 0; k < perPromptStyle; k++) rows.push({ prompt, caption: style === 'plain' ? prompt : withStyle(prompt, style), style });
  return rows;
}

/**
 * Samples every prompt in every style (and plain), classifies style and category, and composes a sheet: a row per
 * style (plus plain), the first sample of the first `sheetCols` prompts. The model must know the style words.
 */
export async function styleSampleCheck(
  model: MiniSD,
  styleClf: EmojiClassifier,
  categoryClf: EmojiClassifier,
  ds: EmojiDataset,
  opts: { seenPrompts?: readonly string[]; maxHeldOut: number; perPromptStyle: number; settings: Omit<SampleSettings, 'perPrompt'>; sheetCols?: number },
  log: (s: string) => void = () => {},
): Promise<{ report: StyleSampleReport; sheet: { tiles: Uint8ClampedArray[]; labels: string[]; cols: number } }> {
  const styles = styleClf.config.categories as EmojiStyle[];
  const missing = styles.flatMap((s) => stylePhrase(s).split(' ')).filter((w) => !model.config.textEncoder.vocab.includes(w));
  if (missing.length > 0) throw new Error(`The model does not know the style words ${[...new Set(missing)].join(', ')}: its captions cannot name a style. Check styles with a model trained on v2 data (npm run pretrain -- --stage unet --from … --data data/v2).`);
  const prompts = evalPrompts(ds, opts.seenPrompts ?? SEEN_EVAL_PROMPTS, opts.maxHeldOut);
  const rows = styleRows(prompts.map((p) => p.prompt), styles, opts.perPromptStyle);
  log(`style check: ${prompts.length} prompts × ${styles.length} styles + plain × ${opts.perPromptStyle} = ${rows.length} samples`);
  const images = await sampleRows(model, rows.map((r) => r.caption), { ...opts.settings, perPrompt: 1 }, 0, (done) => log(`  sampled ${done}/${rows.length}`));
  const [st, ct] = [await classifyAll(styleClf, images), await classifyAll(categoryClf, images)];
  const predictedStyle = st.probs.map((p) => argmax(p));
  const styled = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.style !== 'plain');
  const labels = styled.map(({ r }) => styles.indexOf(r.style as EmojiStyle));
  const pred = styled.map(({ i }) => predictedStyle[i]);
  const categoryOf = new Map(prompts.map((p) => [p.prompt, p.category]));
  const catRight = rows.map((r, i) => Number(categoryClf.config.categories[argmax(ct.probs[i])] === (categoryOf.get(r.prompt) ?? categoryOfPrompt(r.prompt, ds.index.records))));
  const plain = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.style === 'plain');
  const plainStyleShares = Object.fromEntries(styles.map((s, k) => [s, plain.filter(({ i }) => predictedStyle[i] === k).length / Math.max(1, plain.length)]));
  const report: StyleSampleReport = {
    styles,
    prompts: prompts.map((p) => ({ prompt: p.prompt, split: p.split, category: p.category })),
    perPromptStyle: opts.perPromptStyle,
    styleAccuracy: pred.filter((p, j) => p === labels[j]).length / Math.max(1, pred.length),
    byStyle: accuracyByGroup(pred, labels, styled.map(({ r }) => r.style), styles),
    confusion: confusionMatrix(pred, labels, styles.length),
    categoryAccuracy: catRight.reduce((a, b) => a + b, 0) / Math.max(1, catRight.length),
    // Category accuracy per requested style: group by the style, count a sample right when its category is (a 0/1 "prediction" against label 1).
    categoryByStyle: accuracyByGroup(catRight, rows.map(() => 1), rows.map((r) => r.style), [...styles, 'plain']),
    plainStyleShares,
    settings: opts.settings,
  };
  // Sheet: per style row (and plain), the first sample of the first sheetCols prompts.
  const cols = Math.min(opts.sheetCols ?? 8, prompts.length);
  const sheetRows: number[] = [];
  const sheetLabels: string[] = [];
  [...styles, 'plain' as const].forEach((style) =>
    prompts.slice(0, cols).forEach((p, c) => {
      sheetRows.push(rows.findIndex((r) => r.style === style && r.prompt === p.prompt));
      sheetLabels.push(c === 0 ? style : '');
    }),
  );
  const sheetImages = new Float32Array(sheetRows.length * 3072);
  sheetRows.forEach((row, k) => sheetImages.set(images.subarray(row * 3072, (row + 1) * 3072), k * 3072));
  const t = tf.tensor4d(sheetImages, [sheetRows.length, 32, 32, 3]);
  const tiles = await imagesToRgba(t);
  t.dispose();
  return { report, sheet: { tiles, labels: sheetLabels, cols } };
}

/** The report as text: style accuracy per requested style, the confusion, category accuracy per style, what plain prompts look like. */
export function formatStyleReport(r: StyleSampleReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `requested style recognised on ${pct(r.styleAccuracy)} of styled samples (target ≥ 80 %); category right on ${pct(r.categoryAccuracy)} of all samples`,
    formatGroupAccuracy('style recognised, by requested style', r.byStyle),
    formatConfusion(r.confusion, r.styles.map((s) => (s === 'fluent-flat' ? 'f-flat' : s))), // column heads keep 6 letters: "fluent" twice otherwise
    formatGroupAccuracy('category right, by requested style', r.categoryByStyle),
    `plain prompts are drawn as: ${Object.entries(r.plainStyleShares).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([s, v]) => `${s} ${pct(v)}`).join(', ')}`,
  ].join('\n');
}
