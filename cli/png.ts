// PNG encode/decode of RGBA bytes (pngjs), nearest-neighbour upscaling, and the labelled sample-sheet composer composeGrid.
import pngjs from 'pngjs';

const { PNG } = pngjs;

/** An RGBA image: width·height·4 bytes, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Pixels between tiles and around the sheet's border. */
export const GRID_GAP = 2;
/** Sheet background and label text colours (RGBA). */
export const GRID_BACKGROUND = [24, 24, 24, 255] as const;
export const LABEL_COLOR = [235, 235, 235, 255] as const;
/** Bitmap font metrics in font pixels: glyphs are 3×5, advanced by 4, label strips are 7 high. */
export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;
export const GLYPH_ADVANCE = 4;
export const LABEL_ROWS = GLYPH_HEIGHT + 2;

/** Encodes RGBA bytes as an 8-bit RGBA PNG (deterministic bytes for the same pixels). */
export function encodePng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  if (rgba.length !== width * height * 4) {
    throw new Error(`encodePng: got ${rgba.length} bytes for ${width}×${height} RGBA (${width * height * 4} expected); pass width·height·4 bytes.`);
  }
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  const out = PNG.sync.write(png, { colorType: 6, inputColorType: 6, bitDepth: 8 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Decodes any PNG pngjs reads (palette, grey, RGB, 16-bit…) to 8-bit RGBA. */
export function decodePng(bytes: Uint8Array): RgbaImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

/** Nearest-neighbour upscale by an integer factor (pixel-art look, no blur). */
export function upscaleNearest(rgba: Uint8ClampedArray, width: number, height: number, scale: number): RgbaImage {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`upscale factor must be an integer >= 1, got ${scale}`);
  const out = new Uint8ClampedArray(width * scale * height * scale * 4);
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < width * scale; x++) {
      const src = (Math.floor(y / scale) * width + Math.floor(x / scale)) * 4;
      out.set(rgba.subarray(src, src + 4), (y * width * scale + x) * 4);
    }
  }
  return { width: width * scale, height: height * scale, data: out };
}

/** Side of a square RGBA image from its byte length (32 for the model's 32×32 images). */
function squareSide(img: Uint8ClampedArray): number {
  const side = Math.round(Math.sqrt(img.length / 4));
  if (side * side * 4 !== img.length) throw new Error(`composeGrid expects square RGBA tiles (e.g. 32×32×4 bytes), got ${img.length} bytes`);
  return side;
}

/** Font pixels per sheet pixel for labels under tiles upscaled by `scale`. */
export function labelFontScale(scale: number): number {
  return Math.max(1, Math.floor(scale / 2));
}

/** Geometry of a grid: tile side after upscaling, label strip height, cell and sheet sizes. */
export function gridLayout(count: number, tileSide: number, cols: number, scale: number, labelled: boolean) {
  const tile = tileSide * scale;
  const labelHeight = labelled ? LABEL_ROWS * labelFontScale(scale) : 0;
  const rows = Math.max(1, Math.ceil(count / cols));
  const cellHeight = tile + labelHeight;
  return {
    tile,
    labelHeight,
    rows,
    cellHeight,
    width: cols * tile + (cols + 1) * GRID_GAP,
    height: rows * cellHeight + (rows + 1) * GRID_GAP,
    /** Top-left corner of tile i. */
    origin: (i: number) => ({ x: GRID_GAP + (i % cols) * (tile + GRID_GAP), y: GRID_GAP + Math.floor(i / cols) * (cellHeight + GRID_GAP) }),
  };
}

/**
 * Sample sheet: tiles left to right, top to bottom, each upscaled `scale`× (nearest), GRID_GAP pixels apart on
 * GRID_BACKGROUND, with an optional label strip (3×5 bitmap font, upper-cased, truncated to the tile width) under each.
 */
export function composeGrid(images: Uint8ClampedArray[], cols: number, scale: number, labels?: string[]): RgbaImage {
  if (images.length === 0) throw new Error('composeGrid needs at least one image');
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`composeGrid: cols must be an integer >= 1, got ${cols}`);
  if (labels && labels.length !== images.length) throw new Error(`composeGrid: ${labels.length} labels for ${images.length} images; pass one label per image`);
  const side = squareSide(images[0]);
  const layout = gridLayout(images.length, side, Math.min(cols, images.length), scale, labels !== undefined);
  const sheet: RgbaImage = { width: layout.width, height: layout.height, data: new Uint8ClampedArray(layout.width * layout.height * 4) };
  fillRect(sheet, 0, 0, sheet.width, sheet.height, GRID_BACKGROUND);
  images.forEach((img, i) => {
    if (squareSide(img) !== side) throw new Error(`composeGrid: image ${i} is not ${side}×${side} like image 0`);
    const { x, y } = layout.origin(i);
    blit(sheet, upscaleNearest(img, side, side, scale), x, y);
    if (labels) drawText(sheet, labels[i], x, y + layout.tile, layout.tile, labelFontScale(scale));
  });
  return sheet;
}

function fillRect(dst: RgbaImage, x0: number, y0: number, w: number, h: number, color: readonly number[]): void {
  for (let y = y0; y < Math.min(dst.height, y0 + h); y++) {
    for (let x = x0; x < Math.min(dst.width, x0 + w); x++) dst.data.set(color, (y * dst.width + x) * 4);
  }
}

function blit(dst: RgbaImage, src: RgbaImage, x0: number, y0: number): void {
  for (let y = 0; y < src.height; y++) {
    dst.data.set(src.data.subarray(y * src.width * 4, (y + 1) * src.width * 4), ((y0 + y) * dst.width + x0) * 4);
  }
}

/** Draws `text` in the strip whose top-left is (x0, y0) and width `maxWidth`, with a 1-font-pixel margin. */
function drawText(dst: RgbaImage, text: string, x0: number, y0: number, maxWidth: number, fs: number): void {
  const fit = Math.max(0, Math.floor((maxWidth - fs) / (GLYPH_ADVANCE * fs)));
  [...text.toUpperCase()].slice(0, fit).forEach((ch, k) => {
    const rows = FONT[ch] ?? FONT['?'];
    rows.forEach((bits, gy) => {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (bits[gx] === '1') fillRect(dst, x0 + fs + (k * GLYPH_ADVANCE + gx) * fs, y0 + fs + gy * fs, fs, fs, LABEL_COLOR);
      }
    });
  });
}

/** 3×5 bitmap glyphs, one string per row ('1' = ink). */
export const FONT: Record<string, string[]> = {
  '0': ['111', '101', '101', '101', '111'],
  '1': ['010', '110', '010', '010', '111'],
  '2': ['111', '001', '111', '100', '111'],
  '3': ['111', '001', '111', '001', '111'],
  '4': ['101', '101', '111', '001', '001'],
  '5': ['111', '100', '111', '001', '111'],
  '6': ['111', '100', '111', '101', '111'],
  '7': ['111', '001', '001', '010', '010'],
  '8': ['111', '101', '111', '101', '111'],
  '9': ['111', '101', '111', '001', '111'],
  A: ['010', '101', '111', '101', '101'],
  B: ['110', '101', '110', '101', '110'],
  C: ['011', '100', '100', '100', '011'],
  D: ['110', '101', '101', '101', '110'],
  E: ['111', '100', '110', '100', '111'],
  F: ['111', '100', '110', '100', '100'],
  G: ['011', '100', '101', '101', '011'],
  H: ['101', '101', '111', '101', '101'],
  I: ['111', '010', '010', '010', '111'],
  J: ['001', '001', '001', '101', '010'],
  K: ['101', '101', '110', '101', '101'],
  L: ['100', '100', '100', '100', '111'],
  M: ['101', '111', '111', '101', '101'],
  N: ['110', '101', '101', '101', '101'],
  O: ['010', '101', '101', '101', '010'],
  P: ['110', '101', '110', '100', '100'],
  Q: ['010', '101', '101', '110', '011'],
  R: ['110', '101', '110', '101', '101'],
  S: ['011', '100', '010', '001', '110'],
  T: ['111', '010', '010', '010', '010'],
  U: ['101', '101', '101', '101', '111'],
  V: ['101', '101', '101', '101', '010'],
  W: ['101', '101', '111', '111', '101'],
  X: ['101', '101', '010', '101', '101'],
  Y: ['101', '101', '010', '010', '010'],
  Z: ['111', '001', '010', '100', '111'],
  ' ': ['000', '000', '000', '000', '000'],
  '#': ['101', '111', '101', '111', '101'],
  '.': ['000', '000', '000', '000', '010'],
  ',': ['000', '000', '000', '010', '100'],
  '-': ['000', '000', '111', '000', '000'],
  _: ['000', '000', '000', '000', '111'],
  ':': ['000', '010', '000', '010', '000'],
  '=': ['000', '111', '000', '111', '000'],
  '/': ['001', '001', '010', '100', '100'],
  '(': ['010', '100', '100', '100', '010'],
  ')': ['010', '001', '001', '001', '010'],
  '+': ['000', '010', '111', '010', '000'],
  '%': ['101', '001', '010', '100', '101'],
  '?': ['111', '001', '010', '000', '010'],
};
