// Node-only multi-style emoji dataset builder (v2): the emoji-datasource PNG styles as v1 plus the iconify SVG styles of src/core/data/styles.ts → <out>/emoji32.bin + emoji32.json (index version 2, per-style mapping report).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  EMOJI_BYTES_PER_IMAGE,
  EMOJI_CHANNELS,
  EMOJI_INDEX_FORMAT,
  EMOJI_INDEX_VERSION_V2,
  EMOJI_SIZE,
  type EmojiIndex,
  type EmojiRecord,
  type StyleReport,
  type Vendor,
} from '../../src/core/data/emojiDataset';
import { STYLE_IDS, styleInfo, type EmojiStyle } from '../../src/core/data/styles';
import {
  BIN_FILE,
  INDEX_FILE,
  SOURCE_SIZE,
  areaDownsample,
  cldrNameOf,
  packageRoot,
  planEmojiRecords,
  readPngRgba,
  type EmojiDataEntry,
} from './buildEmojiDataset';
import { buildEmojiLookup } from './emojiNameIndex';
import { iconToSvg, resolveIcon } from './iconifySvg';
import { loadIconifySet, npmPackageRoot, planIconifyStyle, type IconifySet } from './iconifyStyle';
import { SVG_RESAMPLE, rasterizeSvg } from './rasterizeSvg';

/** Default output folder of `npm run data -- --v2`: the same file names as v1 in their own folder, so every reader's --data option takes it. */
export const V2_DIR = 'data/v2';

const PNG_RESAMPLE = 'PNG: composite straight-alpha RGBA on white (255), then exact area average (box filter) in plain sRGB, round to nearest';

export interface BuildEmojiDatasetV2Options {
  outDir: string;
  /** Styles in dataset order; default every style of STYLES. */
  styles?: readonly EmojiStyle[];
  /** First `limit` base emoji in sort order (with all their variants), in every style. */
  limit?: number;
  /** Explicit base emoji unified codes (e.g. ["1F600", "1F44D"]), in every style. */
  codes?: readonly string[];
  /** Called after each image with the style it belongs to. */
  onProgress?: (done: number, total: number, style: EmojiStyle) => void;
  /** One line per style once its icons are mapped ("openmoji: 3,821 of 4,651 icons mapped (82.2 %), 3,791 images"). */
  onStyle?: (report: StyleReport) => void;
}

export interface BuildEmojiDatasetV2Result {
  count: number;
  perStyle: Partial<Record<EmojiStyle, number>>;
  reports: StyleReport[];
  binPath: string;
  indexPath: string;
  bytes: number;
  seconds: number;
}

/** A planned image and how to draw it. */
export type Source = { kind: 'png'; vendor: Vendor; image: string } | { kind: 'svg'; set: IconifySet; icon: string };

export interface PlanV2 {
  /** Records with their final `index`, style-major in `styles` order, and where each image comes from. */
  planned: { record: EmojiRecord; source: Source }[];
  reports: StyleReport[];
  packages: { name: string; version: string }[];
}

/**
 * Plans the v2 dataset without drawing: records style-major in `styles` order — the PNG styles exactly as v1 plans
 * them (planEmojiRecords), the iconify styles mapped icon by icon (planIconifyStyle) — and one report per style.
 */
export async function planEmojiDatasetV2(opts: Omit<BuildEmojiDatasetV2Options, 'outDir' | 'onProgress'>): Promise<PlanV2> {
  const styles = [...(opts.styles ?? STYLE_IDS)];
  const entries = JSON.parse(await readFile(join(packageRoot('google'), 'emoji.json'), 'utf8')) as EmojiDataEntry[];
  const wanted = opts.codes ? new Set(opts.codes.map((c) => c.toUpperCase())) : undefined;
  const sorted = [...entries].sort((a, b) => a.sort_order - b.sort_order).filter((e) => !wanted || wanted.has(e.unified.toUpperCase()));
  const keptBases = new Set((opts.limit !== undefined ? sorted.slice(0, opts.limit) : sorted).map((e) => e.unified));
  const lookup = buildEmojiLookup(entries, cldrNameOf);

  const planned: { record: EmojiRecord; source: Source }[] = [];
  const reports: StyleReport[] = [];
  const packages: { name: string; version: string }[] = [];
  for (const style of styles) {
    const info = styleInfo(style);
    let report: StyleReport;
    if (info.source === 'emoji-datasource-png') {
      const vendor = style as Vendor;
      const all = planEmojiRecords(entries, { vendors: [vendor] });
      const recs = planEmojiRecords(entries, { vendors: [vendor], limit: opts.limit, codes: opts.codes });
      for (const r of recs) planned.push({ record: r, source: { kind: 'png', vendor, image: r.image } });
      const pkg = JSON.parse(await readFile(join(packageRoot(vendor), 'package.json'), 'utf8')) as { name: string; version: string };
      packages.push({ name: pkg.name, version: pkg.version });
      report = { style, package: pkg.name, version: pkg.version, licence: info.licence, icons: all.length, mapped: all.length, images: recs.length, matchedBy: { codepoints: all.length }, unmapped: [] };
    } else {
      const set = await loadIconifySet(style);
      const plan = planIconifyStyle(set, lookup, (base) => keptBases.has(base.unified));
      for (const it of plan.items) planned.push({ record: it.record, source: { kind: 'svg', set, icon: it.icon } });
      packages.push({ name: set.pkg.name, version: set.pkg.version });
      report = {
        style, package: set.pkg.name, version: set.pkg.version, licence: info.licence, icons: plan.considered, mapped: plan.mapped,
        images: plan.items.length, matchedBy: plan.matchedBy as Record<string, number>, unmapped: plan.unmapped,
      };
    }
    reports.push(report);
    opts.onStyle?.(report);
  }
  planned.forEach((p, i) => (p.record.index = i));
  return { planned, reports, packages };
}

/** Builds the v2 dataset: planEmojiDatasetV2, then every image drawn (PNG as v1, SVG through resvg), then the files. */
export async function buildEmojiDatasetV2(opts: BuildEmojiDatasetV2Options): Promise<BuildEmojiDatasetV2Result> {
  const t0 = performance.now();
  const { planned, reports, packages } = await planEmojiDatasetV2(opts);
  if (planned.length === 0) throw new Error('no emoji images selected: check --limit / codes / styles');

  const pixels = new Uint8Array(planned.length * EMOJI_BYTES_PER_IMAGE); // [N, 32, 32, 3]
  for (const { record, source } of planned) {
    pixels.set(await drawImage(source), record.index * EMOJI_BYTES_PER_IMAGE);
    opts.onProgress?.(record.index + 1, planned.length, record.vendor);
  }

  const perStyle: Partial<Record<EmojiStyle, number>> = {};
  for (const { record } of planned) perStyle[record.vendor] = (perStyle[record.vendor] ?? 0) + 1;
  const renderer = JSON.parse(await readFile(join(npmPackageRoot('@resvg/resvg-js'), 'package.json'), 'utf8')) as { name: string; version: string };
  const index: EmojiIndex = {
    format: EMOJI_INDEX_FORMAT,
    version: EMOJI_INDEX_VERSION_V2,
    width: EMOJI_SIZE,
    height: EMOJI_SIZE,
    channels: EMOJI_CHANNELS,
    count: planned.length,
    bytesPerImage: EMOJI_BYTES_PER_IMAGE,
    vendors: perStyle,
    source: { packages: [...packages, { name: renderer.name, version: renderer.version }], sourceSize: SOURCE_SIZE, resample: `${PNG_RESAMPLE}; ${SVG_RESAMPLE}` },
    styles: reports,
    records: planned.map((p) => p.record),
  };
  await mkdir(opts.outDir, { recursive: true });
  const binPath = resolve(opts.outDir, BIN_FILE);
  const indexPath = resolve(opts.outDir, INDEX_FILE);
  await writeFile(binPath, pixels);
  await writeFile(indexPath, JSON.stringify(index));
  return { count: planned.length, perStyle, reports, binPath, indexPath, bytes: pixels.length, seconds: (performance.now() - t0) / 1000 };
}

/** RGB uint8 [32, 32, 3] of one planned image: the v1 PNG path, or the icon's SVG through resvg. */
export async function drawImage(source: Source): Promise<Uint8Array> {
  if (source.kind === 'png') {
    const { rgba, width, height } = await readPngRgba(join(packageRoot(source.vendor), 'img', source.vendor, String(SOURCE_SIZE), source.image));
    return areaDownsample(rgba, width, height, EMOJI_SIZE, EMOJI_SIZE);
  }
  const icon = resolveIcon(source.set.json, source.icon);
  if (!icon) throw new Error(`${source.set.pkg.name}: icon ${source.icon} does not resolve (reinstall the package: npm ci)`);
  return rasterizeSvg(iconToSvg(icon, SOURCE_SIZE));
}

/** "openmoji: 3,821 of 4,651 icons mapped (82.2 %), 3,791 images" */
export function formatStyleReport(r: StyleReport): string {
  const pct = r.icons === 0 ? 0 : (100 * r.mapped) / r.icons;
  return `${r.style}: ${r.mapped.toLocaleString('en')} of ${r.icons.toLocaleString('en')} icons mapped (${pct.toFixed(1)} %), ${r.images.toLocaleString('en')} images (${r.package} ${r.version}, ${r.licence})`;
}
