// Tests for the base-model evaluation: Fréchet distance against closed forms and an independent sqrtm, the category classifier (learning, memory, I/O) and the `eval` command on a synthetic dataset (per-category table, classifier report, --classifier-only, --autoencoder-only per style); follows src/core/eval + cli/commands/eval.ts.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  featureStats,
  frechetDistance,
  matMulSquare,
  psdSqrt,
  symmetricEigen,
  traceSqrtProduct,
  type GaussianStats,
} from '../../src/core/eval/frechet';
import {
  accuracyOf,
  categoryOfPrompt,
  classifierCategoryOf,
  classifierFromSafetensors,
  classifierToSafetensors,
  classifyAll,
  EmojiClassifier,
  spaceToDepth2x,
  tinyClassifierConfig,
} from '../../src/core/eval/classifier';
import { ClassifierTrainer, defaultClassifierTrainConfig } from '../../src/core/eval/classifierTraining';
import { shapesData } from './shapesData';
import { augmentImage } from '../../src/core/eval/augment';
import { createRng, type Rng } from '../../src/core/rng';
import { buildVocab } from '../../src/core/data/captions';
import { writeSyntheticDataset } from './syntheticEmoji';
import { tinyModelConfig } from '../../src/core/config';
import { MiniSD } from '../../src/core/model/pipeline';
import { modelToSafetensors } from '../../src/core/model/weights';
import { evalCommand } from '../../cli/commands/eval';
import { loadModel } from '../../cli/modelLoader';
import { loadEmojiDataset } from '../../cli/pretrain/emojiData';
import { formatReport, promptClusteredStdErr, type EvalReport } from '../../cli/eval/baseModelEval';
import { decodePng } from '../../cli/png';
import { bestRow, parseScales, type GuidanceSweep, type SweepRow } from '../../cli/eval/guidanceSweep';
import { maxAbsDiff, useBackend } from './backend';
import { useTmpDir } from './tmpDir';

beforeAll(() => useBackend('wasm'));

// ---------------------------------------------------------------- Fréchet

const stats = (mean: number[], cov: number[][]): GaussianStats => ({
  dim: mean.length,
  count: 100,
  mean: Float64Array.from(mean),
  cov: Float64Array.from(cov.flat()),
});

/** Random SPD matrix L·Lᵀ + 0.1·I (n×n, row-major). */
function randomSpd(rng: Rng, n: number): Float64Array {
  const l = Float64Array.from({ length: n * n }, () => rng.normal());
  const lt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[j * n + i] = l[i * n + j];
  const a = matMulSquare(l, lt, n);
  for (let i = 0; i < n; i++) a[i * n + i] += 0.1;
  return a;
}

/**
 * Independent Tr(sqrtm(A)) for A with positive real eigenvalues (e.g. Σ1Σ2): coupled Newton–Schulz iteration
 * Y ← ½Y(3I − ZY), Z ← ½(3I − ZY)Z on A/‖A‖_F (Higham 2008, eq. 6.35), then Tr(Y)·sqrt(‖A‖_F).
 */
function traceSqrtmNewtonSchulz(a: Float64Array, n: number, iters = 200): number {
  let norm = 0;
  for (const v of a) norm += v * v;
  norm = Math.sqrt(norm);
  let y = a.map((v) => v / norm);
  let z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) z[i * n + i] = 1;
  for (let k = 0; k < iters; k++) {
    const t = matMulSquare(z, y, n).map((v) => -v);
    for (let i = 0; i < n; i++) t[i * n + i] += 3;
    const yn = matMulSquare(y, t, n).map((v) => v / 2);
    const zn = matMulSquare(t, z, n).map((v) => v / 2);
    y = yn;
    z = zn;
  }
  let tr = 0;
  for (let i = 0; i < n; i++) tr += y[i * n + i];
  return tr * Math.sqrt(norm);
}

describe('Fréchet distance', () => {
  it('featureStats gives the mean and the unbiased covariance', () => {
    const s = featureStats([
      [1, 2],
      [3, 6],
      [5, 7],
    ]);
    expect([...s.mean]).toEqual([3, 5]);
    // deviations (-2,-3), (0,1), (2,2): sums of products / (n−1 = 2)
    expect([...s.cov]).toEqual([4, 5, 5, 7]);
    expect(() => featureStats([[1, 2]])).toThrow(/at least 2/);
  });

  it('Jacobi eigen-decomposition reconstructs a symmetric matrix with orthonormal vectors', () => {
    const n = 7;
    const a = randomSpd(createRng(1), n);
    a[3] -= 5; // still symmetric after mirroring
    a[3 * n] -= 5;
    const { values, vectors } = symmetricEigen(a, n);
    const recon = new Float64Array(n * n);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) recon[i * n + j] += vectors[i * n + k] * values[k] * vectors[j * n + k];
    expect(maxAbsDiff(recon, a)).toBeLessThan(1e-9);
    for (let p = 0; p < n; p++)
      for (let q = 0; q < n; q++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += vectors[i * n + p] * vectors[i * n + q];
        expect(d).toBeCloseTo(p === q ? 1 : 0, 10);
      }
    const r = psdSqrt(randomSpd(createRng(2), n), n);
    expect(maxAbsDiff(matMulSquare(r, r, n), randomSpd(createRng(2), n))).toBeLessThan(1e-9);
  });

  it('identical sets give 0', () => {
    const rng = createRng(3);
    const rows = Array.from({ length: 50 }, () => Array.from({ length: 6 }, () => rng.normal()));
    const s = featureStats(rows);
    expect(frechetDistance(s, s)).toBeLessThan(1e-9);
  });

  it('1-D Gaussians: (μ1−μ2)² + (σ1−σ2)²', () => {
    expect(frechetDistance(stats([1], [[4]]), stats([3], [[9]]))).toBeCloseTo(4 + 1, 12);
    expect(frechetDistance(stats([0], [[0.25]]), stats([-0.5], [[0]]))).toBeCloseTo(0.25 + 0.25, 12);
  });

  it('diagonal covariances: Σ(μ1−μ2)² + Σ(√a − √b)²', () => {
    const a = [1, 4, 0.5, 2];
    const b = [9, 1, 0.5, 0.1];
    const m1 = [0, 1, 2, 3];
    const m2 = [1, 1, 0, 3];
    const diag = (d: number[]) => d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
    const expected = m1.reduce((s, v, i) => s + (v - m2[i]) ** 2, 0) + a.reduce((s, v, i) => s + (Math.sqrt(v) - Math.sqrt(b[i])) ** 2, 0);
    expect(frechetDistance(stats(m1, diag(a)), stats(m2, diag(b)))).toBeCloseTo(expected, 10);
  });

  it('2×2 full covariances: Tr√(Σ1Σ2) = sqrt(tr + 2·sqrt(det))', () => {
    const c1 = Float64Array.from([2, 0.6, 0.6, 1]);
    const c2 = Float64Array.from([1, -0.3, -0.3, 3]);
    const p = matMulSquare(c1, c2, 2);
    const closed = Math.sqrt(p[0] + p[3] + 2 * Math.sqrt(p[0] * p[3] - p[1] * p[2]));
    expect(traceSqrtProduct(c1, c2, 2)).toBeCloseTo(closed, 12);
  });

  it('random full covariances agree with a Newton–Schulz matrix square root', () => {
    const n = 12;
    const rng = createRng(4);
    const c1 = randomSpd(rng, n);
    const c2 = randomSpd(rng, n);
    const ours = traceSqrtProduct(c1, c2, n);
    const ref = traceSqrtmNewtonSchulz(matMulSquare(c1, c2, n), n);
    expect(Math.abs(ours - ref) / ref).toBeLessThan(1e-8);
    const m1 = Array.from({ length: n }, () => rng.normal());
    const m2 = Array.from({ length: n }, () => rng.normal());
    let tr = 0;
    for (let i = 0; i < n; i++) tr += c1[i * n + i] + c2[i * n + i];
    const meanTerm = m1.reduce((s, v, i) => s + (v - m2[i]) ** 2, 0);
    const a: GaussianStats = { dim: n, count: 10, mean: Float64Array.from(m1), cov: c1 };
    const b: GaussianStats = { dim: n, count: 10, mean: Float64Array.from(m2), cov: c2 };
    expect(frechetDistance(a, b)).toBeCloseTo(meanTerm + tr - 2 * ref, 6);
    expect(frechetDistance(a, b)).toBeCloseTo(frechetDistance(b, a), 8); // symmetric
  });
});

// ---------------------------------------------------------------- classifier


describe('category classifier', () => {
  it('spaceToDepth2x and augmentImage move pixels as documented', async () => {
    const x = tf.tensor4d(Float32Array.from({ length: 4 * 4 * 2 }, (_, i) => i), [1, 4, 4, 2]);
    const y = spaceToDepth2x(x);
    expect(y.shape).toEqual([1, 2, 2, 8]);
    // position (0,1) holds pixels (0,2), (0,3), (1,2), (1,3), two channels each
    const d = await y.data();
    expect([...d.slice(8, 16)]).toEqual([4, 5, 6, 7, 12, 13, 14, 15]);
    tf.dispose([x, y]);
    const src = Float32Array.from({ length: 4 * 4 * 3 }, (_, i) => Math.floor(i / 3) / 16); // pixel p has value p/16
    const out = new Float32Array(48);
    augmentImage(src, 4, true, 1, 0, out, 0);
    // row 0 after flip: [3,2,1,0]/16, shifted right by 1 with white entering: [1, 3/16, 2/16, 1/16]
    expect([out[0], out[3], out[6], out[9]]).toEqual([1, 3 / 16, 2 / 16, 1 / 16]);
  });

  it('probabilities sum to 1, one row per image; categories merge and map from prompts', async () => {
    const clf = EmojiClassifier.create(tinyClassifierConfig(['Smileys & Emotion', 'People & Body', 'Flags']), 1);
    const imgs = tf.randomUniform([3, 32, 32, 3]) as tf.Tensor4D;
    const p = clf.categoryProbabilities(imgs);
    expect(p.shape).toEqual([3, 3]);
    const sums = await tf.sum(p, 1).data();
    sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
    const own = clf.promptCategoryProbability(imgs, [0, 2, 1]);
    const pd = await p.data();
    expect(maxAbsDiff(await own.data(), [pd[0], pd[5], pd[7]])).toBeLessThan(1e-6);
    const { probs, features } = await clf.predict(imgs);
    expect(probs.length).toBe(3);
    expect(features[0].length).toBe(16);
    expect(classifierCategoryOf('Component')).toBe('People & Body');
    expect(clf.categoryIndex('Component')).toBe(1);
    expect(() => clf.categoryIndex('Objects')).toThrow(/retrain/);
    const recs = [{ name: 'grinning face', category: 'Smileys & Emotion' }, { name: 'flag: Brazil', category: 'Flags' }];
    expect(categoryOfPrompt('flag brazil, twitter style', recs)).toBe('Flags');
    expect(categoryOfPrompt('pizza', recs)).toBeUndefined();
    tf.dispose([imgs, p, own]);
    clf.dispose();
  });

  it('learns discs vs squares above chance, without leaking tensors, and survives a safetensors round trip', async () => {
    const clf = EmojiClassifier.create(tinyClassifierConfig(['disc', 'square']), 2, true);
    const tr = new ClassifierTrainer(clf, { ...defaultClassifierTrainConfig(150), batchSize: 16, learningRate: 1e-2, labelSmoothing: 0 });
    await tr.trainStep(shapesData);
    const before = tf.memory().numTensors;
    await tr.trainStep(shapesData);
    expect(tf.memory().numTensors).toBe(before);
    while (tr.step < 150) await tr.trainStep(shapesData);
    const test = shapesData.batch(createRng(99), 64);
    const { probs } = await classifyAll(clf, test.images, 32);
    const acc = accuracyOf(probs, test.labels);
    expect(acc).toBeGreaterThan(0.75);
    tr.dispose();

    const bytes = await classifierToSafetensors(clf, 'F32', { note: 'test' });
    const { classifier: back, metadata } = classifierFromSafetensors(bytes);
    expect(back.config).toEqual(clf.config);
    expect(metadata.note).toBe('test');
    const again = await classifyAll(back, test.images, 32);
    expect(maxAbsDiff(again.probs.flatMap((p) => [...p]), probs.flatMap((p) => [...p]))).toBeLessThan(1e-6);
    const sd = MiniSD.create(tinyModelConfig(), 0);
    const sdBytes = await modelToSafetensors(sd);
    sd.dispose();
    expect(() => classifierFromSafetensors(sdBytes)).toThrow(/not a d3po-studio emoji classifier/);
    back.dispose();
    clf.dispose();
  });
});

// ---------------------------------------------------------------- the eval command on a synthetic dataset

/** The synthetic dataset and a tiny random model in `dir`. */
async function writeFixture(dir: string): Promise<void> {
  const records = writeSyntheticDataset(dir);
  const model = MiniSD.create(tinyModelConfig(buildVocab(records)), 5);
  fs.writeFileSync(path.join(dir, 'model.safetensors'), await modelToSafetensors(model));
  model.dispose();
}

/** `eval` arguments on the fixture: 2 samples per prompt, 2 DDIM steps, output in dir/out. */
const evalArgs = (dir: string, out: string) => ({
  _: ['eval'],
  data: dir,
  model: path.join(dir, 'model.safetensors'),
  out: path.join(dir, out),
  classifier: path.join(dir, 'clf', 'classifier.safetensors'),
  'classifier-checkpoint': path.join(dir, 'clf', 'checkpoint.safetensors'),
  'per-prompt': '2',
  steps: '2',
  'classifier-epochs': '16',
  'seen-prompts': 'yellow face,flag green,red face',
});

describe('eval command', () => {
  let dir = '';
  useTmpDir('d3po-eval-', (d) => (dir = d));

  it('trains the classifier, samples, and writes finite metrics, eval.json and the sheet', async () => {
    await writeFixture(dir);
    const lines: string[] = [];
    const args = evalArgs(dir, 'out');
    const before = tf.memory().numTensors;
    await evalCommand(args, (s) => lines.push(s));
    expect(tf.memory().numTensors).toBe(before);
    expect(fs.existsSync(args.classifier)).toBe(true);
    expect(lines.join('\n')).toMatch(/classifier trained in .* img\/s/);

    const json = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'eval.json'), 'utf8')) as EvalReport & { sheet: { rows: string[]; seeds: number } };
    expect(json.classifier.categories).toEqual(['Smileys & Emotion', 'Flags']);
    expect(json.classifier.training?.steps).toBe(2); // 16 epochs × 8 training images / 64
    expect(json.settings).toMatchObject({ perPrompt: 2, steps: 2, guidanceScale: 3 });
    expect(json.splits['held-out'].prompts).toBe(2);
    expect(json.splits.seen.prompts).toBe(3);
    expect(json.splits.all.samples).toBe(10);
    for (const k of ['held-out', 'seen', 'all'] as const) {
      const s = json.splits[k];
      for (const v of [s.sampleAccuracy, s.sampleAccuracyStdErr, s.realAccuracy, s.promptCategoryProbability, s.frechetDistance]) expect(Number.isFinite(v)).toBe(true);
      const perPrompt = json.prompts.filter((p) => k === 'all' || p.split === k).map((p) => p.accuracy);
      expect(s.sampleAccuracyStdErr).toBeCloseTo(promptClusteredStdErr(perPrompt), 12);
      expect(s.accuracyRatio === null ? s.realAccuracy === 0 : Number.isFinite(s.accuracyRatio)).toBe(true);
    }
    expect(json.splits.all.realImages).toBe(10);
    for (const v of [json.denoisingLoss.heldOut, json.denoisingLoss.trainSubset, json.autoencoderPsnr.heldOut, json.autoencoderPsnr.trainSubset, json.classifier.heldOutAccuracy])
      expect(Number.isFinite(v)).toBe(true);
    expect(json.denoisingLoss.images).toBe(4);
    expect(json.prompts.map((p) => p.prompt)).toEqual(['blue face', 'flag orange', 'yellow face', 'flag green', 'red face']);
    expect(json.prompts[0].predicted).toHaveLength(2);
    expect(typeof json.qualityBar.passed).toBe('boolean');
    expect(json.sheet.rows).toEqual(['yellow face', 'flag green', 'red face', 'blue face', 'flag orange']);
    // per category: the samples of its prompts (2 each), accuracy = mean of its prompts' accuracies (equal sample counts)
    expect(json.categories.map((c) => [c.category, c.prompts, c.samples, c.realImages])).toEqual([['Smileys & Emotion', 3, 6, 6], ['Flags', 2, 4, 4]]);
    for (const c of json.categories) {
      const accs = json.prompts.filter((p) => p.category === c.category).map((p) => p.accuracy);
      expect(c.sampleAccuracy).toBeCloseTo(accs.reduce((a, b) => a + b, 0) / accs.length, 12);
      expect(c.accuracyRatio === null ? c.realAccuracy === 0 : c.accuracyRatio).toBeCloseTo(c.realAccuracy === 0 ? 1 : c.sampleAccuracy / c.realAccuracy, 12);
    }
    // the classifier's own held-out report: 2 held-out emoji × 2 vendors
    expect(json.classifier.heldOut.images).toBe(4);
    expect(json.classifier.heldOut.byStyle.map((g) => [g.group, g.count])).toEqual([['google', 2], ['twitter', 2]]);
    expect(json.classifier.heldOut.accuracy).toBe(json.classifier.heldOutAccuracy);
    expect(lines.join('\n')).toMatch(/held-out real images of .*: 4 images of 2 emoji/);
    const clfReport = JSON.parse(fs.readFileSync(path.join(dir, 'clf', 'classifier-report.json'), 'utf8'));
    expect(clfReport.heldOut[dir].images).toBe(4);
    expect(clfReport.classifier.config.block ?? 'plain').toBe('plain'); // what eval trains (plainClassifierConfig)
    expect([0, 0.25, 0.5, 0.75, 1]).toContain(Number(clfReport.classifier.metadata.logit_adjustment_tau)); // chosen on the validation slice
    const png = decodePng(new Uint8Array(fs.readFileSync(path.join(dir, 'out', 'sample-sheet.png'))));
    expect(png.width).toBeGreaterThan(6 * 96);
    expect(formatReport(json)).toMatch(/quality bar/);

    // A second run reuses the saved classifier and reproduces the samples (fixed seeds).
    const lines2: string[] = [];
    await evalCommand(args, (s) => lines2.push(s));
    expect(lines2.join('\n')).not.toMatch(/training the category classifier/);
    const json2 = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'eval.json'), 'utf8')) as EvalReport;
    expect(json2.splits.all.frechetDistance).toBeCloseTo(json.splits.all.frechetDistance, 4);
    expect(json2.denoisingLoss.heldOut).toBeCloseTo(json.denoisingLoss.heldOut, 5);
  });

  it('--classifier-only trains on --classifier-data, reports both held-out splits and samples nothing', async () => {
    await writeFixture(dir);
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    writeSyntheticDataset(other);
    const args = { ...evalArgs(dir, 'only'), 'classifier-data': other, 'classifier-steps': '3', 'classifier-only': true, 'classifier-checkpoint': path.join(dir, 'ck', 'clf.safetensors') };
    const lines: string[] = [];
    await evalCommand({ ...args, 'retrain-classifier': true }, (s) => lines.push(s));
    const text = lines.join('\n');
    expect(text).toMatch(/3 steps of 64/);
    expect(text).toContain(`held-out real images of ${dir}: 4 images`);
    expect(text).toContain(`held-out real images of ${other}: 4 images`);
    expect(fs.existsSync(path.join(dir, 'only', 'eval.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'ck', 'clf.safetensors'))).toBe(true); // the run's final checkpoint
    const { metadata } = classifierFromSafetensors(fs.readFileSync(args.classifier));
    expect(metadata.train_steps).toBe('3');
    expect(metadata.train_data).toBe(other);
    // --classifier-channels trains the plain CNN at another width
    await evalCommand({ ...args, 'retrain-classifier': true, 'classifier-channels': '8,16', 'classifier-steps': '1' }, () => {});
    const narrow = classifierFromSafetensors(fs.readFileSync(args.classifier)).classifier;
    expect([narrow.config.channels, narrow.config.featureDim, narrow.config.block ?? 'plain']).toEqual([[8, 16], 16, 'plain']);
    narrow.dispose();
    await evalCommand({ ...args, 'retrain-classifier': true }, () => {});
    // loading it again (no retraining) still reports with --classifier-only
    const again: string[] = [];
    await evalCommand({ ...args, 'classifier-steps': '5' }, (s) => again.push(s));
    expect(again.join('\n')).not.toMatch(/training the category classifier/);
    expect(again.join('\n')).toContain('held-out real images of');
  });

  it('--autoencoder-only prints PSNR per style that matches decode(encode(x)) recomputed here, and nothing else', async () => {
    await writeFixture(dir);
    const args = { ...evalArgs(dir, 'ae'), 'autoencoder-only': true };
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    await evalCommand(args, (s) => lines.push(s));
    expect(tf.memory().numTensors).toBe(before);
    const text = lines.join('\n');
    expect(text).not.toMatch(/classifier/); // neither trained nor loaded
    expect(fs.existsSync(path.join(dir, 'ae', 'eval.json'))).toBe(false);
    // Independent PSNR: the fixture's held-out images of each style, straight from emoji32.bin, through the model.
    const { model } = loadModel(args.model);
    const ds = loadEmojiDataset(dir);
    const rows = new Map(text.split('\n').filter((l) => /^\| (google|twitter|all) \|/.test(l)).map((l) => { const c = l.split('|').map((x) => x.trim()); return [c[1], { n: Number(c[2]), psnr: Number(c[3]) }]; }));
    const perStyle: number[] = [];
    for (const style of ['google', 'twitter']) {
      const recs = ds.heldOut.filter((r) => r.vendor === style);
      const psnrs = recs.map((r) => {
        const px = new Uint8Array(ds.pixels, r.index * 3072, 3072);
        const x = Array.from(px, (v) => v / 255);
        const y = tf.tidy(() => Array.from(model.decode(model.encode(tf.tensor4d(x, [1, 32, 32, 3]))).dataSync()));
        const mse = x.reduce((a, v, i) => a + (v - y[i]) ** 2, 0) / x.length;
        return -10 * Math.log10(mse);
      });
      const psnr = psnrs.reduce((a, b) => a + b, 0) / psnrs.length;
      perStyle.push(...psnrs);
      expect(rows.get(style)?.n).toBe(recs.length);
      expect(rows.get(style)?.psnr).toBeCloseTo(psnr, 1); // printed with 2 decimals
    }
    expect(rows.get('all')?.n).toBe(perStyle.length);
    expect(rows.get('all')?.psnr).toBeCloseTo(perStyle.reduce((a, b) => a + b, 0) / perStyle.length, 1);
    model.dispose();
  });

  it('--sweep-guidance scores each weight on the same seeds, matching a full eval at that weight', async () => {
    await writeFixture(dir);
    const args = evalArgs(dir, 'sweep');
    const before = tf.memory().numTensors;
    const lines: string[] = [];
    await evalCommand({ ...args, 'sweep-guidance': '0, 7,0' }, (s) => lines.push(s));
    expect(tf.memory().numTensors).toBe(before);
    const sweep = JSON.parse(fs.readFileSync(path.join(dir, 'sweep', 'guidance-sweep.json'), 'utf8')) as GuidanceSweep;
    expect(sweep.settings.scales).toEqual([0, 7]);
    expect(sweep.rows.map((r) => r.guidanceScale)).toEqual([0, 7]);
    expect(sweep.rows[bestRow(sweep.rows)].guidanceScale).toBe(sweep.best);
    expect(lines.join('\n')).toMatch(/best guidance/);
    const png = decodePng(new Uint8Array(fs.readFileSync(path.join(dir, 'sweep', 'guidance-sweep.png'))));
    expect(png.width).toBeGreaterThanOrEqual(4 * 96); // 2 weights × 2 samples per row

    // The full eval at guidance 7 samples the same prompts with the same seeds: identical split metrics.
    await evalCommand({ ...args, guidance: '7' }, () => {});
    const full = JSON.parse(fs.readFileSync(path.join(dir, 'sweep', 'eval.json'), 'utf8')) as EvalReport;
    expect(full.settings.guidanceScale).toBe(7);
    for (const k of ['held-out', 'seen', 'all'] as const) {
      expect(sweep.rows[1].splits[k].sampleAccuracy).toBeCloseTo(full.splits[k].sampleAccuracy, 10);
      expect(sweep.rows[1].splits[k].frechetDistance).toBeCloseTo(full.splits[k].frechetDistance, 6);
    }
    // Guidance changes the samples (weight 0 = unconditional only): the two rows' features differ.
    expect(sweep.rows[0].splits.all.frechetDistance).not.toBeCloseTo(sweep.rows[1].splits.all.frechetDistance, 6);
  });

  it('parseScales, bestRow and the prompt-clustered standard error', () => {
    expect(parseScales('2, 3.5,5,2')).toEqual([2, 3.5, 5]);
    expect(() => parseScales('')).toThrow(/--sweep-guidance 2,3.5,5/);
    expect(() => parseScales('2,x')).toThrow(/comma-separated list/);
    expect(() => parseScales('-1')).toThrow(/≥ 0/);
    const row = (g: number, acc: number, fd: number, se = 0.025) => ({ guidanceScale: g, samplingSeconds: 1, splits: { all: { sampleAccuracy: acc, sampleAccuracyStdErr: se, frechetDistance: fd } } }) as unknown as SweepRow;
    expect(bestRow([row(1, 0.2, 5), row(3, 0.4, 9), row(5, 0.4, 7), row(7, 0.3, 1)])).toBe(2); // ties on accuracy: lower Fréchet
    expect(bestRow([row(2, 0.38, 6), row(3.5, 0.4, 8), row(5, 0.37, 10)])).toBe(0); // 0.38 is within one SE (0.025) of 0.40
    expect(bestRow([row(2, 0.37, 6), row(3.5, 0.4, 8)])).toBe(1); // 0.37 is not
    expect(bestRow([row(2, 0.37, 6, 0.08), row(3.5, 0.4, 8, 0.08)])).toBe(0); // with a larger SE it is
    expect(bestRow([row(2, 0.37, 6, NaN), row(3.5, 0.4, 8, NaN)])).toBe(1); // unknown SE: accuracy decides

    // prompt-clustered standard error: std of per-prompt accuracies (n − 1) / √prompts
    expect(promptClusteredStdErr([0, 1])).toBeCloseTo(0.5, 12); // var 0.5, /2 → 0.25
    expect(promptClusteredStdErr([0.5, 0.5, 0.5])).toBe(0);
    expect(promptClusteredStdErr([0.25, 0.5, 1, 0.25])).toBeCloseTo(Math.sqrt(((0.25 - 0.5) ** 2 * 2 + 0 + 0.25) / 3 / 4), 12);
    expect(promptClusteredStdErr([1])).toBeNaN();
  });
});

describe('prompt_alignment reward', () => {
  it('scores p(prompt category) with the classifier, from RGBA bytes, and rejects prompts without a category', async () => {
    const { promptAlignmentReward, rgbaToTensor } = await import('../../src/core/rewards/promptAlignment');
    const { EmojiClassifier, tinyClassifierConfig } = await import('../../src/core/eval/classifier');
    const clf = EmojiClassifier.create(tinyClassifierConfig(['Flags', 'Food & Drink']), 3);
    const img = new Uint8ClampedArray(32 * 32 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) % 256));
    const t = rgbaToTensor([img]);
    expect(t.shape).toEqual([1, 32, 32, 3]);
    expect((await t.data())[1]).toBeCloseTo(7 / 255, 6);
    const probs = await clf.categoryProbabilities(t).data();
    const reward = promptAlignmentReward(clf, (p) => ({ 'flag brazil': 'Flags', pizza: 'Food & Drink' })[p]);
    const [a, b] = await reward.score([img, img], ['flag brazil', 'pizza']);
    expect(a).toBeCloseTo(probs[0], 6);
    expect(b).toBeCloseTo(probs[1], 6);
    await expect(reward.score([img], ['unknown thing'])).rejects.toThrow(/no emoji category/);
    t.dispose();
  });
});
