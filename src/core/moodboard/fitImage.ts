/**
 * A picture of any size as the model's square input: alpha composited on white, scaled to fit `size` × `size` with its
 * aspect ratio kept (centred, white margins), by area averaging — every output pixel is the exact mean of the composited
 * picture over the output pixel's square (a box filter with fractional coverage, as Pillow's `Image.reduce`/BOX resampling
 * and OpenCV's INTER_AREA compute it for downscaling). The emoji the model was trained on are 32 × 32 on white.
 */

/** RGBA8 pixels, row-major, `width · height · 4` bytes, straight (not premultiplied) alpha. */
export interface RgbaPicture {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** Where the picture lands in the output, in output pixels (fractional edges allowed). */
export interface FitRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The largest rectangle with the picture's aspect ratio inside `size` × `size`, centred. */
export function fitRect(width: number, height: number, size: number): FitRect {
  const scale = size / Math.max(width, height);
  const w = width * scale;
  const h = height * scale;
  return { x: (size - w) / 2, y: (size - h) / 2, width: w, height: h };
}

/**
 * Per axis: weights[o][k] = length of the overlap of output pixel o ([o, o + 1]) with source pixel k's span
 * ([start + k·step, start + (k + 1)·step]), kept sparse as (first source index, weights).
 */
function axisWeights(sourceLength: number, start: number, length: number, size: number): { first: number; w: number[] }[] {
  const step = length / sourceLength;
  const out: { first: number; w: number[] }[] = [];
  for (let o = 0; o < size; o++) {
    const lo = Math.max(0, Math.floor((o - start) / step));
    const hi = Math.min(sourceLength - 1, Math.ceil((o + 1 - start) / step) - 1);
    const w: number[] = [];
    for (let k = lo; k <= hi; k++) {
      const a = Math.max(o, start + k * step);
      const b = Math.min(o + 1, start + (k + 1) * step);
      w.push(Math.max(0, b - a));
    }
    out.push({ first: lo, w });
  }
  return out;
}

/** The picture composited on white and area-averaged into `size` × `size` (opaque RGBA8). */
export function fitOnWhite(picture: RgbaPicture, size = 32): Uint8ClampedArray {
  const { width, height, data } = picture;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new Error(`A picture needs a positive integer size, got ${width} × ${height}.`);
  if (data.length !== width * height * 4) throw new Error(`A ${width} × ${height} RGBA picture has ${width * height * 4} bytes, got ${data.length}.`);
  const rect = fitRect(width, height, size);
  const wx = axisWeights(width, rect.x, rect.width, size);
  const wy = axisWeights(height, rect.y, rect.height, size);
  // Composited on white, one row at a time: c' = a·c + (1 − a)·255 (straight alpha, a in [0, 1]).
  const row = new Float64Array(width * 3);
  const acc = new Float64Array(size * size * 3); // Σ weight · composited colour per output pixel
  for (let sy = 0; sy < height; sy++) {
    // The output rows this source row touches (at most a few).
    const rows: [number, number][] = [];
    for (let oy = 0; oy < size; oy++) {
      const r = wy[oy];
      const k = sy - r.first;
      if (k >= 0 && k < r.w.length && r.w[k] > 0) rows.push([oy, r.w[k]]);
    }
    if (rows.length === 0) continue;
    for (let sx = 0; sx < width; sx++) {
      const p = (sy * width + sx) * 4;
      const a = data[p + 3] / 255;
      for (let c = 0; c < 3; c++) row[sx * 3 + c] = a * data[p + c] + (1 - a) * 255;
    }
    for (let ox = 0; ox < size; ox++) {
      const r = wx[ox];
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let k = 0; k < r.w.length; k++) {
        const w = r.w[k];
        if (w === 0) continue;
        const q = (r.first + k) * 3;
        s0 += w * row[q];
        s1 += w * row[q + 1];
        s2 += w * row[q + 2];
      }
      for (const [oy, w] of rows) {
        const o = (oy * size + ox) * 3;
        acc[o] += w * s0;
        acc[o + 1] += w * s1;
        acc[o + 2] += w * s2;
      }
    }
  }
  // Each output pixel has area 1: the part the picture does not cover (margins, fractional edges) is white.
  const out = new Uint8ClampedArray(size * size * 4);
  for (let oy = 0; oy < size; oy++) {
    const coverY = wy[oy].w.reduce((a, b) => a + b, 0);
    for (let ox = 0; ox < size; ox++) {
      const cover = coverY * wx[ox].w.reduce((a, b) => a + b, 0);
      const o = oy * size + ox;
      for (let c = 0; c < 3; c++) out[o * 4 + c] = Math.round(acc[o * 3 + c] + (1 - cover) * 255);
      out[o * 4 + 3] = 255;
    }
  }
  return out;
}
