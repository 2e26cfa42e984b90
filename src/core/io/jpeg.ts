/** JPEG bytes of an RGBA image with jpeg-js (the encoder D3PO/DDPO's JPEG rewards are measured with), usable in a browser. */
import encodeJpeg from 'jpeg-js/lib/encoder.js';

/** Encodes RGBA (width × height × 4 bytes) at `quality` (1..100). */
export function encodeRgbaJpeg(data: Uint8Array | Uint8ClampedArray, width: number, height: number, quality = 95): Uint8Array {
  const g = globalThis as { Buffer?: unknown };
  // jpeg-js returns Buffer.from(bytes) when bundled as CommonJS; in a browser there is no Buffer, so lend it a minimal one.
  const lent = g.Buffer === undefined;
  if (lent) g.Buffer = { from: (a: ArrayLike<number>) => Uint8Array.from(a) };
  try {
    return new Uint8Array(encodeJpeg({ data, width, height }, quality).data);
  } finally {
    if (lent) delete g.Buffer;
  }
}
