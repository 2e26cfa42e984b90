// `eval`: base-model evaluation (issue "Base model", part 3) — trains (resumably, on --classifier-data) or loads the emoji category classifier, samples held-out and seen prompts, reports category accuracy, classifier-feature Fréchet distance, held-out denoising loss and autoencoder PSNR (cli/eval/baseModelEval.ts), or sweeps the guidance weight (cli/eval/guidanceSweep.ts).
import path from 'node:path';
import { loadEmojiDataset, type EmojiDataset } from '../pretrain/emojiData';
import { loadModel, DEFAULT_MODEL_PATH } from '../modelLoader';
import { CONFIG_METADATA_KEY } from '../../src/core/model/weights';
import { composeGrid, encodePng } from '../png';
import { flag, num, str, type Args } from '../args';
import { loadOrTrainClassifier, type ClassifierTrainingReport } from '../eval/classifierData';
import { formatRealImageReport, realImageReport, type RealImageReport } from '../eval/classifierReport';
import type { EmojiClassifier } from '../../src/core/eval/classifier';
import { writeAtomic } from '../fsAtomic';
import { DEFAULT_CLASSIFIER_PATH, evaluateBaseModel, formatReport, QUALITY_BAR, SEEN_EVAL_PROMPTS, type EvalOptions } from '../eval/baseModelEval';
import { formatSweep, guidanceSweep, parseScales } from '../eval/guidanceSweep';
import { DEFAULT_STYLE_CLASSIFIER_CHECKPOINT, DEFAULT_STYLE_CLASSIFIER_PATH, formatStyleReport, loadOrTrainStyleClassifier, styleSampleCheck } from '../eval/styleEval';
import { autoencoderPsnrByStyle, firstPerStyle, formatStylePsnr, trainSubset } from '../eval/modelMetrics';

/** Where a classifier training run keeps its resumable checkpoint. */
export const DEFAULT_CLASSIFIER_CHECKPOINT = 'checkpoints/classifier/classifier-latest.safetensors';

export const evalHelp = `eval [--model ${DEFAULT_MODEL_PATH}] [--per-prompt 8] [--steps 20] [--guidance G] [--out public/models/emoji-sd]
     [--classifier ${DEFAULT_CLASSIFIER_PATH}] [--max-held-out N] [--data data] [--threads T]
     [--seen-prompts "grinning face,red heart,…"] [--batch 32] [--sweep-guidance 2,3.5,5]
     [--retrain-classifier] [--classifier-data data/v2] [--classifier-steps N | --classifier-epochs 30]
     [--resume-classifier] [--classifier-checkpoint ${DEFAULT_CLASSIFIER_CHECKPOINT}] [--classifier-channels 32,64,128]
     [--classifier-only] [--autoencoder-only]
     [--style-classifier-only | --style-check] [--retrain-style-classifier] [--style-classifier ${DEFAULT_STYLE_CLASSIFIER_PATH}]
  Trains the emoji category classifier if it is missing, then samples every held-out prompt and ${SEEN_EVAL_PROMPTS.length} seen prompts
  (DDIM, CFG) and reports category accuracy overall and per category (vs. the classifier on real images; bar ≥ ${QUALITY_BAR * 100}%),
  the classifier's own held-out accuracy (per category and style), the Fréchet distance of classifier features, held-out
  denoising loss and autoencoder PSNR. Writes <out>/eval.json and <out>/sample-sheet.png.
  Classifier training (when missing or --retrain-classifier): the plain CNN on --classifier-data (default --data), class-
  balanced, minus a 5 % validation slice of training emoji that then picks the logit adjustment τ·log prior; a full checkpoint every 5 min to --classifier-checkpoint (--resume-classifier continues it; SIGINT stops with a
  checkpoint), fp16 weights to --classifier, its real-image report to classifier-report.json beside them.
  --classifier-only: load or train the classifier, print its real-image report on the held-out split of --data (and of
  --classifier-data), write classifier-report.json, and stop (no model, no sampling).
  --autoencoder-only: print the model's autoencoder PSNR per style on the held-out images of --data and on up to
  300 training images per style (no classifier, no sampling), e.g. with --data data/v2 before training on more styles.
  --style-classifier-only [--retrain-style-classifier] [--style-classifier FILE]: load or train (on --data, the v2
  data: balanced over styles, no colour jitter, 30 epochs) the style classifier and print its report on the held-out
  real images (style-classifier-report.json beside it).
  --style-check: then sample the seen prompts and --max-held-out (12) held-out prompts in every style ("<prompt>,
  <style> style", --per-prompt 2 each) and plain, and report how often the style classifier sees the requested style
  and the category classifier the prompt's category (<out>/style-check.json, style-sheet.png). Needs a model trained
  with the style words (v2).
  --sweep-guidance W1,W2,…: instead, samples the same prompts and seeds at each guidance weight and writes
  <out>/guidance-sweep.json and .png (accuracy and Fréchet per weight; the best is the one to put in the config).`;

/** --seen-prompts "a,b,…" as a list, or undefined for the eval's own list. */
const seenPromptsArg = (args: Args): string[] | undefined =>
  args['seen-prompts'] !== undefined ? str(args, 'seen-prompts', '').split(',').map((p) => p.trim()).filter((p) => p !== '') : undefined;

/**
 * --style-classifier-only: load or train the style classifier on --data (the v2 data) and print its real-image report;
 * --style-check: then sample every eval prompt in every style with --model and report how often the requested style is
 * recognised (style-check.json and style-sheet.png in --out).
 */
async function styleEval(args: Args, ds: EmojiDataset, dataDir: string, outDir: string, clfFile: string, log: (s: string) => void): Promise<void> {
  const file = str(args, 'style-classifier', DEFAULT_STYLE_CLASSIFIER_PATH);
  let stopRequested = false;
  const onSigint = () => (stopRequested = true);
  process.once('SIGINT', onSigint);
  const loaded = await loadOrTrainStyleClassifier(
    ds,
    file,
    {
      retrain: flag(args, 'retrain-style-classifier'),
      dataDir,
      epochs: args['classifier-epochs'] !== undefined ? num(args, 'classifier-epochs', 30) : undefined,
      steps: args['classifier-steps'] !== undefined ? num(args, 'classifier-steps', 0) : undefined,
      checkpoint: { file: str(args, 'classifier-checkpoint', DEFAULT_STYLE_CLASSIFIER_CHECKPOINT), everySeconds: 300, resume: flag(args, 'resume-classifier') },
      stop: () => stopRequested,
    },
    log,
  ).finally(() => process.off('SIGINT', onSigint));
  if (!loaded) return;
  const { classifier: styleClf, training, metadata } = loaded;
  const real = await realImageReport(styleClf, ds, ds.heldOut);
  log('\n' + formatRealImageReport(`style classifier on the held-out real images of ${dataDir}`, real));
  // The report beside the weights is rewritten when they are trained or asked for, not by every style check (it would lose the training facts).
  if (training || flag(args, 'style-classifier-only')) writeAtomic(path.join(path.dirname(file), 'style-classifier-report.json'), JSON.stringify({ classifier: { path: file, metadata, parameters: styleClf.parameterCount(), config: styleClf.config }, training, createdAt: new Date().toISOString(), heldOut: { [dataDir]: real } }, null, 1));
  if (!flag(args, 'style-check')) return styleClf.dispose();
  const category = await loadOrTrainClassifier(ds, clfFile, { retrain: false }, log); // null only when a stop was requested; none is passed
  const modelFile = str(args, 'model', DEFAULT_MODEL_PATH);
  const { model, id } = loadModel(modelFile);
  try {
    const settings = { steps: num(args, 'steps', 20), guidanceScale: args.guidance !== undefined ? num(args, 'guidance', 0) : model.config.sample.guidanceScale, seed: 0, batch: num(args, 'batch', 32) };
    const { report, sheet } = await styleSampleCheck(model, styleClf, category!.classifier, ds, { maxHeldOut: num(args, 'max-held-out', 12), perPromptStyle: num(args, 'per-prompt', 2), settings, seenPrompts: seenPromptsArg(args) }, log);
    const grid = composeGrid(sheet.tiles, sheet.cols, 3, sheet.labels);
    writeAtomic(path.join(outDir, 'style-sheet.png'), encodePng(grid.data, grid.width, grid.height));
    writeAtomic(path.join(outDir, 'style-check.json'), JSON.stringify({ model: { path: modelFile, id }, styleClassifier: { path: file, heldOutAccuracy: real.accuracy }, createdAt: new Date().toISOString(), ...report }, null, 1));
    log('\n' + formatStyleReport(report) + `\n\nwrote ${path.join(outDir, 'style-check.json')} and style-sheet.png`);
  } finally {
    model.dispose();
    category?.classifier.dispose();
    styleClf.dispose();
  }
}

/** The classifier's real-image reports on the held-out split of each dataset, as printed text and classifier-report.json. */
async function writeClassifierReport(classifier: EmojiClassifier, sets: { dir: string; ds: EmojiDataset }[], clfFile: string, metadata: Record<string, string>, training: ClassifierTrainingReport | undefined, log: (s: string) => void): Promise<void> {
  const reports: Record<string, RealImageReport> = {};
  for (const { dir, ds } of sets) {
    reports[dir] = await realImageReport(classifier, ds, ds.heldOut);
    log('\n' + formatRealImageReport(`held-out real images of ${dir}`, reports[dir]));
  }
  const file = path.join(path.dirname(clfFile), 'classifier-report.json');
  writeAtomic(file, JSON.stringify({ classifier: { path: clfFile, metadata, parameters: classifier.parameterCount(), config: classifier.config }, training, createdAt: new Date().toISOString(), heldOut: reports }, null, 1));
  log(`\nwrote ${file}`);
}

export async function evalCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const dataDir = str(args, 'data', 'data');
  const ds = loadEmojiDataset(dataDir);
  const outDir = str(args, 'out', 'public/models/emoji-sd');
  const clfFile = str(args, 'classifier', DEFAULT_CLASSIFIER_PATH);
  if (flag(args, 'autoencoder-only')) {
    const { model, id } = loadModel(str(args, 'model', DEFAULT_MODEL_PATH));
    const sample = firstPerStyle(trainSubset(ds, ds.train.length), 300); // a fixed shuffle of the training records
    const rows = await autoencoderPsnrByStyle(model, ds, ds.heldOut, sample);
    log(formatStylePsnr(`autoencoder PSNR of ${id} on ${dataDir}`, rows));
    model.dispose();
    return;
  }
  if (flag(args, 'style-classifier-only') || flag(args, 'style-check')) return styleEval(args, ds, dataDir, outDir, clfFile, log);
  const clfDataDir = str(args, 'classifier-data', dataDir);
  const clfDs = path.resolve(clfDataDir) === path.resolve(dataDir) ? ds : loadEmojiDataset(clfDataDir);
  let stopRequested = false;
  const onSigint = () => {
    stopRequested = true;
    log('SIGINT: stopping the classifier training after this step (with a checkpoint)');
  };
  process.once('SIGINT', onSigint);
  const loaded = await loadOrTrainClassifier(
    ds,
    clfFile,
    {
      retrain: flag(args, 'retrain-classifier'),
      epochs: num(args, 'classifier-epochs', 30),
      steps: args['classifier-steps'] !== undefined ? num(args, 'classifier-steps', 0) : undefined,
      trainDs: clfDs,
      trainDataDir: clfDataDir,
      channels: args['classifier-channels'] !== undefined ? str(args, 'classifier-channels', '').split(',').map(Number) : undefined,
      checkpoint: { file: str(args, 'classifier-checkpoint', DEFAULT_CLASSIFIER_CHECKPOINT), everySeconds: 300, resume: flag(args, 'resume-classifier') },
      stop: () => stopRequested,
    },
    log,
  ).finally(() => process.off('SIGINT', onSigint));
  if (!loaded) return; // stopped: the checkpoint holds the run
  const { classifier, training, metadata: classifierMetadata } = loaded;
  if (training || flag(args, 'classifier-only')) {
    const sets = clfDs === ds ? [{ dir: dataDir, ds }] : [{ dir: dataDir, ds }, { dir: clfDataDir, ds: clfDs }];
    await writeClassifierReport(classifier, sets, clfFile, classifierMetadata, training, log);
  }
  if (flag(args, 'classifier-only')) {
    classifier.dispose();
    return;
  }
  const modelFile = str(args, 'model', DEFAULT_MODEL_PATH);
  const { model, id, file } = loadModel(modelFile);
  log(`model ${id} (${modelFile}${file.metadata.step ? `, stage ${file.metadata.stage} step ${file.metadata.step}` : ''})`);
  const opts: EvalOptions = {
    perPrompt: num(args, 'per-prompt', 8),
    steps: num(args, 'steps', 20),
    guidanceScale: args.guidance !== undefined ? num(args, 'guidance', 0) : undefined,
    maxHeldOut: args['max-held-out'] !== undefined ? num(args, 'max-held-out', 0) : undefined,
    batch: num(args, 'batch', 32),
    seenPrompts: seenPromptsArg(args),
  };
  const metadata = Object.fromEntries(Object.entries(file.metadata).filter(([k]) => k !== CONFIG_METADATA_KEY));
  if (args['sweep-guidance'] !== undefined) {
    const { sweep, sheet } = await guidanceSweep(model, classifier, ds, parseScales(str(args, 'sweep-guidance', '')), opts, log);
    const grid = composeGrid(sheet.tiles, sheet.cols, 3, sheet.labels);
    writeAtomic(path.join(outDir, 'guidance-sweep.png'), encodePng(grid.data, grid.width, grid.height));
    writeAtomic(path.join(outDir, 'guidance-sweep.json'), JSON.stringify({ model: { path: modelFile, id, metadata }, createdAt: new Date().toISOString(), ...sweep }, null, 1));
    log('\n' + formatSweep(sweep) + `\n\nbest guidance ${sweep.best}; wrote ${path.join(outDir, 'guidance-sweep.json')} and guidance-sweep.png`);
    model.dispose();
    classifier.dispose();
    return;
  }
  const { report, sheet } = await evaluateBaseModel(model, classifier, ds, opts, log);
  if (training) report.classifier.training = training;
  const sheetFile = path.join(outDir, 'sample-sheet.png');
  const grid = composeGrid(sheet.tiles, sheet.cols, 3, sheet.labels);
  writeAtomic(sheetFile, encodePng(grid.data, grid.width, grid.height));
  const json = { model: { path: modelFile, id, metadata }, classifierFile: { path: clfFile, metadata: classifierMetadata }, createdAt: new Date().toISOString(), sheet: { path: sheetFile, rows: sheet.rows, seeds: sheet.cols }, ...report };
  writeAtomic(path.join(outDir, 'eval.json'), JSON.stringify(json, null, 1));
  log('\n' + formatReport(report));
  log(`\nwrote ${path.join(outDir, 'eval.json')} and ${sheetFile}`);
  model.dispose();
  classifier.dispose();
}
