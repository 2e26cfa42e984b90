// The category (or style) classifier on real emoji images of a split: accuracy overall, balanced, per class, per style (the record's vendor) or, for the style classifier, per emoji category, the confusion matrix and the weakest categories' confusions, as JSON and text.
import { argmax, classifierCategoryOf, classifyAll, EMOJI_CATEGORIES, type EmojiClassifier } from '../../src/core/eval/classifier';
import { accuracyByGroup, balancedAccuracy, confusionMatrix, formatConfusion, formatGroupAccuracy, topConfusions, type GroupAccuracy } from '../../src/core/eval/categoryReport';
import { STYLE_IDS } from '../../src/core/data/styles';
import type { EmojiRecord } from '../../src/core/data/emojiDataset';
import type { EmojiDataset } from '../pretrain/emojiData';
import { recordImages01, recordLabels } from './classifierData';

export interface WeakCategory {
  category: string;
  accuracy: number;
  confusedWith: { category: string; count: number; share: number }[]; // most frequent wrong predictions
}

export interface RealImageReport {
  images: number;
  emoji: number; // distinct base emoji
  accuracy: number;
  balancedAccuracy: number; // mean per-category recall
  byCategory: GroupAccuracy[];
  byStyle: GroupAccuracy[];
  categories: string[]; // confusion matrix order
  confusion: number[][]; // [true][predicted]
  weakest: WeakCategory[]; // the three lowest-accuracy categories
  /** Style classifiers only (classes = styles): accuracy by the emoji's category — is a style as clear on food as on faces? */
  byEmojiCategory?: GroupAccuracy[];
}

/** Classifies the real images of `records` and breaks the accuracy down. */
export async function realImageReport(clf: EmojiClassifier, ds: EmojiDataset, records: readonly EmojiRecord[]): Promise<RealImageReport> {
  const { probs } = await classifyAll(clf, recordImages01(ds, records));
  const predicted = probs.map((p) => argmax(p));
  const labels = recordLabels(records, clf.config);
  const report = reportFromPredictions(clf.config.categories, records, predicted, labels);
  if (clf.config.labels === 'style') report.byEmojiCategory = accuracyByGroup(predicted, labels, records.map((r) => classifierCategoryOf(r.category)), EMOJI_CATEGORIES).filter((g) => g.count > 0);
  return report;
}

/** The report of given predictions (class indices into `categories`). */
export function reportFromPredictions(categories: readonly string[], records: readonly EmojiRecord[], predicted: readonly number[], labels: ArrayLike<number>): RealImageReport {
  const byCategory = accuracyByGroup(predicted, labels, Array.from(labels, (k) => categories[k]), categories).filter((g) => g.count > 0);
  const byStyle = accuracyByGroup(predicted, labels, records.map((r) => r.vendor), STYLE_IDS).filter((g) => g.count > 0);
  const confusion = confusionMatrix(predicted, labels, categories.length);
  const weakest = [...byCategory]
    .sort((a, b) => a.accuracy - b.accuracy)
    .slice(0, 3)
    .map((g) => {
      const k = categories.indexOf(g.group);
      return { category: g.group, accuracy: g.accuracy, confusedWith: topConfusions(confusion, k, 3).map((c) => ({ category: categories[c.predicted], count: c.count, share: c.share })) };
    });
  const correct = predicted.reduce((a, p, i) => a + (p === labels[i] ? 1 : 0), 0);
  return {
    images: records.length,
    emoji: new Set(records.map((r) => r.baseUnified)).size,
    accuracy: records.length ? correct / records.length : NaN,
    balancedAccuracy: balancedAccuracy(confusion),
    byCategory,
    byStyle,
    categories: [...categories],
    confusion,
    weakest,
  };
}

/** Text tables of a report under a title line. */
export function formatRealImageReport(title: string, r: RealImageReport): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');
  const weak = r.weakest.map((w) => `  ${w.category} ${pct(w.accuracy)}: taken for ${w.confusedWith.map((c) => `${c.category} ${pct(c.share)}`).join(', ') || '—'}`);
  const styles = r.byEmojiCategory !== undefined; // a style classifier: its classes are the styles
  return [
    `${title}: ${r.images} images of ${r.emoji} emoji — accuracy ${pct(r.accuracy)}, balanced ${pct(r.balancedAccuracy)}`,
    formatGroupAccuracy(styles ? 'style' : 'category', r.byCategory),
    styles ? formatGroupAccuracy('emoji category', r.byEmojiCategory!) : formatGroupAccuracy('style', r.byStyle),
    styles ? 'weakest styles:' : 'weakest categories:',
    ...weak,
    formatConfusion(r.confusion, r.categories),
  ].join('\n');
}
