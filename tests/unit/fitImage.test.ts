// A picture of any size → the model's square on white: alpha compositing, the fitted rectangle (aspect kept, centred) and
// area averaging with fractional coverage, each checked against numbers worked out by hand in the comments.
import { describe, expect, it } from 'vitest';
import { fitOnWhite, fitRect } from '../../src/core/moodboard/fitImage';

const px = (...rgba: number[][]) => Uint8ClampedArray.from(rgba.flat());
const at = (img: Uint8ClampedArray, size: number, x: number, y: number) => Array.from(img.subarray((y * size + x) * 4, (y * size + x) * 4 + 4));

describe('fitRect', () => {
  it('keeps the aspect ratio and centres the picture', () => {
    expect(fitRect(64, 64, 32)).toEqual({ x: 0, y: 0, width: 32, height: 32 });
    expect(fitRect(100, 50, 32)).toEqual({ x: 0, y: 8, width: 32, height: 16 }); // 32 × 16, 8 px margins top and bottom
    expect(fitRect(30, 90, 30)).toEqual({ x: 10, y: 0, width: 10, height: 30 });
  });
});

describe('fitOnWhite', () => {
  it('composites alpha on white: 2×2 → 1×1 is the mean of the four composited pixels', () => {
    // red opaque, blue-ish opaque, fully transparent black (→ white), green at alpha 102 (= 0.4):
    // green composited: R = B = 0.6·255 = 153, G = 0.4·255 + 0.6·255 = 255.
    const img = px([255, 0, 0, 255], [0, 41, 255, 255], [0, 0, 0, 0], [0, 255, 0, 102]);
    const out = fitOnWhite({ width: 2, height: 2, data: img }, 1);
    // R: (255 + 0 + 255 + 153) / 4 = 165.75 → 166; G: (0 + 41 + 255 + 255) / 4 = 137.75 → 138; B: (0 + 255 + 255 + 153) / 4 = 165.75 → 166
    expect(Array.from(out)).toEqual([166, 138, 166, 255]);
  });

  it('a wide picture gets white bars above and below; at scale 1 its pixels are copied exactly', () => {
    // 4×2 into 4×4: the rectangle is rows 1–2 (y offset 1), columns 0–3.
    const data = new Uint8ClampedArray(4 * 2 * 4);
    for (let i = 0; i < 8; i++) data.set([10 * i, 200 - 10 * i, 7 * i, 255], i * 4);
    const out = fitOnWhite({ width: 4, height: 2, data }, 4);
    for (let x = 0; x < 4; x++) {
      expect(at(out, 4, x, 0)).toEqual([255, 255, 255, 255]);
      expect(at(out, 4, x, 3)).toEqual([255, 255, 255, 255]);
      expect(at(out, 4, x, 1)).toEqual([10 * x, 200 - 10 * x, 7 * x, 255]);
      expect(at(out, 4, x, 2)).toEqual([10 * (4 + x), 200 - 10 * (4 + x), 7 * (4 + x), 255]);
    }
  });

  it('3×3 → 2×2 averages over 1.5 × 1.5 source pixels with fractional weights', () => {
    // Grey values g[y][x]; output (0,0) covers source x ∈ [0, 1.5], y ∈ [0, 1.5]:
    // weights 1·1 for (0,0), 0.5·1 for (1,0) and (0,1), 0.5·0.5 for (1,1); total area 2.25.
    const g = [
      [0, 90, 180],
      [30, 120, 210],
      [60, 150, 240],
    ];
    const data = new Uint8ClampedArray(9 * 4);
    g.flat().forEach((v, i) => data.set([v, v, v, 255], i * 4));
    const out = fitOnWhite({ width: 3, height: 3, data }, 2);
    const o00 = (1 * 0 + 0.5 * 90 + 0.5 * 30 + 0.25 * 120) / 2.25; // = 90 / 2.25 = 40
    const o10 = (1 * 180 + 0.5 * 90 + 0.5 * 210 + 0.25 * 120) / 2.25; // = 360 / 2.25 = 160
    const o01 = (1 * 60 + 0.5 * 150 + 0.5 * 30 + 0.25 * 120) / 2.25; // = 180 / 2.25 = 80
    const o11 = (1 * 240 + 0.5 * 150 + 0.5 * 210 + 0.25 * 120) / 2.25; // = 450 / 2.25 = 200
    expect([o00, o10, o01, o11]).toEqual([40, 160, 80, 200]);
    expect([at(out, 2, 0, 0), at(out, 2, 1, 0), at(out, 2, 0, 1), at(out, 2, 1, 1)].map((p) => p[0])).toEqual([40, 160, 80, 200]);
    expect(at(out, 2, 1, 1)).toEqual([200, 200, 200, 255]);
  });

  it('fractional margins: 3×2 → 2×2 leaves a third of a pixel of white above and below', () => {
    // Scale 2/3: the picture is 2 × 4/3 output pixels at y = 1/3. Output row 0 = 1/3 white + 2/3 of source row 0;
    // output column 0 = 2/3 of source column 0 + 1/3 of source column 1 (source columns span [0, 2/3], [2/3, 4/3], [4/3, 2]).
    const g = [
      [30, 60, 90],
      [120, 150, 180],
    ];
    const data = new Uint8ClampedArray(6 * 4);
    g.flat().forEach((v, i) => data.set([v, v, v, 255], i * 4));
    const out = fitOnWhite({ width: 3, height: 2, data }, 2);
    const row0col0 = (1 / 3) * 255 + (2 / 3) * ((2 / 3) * 30 + (1 / 3) * 60); // 85 + 26.67 = 111.67 → 112
    const row0col1 = (1 / 3) * 255 + (2 / 3) * ((1 / 3) * 60 + (2 / 3) * 90); // 85 + 53.33 = 138.33 → 138
    const row1col0 = (1 / 3) * 255 + (2 / 3) * ((2 / 3) * 120 + (1 / 3) * 150); // 85 + 86.67 = 171.67 → 172
    expect(at(out, 2, 0, 0)[0]).toBe(Math.round(row0col0));
    expect(at(out, 2, 0, 0)[0]).toBe(112);
    expect(at(out, 2, 1, 0)[0]).toBe(138);
    expect(Math.round(row0col1)).toBe(138);
    expect(at(out, 2, 0, 1)[0]).toBe(Math.round(row1col0));
  });

  it('a large picture of one colour stays that colour; a checkerboard averages to its mean', () => {
    const big = new Uint8ClampedArray(640 * 480 * 4);
    for (let i = 0; i < 640 * 480; i++) big.set([12, 34, 56, 255], i * 4);
    const flat = fitOnWhite({ width: 640, height: 480, data: big }, 32);
    // 640 × 480 → 32 × 24 at y = 4: rows 4–27 are the colour, rows 0–3 and 28–31 white.
    expect(at(flat, 32, 5, 4)).toEqual([12, 34, 56, 255]);
    expect(at(flat, 32, 31, 27)).toEqual([12, 34, 56, 255]);
    expect(at(flat, 32, 0, 3)).toEqual([255, 255, 255, 255]);
    expect(at(flat, 32, 0, 28)).toEqual([255, 255, 255, 255]);
    const board = new Uint8ClampedArray(64 * 64 * 4);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) board.set((x + y) % 2 ? [200, 200, 200, 255] : [100, 100, 100, 255], (y * 64 + x) * 4);
    const half = fitOnWhite({ width: 64, height: 64, data: board }, 32);
    for (let i = 0; i < 32 * 32; i++) expect(half[i * 4]).toBe(150); // every 2×2 block holds two of each
  });

  it('refuses a buffer that does not match its size', () => {
    expect(() => fitOnWhite({ width: 2, height: 2, data: new Uint8ClampedArray(15) }, 32)).toThrow(/16 bytes, got 15/);
    expect(() => fitOnWhite({ width: 0, height: 2, data: new Uint8ClampedArray(0) }, 32)).toThrow(/positive integer size/);
  });
});
