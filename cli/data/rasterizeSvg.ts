// SVG → 32×32 RGB on white (Node): renders with resvg (@resvg/resvg-js, native, no install script) at the emoji-datasource PNG size, composites the premultiplied output on white and area-averages exactly as the PNG styles are (./buildEmojiDataset areaAverageRgb).

import { Resvg } from '@resvg/resvg-js';
import { EMOJI_SIZE } from '../../src/core/data/emojiDataset';
import { SOURCE_SIZE, areaAverageRgb } from './buildEmojiDataset';

/** Renderer and how pixels are made, stored in the v2 index's `source.resample`. */
export const SVG_RESAMPLE =
  `SVG: @resvg/resvg-js at ${SOURCE_SIZE}×${SOURCE_SIZE} (transparent, anti-aliased, no system fonts), ` +
  'premultiplied RGBA composited on white, then exact area average to 32×32 in plain sRGB, round to nearest';

/**
 * Renders an SVG to premultiplied RGBA uint8 [size, size, 4] (resvg's pixmap format: tiny-skia stores
 * premultiplied colour). The SVG's own width/height are replaced by fitting its width to `size`.
 */
export function renderSvgPremultiplied(svg: string, size: number): { rgba: Uint8Array; width: number; height: number } {
  const img = new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false }, logLevel: 'off' }).render();
  const px = img.pixels;
  return { rgba: new Uint8Array(px.buffer, px.byteOffset, px.length), width: img.width, height: img.height };
}

/** Premultiplied RGBA [n·4] → RGB f32 [n·3] over white: c_premultiplied + 255·(1 − α), α = a/255, unrounded. */
export function compositePremultipliedOnWhite(rgba: Uint8Array): Float32Array {
  const n = rgba.length / 4;
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const rest = 255 - rgba[i * 4 + 3];
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = rgba[i * 4 + c] + rest;
  }
  return rgb;
}

/** SVG (square canvas) → RGB uint8 [32, 32, 3] on white: render at SOURCE_SIZE (64), composite, 2×2 area average. */
export function rasterizeSvg(svg: string, renderSize = SOURCE_SIZE): Uint8Array {
  const { rgba, width, height } = renderSvgPremultiplied(svg, renderSize);
  if (width !== renderSize || height !== renderSize) {
    throw new Error(`rasterizeSvg: the SVG rendered at ${width}×${height}, expected a square ${renderSize}×${renderSize} canvas`);
  }
  return areaAverageRgb(compositePremultipliedOnWhite(rgba), width, height, EMOJI_SIZE, EMOJI_SIZE);
}
