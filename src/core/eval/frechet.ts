/** Fréchet distance between Gaussian fits of two feature sets (FID's formula, pytorch-fid/Heusel et al. 2017), in float64 JS with a Jacobi symmetric eigen-solver instead of scipy's sqrtm. */

/** Mean and covariance of a feature set. cov is dim×dim, row-major, unbiased (n−1), as numpy.cov / pytorch-fid. */
export interface GaussianStats {
  dim: number;
  count: number; // feature vectors the stats came from
  mean: Float64Array; // [dim]
  cov: Float64Array; // [dim·dim]
}

/** Stats of `rows` feature vectors (each [dim]); needs ≥ 2 rows for a covariance. */
export function featureStats(rows: readonly ArrayLike<number>[]): GaussianStats {
  const n = rows.length;
  if (n < 2) throw new Error(`featureStats needs at least 2 feature vectors for a covariance, got ${n}; sample more images.`);
  const dim = rows[0].length;
  const mean = new Float64Array(dim);
  for (const r of rows) {
    if (r.length !== dim) throw new Error(`featureStats: feature vectors have different lengths (${dim} and ${r.length}); pass features of one model.`);
    for (let i = 0; i < dim; i++) mean[i] += r[i];
  }
  for (let i = 0; i < dim; i++) mean[i] /= n;
  const cov = new Float64Array(dim * dim);
  const c = new Float64Array(dim);
  for (const r of rows) {
    for (let i = 0; i < dim; i++) c[i] = r[i] - mean[i];
    for (let i = 0; i < dim; i++) {
      const ci = c[i];
      if (ci === 0) continue;
      for (let j = i; j < dim; j++) cov[i * dim + j] += ci * c[j];
    }
  }
  for (let i = 0; i < dim; i++)
    for (let j = i; j < dim; j++) {
      const v = cov[i * dim + j] / (n - 1);
      cov[i * dim + j] = v;
      cov[j * dim + i] = v;
    }
  return { dim, count: n, mean, cov };
}

/** Stats from a flat [n·dim] array (e.g. one tensor read). */
export function featureStatsFlat(flat: ArrayLike<number>, dim: number): GaussianStats {
  if (flat.length % dim !== 0) throw new Error(`featureStatsFlat: ${flat.length} values are not a multiple of dim ${dim}`);
  const rows: ArrayLike<number>[] = [];
  for (let i = 0; i < flat.length; i += dim) rows.push(Array.prototype.slice.call(flat, i, i + dim) as number[]);
  return featureStats(rows);
}

/** C = A·B for n×n row-major matrices. */
export function matMulSquare(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  return out;
}

/**
 * Eigen-decomposition of a symmetric n×n matrix by cyclic Jacobi rotations (Golub & Van Loan §8.5).
 * A = V·diag(values)·Vᵀ; vectors is row-major with eigenvectors as columns. The input is not modified.
 */
export function symmetricEigen(a: Float64Array, n: number, maxSweeps = 100): { values: Float64Array; vectors: Float64Array } {
  if (a.length !== n * n) throw new Error(`symmetricEigen: matrix has ${a.length} entries, expected ${n}×${n}`);
  const m = Float64Array.from(a);
  // Symmetrise so round-off asymmetry in the input cannot stall convergence.
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const s = 0.5 * (m[i * n + j] + m[j * n + i]);
      m[i * n + j] = s;
      m[j * n + i] = s;
    }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += m[i] * m[i];
  const tol = 1e-30 * Math.max(total, 1e-300);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off <= tol) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        // Rotation angle that zeroes m[p][q]: t = tan θ, smaller root for stability.
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // columns p, q of M·J
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          // rows p, q of Jᵀ·M
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i];
  return { values, vectors: v };
}

/** Principal square root of a symmetric PSD matrix: V·diag(sqrt(max(λ, 0)))·Vᵀ (negative round-off eigenvalues clamped). */
export function psdSqrt(a: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const s = Math.sqrt(Math.max(values[k], 0));
    if (s === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k] * s;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors[j * n + k];
    }
  }
  return out;
}

/**
 * Tr((Σ1Σ2)^{1/2}) = Σ sqrt(eig(√Σ1·Σ2·√Σ1)): the inner matrix is symmetric PSD and similar to Σ1Σ2,
 * so a symmetric solver suffices; eigenvalues are clamped ≥ 0.
 */
export function traceSqrtProduct(cov1: Float64Array, cov2: Float64Array, n: number): number {
  const r = psdSqrt(cov1, n);
  const inner = matMulSquare(matMulSquare(r, cov2, n), r, n);
  const { values } = symmetricEigen(inner, n);
  let s = 0;
  for (const v of values) s += Math.sqrt(Math.max(v, 0));
  return s;
}

/** d² = ‖μ1−μ2‖² + Tr(Σ1 + Σ2 − 2(Σ1Σ2)^{1/2}); clamped ≥ 0 against round-off. */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim) throw new Error(`frechetDistance: feature sizes differ (${a.dim} vs ${b.dim}); compute both with the same classifier.`);
  const n = a.dim;
  let meanTerm = 0;
  for (let i = 0; i < n; i++) meanTerm += (a.mean[i] - b.mean[i]) ** 2;
  let traces = 0;
  for (let i = 0; i < n; i++) traces += a.cov[i * n + i] + b.cov[i * n + i];
  return Math.max(0, meanTerm + traces - 2 * traceSqrtProduct(a.cov, b.cov, n));
}
