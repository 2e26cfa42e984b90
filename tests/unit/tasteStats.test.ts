// The taste meter's and the blind test's statistics: the Wilson interval against published values and its closed form re-derived, rolling agreement, the implicit-reward prediction, and the blind tally (slots swapped, ties half).
import { describe, expect, it } from 'vitest';
import { rollingAgreement, wilson } from '../../src/core/taste/agreement';
import fs from 'node:fs';
import { implicitReward, GUESS_SKIP_FINAL, predictedPreference } from '../../src/core/taste/implicitReward';
import { alphasCumprod, ddimCoefficients, ddimTimesteps, prevTimestep } from '../../src/core/diffusion/schedule';
import type { SchedulerConfig } from '../../src/core/config';
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
  const label = (vote: Label['vote'], predicted?: 0 | 1, t = 0, check = true): Label => ({ pairId: `p${t}`, vote, leftIsFirst: true, prompt: 'x', seed: 1, time: t, modelId: 'm', loraVersion: null, ...(predicted === undefined ? {} : { predicted }), ...(check ? { check: true as const } : {}) });

  it('judges only A/B votes on check pairs (the implicit-reward guess on ordinary pairs is not the meter)', () => {
    const labels = [label(0, undefined, 0, false), label(0, 0), label(1, 0), label('tie', 0), label('both-bad', 0), label(1, 1, 5, false), label(0, 0, 6, false)];
    expect(meterOutcomes(labels)).toEqual([null, true, false, null, null, null, null]);
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

describe('GUESS_SKIP_FINAL: which final steps are log-ratio outliers on emoji-sd', () => {
  // A step's log-ratio is −(|x − μ_θ|² − |x − μ_ref|²)/2σ² with μ_θ − μ_ref = c_ε·(ε_θ − ε_ref), so it scales with (c_ε/σ)².
  // Re-derived here from the cosine ᾱ(t) = cos²((t/N + 0.008)/1.008 · π/2) in closed form (ᾱ_t = Π(1 − β_i) telescopes to
  // ᾱ((t+1)/N)/ᾱ(0) while no β hits the 0.999 cap) and DDIM's σ and ε coefficient (Song et al. 2021, eq. 12/16).
  const cfg = JSON.parse(fs.readFileSync('public/models/emoji-sd/config.json', 'utf8')) as { scheduler: SchedulerConfig; sample: { steps: number; eta: number } };
  const N = cfg.scheduler.numTrainTimesteps;
  const abar = (t: number) => Math.cos(((t / N + 0.008) / 1.008) * (Math.PI / 2)) ** 2 / Math.cos((0.008 / 1.008) * (Math.PI / 2)) ** 2;
  const gain = (t: number, prev: number, eta: number) => {
    const a = abar(t + 1);
    const ap = abar(prev + 1);
    const sigma = eta * Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap));
    const cEps = Math.sqrt(Math.max(1 - ap - sigma ** 2, 0)) - (Math.sqrt(ap) * Math.sqrt(1 - a)) / Math.sqrt(a);
    return Math.abs(cEps) / sigma;
  };
  it('the second-to-last step (t = 51 → 1) and only it has a (c_ε/σ)² far above the rest, so the meter skips the final two', () => {
    const { steps, eta } = cfg.sample;
    const ts = ddimTimesteps(cfg.scheduler, steps);
    const g = ts.map((t) => gain(t, prevTimestep(cfg.scheduler, t, steps), eta));
    // The project's own tables agree with the closed form.
    const table = alphasCumprod(cfg.scheduler);
    ts.forEach((t) => {
      const c = ddimCoefficients(table, t, prevTimestep(cfg.scheduler, t, steps), eta);
      expect(c.sigma / (eta * Math.sqrt(((1 - abar(Math.max(t - N / steps, 0) + 1)) / (1 - abar(t + 1))) * (1 - abar(t + 1) / abar(Math.max(t - N / steps, 0) + 1))))).toBeCloseTo(1, 3);
    });
    const T = ts.length;
    expect([ts[T - 2], ts[T - 1]]).toEqual([51, 1]);
    const others = g.slice(0, T - 2).map((x) => x * x);
    const median = [...others].sort((a, b) => a - b)[others.length >> 1];
    expect(g[T - 2] ** 2 / median).toBeGreaterThan(50); // ~100× the typical step
    expect(g[T - 1] ** 2 / median).toBeLessThan(5); // t = 1 → 0 is ordinary
    expect(Math.max(...others) / median).toBeLessThan(10);
    expect(GUESS_SKIP_FINAL).toBe(2);
  });
});
