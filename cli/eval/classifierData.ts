// Classifier data for `eval`: real emoji images in [0,1], category labels, balanced augmented batches, resumable classifier training/accuracy on the dataset, and loading or training the shipped classifier.
import { readEmojiPixels, type EmojiRecord } from '../../src/core/data/emojiDataset';
import { canFlip, fnv1a32 } from '../../src/core/data/captions';
import { type Rng } from '../../src/core/rng';
import { accuracyOf, classifierCategoryOf, classifyAll, defaultClassifierConfig, EMOJI_CATEGORIES, EmojiClassifier, type ClassifierConfig } from '../../src/core/eval/classifier';
import { ClassifierTrainer, defaultClassifierTrainConfig, type ClassifierData, type ClassifierStepMetrics, type ClassifierTrainConfig } from '../../src/core/eval/classifierTraining';
import { augment, drawAugment, MEANING_KEEPING_AUGMENT, SHIFT_ONLY_AUGMENT, type AugmentRanges } from '../../src/core/eval/augment';
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

/** Class indices of records under a classifier config: their category (merged categories mapped), or their style for a style classifier. */
export function recordLabels(records: readonly EmojiRecord[], cfg: ClassifierConfig): Int32Array {
  if (cfg.labels === 'style')
    return Int32Array.from(records, (r) => {
      const i = cfg.categories.indexOf(r.vendor);
      if (i < 0) throw new Error(`Record ${r.unified} is in style ${r.vendor}, unknown to the style classifier (${cfg.categories.join(', ')}); retrain it with --retrain-style-classifier.`);
      return i;
    });
  return Int32Array.from(records, (r) => {
    const i = cfg.categories.indexOf(classifierCategoryOf(r.category));
    if (i < 0) throw new Error(`Record ${r.unified} has category ${r.category}, unknown to the classifier; retrain it with --retrain-classifier.`);
    return i;
  });
}

/** How training batches are drawn from the records. */
export interface ClassifierSampling {
  classPower: number; // a category is drawn with probability ∝ (its image count)^classPower: 0 = class-balanced
  perEmoji: boolean; // within a category: uniform over base emoji, then over its images (styles, skin tones); false: uniform over images
  augment: AugmentRanges;
}

/** The first classifier's batches: class-balanced, uniform over images, ±2 px shifts and mirrors. */
export const LEGACY_SAMPLING: ClassifierSampling = { classPower: 0, perEmoji: false, augment: SHIFT_ONLY_AUGMENT };

/**
 * The classifier's batches since v2 data (both architectures): class-balanced (People & Body is 60 % of the images, eval prompts span all
 * categories), uniform over base emoji so that a hand in six skin tones and eight styles counts once, and the
 * meaning-keeping augmentation (mirrors only where canFlip allows).
 */
export const RESIDUAL_SAMPLING: ClassifierSampling = { classPower: 0, perEmoji: true, augment: MEANING_KEEPING_AUGMENT };

/** Classifier batches from records, drawn as `sampling` says (see ClassifierSampling). */
export function classifierDataFromRecords(ds: EmojiDataset, records: readonly EmojiRecord[], cfg: ClassifierConfig, sampling: ClassifierSampling = LEGACY_SAMPLING): ClassifierData {
  const labels = recordLabels(records, cfg);
  // byClass[k] = groups of records (one per base emoji with perEmoji, else one per record)
  const byClass: EmojiRecord[][][] = cfg.categories.map(() => []);
  const groupOf = new Map<string, EmojiRecord[]>();
  records.forEach((r, i) => {
    if (!sampling.perEmoji) return void byClass[labels[i]].push([r]);
    const key = `${labels[i]}:${r.baseUnified}`;
    const g = groupOf.get(key);
    if (g) g.push(r);
    else {
      const fresh = [r];
      groupOf.set(key, fresh);
      byClass[labels[i]].push(fresh);
    }
  });
  const counts = cfg.categories.map((_, k) => byClass[k].reduce((a, g) => a + g.length, 0));
  const weights = counts.map((n) => (n > 0 ? n ** sampling.classPower : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  const pickClass = (rng: Rng) => {
    let u = rng.next() * total;
    for (let k = 0; k < weights.length; k++) if ((u -= weights[k]) < 0 && weights[k] > 0) return k;
    return byClass.findIndex((gs) => gs.length > 0);
  };
  return {
    batch: (rng, b) => {
      const images = new Float32Array(b * 3072);
      const out = new Int32Array(b);
      for (let i = 0; i < b; i++) {
        const k = pickClass(rng);
        const group = byClass[k][rng.int(byClass[k].length)];
        const rec = group.length === 1 ? group[0] : group[rng.int(group.length)];
        augment(recordImage01(ds, rec), 32, drawAugment(rng, sampling.augment, canFlip(rec)), images, i * 3072);
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
  epochs: number; // steps × batch / training images
  seconds: number; // training time, all sessions of a resumed run
  imagesPerSecond: number;
  finalTrainLoss: number; // mean of the last 20 steps (of this session)
  heldOutAccuracy: number;
  parameters: number;
  trainImages: number;
}

/** What `trainEmojiClassifier` trains; everything but the length has the defaults of the v2-data classifier. */
export interface ClassifierTrainOptions {
  epochs?: number; // length in passes over the training images (default 8)
  steps?: number; // length in optimizer steps (overrides epochs)
  seed?: number;
  config?: ClassifierConfig; // default: defaultClassifierConfig (the plain CNN) over the dataset's categories
  sampling?: ClassifierSampling; // default RESIDUAL_SAMPLING
  train?: Partial<Omit<ClassifierTrainConfig, 'steps' | 'seed'>>; // default residualClassifierTrainConfig
  trainRecords?: readonly EmojiRecord[]; // default ds.train
  measureRecords?: readonly EmojiRecord[]; // the accuracy reported at the end (default ds.heldOut)
  checkpoint?: { file: string; everySeconds: number; resume: boolean }; // resumable run: a full checkpoint every everySeconds
  stop?: () => boolean; // polled after every step: true writes a checkpoint and ends early (returns null)
}

/**
 * The v2-data classifier's optimiser settings (first tuned for the residual one, hence the name): AdamW 2e-3 with 300 warm-up steps and a cosine decay to 10 %,
 * weight decay 0.05, label smoothing 0.1, gradient clipping at 2, batch 64, and the exported weights an EMA (0.999).
 */
export function residualClassifierTrainConfig(steps: number, seed = 0): ClassifierTrainConfig {
  return { ...defaultClassifierTrainConfig(steps), learningRate: 2e-3, warmupSteps: Math.min(300, Math.floor(steps / 10)), weightDecay: 0.05, emaDecay: 0.999, seed };
}

/**
 * Trains the category classifier on the training split (or opts.trainRecords) and measures it on the held-out
 * split (or opts.measureRecords). With opts.checkpoint it writes a full checkpoint every everySeconds and at the
 * end, and resumes from an existing one; a stopped run returns null.
 */
export async function trainEmojiClassifier(
  ds: EmojiDataset,
  opts: ClassifierTrainOptions,
  log: (s: string) => void = () => {},
): Promise<{ classifier: EmojiClassifier; report: ClassifierTrainingReport } | null> {
  const trainRecords = opts.trainRecords ?? ds.train;
  const cfg = opts.config ?? defaultClassifierConfig(datasetCategories(ds.index.records));
  const batch = opts.train?.batchSize ?? 64;
  const steps = opts.steps ?? Math.max(1, Math.round(((opts.epochs ?? 8) * trainRecords.length) / batch));
  const tc: ClassifierTrainConfig = { ...residualClassifierTrainConfig(steps, opts.seed ?? 0), ...opts.train, steps, seed: opts.seed ?? 0 };
  const data = classifierDataFromRecords(ds, trainRecords, cfg, opts.sampling ?? RESIDUAL_SAMPLING);
  const ck = opts.checkpoint;
  let tr: ClassifierTrainer;
  if (ck?.resume && fs.existsSync(ck.file)) {
    tr = ClassifierTrainer.fromCheckpoint(fs.readFileSync(ck.file));
    if (JSON.stringify(tr.classifier.config) !== JSON.stringify(cfg) || tr.config.steps !== steps) {
      const what = `${tr.classifier.config.block ?? 'plain'} ${JSON.stringify(tr.classifier.config.channels)}, ${tr.config.steps} steps`;
      tr.classifier.dispose();
      tr.dispose();
      throw new Error(`The classifier checkpoint ${ck.file} is another run (${what}); pass the same options, or delete it to start over.`);
    }
    log(`resuming the classifier from ${ck.file} at step ${tr.step}/${steps}`);
  } else tr = new ClassifierTrainer(EmojiClassifier.create(cfg, opts.seed ?? 0, true), tc);
  const clf = tr.classifier;
  log(`classifier: ${clf.parameterCount()} parameters, ${cfg.categories.length} categories, ${steps} steps of ${batch} (${((steps * batch) / trainRecords.length).toFixed(1)} epochs of ${trainRecords.length} training images)`);
  const t0 = Date.now();
  const startSeconds = tr.elapsedSeconds;
  const startStep = tr.step;
  let [lastLog, lastCk] = [0, Date.now()];
  const save = async () => {
    tr.elapsedSeconds = startSeconds + (Date.now() - t0) / 1000;
    if (ck) writeAtomic(ck.file, await tr.checkpoint());
    lastCk = Date.now();
  };
  const history: ClassifierStepMetrics[] = [];
  try {
    while (tr.step < steps) {
      const m = await tr.trainStep(data);
      history.push(m);
      if (Date.now() - lastLog > 10_000 || m.step === steps) {
        lastLog = Date.now();
        const ips = ((m.step - startStep) * batch) / Math.max(1e-3, (Date.now() - t0) / 1000);
        log(`  step ${m.step}/${steps} loss ${m.loss.toFixed(3)} batch acc ${(m.accuracy * 100).toFixed(0)}% lr ${m.learningRate.toExponential(2)} ${ips.toFixed(0)} img/s`);
      }
      if (ck && Date.now() - lastCk > ck.everySeconds * 1000) await save();
      // A wasm step resolves through microtasks only: without a macrotask turn a SIGINT handler (which sets `stop`) would
      // never run before the last step (the pretraining loop has the same yield).
      await new Promise((r) => setImmediate(r));
      if (opts.stop?.()) {
        await save();
        log(`stopped at step ${tr.step}/${steps}${ck ? `; checkpoint ${ck.file}` : ''}`);
        clf.dispose();
        return null;
      }
    }
    await save();
    tr.useEmaWeights();
  } catch (e) {
    clf.dispose();
    throw e;
  } finally {
    tr.dispose();
  }
  const seconds = tr.elapsedSeconds;
  const heldOutAccuracy = await classifierAccuracy(clf, ds, opts.measureRecords ?? ds.heldOut);
  const tail = history.slice(-20);
  return {
    classifier: clf,
    report: {
      steps,
      epochs: (steps * batch) / trainRecords.length,
      seconds,
      imagesPerSecond: ((steps - startStep) * batch) / Math.max(1e-3, seconds - startSeconds),
      finalTrainLoss: tail.reduce((a, m) => a + m.loss, 0) / Math.max(1, tail.length),
      heldOutAccuracy,
      parameters: clf.parameterCount(),
      trainImages: trainRecords.length,
    },
  };
}

/** Top-1 category accuracy on real images of `records` (no augmentation). */
export async function classifierAccuracy(clf: EmojiClassifier, ds: EmojiDataset, records: readonly EmojiRecord[]): Promise<number> {
  const { probs } = await classifyAll(clf, recordImages01(ds, records));
  return accuracyOf(probs, recordLabels(records, clf.config));
}

/**
 * Training emoji split into the images the classifier fits and a validation slice that chooses its logit adjustment:
 * every image of a base emoji with fnv1a32(base code point) % 20 == 1 (≈ 5 % of the emoji, all their styles) is
 * validation, so it is as unseen as the held-out split.
 */
export function validationSlice(records: readonly EmojiRecord[]): { fit: EmojiRecord[]; val: EmojiRecord[] } {
  const isVal = (r: EmojiRecord) => fnv1a32(r.baseUnified.toUpperCase()) % 20 === 1;
  return { fit: records.filter((r) => !isVal(r)), val: records.filter(isVal) };
}

/** log of each category's share of `labels` (K categories; a category without images gets log of half an image). */
export function logCategoryPrior(labels: ArrayLike<number>, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts.map((c) => Math.log(Math.max(c, 0.5) / labels.length));
}

/** The τ grid the logit adjustment is chosen from (0 = the balanced classifier as trained). */
export const LOGIT_ADJUSTMENT_TAUS = [0, 0.25, 0.5, 0.75, 1];

/**
 * Picks τ for logits + τ·logPrior: the τ of `taus` with the highest top-1 accuracy on `logProbs` (rows of log
 * softmax, one per validation image) against `labels`; ties go to the smaller τ. -> τ and the accuracy of each τ
 */
export function chooseLogitAdjustment(logProbs: readonly ArrayLike<number>[], labels: ArrayLike<number>, logPrior: readonly number[], taus: readonly number[] = LOGIT_ADJUSTMENT_TAUS): { tau: number; accuracies: number[] } {
  const accuracies = taus.map((tau) => accuracyOf(logProbs.map((row) => Array.from(row, (v, j) => v + tau * logPrior[j])), labels));
  let best = 0;
  accuracies.forEach((a, i) => (a > accuracies[best] ? (best = i) : 0));
  return { tau: taus[best], accuracies };
}

/** File metadata of a freshly trained classifier. */
export function trainingMetadata(report: ClassifierTrainingReport, extra: Record<string, string> = {}): Record<string, string> {
  return {
    trained_at: new Date().toISOString(),
    held_out_accuracy: report.heldOutAccuracy.toFixed(4),
    train_steps: String(report.steps),
    train_epochs: report.epochs.toFixed(2),
    train_images: String(report.trainImages),
    train_seconds: report.seconds.toFixed(0),
    merged_categories: JSON.stringify(MERGED_CATEGORIES),
    ...extra,
  };
}

/** Loads the shipped classifier, or trains (on `trainDs`, default `ds`; its held-out accuracy is trainDs's) and saves it when missing / asked to; null when training was stopped (its checkpoint holds it). */
export async function loadOrTrainClassifier(
  ds: EmojiDataset,
  file: string,
  opts: { retrain: boolean; epochs?: number; steps?: number; trainDs?: EmojiDataset; trainDataDir?: string; checkpoint?: ClassifierTrainOptions['checkpoint']; stop?: () => boolean; channels?: number[] },
  log: (s: string) => void,
): Promise<{ classifier: EmojiClassifier; training?: ClassifierTrainingReport; metadata: Record<string, string> } | null> {
  if (!opts.retrain && fs.existsSync(file)) {
    const { classifier, metadata } = classifierFromSafetensors(fs.readFileSync(file));
    log(`classifier ${file} (trained ${metadata.trained_at ?? '?'}, held-out accuracy ${metadata.held_out_accuracy ?? '?'})`);
    return { classifier, metadata: withoutConfig(metadata) };
  }
  log(`training the category classifier (${file} ${fs.existsSync(file) ? 'is replaced' : 'does not exist'})`);
  const trainDs = opts.trainDs ?? ds;
  const { fit, val } = validationSlice(trainDs.train);
  // --classifier-channels: the plain CNN at other widths (features: the middle width, as the style classifier).
  const config = opts.channels ? { ...defaultClassifierConfig(datasetCategories(trainDs.index.records)), channels: opts.channels, featureDim: opts.channels[1] ?? opts.channels[0] } : undefined;
  const trained = await trainEmojiClassifier(trainDs, { epochs: opts.epochs, steps: opts.steps, checkpoint: opts.checkpoint, stop: opts.stop, trainRecords: fit, config }, log);
  if (!trained) return null;
  const { classifier: balanced, report } = trained;
  // τ for the logit adjustment, on the validation slice; the prior is the category shares of the fitted images.
  const prior = logCategoryPrior(recordLabels(fit, balanced.config), balanced.config.categories.length);
  const valProbs = (await classifyAll(balanced, recordImages01(trainDs, val))).probs.map((p) => p.map((x) => Math.log(Math.max(x, 1e-12))));
  const { tau, accuracies } = chooseLogitAdjustment(valProbs, recordLabels(val, balanced.config), prior);
  log(`logit adjustment τ·log prior on ${val.length} validation images: ${LOGIT_ADJUSTMENT_TAUS.map((t, i) => `τ ${t} → ${(100 * accuracies[i]).toFixed(1)}%`).join(', ')}; chose τ = ${tau}`);
  const adjusted = balanced.withLogitAdjustment(tau > 0 ? prior.map((v) => tau * v) : undefined);
  balanced.dispose();
  // The fp16 weights the file will hold, so this run's numbers are the ones a later run reading the file gets.
  const classifier = classifierFromSafetensors(await classifierToSafetensors(adjusted, 'F16')).classifier;
  adjusted.dispose();
  report.heldOutAccuracy = await classifierAccuracy(classifier, trainDs, trainDs.heldOut);
  log(`classifier trained in ${report.seconds.toFixed(0)} s (${report.imagesPerSecond.toFixed(0)} img/s), held-out accuracy ${(report.heldOutAccuracy * 100).toFixed(1)}%`);
  const meta = trainingMetadata(report, {
    train_data: opts.trainDataDir ?? '', // held_out_accuracy is on this dataset's held-out split
    class_sampling: 'balanced (uniform over categories, then over base emoji, then over their images)',
    augmentation: JSON.stringify(RESIDUAL_SAMPLING.augment),
    validation_images: String(val.length),
    logit_adjustment_tau: String(tau),
    logit_adjustment_validation: JSON.stringify(Object.fromEntries(LOGIT_ADJUSTMENT_TAUS.map((t, i) => [t, Number(accuracies[i].toFixed(4))]))),
  });
  writeAtomic(file, await classifierToSafetensors(classifier, 'F16', meta));
  log(`saved ${file}`);
  return { classifier, training: report, metadata: meta };
}

/** Metadata without the (long) architecture JSON, for eval.json. */
const withoutConfig = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== CLASSIFIER_CONFIG_KEY));
