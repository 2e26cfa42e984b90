// Axis tick labels for the dashboard: enough decimals that each tick reads as its value, so neighbours read differently (a D3PO loss axis from 0.6925 to 0.6935 must not print "0.693" three times), no more; exponent form for very small or large values.

/** Decimals that tell ticks `step` apart: ⌈−log10(step)⌉, at least 0. */
function decimalsFor(step: number): number {
  return Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
}

/** Labels for one axis's tick values (nulls give ''): distinct whenever the values are. */
export function tickLabels(splits: readonly (number | null)[]): string[] {
  const vs = splits.filter((v): v is number => v != null && Number.isFinite(v));
  const diffs = vs.slice(1).map((v, i) => Math.abs(v - vs[i])).filter((d) => d > 0);
  const step = diffs.length ? Math.min(...diffs) : Math.abs(vs[0] ?? 1) || 1;
  const big = Math.max(0, ...vs.map(Math.abs));
  const exp = big >= 1e5 || (big > 0 && big < 1e-3);
  let digits = exp ? 1 : decimalsFor(step);
  const fmt = (v: number) => (v === 0 ? '0' : exp ? v.toExponential(digits) : v.toFixed(digits));
  // A step like 0.25 needs one more decimal than its magnitude says: add digits until every label reads back as its value.
  const exact = (v: number) => Math.abs(Number(fmt(v)) - v) <= 1e-9 * Math.max(Math.abs(v), step);
  for (let guard = 0; guard < 8 && !vs.every(exact); guard++) digits++;
  return splits.map((v) => (v == null || !Number.isFinite(v) ? '' : fmt(v)));
}
