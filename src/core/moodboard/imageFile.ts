/**
 * What a dropped file is, from its first bytes, before anything decodes it: PNG (signature + IHDR, PNG spec §5.2, §11.2.2)
 * or JPEG (SOI, then the first SOFn marker's height and width, ITU T.81 §B.2.2), its pixel size, and the limits the
 * moodboard takes. A file that is not one of these, is cut short, or is too large gets a sentence saying what to do.
 */

export type ImageFormat = 'png' | 'jpeg';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** The moodboard's limits: bytes per file and pixels per picture (a decoded 16 MP picture is 64 MB of RGBA). */
export const MOODBOARD_FILE_LIMITS = { maxBytes: 25 * 1024 * 1024, maxPixels: 16_000_000 } as const;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const u16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u32 = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];

/** PNG: the signature, then IHDR first with width and height (big-endian). null = not a PNG; 'short' = cut before IHDR. */
function pngHeader(b: Uint8Array): ImageHeader | 'short' | null {
  if (b.length < 8 || !PNG_SIGNATURE.every((x, i) => b[i] === x)) return null;
  if (b.length < 24) return 'short';
  if (String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') return 'short';
  return { format: 'png', width: u32(b, 16), height: u32(b, 20) };
}

/** SOFn markers that carry the frame size: C0–CF except C4 (DHT), C8 (JPG) and CC (DAC). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** JPEG: SOI, then marker segments up to the first SOFn (P, Y = height, X = width). null = not a JPEG; 'short' = no SOF found. */
function jpegHeader(b: Uint8Array): ImageHeader | 'short' | null {
  if (b.length < 3 || b[0] !== 0xff || b[1] !== 0xd8 || b[2] !== 0xff) return null;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return 'short'; // lost sync: damaged
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return 'short'; // end of image or scan data before any frame header
    const length = u16(b, i + 2);
    if (length < 2) return 'short';
    if (isSof(marker)) {
      if (i + 9 > b.length) return 'short';
      return { format: 'jpeg', height: u16(b, i + 5), width: u16(b, i + 7) };
    }
    i += 2 + length;
  }
  return 'short';
}

/** The file's format and pixel size, or a sentence saying why it cannot go on the moodboard and what to do. */
export function readImageHeader(name: string, bytes: Uint8Array): ImageHeader | { problem: string } {
  const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes.length > MOODBOARD_FILE_LIMITS.maxBytes) {
    return { problem: `${name} is ${mb(bytes.length)}; the moodboard takes files up to ${mb(MOODBOARD_FILE_LIMITS.maxBytes)}. Save a smaller copy (any size from 32 × 32 pixels works: it is scaled to 32 × 32) and add that.` };
  }
  const header = pngHeader(bytes) ?? jpegHeader(bytes);
  if (header == null) return { problem: `${name} is not a PNG or JPEG image. Add PNG or JPEG files (export other formats as PNG first).` };
  if (header === 'short') return { problem: `${name} looks like an image but is cut short or damaged, so its size cannot be read. Save it again as PNG or JPEG and add the new file.` };
  const { width, height } = header;
  if (width === 0 || height === 0) return { problem: `${name} says it is ${width} × ${height} pixels, which is empty or damaged. Save it again as PNG or JPEG and add the new file.` };
  if (width * height > MOODBOARD_FILE_LIMITS.maxPixels) {
    return { problem: `${name} is ${width} × ${height} pixels (${((width * height) / 1e6).toFixed(1)} megapixels); the moodboard takes pictures up to ${MOODBOARD_FILE_LIMITS.maxPixels / 1e6} megapixels. Scale it down (it becomes 32 × 32 anyway) and add it again.` };
  }
  return header;
}
