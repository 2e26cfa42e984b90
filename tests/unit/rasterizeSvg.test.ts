// Tests for SVG rasterisation and IconifyJSON icons: resvg output composited on white and area-averaged against hand-computed pixels, alias/flip/rotation resolution; follows cli/data/rasterizeSvg.ts + iconifySvg.ts.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { iconToSvg, resolveIcon, type IconifyJson } from '../../cli/data/iconifySvg';
import { compositePremultipliedOnWhite, rasterizeSvg, renderSvgPremultiplied } from '../../cli/data/rasterizeSvg';

const svg = (viewBox: string, body: string, size = 64): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="${viewBox}">${body}</svg>`;

/** Pixel (x, y) of an RGB [32, 32, 3] image. */
const px = (img: Uint8Array, x: number, y: number): number[] => [...img.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)];

/** Every pixel of `img` for which `where(x, y)` holds equals `rgb`. */
function expectRegion(img: Uint8Array, where: (x: number, y: number) => boolean, rgb: number[]): void {
  const wrong: string[] = [];
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if (where(x, y) && px(img, x, y).join() !== rgb.join()) wrong.push(`(${x},${y})=${px(img, x, y)}`);
  expect(wrong.slice(0, 5)).toEqual([]);
}

const WHITE = [255, 255, 255];
const all = (): boolean => true;

describe('rasterizeSvg', () => {
  it('a solid square gives its exact fill colour in every pixel', () => {
    const img = rasterizeSvg(svg('0 0 10 10', '<rect width="10" height="10" fill="#1e90ff"/>'));
    expect(img.length).toBe(32 * 32 * 3);
    expectRegion(img, all, [0x1e, 0x90, 0xff]);
  });

  it('composites partial opacity on white: #ff8000 at 50 % → 255, 255 − 128·(255−128)/255 ≈ 191, 127', () => {
    // Straight-alpha compositing with α = 128/255 (8-bit opacity 0.5): c·α + 255·(1 − α).
    const a = 128 / 255;
    const expected = [0xff, 0x80, 0x00].map((c) => Math.round(c * a + 255 * (1 - a))); // [255, 191, 127]
    expect(expected).toEqual([255, 191, 127]);
    expectRegion(rasterizeSvg(svg('0 0 10 10', '<rect width="10" height="10" fill="#ff8000" fill-opacity="0.5"/>')), all, expected);
  });

  it('transparent areas are white and pixel-aligned edges stay sharp (left half red)', () => {
    const img = rasterizeSvg(svg('0 0 10 10', '<rect width="5" height="10" fill="#ff0000"/>'));
    expectRegion(img, (x) => x < 16, [255, 0, 0]);
    expectRegion(img, (x) => x >= 16, WHITE);
  });

  it('a non-square box is centred with its aspect kept (a 2:1 box fills rows 8..23)', () => {
    const img = rasterizeSvg(svg('0 0 20 10', '<rect width="20" height="10" fill="#008000"/>'));
    expectRegion(img, (_, y) => y >= 8 && y < 24, [0, 128, 0]);
    expectRegion(img, (_, y) => y < 8 || y >= 24, WHITE);
  });

  it('an anti-aliased edge is averaged: a rect edge at x = 33.5 px of 64 gives the column mean', () => {
    // Source columns 32 (covered fully) and 33 (half covered, α ≈ 0.5) → output column 16 = mean over 2×2 of black on white.
    const img = rasterizeSvg(svg('0 0 64 64', '<rect width="33.5" height="64" fill="#000000"/>'));
    const [r, g, b] = px(img, 16, 10);
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(Math.abs(r - Math.round((0 + 127.5) / 2))).toBeLessThanOrEqual(2); // (0 + 255·(1 − 0.5)) / 2 ≈ 64
    expectRegion(img, (x) => x < 16, [0, 0, 0]);
    expectRegion(img, (x) => x > 16, WHITE);
  });

  it('resvg hands back premultiplied RGBA (the reason for compositePremultipliedOnWhite)', () => {
    const { rgba, width, height } = renderSvgPremultiplied(svg('0 0 2 2', '<rect width="2" height="2" fill="#ff8000" fill-opacity="0.5"/>', 2), 2);
    expect([width, height]).toEqual([2, 2]);
    expect([...rgba.subarray(0, 4)]).toEqual([128, 64, 0, 128]);
  });

  it('refuses a canvas that does not render square', () => {
    expect(() => rasterizeSvg('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32"></svg>')).toThrow(/square 64×64/);
  });
});

describe('compositePremultipliedOnWhite', () => {
  it('adds 255·(1 − α) to premultiplied colour', () => {
    const out = compositePremultipliedOnWhite(Uint8Array.from([0, 0, 0, 0, 10, 20, 30, 255, 64, 32, 0, 128]));
    expect([...out]).toEqual([255, 255, 255, 10, 20, 30, 64 + 127, 32 + 127, 127]);
  });
});

describe('IconifyJSON icons', () => {
  const set: IconifyJson = {
    prefix: 'test',
    width: 10,
    height: 10,
    icons: {
      left: { body: '<rect width="5" height="10" fill="#000"/>' },
      top: { body: '<rect width="10" height="5" fill="#000"/>' },
      wide: { body: '<rect width="20" height="10" fill="#000"/>', width: 20 },
    },
    aliases: {
      right: { parent: 'left', hFlip: true },
      'right-again': { parent: 'right', hFlip: true },
      bottom: { parent: 'top', vFlip: true },
      'top-turned': { parent: 'top', rotate: 1 },
      'wide-turned': { parent: 'wide', rotate: 1 },
      'left-small': { parent: 'left', width: 5 },
      loop1: { parent: 'loop2' },
      loop2: { parent: 'loop1' },
    },
  };
  const draw = (name: string): Uint8Array => rasterizeSvg(iconToSvg(resolveIcon(set, name)!, 64));
  const black = [0, 0, 0];

  it('resolves set defaults, alias dimensions, XOR flips and summed rotations', () => {
    expect(resolveIcon(set, 'left')).toMatchObject({ left: 0, top: 0, width: 10, height: 10, rotate: 0, hFlip: false, vFlip: false });
    expect(resolveIcon(set, 'right')).toMatchObject({ hFlip: true, body: set.icons.left.body });
    expect(resolveIcon(set, 'right-again')).toMatchObject({ hFlip: false });
    expect(resolveIcon(set, 'left-small')).toMatchObject({ width: 5, height: 10 });
    expect(resolveIcon(set, 'wide')).toMatchObject({ width: 20, height: 10 });
    expect(resolveIcon(set, 'nope')).toBeUndefined();
    expect(resolveIcon(set, 'loop1')).toBeUndefined();
  });

  it('draws flips and quarter turns where they belong', () => {
    expectRegion(draw('left'), (x) => x < 16, black);
    expectRegion(draw('right'), (x) => x >= 16, black);
    expectRegion(draw('right'), (x) => x < 16, WHITE);
    expectRegion(draw('right-again'), (x) => x < 16, black);
    expectRegion(draw('bottom'), (_, y) => y >= 16, black);
    expectRegion(draw('bottom'), (_, y) => y < 16, WHITE);
    // A quarter turn clockwise takes the top half to the right half.
    expectRegion(draw('top-turned'), (x) => x >= 16, black);
    expectRegion(draw('top-turned'), (x) => x < 16, WHITE);
    // A turned 2:1 box stands upright: a 1:2 black box centred in columns 8..23.
    expectRegion(draw('wide-turned'), (x) => x >= 8 && x < 24, black);
    expectRegion(draw('wide-turned'), (x) => x < 8 || x >= 24, WHITE);
  });

  const openmoji = (() => {
    try {
      return createRequire(import.meta.url)('@iconify-json/openmoji/icons.json') as IconifyJson;
    } catch {
      return undefined;
    }
  })();

  it.skipIf(!openmoji)('renders a real OpenMoji icon: white corners, yellow face, dark outline', () => {
    const img = rasterizeSvg(iconToSvg(resolveIcon(openmoji!, 'grinning-face')!, 64));
    for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31]]) expect(px(img, x, y)).toEqual(WHITE);
    const [r, g, b] = px(img, 16, 10); // upper middle of the face: OpenMoji yellow #FCEA2B
    expect(r).toBeGreaterThan(200);
    expect(g).toBeGreaterThan(180);
    expect(b).toBeLessThan(120);
    expect(Math.min(...img)).toBeLessThan(60); // the black outline
  });
});
