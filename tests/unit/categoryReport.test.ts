// Tests for the per-group accuracy report (category, style), the confusion matrix and the eval's per-category sample vs. real accuracy, each against a hand count of a small example; follows src/core/eval/categoryReport.ts, cli/eval/classifierReport.ts and categoryMetrics in cli/eval/baseModelEval.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { accuracyByGroup, balancedAccuracy, confusionMatrix, formatConfusion, formatGroupAccuracy, topConfusions } from '../../src/core/eval/categoryReport';
import { reportFromPredictions, formatRealImageReport } from '../../cli/eval/classifierReport';
import { categoryMetrics, formatReport, type EvalPrompt, type EvalReport, type PromptOutputs } from '../../cli/eval/baseModelEval';
import { EmojiClassifier, tinyClassifierConfig } from '../../src/core/eval/classifier';
import type { EmojiRecord } from '../../src/core/data/emojiDataset';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

// Eight items, three classes. item:      0  1  2  3  4  5  6  7
const predicted = [0, 1, 1, 2, 0, 2, 2, 1];
const labels = [0, 1, 2, 2, 0, 1, 2, 0];
const groups = ['a', 'a', 'b', 'b', 'a', 'c', 'c', 'b'];

describe('group accuracy and confusion', () => {
  it('accuracyByGroup counts per group, in the given order first', () => {
    // a: items 0, 1, 4 all right; b: items 2 ✗, 3 ✓, 7 ✗; c: items 5 ✗, 6 ✓; z: empty
    const rows = accuracyByGroup(predicted, labels, groups, ['c', 'z', 'a']);
    expect(rows.map((r) => r.group)).toEqual(['c', 'z', 'a', 'b']);
    expect(rows.map((r) => [r.count, r.correct])).toEqual([[2, 1], [0, 0], [3, 3], [3, 1]]);
    expect(rows[0].accuracy).toBe(0.5);
    expect(rows[1].accuracy).toBeNaN();
    expect(rows[3].accuracy).toBeCloseTo(1 / 3, 12);
    expect(() => accuracyByGroup([0], [0, 1], ['a', 'b'])).toThrow(/differ in length/);
  });

  it('confusion matrix rows are true classes; balanced accuracy is the mean recall; top confusions', () => {
    const m = confusionMatrix(predicted, labels, 3);
    // class 0: items 0 → 0, 4 → 0, 7 → 1; class 1: items 1 → 1, 5 → 2; class 2: items 2 → 1, 3 → 2, 6 → 2
    expect(m).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 1, 2],
    ]);
    expect(balancedAccuracy(m)).toBeCloseTo((2 / 3 + 1 / 2 + 2 / 3) / 3, 12);
    expect(balancedAccuracy([[0, 0], [1, 3]])).toBeCloseTo(0.75, 12); // an empty class does not count
    expect(topConfusions(m, 0)).toEqual([{ predicted: 1, count: 1, share: 1 / 3 }]);
    expect(topConfusions([[1, 2, 2, 3]], 0, 2)).toEqual([{ predicted: 3, count: 3, share: 3 / 8 }, { predicted: 1, count: 2, share: 2 / 8 }]);
    expect(formatGroupAccuracy('style', accuracyByGroup(predicted, labels, groups))).toMatch(/b\s+3\s+1\s+33\.3%/);
    expect(formatConfusion(m, ['X', 'Y', 'Z']).split('\n')[1]).toMatch(/^X\s+2\s+1\s+0$/);
  });

  it('the real-image report breaks down by category and style (STYLES order) and names the weakest categories', () => {
    const style = { a: 'twitter', b: 'google', c: 'openmoji' } as Record<string, string>;
    const records = groups.map((g, i) => ({ vendor: style[g], baseUnified: `E${i % 5}` }) as EmojiRecord);
    const r = reportFromPredictions(['X', 'Y', 'Z'], records, predicted, labels);
    expect(r.images).toBe(8);
    expect(r.emoji).toBe(5);
    expect(r.accuracy).toBeCloseTo(5 / 8, 12);
    expect(r.byCategory.map((g) => [g.group, g.count, g.correct])).toEqual([['X', 3, 2], ['Y', 2, 1], ['Z', 3, 2]]);
    expect(r.byStyle.map((g) => [g.group, g.count, g.correct])).toEqual([['google', 3, 1], ['twitter', 3, 3], ['openmoji', 2, 1]]);
    expect(r.weakest[0]).toEqual({ category: 'Y', accuracy: 0.5, confusedWith: [{ category: 'Z', count: 1, share: 0.5 }] });
    expect(r.weakest.map((w) => w.category)).toEqual(['Y', 'X', 'Z']);
    expect(formatRealImageReport('test', r)).toMatch(/Y 50\.0%: taken for Z 50\.0%/);
  });
});

describe('eval per-category metrics', () => {
  it('sample and real accuracy per category over held-out and seen prompts, categories without prompts left out', () => {
    const clf = EmojiClassifier.create(tinyClassifierConfig(['Smileys & Emotion', 'People & Body', 'Flags']), 0);
    const oneHot = (k: number) => Float32Array.from([0, 1, 2], (j) => (j === k ? 0.8 : 0.1));
    const out = (prompt: string, category: string, split: 'held-out' | 'seen', samples: number[], real: number[]): PromptOutputs => ({
      p: { prompt, category, split, records: [] } as EvalPrompt,
      sampleProbs: samples.map(oneHot),
      sampleFeatures: [],
      realProbs: real.map(oneHot),
      realFeatures: [],
    });
    const outs = [
      out('a', 'Smileys & Emotion', 'held-out', [0, 0, 2], [0, 1]), // samples 2/3, real 1/2
      out('b', 'Flags', 'seen', [2, 1, 2], [2]), // samples 2/3, real 1/1
      out('c', 'Smileys & Emotion', 'seen', [0, 1, 1], [0, 0, 0]), // samples 1/3, real 3/3
    ];
    const cats = categoryMetrics(clf, outs);
    expect(cats).toEqual([
      { category: 'Smileys & Emotion', prompts: 2, samples: 6, sampleAccuracy: 0.5, realImages: 5, realAccuracy: 0.8, accuracyRatio: 0.5 / 0.8 },
      { category: 'Flags', prompts: 1, samples: 3, sampleAccuracy: 2 / 3, realImages: 1, realAccuracy: 1, accuracyRatio: 2 / 3 },
    ]);
    // a category whose real images are all wrong has no ratio
    expect(categoryMetrics(clf, [out('d', 'Flags', 'seen', [2], [0])])[0].accuracyRatio).toBeNaN();
    clf.dispose();
  });

  it('formatReport prints the per-category table and the classifier held-out breakdown', () => {
    const split = { prompts: 1, samples: 2, sampleAccuracy: 0.5, sampleAccuracyStdErr: NaN, realAccuracy: 1, accuracyRatio: 0.5, promptCategoryProbability: 0.4, frechetDistance: 1, realImages: 1 };
    const heldOut = reportFromPredictions(['Flags'], [{ vendor: 'google', baseUnified: 'A' } as EmojiRecord], [0], [0]);
    const report = {
      splits: { 'held-out': split, seen: split, all: split },
      categories: [{ category: 'Flags', prompts: 1, samples: 2, sampleAccuracy: 0.5, realImages: 1, realAccuracy: 1, accuracyRatio: 0.5 }],
      qualityBar: { ratio: 0.75, passed: false, on: 'all' },
      classifier: { heldOutAccuracy: 1, heldOut },
      denoisingLoss: { heldOut: 0.1, trainSubset: 0.05, minSnrGamma: 5, images: 1, seed: 0 },
      autoencoderPsnr: { heldOut: 20, trainSubset: 21, images: 1 },
      timing: { samplesPerSecond: 1, totalSeconds: 1 },
    } as unknown as EvalReport;
    const text = formatReport(report);
    expect(text).toMatch(/Flags\s+1\s+2\s+50\.0%\s+1\s+100\.0%\s+50\.0%/);
    expect(text).toMatch(/classifier held-out accuracy \(real images\): 100\.0% of 1 images/);
    expect(text).toMatch(/by style: google 100\.0%/);
  });
});
