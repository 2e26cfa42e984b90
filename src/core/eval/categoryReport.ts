/** Accuracy broken down by group (category, style, vendor), balanced accuracy, the confusion matrix and a category's most frequent confusions: plain counting over predicted and true class indices, with text tables for the CLI. */

export interface GroupAccuracy {
  group: string;
  count: number; // items in the group
  correct: number; // items whose prediction equals the label
  accuracy: number; // correct / count (NaN for an empty group)
}

/**
 * Accuracy of every group; `order` lists the groups to report first (absent ones get count 0), the others follow in
 * order of first appearance. predicted[i], labels[i] are class indices, groups[i] item i's group.
 */
export function accuracyByGroup(predicted: ArrayLike<number>, labels: ArrayLike<number>, groups: readonly string[], order: readonly string[] = []): GroupAccuracy[] {
  if (predicted.length !== labels.length || labels.length !== groups.length) throw new Error(`accuracyByGroup: ${predicted.length} predictions, ${labels.length} labels and ${groups.length} groups differ in length`);
  const stats = new Map<string, { count: number; correct: number }>(order.map((g) => [g, { count: 0, correct: 0 }]));
  for (let i = 0; i < groups.length; i++) {
    let s = stats.get(groups[i]);
    if (!s) stats.set(groups[i], (s = { count: 0, correct: 0 }));
    s.count++;
    if (predicted[i] === labels[i]) s.correct++;
  }
  return [...stats].map(([group, s]) => ({ group, count: s.count, correct: s.correct, accuracy: s.count > 0 ? s.correct / s.count : NaN }));
}

/** Counts [true class][predicted class] over k classes. */
export function confusionMatrix(predicted: ArrayLike<number>, labels: ArrayLike<number>, k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++;
  return m;
}

/** Mean per-class recall over the classes that have items (the "balanced accuracy"); NaN when none has. */
export function balancedAccuracy(matrix: readonly number[][]): number {
  const recalls = matrix.map((row, k) => [row.reduce((a, b) => a + b, 0), row[k]]).filter(([n]) => n > 0).map(([n, c]) => c / n);
  return recalls.length ? recalls.reduce((a, b) => a + b, 0) / recalls.length : NaN;
}

/** The `n` classes a true class is most often mistaken for: (class, count, share of its items), largest first, zero counts left out. */
export function topConfusions(matrix: readonly number[][], trueClass: number, n = 3): { predicted: number; count: number; share: number }[] {
  const row = matrix[trueClass];
  const total = row.reduce((a, b) => a + b, 0);
  return row
    .map((count, predicted) => ({ predicted, count, share: total > 0 ? count / total : NaN }))
    .filter((c) => c.predicted !== trueClass && c.count > 0)
    .sort((a, b) => b.count - a.count || a.predicted - b.predicted)
    .slice(0, n);
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');

/** "group  count  correct  accuracy" rows under a title column name. */
export function formatGroupAccuracy(title: string, rows: readonly GroupAccuracy[]): string {
  const w = Math.max(title.length, ...rows.map((r) => r.group.length));
  return [`${title.padEnd(w)}  images  correct  accuracy`, ...rows.map((r) => `${r.group.padEnd(w)}  ${String(r.count).padStart(6)}  ${String(r.correct).padStart(7)}  ${pct(r.accuracy).padStart(8)}`)].join('\n');
}

/** The full confusion matrix with short column heads (the first 6 letters of each class name). */
export function formatConfusion(matrix: readonly number[][], classes: readonly string[]): string {
  const w = Math.max(...classes.map((c) => c.length));
  const heads = classes.map((c) => c.replace(/[^A-Za-z]/g, '').slice(0, 6).padStart(7)).join('');
  return [`${'true \\ predicted'.padEnd(w)}${heads}`, ...matrix.map((row, k) => `${classes[k].padEnd(w)}${row.map((v) => String(v).padStart(7)).join('')}`)].join('\n');
}
