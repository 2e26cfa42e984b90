// Node-only emoji dataset builder: emoji-datasource-{google,twitter} 64px PNGs → data/emoji32.bin + emoji32.json; follows the format in src/core/data/emojiDataset.ts.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { keywordsFor } from '../../src/core/data/captions';
import {
  EMOJI_BYTES_PER_IMAGE,
  EMOJI_CHANNELS,
  EMOJI_INDEX_FORMAT,
  EMOJI_INDEX_VERSION,
  EMOJI_SIZE,
  VENDORS,
  skinTonesOf,
  type EmojiIndex,
  type EmojiRecord,
  type Vendor,
} from '../../src/core/data/emojiDataset';
import type { EmojiStyle } from '../../src/core/data/styles';

/** Per-emoji PNG size shipped by both packages (img/<vendor>/64/ is the only per-image folder; sheets aside). */
export const SOURCE_SIZE = 64;
export const BIN_FILE = 'emoji32.bin';
export const INDEX_FILE = 'emoji32.json';
const RESAMPLE = 'composite straight-alpha RGBA on white (255), then exact area average (box filter) in plain sRGB, round to nearest';

// ---------------------------------------------------------------- pixels (pure)

/**
 * Straight-alpha RGBA uint8 [h, w, 4] → RGB uint8 [outH, outW, 3]: composite on white, then exact area averaging —
 * each output pixel is the coverage-weighted mean of the source pixels under its footprint (fractional edges
 * weighted by overlap), computed in plain sRGB values (no linearisation), rounded to nearest.
 */
export function areaDownsample(rgba: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  if (rgba.length !== w * h * 4) throw new Error(`areaDownsample: expected ${w}×${h}×4 = ${w * h * 4} bytes, got ${rgba.length}`);
  if (outW <= 0 || outH <= 0 || outW > w || outH > h) throw new RangeError(`areaDownsample: output ${outW}×${outH} must be 1..${w}×1..${h}`);
  return areaAverageRgb(compositeOnWhite(rgba), w, h, outW, outH);
}

/** RGB f32 [h, w, 3] (already on white) → RGB uint8 [outH, outW, 3] by exact area averaging, rounded to nearest. */
export function areaAverageRgb(rgb: Float32Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  if (rgb.length !== w * h * 3) throw new Error(`areaAverageRgb: expected ${w}×${h}×3 = ${w * h * 3} values, got ${rgb.length}`);
  if (outW <= 0 || outH <= 0 || outW > w || outH > h) throw new RangeError(`areaAverageRgb: output ${outW}×${outH} must be 1..${w}×1..${h}`);
  const wx = areaWeights(w, outW);
  const wy = areaWeights(h, outH);
  const out = new Uint8Array(outW * outH * 3);
  const acc = new Float64Array(3);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      acc.fill(0);
      for (const [sy, ay] of wy[oy]) {
        for (const [sx, ax] of wx[ox]) {
          const a = ay * ax;
          const s = (sy * w + sx) * 3;
          acc[0] += a * rgb[s];
          acc[1] += a * rgb[s + 1];
          acc[2] += a * rgb[s + 2];
        }
      }
      const o = (oy * outW + ox) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.min(255, Math.max(0, Math.round(acc[c])));
    }
  }
  return out;
}

/** RGBA [n·4] → RGB f32 [n·3] over white: c·α + 255·(1−α), α = a/255, kept unrounded. */
export function compositeOnWhite(rgba: Uint8Array): Float32Array {
  const n = rgba.length / 4;
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = rgba[i * 4 + 3] / 255;
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = rgba[i * 4 + c] * a + 255 * (1 - a);
  }
  return rgb;
}

/** For each of `outN` output cells: [source index, normalised overlap weight] pairs; weights of a cell sum to 1. */
function areaWeights(inN: number, outN: number): [number, number][][] {
  const scale = inN / outN;
  const cells: [number, number][][] = [];
  for (let o = 0; o < outN; o++) {
    const lo = o * scale;
    const hi = (o + 1) * scale;
    const cell: [number, number][] = [];
    for (let s = Math.floor(lo); s < Math.min(inN, Math.ceil(hi)); s++) {
      const overlap = Math.min(hi, s + 1) - Math.max(lo, s);
      if (overlap > 0) cell.push([s, overlap / scale]);
    }
    cells.push(cell);
  }
  return cells;
}

// ---------------------------------------------------------------- metadata (pure)

/** The emoji.json fields this builder reads (emoji-data v16). */
export interface EmojiDataEntry {
  name: string;
  unified: string;
  /** The codes without FE0F where they differ ("2764" for "2764-FE0F"), else null. */
  non_qualified?: string | null;
  image: string;
  short_names: string[];
  category: string;
  subcategory: string;
  sort_order: number;
  has_img_google: boolean;
  has_img_twitter: boolean;
  skin_variations?: Record<string, { unified: string; image: string; has_img_google: boolean; has_img_twitter: boolean }>;
}

export interface PlanOptions {
  vendors: readonly Vendor[];
  /** Keep only the first `limit` base emoji in sort order (all their variants and vendors). */
  limit?: number;
  /** Keep only these base emoji (unified codes, any case). */
  codes?: readonly string[];
}

/** Images to build: vendor-major, then base emoji by sort order, base image before its skin variants (file order). */
export function planEmojiRecords(entries: readonly EmojiDataEntry[], opts: PlanOptions): EmojiRecord[] {
  const wanted = opts.codes ? new Set(opts.codes.map((c) => c.toUpperCase())) : undefined;
  let bases = [...entries].sort((a, b) => a.sort_order - b.sort_order).filter((e) => !wanted || wanted.has(e.unified.toUpperCase()));
  if (opts.limit !== undefined) bases = bases.slice(0, opts.limit);
  const records: EmojiRecord[] = [];
  for (const vendor of opts.vendors) {
    for (const e of bases) {
      const images = [e, ...Object.values(e.skin_variations ?? {})].filter((v) => hasImage(v, vendor));
      for (const img of images) records.push(recordFor(e, img, vendor, records.length));
    }
  }
  return records;
}

function hasImage(img: Pick<EmojiDataEntry, 'has_img_google' | 'has_img_twitter'>, vendor: Vendor): boolean {
  return vendor === 'google' ? img.has_img_google : img.has_img_twitter;
}

/** CLDR short name ("red heart", "flag brazil") from unicode-emoji-json, keyed by the emoji string with or without FE0F. */
let cldrNames: Map<string, string> | null = null;
export function cldrNameOf(unified: string): string | undefined {
  if (!cldrNames) {
    const data = createRequire(import.meta.url)('unicode-emoji-json/data-by-emoji.json') as Record<string, { name: string }>;
    cldrNames = new Map();
    for (const [emoji, v] of Object.entries(data)) {
      const cps = [...emoji].map((c) => c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0'));
      cldrNames.set(cps.join('-'), v.name);
      cldrNames.set(cps.filter((c) => c !== 'FE0F').join('-'), v.name);
    }
  }
  const key = unified.toUpperCase();
  return cldrNames.get(key) ?? cldrNames.get(key.split('-').filter((c) => c !== 'FE0F').join('-'));
}

/** The record of one image of `base` (its own codes `img.unified`, source `img.image`) in a style; metadata from the base emoji. */
export function recordFor(base: EmojiDataEntry, img: { unified: string; image: string }, vendor: EmojiStyle, index: number): EmojiRecord {
  const tones = skinTonesOf(img.unified);
  // Captions use the CLDR name people type ("red heart"); the older Unicode name ("heavy black heart") stays in the keywords.
  const cldr = cldrNameOf(base.unified);
  const name = (cldr ?? base.name).toLowerCase();
  return {
    index,
    vendor,
    unified: img.unified.toUpperCase(),
    baseUnified: base.unified.toUpperCase(),
    name,
    shortNames: [...base.short_names],
    keywords: [...new Set([...keywordsFor(name, base.short_names), ...keywordsFor(base.name, [])])],
    category: base.category,
    subcategory: base.subcategory,
    skinTone: tones[0] ?? 'none',
    skinTones: tones,
    sortOrder: base.sort_order,
    image: img.image,
  };
}

// ---------------------------------------------------------------- packages (Node)

const require = createRequire(import.meta.url);

/** Root folder of emoji-datasource-<vendor>; error says to npm install. */
export function packageRoot(vendor: Vendor): string {
  const pkg = `emoji-datasource-${vendor}`;
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed: run npm install (it is a devDependency of d3po-studio)`);
  }
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** Decodes a PNG (any colour type; pngjs expands to 8-bit RGBA) → RGBA uint8 [h, w, 4]. */
export async function readPngRgba(path: string): Promise<{ rgba: Uint8Array; width: number; height: number }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new Error(`missing emoji image ${path}: reinstall the emoji-datasource packages (npm ci)`);
  }
  const png = PNG.sync.read(bytes);
  return { rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length), width: png.width, height: png.height };
}

// ---------------------------------------------------------------- build

export interface BuildEmojiDatasetOptions {
  outDir: string;
  /** First `limit` base emoji in sort order (with all their skin variants), per vendor. */
  limit?: number;
  /** Explicit base emoji unified codes (e.g. ["1F600", "1F44D"]). */
  codes?: string[];
  vendors?: Vendor[];
  onProgress?: (done: number, total: number) => void;
}

export interface BuildEmojiDatasetResult {
  count: number;
  perVendor: Partial<Record<Vendor, number>>;
  binPath: string;
  indexPath: string;
  bytes: number;
  seconds: number;
}

/** Builds emoji32.bin (uint8 [N, 32, 32, 3]) and emoji32.json (EmojiIndex) in outDir. */
export async function buildEmojiDataset(opts: BuildEmojiDatasetOptions): Promise<BuildEmojiDatasetResult> {
  const t0 = performance.now();
  const vendors = opts.vendors ?? [...VENDORS];
  const roots = Object.fromEntries(vendors.map((v) => [v, packageRoot(v)])) as Record<Vendor, string>;
  const entries = await readJson<EmojiDataEntry[]>(join(roots[vendors[0]], 'emoji.json'));
  const records = planEmojiRecords(entries, { vendors, limit: opts.limit, codes: opts.codes });
  if (records.length === 0) throw new Error('no emoji images selected: check --limit / codes / vendors');

  const pixels = new Uint8Array(records.length * EMOJI_BYTES_PER_IMAGE); // [N, 32, 32, 3]
  for (const r of records) {
    const vendor = r.vendor as Vendor; // planEmojiRecords only plans the vendors asked for
    const { rgba, width, height } = await readPngRgba(join(roots[vendor], 'img', vendor, String(SOURCE_SIZE), r.image));
    pixels.set(areaDownsample(rgba, width, height, EMOJI_SIZE, EMOJI_SIZE), r.index * EMOJI_BYTES_PER_IMAGE);
    opts.onProgress?.(r.index + 1, records.length);
  }

  const index = await indexFor(records, vendors, roots);
  await mkdir(opts.outDir, { recursive: true });
  const binPath = resolve(opts.outDir, BIN_FILE);
  const indexPath = resolve(opts.outDir, INDEX_FILE);
  await writeFile(binPath, pixels);
  await writeFile(indexPath, JSON.stringify(index));
  return { count: records.length, perVendor: index.vendors, binPath, indexPath, bytes: pixels.length, seconds: (performance.now() - t0) / 1000 };
}

async function indexFor(records: EmojiRecord[], vendors: Vendor[], roots: Record<Vendor, string>): Promise<EmojiIndex> {
  const perVendor: Partial<Record<Vendor, number>> = {};
  for (const r of records) perVendor[r.vendor as Vendor] = (perVendor[r.vendor as Vendor] ?? 0) + 1;
  const packages = await Promise.all(vendors.map((v) => readJson<{ name: string; version: string }>(join(roots[v], 'package.json'))));
  return {
    format: EMOJI_INDEX_FORMAT,
    version: EMOJI_INDEX_VERSION,
    width: EMOJI_SIZE,
    height: EMOJI_SIZE,
    channels: EMOJI_CHANNELS,
    count: records.length,
    bytesPerImage: EMOJI_BYTES_PER_IMAGE,
    vendors: perVendor,
    source: { packages: packages.map(({ name, version }) => ({ name, version })), sourceSize: SOURCE_SIZE, resample: RESAMPLE },
    records,
  };
}

// ---------------------------------------------------------------- standalone entry

/** `npx tsx cli/data/buildEmojiDataset.ts --out data [--limit 20] [--vendors google,twitter]` */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string', default: 'data' }, limit: { type: 'string' }, vendors: { type: 'string' } },
  });
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new Error(`--limit must be a positive integer, got ${values.limit}`);
  const vendors = values.vendors?.split(',').map((v) => v.trim()) as Vendor[] | undefined;
  const bad = vendors?.filter((v) => !VENDORS.includes(v));
  if (bad?.length) throw new Error(`unknown vendor(s) ${bad.join(', ')}: use --vendors google,twitter`);
  let last = 0;
  const res = await buildEmojiDataset({
    outDir: values.out!,
    limit,
    vendors,
    onProgress: (done, total) => {
      if (done === total || done - last >= 500) {
        last = done;
        process.stderr.write(`  ${done}/${total}\n`);
      }
    },
  });
  console.log(
    `wrote ${res.count} images (${Object.entries(res.perVendor).map(([v, n]) => `${v} ${n}`).join(', ')}) ` +
      `${res.bytes} bytes → ${res.binPath}, index → ${res.indexPath} in ${res.seconds.toFixed(1)} s`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
