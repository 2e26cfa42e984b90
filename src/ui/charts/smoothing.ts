// TensorBoard's debiased EMA for chart series (tensorflow/tensorboard line_chart_v2/data_transformer.ts classicSmoothing): last = last·w + (1−w)·y; out = last / (1 − wⁿ); non-finite points pass through; a constant series is left unchanged.

/**
 * Smooths `ys` with weight `w` in [0, 1) (0 = raw). Non-finite points are copied unchanged and do not advance the
 * average; `null` entries (gaps) stay null. Returns a new array of the same length.
 */
export function debiasedEma(ys: readonly (number | null)[], w: number): (number | null)[] {
  const weight = Math.min(Math.max(w, 0), 1);
  const finite = ys.filter((y): y is number => y != null && Number.isFinite(y));
  const isConstant = finite.every((y) => y === finite[0]);
  let last = ys.length > 0 ? 0 : NaN;
  let n = 0;
  return ys.map((y) => {
    if (y == null) return null;
    if (isConstant || !Number.isFinite(y)) return y;
    last = last * weight + (1 - weight) * y;
    n++;
    const debias = weight === 1 ? 1 : 1 - weight ** n;
    return last / debias;
  });
}
