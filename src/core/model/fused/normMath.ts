/** The arithmetic of the fused inference norms on flat float32 arrays: GroupNorm statistics folded into a per-(sample, channel) scale and shift, GroupNorm + affine (+ SiLU) over NHWC, LayerNorm + affine over the last axis. Backend-free; src/platform/fusedKernels.ts runs it on a backend's memory. */

/**
 * GroupNorm (Wu & He 2018, "Group Normalization", eq. 1–4; torch.nn.GroupNorm) folded into an affine map: x viewed
 * as [B, P, C] (P = H·W), for each sample b and group g of C/G consecutive channels the mean μ and biased variance σ²
 * over its P·C/G values, and y = (x − μ)/√(σ² + ε)·γ[c] + β[c] = x·scale[b,c] + shift[b,c] with
 * scale = γ/√(σ² + ε), shift = β − μ·scale. One pass over x: per-channel sums of x and x² in float64 (σ² = E[x²] − μ²
 * loses nothing at float32 input precision), then per group. -> scale, shift, each [B, C].
 */
export function groupNormScaleShift(x: Float32Array, gamma: Float32Array, beta: Float32Array, batch: number, pixels: number, channels: number, groups: number, epsilon: number): { scale: Float32Array; shift: Float32Array } {
  const cg = channels / groups;
  const count = pixels * cg;
  const s1 = new Float64Array(channels);
  const s2 = new Float64Array(channels);
  const scale = new Float32Array(batch * channels);
  const shift = new Float32Array(batch * channels);
  for (let b = 0; b < batch; b++) {
    s1.fill(0);
    s2.fill(0);
    for (let p = 0, i = b * pixels * channels; p < pixels; p++, i += channels) {
      for (let c = 0; c < channels; c++) {
        const v = x[i + c];
        s1[c] += v;
        s2[c] += v * v;
      }
    }
    for (let g = 0; g < groups; g++) {
      let a = 0;
      let q = 0;
      for (let c = g * cg; c < (g + 1) * cg; c++) {
        a += s1[c];
        q += s2[c];
      }
      const mean = a / count;
      const r = 1 / Math.sqrt(Math.max(0, q / count - mean * mean) + epsilon);
      for (let c = g * cg; c < (g + 1) * cg; c++) {
        scale[b * channels + c] = gamma[c] * r;
        shift[b * channels + c] = beta[c] - mean * gamma[c] * r;
      }
    }
  }
  return { scale, shift };
}

/** GroupNorm + affine of NHWC x [B, P, C] into `out`, then SiLU y·σ(y) (Elfwing et al. 2018) when `silu`. */
export function groupNormInto(x: Float32Array, gamma: Float32Array, beta: Float32Array, out: Float32Array, batch: number, pixels: number, channels: number, groups: number, epsilon: number, silu: boolean): void {
  const { scale, shift } = groupNormScaleShift(x, gamma, beta, batch, pixels, channels, groups, epsilon);
  for (let b = 0; b < batch; b++) {
    const o = b * channels;
    for (let p = 0, i = b * pixels * channels; p < pixels; p++, i += channels) {
      for (let c = 0; c < channels; c++) {
        const y = x[i + c] * scale[o + c] + shift[o + c];
        out[i + c] = silu ? y / (1 + Math.exp(-y)) : y;
      }
    }
  }
}

/** LayerNorm (Ba et al. 2016) over the last axis of x viewed as [rows, C]: y = (x − μ)/√(σ² + ε)·γ + β per row (statistics in float64). */
export function layerNormInto(x: Float32Array, gamma: Float32Array, beta: Float32Array, out: Float32Array, rows: number, channels: number, epsilon: number): void {
  for (let r = 0, base = 0; r < rows; r++, base += channels) {
    let s = 0;
    let q = 0;
    for (let c = 0; c < channels; c++) {
      const v = x[base + c];
      s += v;
      q += v * v;
    }
    const m = s / channels;
    const inv = 1 / Math.sqrt(Math.max(0, q / channels - m * m) + epsilon);
    for (let c = 0; c < channels; c++) out[base + c] = (x[base + c] - m) * inv * gamma[c] + beta[c];
  }
}
