// Unit tests: the dashboard's debiased EMA against values worked out by hand (TensorBoard classicSmoothing), and axis tick labels that tell neighbouring ticks apart.
import { describe, expect, it } from 'vitest';
import { debiasedEma } from '../../src/ui/charts/smoothing';
import { tickLabels } from '../../src/ui/charts/ticks';

describe('debiasedEma', () => {
  it('matches hand-computed values for w = 0.5', () => {
    // n=1: last = 0.5·0 + 0.5·1 = 0.5;  out = 0.5 / (1 − 0.5)   = 1
    // n=2: last = 0.25 + 0.5·3 = 1.75;  out = 1.75 / (1 − 0.25) = 2.333…
    // n=3: last = 0.875 + 0.5·2 = 1.875; out = 1.875 / (1 − 0.125) = 2.142857…
    const out = debiasedEma([1, 3, 2], 0.5);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(7 / 3, 12);
    expect(out[2]).toBeCloseTo(15 / 7, 12);
  });

  it('matches hand-computed values for w = 0.6 (the default)', () => {
    // n=1: last = 0.4·10 = 4 → 4/0.4 = 10; n=2: last = 2.4 + 0.4·0 = 2.4 → 2.4/0.64 = 3.75
    const out = debiasedEma([10, 0], 0.6);
    expect(out[0]).toBeCloseTo(10, 12);
    expect(out[1]).toBeCloseTo(3.75, 12);
  });

  it('w = 0 returns the raw series; the first point is never biased toward 0', () => {
    expect(debiasedEma([3, -1, 4], 0)).toEqual([3, -1, 4]);
    expect(debiasedEma([5, 6], 0.99)[0]).toBeCloseTo(5, 10);
  });

  it('leaves constant series unchanged and passes non-finite points and gaps through', () => {
    expect(debiasedEma([0.7, 0.7, 0.7], 0.9)).toEqual([0.7, 0.7, 0.7]);
    const out = debiasedEma([1, NaN, null, 3], 0.5);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBeNull();
    // NaN and null do not advance n: the 3 is the 2nd accumulated point → (0.25 + 1.5) / 0.75
    expect(out[3]).toBeCloseTo(1.75 / 0.75, 12);
  });

  it('handles an empty series', () => {
    expect(debiasedEma([], 0.6)).toEqual([]);
  });
});

describe('tickLabels', () => {
  it('gives neighbouring ticks different labels with no more decimals than they need', () => {
    expect(tickLabels([0.6925, 0.693, 0.6935])).toEqual(['0.6925', '0.6930', '0.6935']); // the D3PO loss axis
    expect(tickLabels([0, 0.25, 0.5, 0.75, 1])).toEqual(['0', '0.25', '0.50', '0.75', '1.00']);
    expect(tickLabels([0, 20, 40, 60])).toEqual(['0', '20', '40', '60']);
    expect(tickLabels([0.0004, 0.0005, 0.0006])).toEqual(['4.0e-4', '5.0e-4', '6.0e-4']); // learning rates
    expect(tickLabels([0, 100000, 200000])).toEqual(['0', '1.0e+5', '2.0e+5']);
    expect(tickLabels([null, 1, 2])).toEqual(['', '1', '2']);
    expect(tickLabels([3])).toEqual(['3']);
  });
});
