// Tests for the category classifier's training side: the logit adjustment (logits shifted by exactly the stored vector, τ chosen on validation data by hand, the validation slice keeping each emoji on one side), meaning-keeping augmentation (geometry against the integer-shift copy and hand-computed pixels, the W3C colour matrices), batches drawn per base emoji, the residual architecture (SkipInit identity at start), the weight EMA against a hand-run average, and checkpoint/resume giving the uninterrupted run's weights; follows src/core/eval/{augment,classifierTraining}.ts and cli/eval/classifierData.ts.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentGeometry, augmentImage, drawAugment, hueSaturationMatrix, IDENTITY_AUGMENT, jitterColour, MEANING_KEEPING_AUGMENT } from '../../src/core/eval/augment';
import { classifyAll, accuracyOf, residualClassifierConfig, EmojiClassifier, tinyClassifierConfig, type ClassifierConfig } from '../../src/core/eval/classifier';
import { ClassifierTrainer, defaultClassifierTrainConfig, trainClassifier } from '../../src/core/eval/classifierTraining';
import { shapesData } from './shapesData';
import { chooseLogitAdjustment, classifierDataFromRecords, LEGACY_SAMPLING, logCategoryPrior, RESIDUAL_SAMPLING, trainEmojiClassifier, validationSlice } from '../../cli/eval/classifierData';
import { classifierFromSafetensors, classifierToSafetensors } from '../../src/core/eval/classifier';
import { loadEmojiDataset, type EmojiDataset } from '../../cli/pretrain/emojiData';
import type { EmojiRecord } from '../../src/core/data/emojiDataset';
import { createRng, type Rng } from '../../src/core/rng';
import { writeSyntheticDataset } from './syntheticEmoji';
import { maxAbsDiff, useBackend } from './backend';
import { useTmpDir } from './tmpDir';
import fs from 'node:fs';
import path from 'node:path';

beforeAll(() => useBackend('wasm'));

const randomImage = (rng: Rng, size: number) => Float32Array.from({ length: size * size * 3 }, () => rng.next());

describe('augmentation', () => {
  it('scale 1 with integer shifts (and mirrors) equals the integer copy of augmentImage', () => {
    const rng = createRng(1);
    const src = randomImage(rng, 8);
    for (const [flip, dx, dy] of [[false, 0, 0], [true, 0, 0], [false, 2, -1], [true, -3, 2], [true, 1, 1]] as const) {
      const a = new Float32Array(192);
      const b = new Float32Array(192);
      augmentImage(src, 8, flip, dx, dy, a, 0);
      augmentGeometry(src, 8, { flip, dx, dy, scale: 1 }, b, 0);
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
    }
  });

  it('scale 2 about the centre samples half-pixel positions bilinearly, white outside', () => {
    // 4×4 grey ramp: pixel (row r, col c) = (4r + c)/16 in all channels. centre c0 = 1.5.
    const src = Float32Array.from({ length: 48 }, (_, i) => Math.floor(i / 3) / 16);
    const out = new Float32Array(48);
    augmentGeometry(src, 4, { flip: false, dx: 0, dy: 0, scale: 2 }, out, 0);
    const px = (r: number, c: number) => out[(r * 4 + c) * 3];
    // output (1,1) samples source (1.5 + (1 − 1.5)/2) = 1.25 on both axes: bilinear of pixels (1,1),(1,2),(2,1),(2,2)
    const v = (r: number, c: number) => (4 * r + c) / 16;
    const expect11 = 0.75 * (0.75 * v(1, 1) + 0.25 * v(1, 2)) + 0.25 * (0.75 * v(2, 1) + 0.25 * v(2, 2));
    expect(px(1, 1)).toBeCloseTo(expect11, 6);
    // output (0,0) samples (0.75, 0.75): pixels (0,0),(0,1),(1,0),(1,1)
    expect(px(0, 0)).toBeCloseTo(0.25 * (0.25 * v(0, 0) + 0.75 * v(0, 1)) + 0.75 * (0.25 * v(1, 0) + 0.75 * v(1, 1)), 6);
    // scale 0.5 (shrink): output (0,0) samples (1.5 − 1.5·2) = −1.5 — outside, white
    augmentGeometry(src, 4, { flip: false, dx: 0, dy: 0, scale: 0.5 }, out, 0);
    expect(px(0, 0)).toBe(1);
    // output (1,1) samples (1.5 − 0.5·2) = 0.5: mean of the top-left 2×2 block
    expect(px(1, 1)).toBeCloseTo((v(0, 0) + v(0, 1) + v(1, 0) + v(1, 1)) / 4, 6);
  });

  it('the W3C hueRotate·saturate matrix keeps greys, is the identity at (0°, 1), greys out at saturation 0', () => {
    const id = hueSaturationMatrix(0, 1);
    expect(maxAbsDiff(id, [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBeLessThan(1e-12);
    for (const [h, s] of [[12, 1.2], [-30, 0.5], [180, 0]]) {
      const m = hueSaturationMatrix(h, s);
      for (let r = 0; r < 3; r++) expect(m[r * 3] + m[r * 3 + 1] + m[r * 3 + 2]).toBeCloseTo(1, 12);
    }
    // saturation 0: every row is the luminance weights (0.213, 0.715, 0.072)
    expect(maxAbsDiff(hueSaturationMatrix(0, 0), [0.213, 0.715, 0.072, 0.213, 0.715, 0.072, 0.213, 0.715, 0.072])).toBeLessThan(1e-12);
    // hue 90°, saturation 1: the spec's hueRotate matrix at cos 0, sin 1
    expect(maxAbsDiff(hueSaturationMatrix(90, 1), [0.213 - 0.213, 0.715 - 0.715, 0.072 + 0.928, 0.213 + 0.143, 0.715 + 0.14, 0.072 - 0.283, 0.213 - 0.787, 0.715 + 0.715, 0.072 + 0.072])).toBeLessThan(1e-12);
  });

  it('jitterColour: white stays white, gamma and the matrix apply per pixel with clamping', () => {
    const img = Float32Array.from([1, 1, 1, 0.9, 0.2, 0.1, 0.25, 0.5, 1]);
    const p = { gamma: 1.25, saturation: 1.3, hueDegrees: 10 };
    const m = hueSaturationMatrix(10, 1.3);
    const expected = [0, 1, 2].flatMap((i) => [0, 1, 2].map((c) => Math.min(1, Math.max(0, m[c * 3] * img[i * 3] + m[c * 3 + 1] * img[i * 3 + 1] + m[c * 3 + 2] * img[i * 3 + 2])) ** 1.25));
    jitterColour(img, 0, 3, p);
    expect(maxAbsDiff(img.subarray(0, 3), [1, 1, 1])).toBeLessThan(1e-6);
    expect(maxAbsDiff(img, expected)).toBeLessThan(1e-6);
    // a red stays red-dominant under the largest hue and saturation draw of MEANING_KEEPING_AUGMENT
    const red = Float32Array.from([0.9, 0.1, 0.1]);
    jitterColour(red, 0, 1, { gamma: 1, saturation: 1 - MEANING_KEEPING_AUGMENT.saturationJitter, hueDegrees: MEANING_KEEPING_AUGMENT.hueDegrees });
    expect(red[0]).toBeGreaterThan(red[1] + 0.4);
    expect(red[0]).toBeGreaterThan(red[2] + 0.4);
  });

  it('drawAugment stays within the ranges and never mirrors what may not be mirrored', () => {
    const rng = createRng(3);
    const r = MEANING_KEEPING_AUGMENT;
    let flips = 0;
    for (let i = 0; i < 400; i++) {
      const a = drawAugment(rng, r, true);
      const b = drawAugment(rng, r, false);
      expect(b.flip).toBe(false);
      flips += a.flip ? 1 : 0;
      for (const p of [a, b]) {
        expect(Math.abs(p.dx)).toBeLessThanOrEqual(r.maxShift);
        expect(Number.isInteger(p.dy)).toBe(true);
        expect(Math.abs(p.scale - 1)).toBeLessThanOrEqual(r.scaleJitter);
        expect(Math.abs(Math.log(p.gamma))).toBeLessThanOrEqual(Math.log(1 + r.gammaJitter) + 1e-12);
        expect(Math.abs(p.hueDegrees)).toBeLessThanOrEqual(r.hueDegrees);
      }
    }
    expect(flips).toBeGreaterThan(150);
    expect(flips).toBeLessThan(250);
    const off = drawAugment(rng, { maxShift: 0, scaleJitter: 0, gammaJitter: 0, saturationJitter: 0, hueDegrees: 0 }, false);
    expect(off).toEqual(IDENTITY_AUGMENT);
  });
});

/** An in-memory dataset: `images[i]` filled with value i/100 so a batch row tells which record it came from. */
function memoryDataset(records: EmojiRecord[]): EmojiDataset {
  const pixels = new Uint8Array(records.length * 3072);
  records.forEach((_, i) => pixels.fill(i, i * 3072, (i + 1) * 3072));
  return { index: { records, count: records.length, bytesPerImage: 3072 } as unknown as EmojiDataset['index'], pixels: pixels.buffer, train: records, heldOut: [] };
}

const rec = (index: number, baseUnified: string, category: string, vendor = 'google'): EmojiRecord =>
  ({ index, vendor, unified: baseUnified, baseUnified, name: `e${baseUnified}`, shortNames: [], keywords: [], category, subcategory: 'test', skinTone: 'none', skinTones: [], sortOrder: index, image: '' }) as EmojiRecord;

describe('classifier batches', () => {
  it('perEmoji draws categories evenly, then base emoji evenly however many images each has', () => {
    // Flags: emoji A with 6 images, emoji B with 1; Symbols: emoji C with 1 image.
    const records = [...Array.from({ length: 6 }, (_, i) => rec(i, 'A', 'Flags')), rec(6, 'B', 'Flags'), rec(7, 'C', 'Symbols')];
    const ds = memoryDataset(records);
    const cfg = tinyClassifierConfig(['Symbols', 'Flags']);
    const none = { maxShift: 0, scaleJitter: 0, gammaJitter: 0, saturationJitter: 0, hueDegrees: 0 };
    const count = (perEmoji: boolean) => {
      const data = classifierDataFromRecords(ds, records, cfg, { classPower: 0, perEmoji, augment: none });
      const { images, labels } = data.batch(createRng(5), 4000);
      const byRecord = new Array<number>(8).fill(0);
      for (let i = 0; i < 4000; i++) {
        const r = Math.round(images[i * 3072] * 255);
        byRecord[r]++;
        expect(labels[i]).toBe(records[r].category === 'Symbols' ? 0 : 1);
      }
      return byRecord.map((n) => n / 4000);
    };
    const per = count(true);
    expect(per[7]).toBeCloseTo(0.5, 1); // Symbols half
    expect(per[6]).toBeCloseTo(0.25, 1); // B: half of Flags
    expect(per.slice(0, 6).reduce((a, b) => a + b, 0)).toBeCloseTo(0.25, 1); // A's six images share a quarter
    const flat = count(false);
    expect(flat[6]).toBeCloseTo(0.5 / 7, 1); // uniform over Flags' 7 images
  });
});


const tinyResidual = (norm: 'none' | 'group'): ClassifierConfig => ({ ...tinyClassifierConfig(['disc', 'square']), block: 'residual', norm, convsPerLevel: 1 });

async function weightsOf(clf: EmojiClassifier): Promise<number[]> {
  const out: number[] = [];
  for (const name of clf.params.names()) out.push(...(await clf.params.tensors.get(name)!.data()));
  return out;
}

describe('residual classifier', () => {
  it('norm-free blocks start as the identity (SkipInit gain 0): their conv weights do not change the output until the gain does', async () => {
    const clf = EmojiClassifier.create(tinyResidual('none'), 4);
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = await clf.forward(x).logits.data();
    const conv1 = clf.params.tensors.get('classifier.levels.0.0.conv1.weight')!;
    conv1.assign(tf.mul(conv1, 5));
    expect(maxAbsDiff(await clf.forward(x).logits.data(), before)).toBeLessThan(1e-6);
    clf.params.tensors.get('classifier.levels.0.0.gain')!.assign(tf.ones([1]));
    expect(maxAbsDiff(await clf.forward(x).logits.data(), before)).toBeGreaterThan(1e-4);
    x.dispose();
    clf.dispose();
    // The residual architecture has a gain per block and no norm weights.
    const big = EmojiClassifier.create(residualClassifierConfig(), 0);
    const names = big.params.names();
    expect(names.filter((n) => n.endsWith('.gain'))).toHaveLength(3);
    expect(names.some((n) => n.includes('norm'))).toBe(false);
    big.dispose();
  });

  for (const norm of ['none', 'group'] as const) {
    it(`learns discs vs squares (norm ${norm})`, async () => {
      const clf = EmojiClassifier.create(tinyResidual(norm), 2, true);
      await trainClassifier(clf, shapesData, { ...defaultClassifierTrainConfig(120), batchSize: 16, learningRate: 5e-3, labelSmoothing: 0 });
      const test = shapesData.batch(createRng(99), 64);
      expect(accuracyOf((await classifyAll(clf, test.images, 32)).probs, test.labels)).toBeGreaterThan(0.75);
      clf.dispose();
    });
  }
});

describe('classifier trainer', () => {
  it('with emaDecay the finished weights are the EMA of the per-step weights (diffusers warm-up decay)', async () => {
    const cfg = { ...defaultClassifierTrainConfig(6), batchSize: 4, learningRate: 1e-2, emaDecay: 0.9, seed: 3 };
    // Hand-run: the same trainer without EMA, averaging the weights after every step.
    const plain = EmojiClassifier.create(tinyResidual('none'), 7, true);
    const tr = new ClassifierTrainer(plain, { ...cfg, emaDecay: 0 });
    let ema = await weightsOf(plain);
    for (let n = 0; n < 6; n++) {
      await tr.trainStep(shapesData);
      const d = Math.min(0.9, (1 + n) / (10 + n));
      const w = await weightsOf(plain);
      ema = ema.map((e, i) => d * e + (1 - d) * w[i]);
    }
    tr.dispose();
    const last = await weightsOf(plain);
    plain.dispose();
    const withEma = EmojiClassifier.create(tinyResidual('none'), 7, true);
    await trainClassifier(withEma, shapesData, cfg);
    const got = await weightsOf(withEma);
    withEma.dispose();
    expect(maxAbsDiff(got, ema)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got, last)).toBeGreaterThan(1e-4); // and not simply the last weights
  });

  it('checkpoint + resume continues to the same weights, optimizer and EMA as one uninterrupted run', async () => {
    const cfg = { ...defaultClassifierTrainConfig(8), batchSize: 4, learningRate: 1e-2, emaDecay: 0.95, seed: 11 };
    const straight = EmojiClassifier.create(tinyResidual('none'), 9, true);
    await trainClassifier(straight, shapesData, cfg);
    const a = await weightsOf(straight);
    straight.dispose();

    const first = new ClassifierTrainer(EmojiClassifier.create(tinyResidual('none'), 9, true), cfg);
    for (let i = 0; i < 3; i++) await first.trainStep(shapesData);
    first.elapsedSeconds = 42;
    const bytes = await first.checkpoint();
    first.classifier.dispose();
    first.dispose();
    const before = tf.memory().numTensors;
    const resumed = ClassifierTrainer.fromCheckpoint(bytes);
    expect(resumed.step).toBe(3);
    expect(resumed.elapsedSeconds).toBe(42);
    while (resumed.step < 8) await resumed.trainStep(shapesData);
    resumed.useEmaWeights();
    expect(maxAbsDiff(await weightsOf(resumed.classifier), a)).toBeLessThan(1e-6);
    resumed.classifier.dispose();
    resumed.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => ClassifierTrainer.fromCheckpoint(new Uint8Array(bytes.length).fill(0))).toThrow();
  });
});

describe('trainEmojiClassifier on the synthetic dataset', () => {
  let dir = '';
  useTmpDir('d3po-clf-train-', (d) => (dir = d));

  it('a stopped run resumes from its checkpoint to the uninterrupted run; a different run refuses the checkpoint', async () => {
    writeSyntheticDataset(dir);
    const ds = loadEmojiDataset(dir);
    const cfg = { ...tinyClassifierConfig(['Smileys & Emotion', 'Flags']), block: 'residual' as const, norm: 'none' as const };
    const opts = { steps: 6, config: cfg, sampling: RESIDUAL_SAMPLING, train: { batchSize: 8 } };
    const straight = (await trainEmojiClassifier(ds, opts))!;
    expect(straight.report.steps).toBe(6);
    expect(straight.report.trainImages).toBe(8);
    expect(straight.report.epochs).toBeCloseTo((6 * 8) / 8, 12);
    // held-out accuracy re-derived from the two held-out emoji × 2 vendors
    const held = await classifyAll(straight.classifier, Float32Array.from(ds.heldOut.flatMap((r) => [...new Uint8Array(ds.pixels, r.index * 3072, 3072)].map((v) => v / 255))));
    expect(straight.report.heldOutAccuracy).toBeCloseTo(accuracyOf(held.probs, ds.heldOut.map((r) => (r.category === 'Flags' ? 1 : 0))), 12);

    const file = path.join(dir, 'ck.safetensors');
    let steps = 0;
    const stopped = await trainEmojiClassifier(ds, { ...opts, checkpoint: { file, everySeconds: 1e9, resume: true }, stop: () => ++steps === 2 });
    expect(stopped).toBeNull();
    expect(fs.existsSync(file)).toBe(true);
    const lines: string[] = [];
    const resumed = (await trainEmojiClassifier(ds, { ...opts, checkpoint: { file, everySeconds: 1e9, resume: true } }, (s) => lines.push(s)))!;
    expect(lines.join('\n')).toMatch(/resuming the classifier .* at step 2\/6/);
    expect(maxAbsDiff(await weightsOf(resumed.classifier), await weightsOf(straight.classifier))).toBeLessThan(1e-6);
    await expect(trainEmojiClassifier(ds, { ...opts, steps: 7, checkpoint: { file, everySeconds: 1e9, resume: true } })).rejects.toThrow(/another run/);
    // A stop requested from a macrotask (how a SIGINT handler runs) is seen within a step or two, not after the run.
    let flag = false;
    setTimeout(() => (flag = true), 0);
    const signalled = await trainEmojiClassifier(ds, { ...opts, steps: 500, checkpoint: { file: path.join(dir, 'ck2.safetensors'), everySeconds: 1e9, resume: false }, stop: () => flag });
    expect(signalled).toBeNull();
    const ck2 = ClassifierTrainer.fromCheckpoint(fs.readFileSync(path.join(dir, 'ck2.safetensors')));
    expect(ck2.step).toBeLessThan(5);
    ck2.classifier.dispose();
    ck2.dispose();
    // LEGACY_SAMPLING still trains the legacy architecture
    const legacy = (await trainEmojiClassifier(ds, { steps: 2, config: tinyClassifierConfig(['Smileys & Emotion', 'Flags']), sampling: LEGACY_SAMPLING, train: { batchSize: 8, emaDecay: 0 } }))!;
    expect(legacy.report.steps).toBe(2);
    for (const c of [straight, resumed, legacy]) c.classifier.dispose();
  });
});

describe('logit adjustment', () => {
  it('adds exactly the stored vector to every row of logits, survives the file round trip, and leaves the features alone', async () => {
    const cats = ['Smileys & Emotion', 'People & Body', 'Flags'];
    const plain = EmojiClassifier.create(tinyClassifierConfig(cats), 3);
    const adjust = [0.5, -1.25, 2];
    const adjusted = plain.withLogitAdjustment(adjust);
    const x = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const a = plain.forward(x);
    const b = adjusted.forward(x);
    const [la, lb, fa, fb] = await Promise.all([a.logits.array(), b.logits.array(), a.features.data(), b.features.data()]);
    la.forEach((row, i) => row.forEach((v, j) => expect(lb[i][j] - v).toBeCloseTo(adjust[j], 5)));
    expect(maxAbsDiff(fa as Float32Array, fb as Float32Array)).toBe(0);
    const back = classifierFromSafetensors(await classifierToSafetensors(adjusted)).classifier;
    expect(back.config.logitAdjustment).toEqual(adjust);
    expect(() => plain.withLogitAdjustment([1, 2])).toThrow(/one value per category \(3\)/);
    expect(plain.withLogitAdjustment(undefined).config.logitAdjustment).toBeUndefined();
    tf.dispose([x, a.logits, a.features, b.logits, b.features]);
    for (const c of [plain, adjusted, back]) c.dispose();
  });

  it('log prior and the τ choice, by hand', () => {
    // labels 0,0,0,1: shares 3/4 and 1/4; a category without images counts half an image
    const prior = logCategoryPrior([0, 0, 0, 1], 3);
    expect(prior[0]).toBeCloseTo(Math.log(3 / 4), 12);
    expect(prior[1]).toBeCloseTo(Math.log(1 / 4), 12);
    expect(prior[2]).toBeCloseTo(Math.log(0.5 / 4), 12);
    // two classes, prior log(0.8), log(0.2) (difference ln 4 ≈ 1.386). Image margins (class 1 − class 0): 0.3, 1.0, 2.0, −0.5;
    // true labels 0, 0, 1, 0. τ = 0 predicts 1, 1, 1, 0 (2 right); τ = 0.5 shifts margins by −0.693: 0.3 → class 0,
    // 1.0 → 1 (wrong), 2.0 → 1, −0.5 → 0 (3 right); τ = 1 shifts by −1.386: 0, 0, 1, 0 (4 right).
    const lp = [Math.log(0.8), Math.log(0.2)];
    const rows = [0.3, 1.0, 2.0, -0.5].map((m) => [0, m]);
    const { tau, accuracies } = chooseLogitAdjustment(rows, [0, 0, 1, 0], lp, [0, 0.5, 1]);
    expect(accuracies).toEqual([0.5, 0.75, 1]);
    expect(tau).toBe(1);
    expect(chooseLogitAdjustment([[0, 1]], [1], lp, [0, 0.5]).tau).toBe(0); // τ = 0.5 still right (1 − 0.69 > 0): tie → smaller τ
  });

  it('the validation slice keeps every image of a base emoji on one side and takes about 5 % of the emoji', () => {
    const records = Array.from({ length: 4000 }, (_, i) => ({ baseUnified: (0x1f000 + Math.floor(i / 4)).toString(16).toUpperCase(), index: i }) as unknown as EmojiRecord);
    const { fit, val } = validationSlice(records);
    expect(fit.length + val.length).toBe(records.length);
    const valBases = new Set(val.map((r) => r.baseUnified));
    expect(fit.some((r) => valBases.has(r.baseUnified))).toBe(false);
    expect(val.length % 4).toBe(0);
    expect(valBases.size / 1000).toBeGreaterThan(0.03);
    expect(valBases.size / 1000).toBeLessThan(0.07);
  });
});
