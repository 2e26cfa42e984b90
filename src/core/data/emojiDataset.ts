// Emoji dataset format (pure, Node + browser): record/index types, skin-tone parsing and the emoji32.bin reader; follows the layout written by cli/data/buildEmojiDataset.ts.

/** Image side length of the stored dataset (pixels). */
export const EMOJI_SIZE = 32;
/** Stored channels: RGB, alpha already composited on white. */
export const EMOJI_CHANNELS = 3;
/** Bytes of one stored image: 32 × 32 × 3 = 3072. */
export const EMOJI_BYTES_PER_IMAGE = EMOJI_SIZE * EMOJI_SIZE * EMOJI_CHANNELS;
/** `format` tag of emoji32.json; bump `EMOJI_INDEX_VERSION` when the layout changes. */
export const EMOJI_INDEX_FORMAT = 'emoji32-rgb-u8';
export const EMOJI_INDEX_VERSION = 1;

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

/** One stored image (one vendor's rendering of one emoji or one of its skin-tone variants). */
export interface EmojiRecord {
  /** Row in emoji32.bin: pixels at byte offset index × 3072. */
  index: number;
  vendor: Vendor;
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
  /** Source PNG file name inside img/<vendor>/64/. */
  image: string;
}

/** Contents of emoji32.json. Pixels live in emoji32.bin: uint8 [count, 32, 32, 3], row-major, RGB. */
export interface EmojiIndex {
  format: typeof EMOJI_INDEX_FORMAT;
  version: typeof EMOJI_INDEX_VERSION;
  width: number;
  height: number;
  channels: number;
  count: number;
  bytesPerImage: number;
  /** Per-vendor image counts. */
  vendors: Partial<Record<Vendor, number>>;
  source: {
    packages: { name: string; version: string }[];
    sourceSize: number;
    /** How pixels were produced, e.g. "composite straight RGBA on white, then exact area average, plain sRGB". */
    resample: string;
  };
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
  if (idx.format !== EMOJI_INDEX_FORMAT || idx.version !== EMOJI_INDEX_VERSION) {
    throw new Error(
      `emoji32.json has format ${String(idx.format)} v${String(idx.version)}, expected ${EMOJI_INDEX_FORMAT} v${EMOJI_INDEX_VERSION}: ${rebuild}`,
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
