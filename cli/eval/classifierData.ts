// Classifier data for `eval`: real emoji images in [0,1], category labels, balanced augmented batches, classifier training/accuracy on the dataset, and loading or training the shipped classifier.
import { readEmojiPixels, type EmojiRecord } from '../../src/core/data/emojiDataset';
import { canFlip } from '../../src/core/data/captions';
import { type Rng } from '../../src/core/rng';
import { accuracyOf, augmentImage, classifierCategoryOf, classifyAll, defaultClassifierConfig, defaultClassifierTrainConfig, EMOJI_CATEGORIES, EmojiClassifier, trainClassifier, type ClassifierConfig, type ClassifierData } from '../../src/core/eval/classifier';
import { type EmojiDataset } from '../pretrain/emojiData';
import fs from 'node:fs';
import { classifierFromSafetensors, classifierToSafetensors, CLASSIFIER_CONFIG_KEY, MERGED_CATEGORIES } from '../../src/core/eval/classifier';
import { writeAtomic } from '../fsAtomic';

/** Image of a record as floats in [0,1]. -> [32·32·3] */
export function recordImage01(ds: EmojiDataset, rec: EmojiRecord): Float32Array {
  return Float32Array.from(readEmojiPixels(ds.pixels, ds.index, rec.index), (v) => v / 255);
}

/** Images of records, flat [n,32,32,3] in [0,1]. */
export function recordImages01(ds: EmojiDataset, records: readonly EmojiRecord[]): Float32Array {
  const out = new Float32Array(records.length * 3072);
  records.forEach((r, i) => out.set(recordImage01(ds, r), i * 3072));
  return out;
}

/** Category indices of records under a classifier config (merged categories mapped). */
export function recordLabels(records: readonly EmojiRecord[], cfg: ClassifierConfig): Int32Array {
  return Int32Array.from(records, (r) => {
    const i = cfg.categories.indexOf(classifierCategoryOf(r.category));
    if (i < 0) throw new Error(`Record ${r.unified} has category ${r.category}, unknown to the classifier; retrain it with --retrain-classifier.`);
    return i;
  });
}

/**
 * Classifier batches from records: a category drawn with probability ∝ (its image count)^classPower — 0 (default) is
 * class-balanced, since People & Body is 60% of the images (skin tones) and eval prompts span all categories —
 * then a uniform record of it; mirrored half the time where canFlip, shifted ±maxShift px.
 */
export function classifierDataFromRecords(ds: EmojiDataset, records: readonly EmojiRecord[], cfg: ClassifierConfig, classPower = 0, maxShift = 2): ClassifierData {
  const labels = recordLabels(records, cfg);
  const byClass: EmojiRecord[][] = cfg.categories.map(() => []);
  records.forEach((r, i) => byClass[labels[i]].push(r));
  const weights = byClass.map((rs) => (rs.length > 0 ? rs.length ** classPower : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  const pickClass = (rng: Rng) => {
    let u = rng.next() * total;
    for (let k = 0; k < weights.length; k++) if ((u -= weights[k]) < 0 && weights[k] > 0) return k;
    return byClass.findIndex((rs) => rs.length > 0);
  };
  return {
    batch: (rng, b) => {
      const images = new Float32Array(b * 3072);
      const out = new Int32Array(b);
      for (let i = 0; i < b; i++) {
        const k = pickClass(rng);
        const rec = byClass[k][rng.int(byClass[k].length)];
        const flip = canFlip(rec) && rng.next() < 0.5;
        const dx = rng.int(2 * maxShift + 1) - maxShift;
        const dy = rng.int(2 * maxShift + 1) - maxShift;
        augmentImage(recordImage01(ds, rec), 32, flip, dx, dy, images, i * 3072);
        out[i] = k;
      }
      return { images, labels: out };
    },
  };
}

/** Categories present in the dataset, in EMOJI_CATEGORIES order (merged ones folded). */
export function datasetCategories(records: readonly EmojiRecord[]): string[] {
  const present = new Set(records.map((r) => classifierCategoryOf(r.category)));
  const known = EMOJI_CATEGORIES.filter((c) => present.has(c));
  const extra = [...present].filter((c) => !EMOJI_CATEGORIES.includes(c)).sort();
  return [...known, ...extra];
}

export interface ClassifierTrainingReport {
  steps: number;
  epochs: number;
  seconds: number;
  imagesPerSecond: number;
  finalTrainLoss: number;
  heldOutAccuracy: number;
  parameters: number;
}

/** Trains the category classifier on the training split and measures it on the held-out split. */
export async function trainEmojiClassifier(
  ds: EmojiDataset,
  opts: { epochs: number; seed?: number; config?: ClassifierConfig },
  log: (s: string) => void = () => {},
): Promise<{ classifier: EmojiClassifier; report: ClassifierTrainingReport }> {
  const cfg = opts.config ?? defaultClassifierConfig(datasetCategories(ds.index.records));
  const clf = EmojiClassifier.create(cfg, opts.seed ?? 0, true);
  const batch = 64;
  const steps = Math.max(1, Math.round((opts.epochs * ds.train.length) / batch));
  const tc = { ...defaultClassifierTrainConfig(steps), batchSize: batch, seed: opts.seed ?? 0 };
  const data = classifierDataFromRecords(ds, ds.train, cfg);
  log(`classifier: ${clf.parameterCount()} parameters, ${cfg.categories.length} categories, ${steps} steps of ${batch} (${opts.epochs} epochs of ${ds.train.length} training images)`);
  const t0 = Date.now();
  let last = 0;
  const history = await trainClassifier(clf, data, tc, (m) => {
    if (Date.now() - last > 10_000 || m.step === steps) {
      last = Date.now();
      const ips = (m.step * batch) / Math.max(1e-3, (Date.now() - t0) / 1000);
      log(`  step ${m.step}/${steps} loss ${m.loss.toFixed(3)} batch acc ${(m.accuracy * 100).toFixed(0)}% lr ${m.learningRate.toExponential(2)} ${ips.toFixed(0)} img/s`);
    }
  });
  const seconds = (Date.now() - t0) / 1000;
  const heldOutAccuracy = await classifierAccuracy(clf, ds, ds.heldOut);
  const tail = history.slice(-20);
  return {
    classifier: clf,
    report: {
      steps,
      epochs: opts.epochs,
      seconds,
      imagesPerSecond: (steps * batch) / seconds,
      finalTrainLoss: tail.reduce((a, m) => a + m.loss, 0) / tail.length,
      heldOutAccuracy,
      parameters: clf.parameterCount(),
    },
  };
}

/** Top-1 category accuracy on real images of `records` (no augmentation). */
export async function classifierAccuracy(clf: EmojiClassifier, ds: EmojiDataset, records: readonly EmojiRecord[]): Promise<number> {
  const { probs } = await classifyAll(clf, recordImages01(ds, records));
  return accuracyOf(probs, recordLabels(records, clf.config));
}

/** Loads the shipped classifier, or trains and saves it when missing / asked to. */
export async function loadOrTrainClassifier(
  ds: EmojiDataset,
  file: string,
  opts: { retrain: boolean; epochs: number },
  log: (s: string) => void,
): Promise<{ classifier: EmojiClassifier; training?: ClassifierTrainingReport; metadata: Record<string, string> }> {
  if (!opts.retrain && fs.existsSync(file)) {
    const { classifier, metadata } = classifierFromSafetensors(fs.readFileSync(file));
    log(`classifier ${file} (trained ${metadata.trained_at ?? '?'}, held-out accuracy ${metadata.held_out_accuracy ?? '?'})`);
    return { classifier, metadata: withoutConfig(metadata) };
  }
  log(`training the category classifier (${file} ${fs.existsSync(file) ? 'is replaced' : 'does not exist'})`);
  const { classifier, report } = await trainEmojiClassifier(ds, { epochs: opts.epochs }, log);
  log(`classifier trained in ${report.seconds.toFixed(0)} s (${report.imagesPerSecond.toFixed(0)} img/s), held-out accuracy ${(report.heldOutAccuracy * 100).toFixed(1)}%`);
  const meta = {
    trained_at: new Date().toISOString(),
    held_out_accuracy: report.heldOutAccuracy.toFixed(4),
    train_steps: String(report.steps),
    train_epochs: String(report.epochs),
    train_seconds: report.seconds.toFixed(0),
    merged_categories: JSON.stringify(MERGED_CATEGORIES),
    class_sampling: 'balanced (uniform over categories, then uniform over their images)',
  };
  writeAtomic(file, await classifierToSafetensors(classifier, 'F32', meta));
  log(`saved ${file}`);
  return { classifier, training: report, metadata: meta };
}

/** Metadata without the (long) architecture JSON, for eval.json. */
const withoutConfig = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== CLASSIFIER_CONFIG_KEY));
