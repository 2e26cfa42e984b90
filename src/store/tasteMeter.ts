// The taste meter from stored votes: each A/B vote on a check pair (the adapter's image beside the base model's from the same noise, sides hidden; core/taste/checkPairs.ts) is one held-out test of whether the model learned the person's taste — did the person pick the image the model made? The vote had not been trained on when it was cast.
import type { Label } from '../storage/labels';
import { rollingAgreement, wilson, type Outcome, type Proportion } from '../core/taste/agreement';
import { CHECK_WINDOW } from '../core/taste/checkPairs';

/** Check votes the headline covers (the newest ones). */
export const METER_WINDOW = CHECK_WINDOW;

/** One outcome per vote in time order: true/false for an A/B vote on a check pair (picked the adapter's image?), null otherwise. */
export function meterOutcomes(labels: readonly Label[]): Outcome[] {
  return labels.map((l) => (l.check !== true || l.predicted === undefined || (l.vote !== 0 && l.vote !== 1) ? null : l.predicted === l.vote));
}

export interface MeterPoint {
  vote: number; // 1-based index among check votes
  rate: number; // rolling agreement over the newest METER_WINDOW check votes up to this one
  low: number; // its 95 % Wilson interval
  high: number;
}

/** The meter's curve: rolling agreement (with its interval) after each check vote. */
export function meterCurve(outcomes: readonly Outcome[], window = METER_WINDOW): MeterPoint[] {
  const judged = outcomes.filter((o): o is boolean => o !== null);
  return judged.map((_, i) => {
    const w = judged.slice(Math.max(0, i + 1 - window), i + 1);
    const p = wilson(w.filter(Boolean).length, w.length);
    return { vote: i + 1, rate: p.rate, low: p.low, high: p.high };
  });
}

/** The headline: agreement over the newest METER_WINDOW check votes. */
export function meterNow(labels: readonly Label[], window = METER_WINDOW): Proportion {
  return rollingAgreement(meterOutcomes(labels), window);
}
