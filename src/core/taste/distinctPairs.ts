/**
 * Smarter pairs: instead of two images from one x_T, sample K (D3PO's pairs share x_T; Yang et al. 2024 §4) and show
 * the two that differ most to the eye, so a click carries a visible difference rather than a near-duplicate (as
 * labeling tools pick informative comparisons, e.g. Chatbot Arena's sampling or Argilla's active learning). The
 * distance is a small perceptual proxy on 8 × 8 blocks of the 32 × 32 image in an opponent colour space (lightness,
 * red–green, yellow–blue, after CIELAB's opponent axes), which weighs layout and colour and ignores single-pixel noise.
 * Pure functions over RGBA bytes; the sampler (worker, CLI) decides K.
 */

/** Images sampled per shown pair when distinct pairs are on (one batch from one x_T: 6 candidate pairs). */
export const DISTINCT_CANDIDATES = 4;

const BLOCK = 4; // 32 / 8

/** Opponent-colour block means of a square RGBA image: [L, a, b] per 4 × 4 block, row-major. */
export function blockFeatures(rgba: ArrayLike<number>, size: number): Float64Array {
  const n = size / BLOCK;
  if (!Number.isInteger(n) || rgba.length !== size * size * 4) throw new Error(`distinct pairs: expected a ${size} × ${size} RGBA image divisible into ${BLOCK} × ${BLOCK} blocks, got ${rgba.length} bytes`);
  const out = new Float64Array(n * n * 3);
  for (let by = 0; by < n; by++) {
    for (let bx = 0; bx < n; bx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = by * BLOCK; y < (by + 1) * BLOCK; y++) {
        for (let x = bx * BLOCK; x < (bx + 1) * BLOCK; x++) {
          const i = (y * size + x) * 4;
          r += rgba[i];
          g += rgba[i + 1];
          b += rgba[i + 2];
        }
      }
      const k = BLOCK * BLOCK;
      [r, g, b] = [r / k, g / k, b / k];
      const o = (by * n + bx) * 3;
      out[o] = (r + g + b) / 3; // lightness
      out[o + 1] = r - g; // red–green
      out[o + 2] = (r + g) / 2 - b; // yellow–blue
    }
  }
  return out;
}

/** Mean absolute difference of two images' block features (0 = same blocks). */
export function imageDistance(a: ArrayLike<number>, b: ArrayLike<number>, size: number): number {
  const fa = blockFeatures(a, size);
  const fb = blockFeatures(b, size);
  let s = 0;
  for (let i = 0; i < fa.length; i++) s += Math.abs(fa[i] - fb[i]);
  return s / fa.length;
}

/** The two images (i < j) that differ most, with their distance; ties go to the earlier pair. */
export function mostDistinctPair(images: ArrayLike<number>[], size: number): { i: number; j: number; distance: number } {
  if (images.length < 2) throw new Error(`distinct pairs need at least 2 images, got ${images.length}`);
  const feats = images.map((im) => blockFeatures(im, size));
  let best = { i: 0, j: 1, distance: -1 };
  for (let i = 0; i < feats.length; i++) {
    for (let j = i + 1; j < feats.length; j++) {
      let s = 0;
      for (let k = 0; k < feats[i].length; k++) s += Math.abs(feats[i][k] - feats[j][k]);
      const d = s / feats[i].length;
      if (d > best.distance) best = { i, j, distance: d };
    }
  }
  return best;
}
