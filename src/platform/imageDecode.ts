// Decodes a PNG or JPEG file to straight-alpha RGBA8 in the page with the browser's own decoders: createImageBitmap without premultiplication or colour conversion (HTML Standard, "ImageBitmap" options), drawn into an OffscreenCanvas and read back with getImageData.
import type { RgbaPicture } from '../core/moodboard/fitImage';

/** Pixels of an image file; rejects with the browser's reason when it cannot decode it. */
export async function decodeImageFile(bytes: Uint8Array, mime: string): Promise<RgbaPicture> {
  const blob = new Blob([bytes.slice().buffer as ArrayBuffer], { type: mime });
  const bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    if (ctx == null) throw new Error('this browser gives no 2D canvas to read pixels from');
    ctx.drawImage(bitmap, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width, height, data };
  } finally {
    bitmap.close();
  }
}
