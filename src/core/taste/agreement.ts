/** Agreement statistics for the taste meter and the blind test: a proportion with its 95 % Wilson score interval (Wilson 1927; better than the normal interval at small n and near 0 or 1), and the agreement over the newest predictions. */

export interface Proportion {
  successes: number;
  n: number;
  rate: number; // successes / n (NaN when n = 0)
  low: number; // 95 % Wilson interval
  high: number;
}

const Z95 = 1.959963984540054;

/** successes out of n with the Wilson score interval; ties may be counted as half successes. */
export function wilson(successes: number, n: number, z = Z95): Proportion {
  if (n <= 0) return { successes: 0, n: 0, rate: NaN, low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { successes, n, rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** One judged prediction: did the adapter's pre-vote preference match the vote? null = no prediction (tie / untrained). */
export type Outcome = boolean | null;

/** Agreement over the newest `size` outcomes that carried a prediction (Infinity: all of them). */
export function rollingAgreement(outcomes: readonly Outcome[], size: number): Proportion {
  const judged = outcomes.filter((o): o is boolean => o !== null).slice(-size);
  return wilson(judged.filter(Boolean).length, judged.length);
}
