// Emoji dataset format (pure, Node + browser): record/index types, skin-tone parsing and the emoji32.bin reader; follows the layout written by cli/data/buildEmojiDataset.ts (v1) and cli/data/buildEmojiDatasetV2.ts (v2).

import type { EmojiStyle } from './styles';

/** Image side length of the stored dataset (pixels). */
export const EMOJI_SIZE = 32;
/** Stored channels: RGB, alpha already composited on white. */
export const EMOJI_CHANNELS = 3;
/** Bytes of one stored image: 32 × 32 × 3 = 3072. */
export const EMOJI_BYTES_PER_IMAGE = EMOJI_SIZE * EMOJI_SIZE * EMOJI_CHANNELS;
/** `format` tag of emoji32.json; bump the version when the layout changes. */
export const EMOJI_INDEX_FORMAT = 'emoji32-rgb-u8';
/** v1: the two emoji-datasource sets (the shipped model's data, `npm run data`). */
export const EMOJI_INDEX_VERSION = 1;
/** v2: any styles of ./styles (`npm run data -- --v2`); same pixel layout and record fields, plus a per-style report. */
export const EMOJI_INDEX_VERSION_V2 = 2;

/** The emoji-datasource PNG sets (the v1 styles). */
export type Vendor = 'google' | 'twitter';
export const VENDORS: readonly Vendor[] = ['google', 'twitter'];

export type SkinTone = 'none' | 'light' | 'medium-light' | 'medium' | 'medium-dark' | 'dark';

/** Fitzpatrick modifier codepoints U+1F3FB..U+1F3FF → CLDR skin-tone names. */
export const SKIN_TONE_BY_CODEPOINT: Readonly<Record<string, Exclude<SkinTone, 'none'>>> = {
  '1F3FB': 'light',
  '1F3FC': 'medium-light',
  '1F3FD': 'medium',
  '1F3FE': 'medium-dark',
  '1F3FF': 'dark',
};

/** One stored image (one style's rendering of one emoji or one of its skin-tone variants). */
export interface EmojiRecord {
  /** Row in emoji32.bin: pixels at byte offset index × 3072. */
  index: number;
  /** The artwork style (kept under its v1 name `vendor`, so v1 files read unchanged): 'google' | 'twitter' in v1, any EmojiStyle in v2. */
  vendor: EmojiStyle;
  /** Codepoints of this exact image, upper-case hex joined by '-', e.g. "1F44D-1F3FD". */
  unified: string;
  /** Codepoints of the base emoji (equal to `unified` for non-variants); the held-out split keys on this. */
  baseUnified: string;
  /** Official name of the base emoji, lower-cased, punctuation kept, e.g. "thumbs up sign", "brazil flag". */
  name: string;
  /** emoji-data short names, e.g. ["+1", "thumbsup"]. */
  shortNames: string[];
  /** emoji.json has no keywords: normalised words of the name and the short names, de-duplicated, in order. */
  keywords: string[];
  category: string;
  subcategory: string;
  /** First skin tone in the codepoints, or 'none'. */
  skinTone: SkinTone;
  /** All skin tones in codepoint order (two for multi-person variants, e.g. ["light", "dark"]); [] for none. */
  skinTones: Exclude<SkinTone, 'none'>[];
  /** emoji-data global sort order of the base emoji (CLDR ordering). */
  sortOrder: number;
  /** Source: PNG file name inside img/<vendor>/64/ (emoji-datasource styles), or the icon name in the iconify set. */
  image: string;
}

/** v2 index: what one style contributed and how well its icons mapped to emoji. */
export interface StyleReport {
  style: EmojiStyle;
  package: string;
  version: string;
  /** SPDX licence expression of the artwork (./styles StyleInfo.licence). */
  licence: string;
  /** Source images considered: flagged PNGs (emoji-datasource) or icons + aliases (iconify). */
  icons: number;
  /** Of those, how many mapped to an emoji of emoji.json. */
  mapped: number;
  /** Images written for this style (mapped, minus duplicate aliases, within --limit/codes). */
  images: number;
  /** How the mapped icons were matched: chars.json codepoints, CLDR/Unicode/short name, tone suffix, … (counts). */
  matchedBy: Record<string, number>;
  /** Names of the icons that mapped to no emoji (sorted). */
  unmapped: string[];
}

/** Contents of emoji32.json. Pixels live in emoji32.bin: uint8 [count, 32, 32, 3], row-major, RGB. */
export interface EmojiIndex {
  format: typeof EMOJI_INDEX_FORMAT;
  version: typeof EMOJI_INDEX_VERSION | typeof EMOJI_INDEX_VERSION_V2;
  width: number;
  height: number;
  channels: number;
  count: number;
  bytesPerImage: number;
  /** Per-style image counts. */
  vendors: Partial<Record<EmojiStyle, number>>;
  source: {
    packages: { name: string; version: string }[];
    sourceSize: number;
    /** How pixels were produced, e.g. "composite straight RGBA on white, then exact area average, plain sRGB". */
    resample: string;
  };
  /** v2 only: one report per style, in record order. */
  styles?: StyleReport[];
  records: EmojiRecord[];
}

/** Skin tones named by the Fitzpatrick modifiers inside `unified` ("1F469-1F3FB-200D-...-1F3FF" → ["light", "dark"]). */
export function skinTonesOf(unified: string): Exclude<SkinTone, 'none'>[] {
  const tones: Exclude<SkinTone, 'none'>[] = [];
  for (const cp of unified.toUpperCase().split('-')) {
    const tone = SKIN_TONE_BY_CODEPOINT[cp];
    if (tone) tones.push(tone);
  }
  return tones;
}

/** Byte offset of image `i` in emoji32.bin. */
export function emojiPixelOffset(index: EmojiIndex, i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= index.count) {
    throw new RangeError(`emoji image ${i} out of range 0..${index.count - 1}: pass an index below index.count`);
  }
  return i * index.bytesPerImage;
}

/** Throws unless `buf` holds exactly `index.count` images. */
export function assertEmojiBuffer(buf: ArrayBuffer, index: EmojiIndex): void {
  const expected = index.count * index.bytesPerImage;
  if (buf.byteLength !== expected) {
    throw new Error(
      `emoji32.bin has ${buf.byteLength} bytes but emoji32.json expects ${expected} (${index.count} × ${index.bytesPerImage}): ` +
        'the two files are from different builds, rebuild both with `npm run data`',
    );
  }
}

/** Pixels of image `i`: a zero-copy view, uint8 [32, 32, 3] row-major RGB (length 3072). */
export function readEmojiPixels(buf: ArrayBuffer, index: EmojiIndex, i: number): Uint8Array {
  assertEmojiBuffer(buf, index);
  return new Uint8Array(buf, emojiPixelOffset(index, i), index.bytesPerImage);
}

/** Validates parsed emoji32.json and returns it typed; errors say to rebuild. */
export function parseEmojiIndex(json: unknown): EmojiIndex {
  const idx = json as Partial<EmojiIndex> | null;
  const rebuild = 'rebuild it with `npm run data`';
  if (!idx || typeof idx !== 'object') throw new Error(`emoji32.json is not an object: ${rebuild}`);
  if (idx.format !== EMOJI_INDEX_FORMAT || (idx.version !== EMOJI_INDEX_VERSION && idx.version !== EMOJI_INDEX_VERSION_V2)) {
    throw new Error(
      `emoji32.json has format ${String(idx.format)} v${String(idx.version)}, expected ${EMOJI_INDEX_FORMAT} v${EMOJI_INDEX_VERSION} or v${EMOJI_INDEX_VERSION_V2}: ${rebuild}`,
    );
  }
  if (idx.width !== EMOJI_SIZE || idx.height !== EMOJI_SIZE || idx.channels !== EMOJI_CHANNELS) {
    throw new Error(`emoji32.json describes ${idx.width}×${idx.height}×${idx.channels} images, expected 32×32×3: ${rebuild}`);
  }
  if (idx.bytesPerImage !== EMOJI_BYTES_PER_IMAGE || !Array.isArray(idx.records) || idx.records.length !== idx.count) {
    throw new Error(`emoji32.json is inconsistent (bytesPerImage/count/records): ${rebuild}`);
  }
  return idx as EmojiIndex;
}
