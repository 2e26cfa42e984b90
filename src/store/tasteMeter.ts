// The taste meter from stored votes: each A/B vote whose pair came with the sampling adapter's prediction (made before the vote, on a pair it never trained on) is one held-out test of whether the model learned the person's taste.
import type { Label } from '../storage/labels';
import { rollingAgreement, wilson, type Outcome, type Proportion } from '../core/taste/agreement';
import { METER_WINDOW } from '../core/taste/implicitReward';

export { METER_WINDOW };

/** One outcome per vote in time order: true/false when the adapter predicted an A/B vote, null otherwise. */
export function meterOutcomes(labels: readonly Label[]): Outcome[] {
  return labels.map((l) => (l.predicted === undefined || (l.vote !== 0 && l.vote !== 1) ? null : l.predicted === l.vote));
}

export interface MeterPoint {
  vote: number; // 1-based index among predicted votes
  rate: number; // rolling agreement over the newest METER_WINDOW predicted votes up to this one
  low: number; // its 95 % Wilson interval
  high: number;
}

/** The meter's curve: rolling agreement (with its interval) after each predicted vote. */
export function meterCurve(outcomes: readonly Outcome[], window = METER_WINDOW): MeterPoint[] {
  const judged = outcomes.filter((o): o is boolean => o !== null);
  return judged.map((_, i) => {
    const w = judged.slice(Math.max(0, i + 1 - window), i + 1);
    const p = wilson(w.filter(Boolean).length, w.length);
    return { vote: i + 1, rate: p.rate, low: p.low, high: p.high };
  });
}

/** The headline: agreement over the newest METER_WINDOW predicted votes. */
export function meterNow(labels: readonly Label[], window = METER_WINDOW): Proportion {
  return rollingAgreement(meterOutcomes(labels), window);
}
