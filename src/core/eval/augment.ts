/** Meaning-keeping augmentation of 32×32 emoji on white for the category classifier: mirror (where the caller allows it), shift, small scale jitter (bilinear, white entering at the edges) and a colour jitter that keeps white white and hues in their family (gamma, saturation, small hue rotation). */
import type { Rng } from '../rng';

/** One image's draw. */
export interface AugmentParams {
  flip: boolean; // mirror left-right
  dx: number; // shift right, pixels (may be fractional)
  dy: number; // shift down, pixels
  scale: number; // zoom about the image centre (> 1 enlarges)
  gamma: number; // v ↦ v^gamma per channel (1 = off; 0 and 1 stay fixed, so white stays white)
  saturation: number; // W3C feColorMatrix 'saturate' amount (1 = off, 0 = grey)
  hueDegrees: number; // W3C feColorMatrix 'hueRotate' angle (0 = off)
}

export const IDENTITY_AUGMENT: AugmentParams = { flip: false, dx: 0, dy: 0, scale: 1, gamma: 1, saturation: 1, hueDegrees: 0 };

/** Ranges the draws come from; 0 turns a part off. */
export interface AugmentRanges {
  maxShift: number; // dx, dy integer, uniform in [−maxShift, maxShift]
  scaleJitter: number; // scale uniform in [1 − s, 1 + s]
  gammaJitter: number; // gamma = exp(u), u uniform in [−ln(1 + g), ln(1 + g)]
  saturationJitter: number; // saturation uniform in [1 − s, 1 + s]
  hueDegrees: number; // hue angle uniform in [−h, h]
}

/** The old classifier's augmentation: ±2 px shifts (and mirrors) only. */
export const SHIFT_ONLY_AUGMENT: AugmentRanges = { maxShift: 2, scaleJitter: 0, gammaJitter: 0, saturationJitter: 0, hueDegrees: 0 };

/**
 * The residual classifier's augmentation: ±3 px, ±10 % scale, gamma in [1/1.25, 1.25], saturation ±25 %, hue ±12°
 * (red stays red, yellow stays yellow: a flag's or a fruit's colour family is part of what it is).
 */
export const MEANING_KEEPING_AUGMENT: AugmentRanges = { maxShift: 3, scaleJitter: 0.1, gammaJitter: 0.25, saturationJitter: 0.25, hueDegrees: 12 };

/** Draws one image's parameters; `flippable` says whether a mirror keeps its meaning (captions.ts canFlip). */
export function drawAugment(rng: Rng, r: AugmentRanges, flippable: boolean): AugmentParams {
  const uniform = (a: number) => (a > 0 ? (rng.next() * 2 - 1) * a : 0);
  const flip = flippable && rng.next() < 0.5;
  const dx = r.maxShift > 0 ? rng.int(2 * r.maxShift + 1) - r.maxShift : 0;
  const dy = r.maxShift > 0 ? rng.int(2 * r.maxShift + 1) - r.maxShift : 0;
  return {
    flip,
    dx,
    dy,
    scale: 1 + uniform(r.scaleJitter),
    gamma: Math.exp(uniform(Math.log(1 + r.gammaJitter))),
    saturation: 1 + uniform(r.saturationJitter),
    hueDegrees: uniform(r.hueDegrees),
  };
}

/**
 * Copies one image [S,S,3] (values in [0,1]) into `out` at `offset`, mirrored left-right when `flip`, shifted by
 * (dx, dy) pixels with `fill` (white: the dataset composites on white) entering at the edges.
 */
export function augmentImage(src: ArrayLike<number>, size: number, flip: boolean, dx: number, dy: number, out: Float32Array, offset: number, fill = 1): void {
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const sy = y - dy;
      let sx = x - dx;
      const o = offset + (y * size + x) * 3;
      if (sy < 0 || sy >= size || sx < 0 || sx >= size) {
        out[o] = out[o + 1] = out[o + 2] = fill;
        continue;
      }
      if (flip) sx = size - 1 - sx;
      const i = (sy * size + sx) * 3;
      out[o] = src[i];
      out[o + 1] = src[i + 1];
      out[o + 2] = src[i + 2];
    }
}

/**
 * Geometry of `p` (flip, shift, scale) by inverse mapping with bilinear interpolation; source pixels outside the
 * image read as `fill`. Output pixel (x, y) samples source column u = m((x − dx − c)/scale + c), row
 * v = (y − dy − c)/scale + c, with c = (S − 1)/2 and m the mirror u ↦ S − 1 − u when flipping — so scale 1 with
 * integer shifts equals augmentImage exactly. src [S,S,3] -> out[offset …] [S,S,3]
 */
export function augmentGeometry(src: ArrayLike<number>, size: number, p: Pick<AugmentParams, 'flip' | 'dx' | 'dy' | 'scale'>, out: Float32Array, offset: number, fill = 1): void {
  const c = (size - 1) / 2;
  const at = (row: number, col: number, ch: number) => (row < 0 || row >= size || col < 0 || col >= size ? fill : src[(row * size + col) * 3 + ch]);
  for (let y = 0; y < size; y++) {
    const v = (y - p.dy - c) / p.scale + c;
    const r0 = Math.floor(v);
    const fy = v - r0;
    for (let x = 0; x < size; x++) {
      let u = (x - p.dx - c) / p.scale + c;
      if (p.flip) u = size - 1 - u;
      const c0 = Math.floor(u);
      const fx = u - c0;
      const o = offset + (y * size + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = at(r0, c0, ch) * (1 - fx) + (fx > 0 ? at(r0, c0 + 1, ch) * fx : 0);
        const bottom = fy > 0 ? at(r0 + 1, c0, ch) * (1 - fx) + (fx > 0 ? at(r0 + 1, c0 + 1, ch) * fx : 0) : 0;
        out[o + ch] = top * (1 - fy) + bottom * fy;
      }
    }
  }
}

/**
 * 3×3 colour matrix (row-major, applied to column vectors [r,g,b]) of W3C Filter Effects Module Level 1, feColorMatrix
 * type="hueRotate" (angle in degrees) times type="saturate" (amount): both keep every grey (and so white) fixed, as
 * each row sums to 1.
 */
export function hueSaturationMatrix(hueDegrees: number, saturation: number): number[] {
  const a = (hueDegrees * Math.PI) / 180;
  const [cs, sn] = [Math.cos(a), Math.sin(a)];
  const hue = [
    0.213 + cs * 0.787 - sn * 0.213, 0.715 - cs * 0.715 - sn * 0.715, 0.072 - cs * 0.072 + sn * 0.928,
    0.213 - cs * 0.213 + sn * 0.143, 0.715 + cs * 0.285 + sn * 0.14, 0.072 - cs * 0.072 - sn * 0.283,
    0.213 - cs * 0.213 - sn * 0.787, 0.715 - cs * 0.715 + sn * 0.715, 0.072 + cs * 0.928 + sn * 0.072,
  ];
  const s = saturation;
  const sat = [
    0.213 + 0.787 * s, 0.715 - 0.715 * s, 0.072 - 0.072 * s,
    0.213 - 0.213 * s, 0.715 + 0.285 * s, 0.072 - 0.072 * s,
    0.213 - 0.213 * s, 0.715 - 0.715 * s, 0.072 + 0.928 * s,
  ];
  const m = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) m[i * 3 + j] += hue[i * 3 + k] * sat[k * 3 + j];
  return m;
}

/** In place on `n` pixels at `offset`: rgb ↦ clamp01(M·rgb)^gamma with M = hueSaturationMatrix. */
export function jitterColour(img: Float32Array, offset: number, n: number, p: Pick<AugmentParams, 'gamma' | 'saturation' | 'hueDegrees'>): void {
  if (p.gamma === 1 && p.saturation === 1 && p.hueDegrees === 0) return;
  const m = hueSaturationMatrix(p.hueDegrees, p.saturation);
  const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
  for (let i = 0; i < n; i++) {
    const o = offset + i * 3;
    const [r, g, b] = [img[o], img[o + 1], img[o + 2]];
    for (let ch = 0; ch < 3; ch++) img[o + ch] = clamp01(m[ch * 3] * r + m[ch * 3 + 1] * g + m[ch * 3 + 2] * b) ** p.gamma;
  }
}

/** augmentGeometry then jitterColour. src [S,S,3] -> out[offset …] */
export function augment(src: ArrayLike<number>, size: number, p: AugmentParams, out: Float32Array, offset: number): void {
  augmentGeometry(src, size, p, out, offset);
  jitterColour(out, offset, size * size, p);
}
