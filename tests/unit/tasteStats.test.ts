// The taste meter's and the blind test's statistics: the Wilson interval against published values and its closed form re-derived, rolling agreement, the implicit-reward prediction, and the blind tally (slots swapped, ties half).
import { describe, expect, it } from 'vitest';
import { rollingAgreement, wilson } from '../../src/core/taste/agreement';
import { implicitReward, predictedPreference } from '../../src/core/taste/implicitReward';
import { meterCurve, meterNow, meterOutcomes } from '../../src/store/tasteMeter';
import { blindTally } from '../../src/store/blindTally';
import type { Label } from '../../src/storage/labels';
import type { BlindModel, BlindVote } from '../../src/storage/blindVotes';

describe('wilson', () => {
  it('matches published Wilson score intervals (Newcombe 1998, Table I)', () => {
    // 81/263: 0.2553–0.3662; 15/148: 0.0624–0.1605; 0/20: 0–0.1611; 1/29: 0.0061–0.1718.
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [s, n, lo, hi] of cases) {
      const p = wilson(s, n);
      expect(p.low).toBeCloseTo(lo, 4);
      expect(p.high).toBeCloseTo(hi, 4);
      expect(p.rate).toBeCloseTo(s / n, 12);
    }
  });

  it('solves |p̂ − p| = z·sqrt(p(1−p)/n) at both ends (the interval inverts the score test)', () => {
    for (const [s, n] of [[7, 10], [3, 40], [29, 30]]) {
      const { low, high } = wilson(s, n);
      const phat = s / n;
      for (const p of [low, high]) expect(Math.abs(phat - p)).toBeCloseTo(1.959963984540054 * Math.sqrt((p * (1 - p)) / n), 10);
    }
  });

  it('is [0, 1] with an undefined rate for no data', () => {
    const p = wilson(0, 0);
    expect([p.low, p.high, p.n]).toEqual([0, 1, 0]);
    expect(Number.isNaN(p.rate)).toBe(true);
  });
});

describe('rolling agreement and the meter', () => {
  const label = (vote: Label['vote'], predicted?: 0 | 1, t = 0): Label => ({ pairId: `p${t}`, vote, leftIsFirst: true, prompt: 'x', seed: 1, time: t, modelId: 'm', loraVersion: null, ...(predicted === undefined ? {} : { predicted }) });

  it('judges only A/B votes that came with a prediction', () => {
    const labels = [label(0), label(0, 0), label(1, 0), label('tie', 1), label('both-bad', 0), label(1, 1)];
    expect(meterOutcomes(labels)).toEqual([null, true, false, null, null, true]);
  });

  it('covers the newest `window` judged votes, and the curve is the same computation after each vote', () => {
    const outcomes = [true, false, null, true, true, null, false, true];
    const judged = [true, false, true, true, false, true];
    const r = rollingAgreement(outcomes, 4);
    expect([r.successes, r.n]).toEqual([3, 4]); // true, true, false, true
    const curve = meterCurve(outcomes, 4);
    expect(curve.map((p) => p.vote)).toEqual([1, 2, 3, 4, 5, 6]);
    judged.forEach((_, i) => {
      const w = judged.slice(Math.max(0, i - 3), i + 1);
      expect(curve[i].rate).toBeCloseTo(w.filter(Boolean).length / w.length, 12);
    });
    const labels = Array.from({ length: 40 }, (_, i) => label(i % 4 === 0 ? 1 : 0, 0, i)); // 30 of the newest 30: 22 right
    const now = meterNow(labels, 30);
    expect(now.n).toBe(30);
    expect(now.successes).toBe(labels.slice(10).filter((l) => l.vote === 0).length);
  });
});

describe('implicit reward prediction', () => {
  it('sums the log-ratios, leaves out the final steps when asked, and prefers the larger', () => {
    const pol = [0.1, 0.2, -0.3, 5];
    const ref = [0, 0.1, -0.1, 0];
    expect(implicitReward(pol, ref)).toBeCloseTo(0.1 + 0.1 - 0.2 + 5, 12);
    expect(implicitReward(pol, ref, 1)).toBeCloseTo(0.1 + 0.1 - 0.2, 12);
    expect(predictedPreference(0.3, -0.1)).toBe(0);
    expect(predictedPreference(-0.3, -0.1)).toBe(1);
    expect(predictedPreference(0.2, 0.2)).toBeNull(); // an untrained adapter: both log-ratios 0
    expect(predictedPreference(NaN, 1)).toBeNull();
    expect(() => implicitReward([1, 2], [1])).toThrow(/2 policy vs 1 reference/);
  });
});

describe('blindTally', () => {
  const base: BlindModel = { ref: 'base', step: null, label: 'base' };
  const s40: BlindModel = { ref: 'current', step: 40, label: 'step 40' };
  const s80: BlindModel = { ref: 'current', step: 80, label: 'step 80' };
  const v = (a: BlindModel, b: BlindModel, winner: BlindVote['winner'], i: number): BlindVote => ({ id: `v${i}`, time: i, modelId: 'm', prompt: 'x', seed: i, a, b, leftIsA: i % 2 === 0, winner });

  it("counts B's wins over A in either slot, ties as half, and ignores other model pairs", () => {
    const votes = [v(base, s40, 'b', 1), v(base, s40, 'b', 2), v(base, s40, 'a', 3), v(s40, base, 'a', 4), v(s40, base, 'tie', 5), v(base, s80, 'a', 6), v(s40, s80, 'b', 7)];
    const t = blindTally(votes, base, s40);
    expect([t.bWins, t.aWins, t.ties, t.n]).toEqual([3, 1, 1, 5]);
    expect(t.rate).toBeCloseTo(3.5 / 5, 12);
    const w = wilson(3.5, 5);
    expect([t.low, t.high]).toEqual([w.low, w.high]);
    const swapped = blindTally(votes, s40, base);
    expect(swapped.rate).toBeCloseTo(1.5 / 5, 12);
    expect(blindTally(votes, base, s80).n).toBe(1);
  });
});
