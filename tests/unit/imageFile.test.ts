// What a dropped file is, from its first bytes: PNG files written by pngjs and JPEGs written by jpeg-js (independent
// encoders) report their true size; text, cut-short files, zero sizes, over-large pictures and over-large files get a
// sentence that names the file and says what to do.
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { MOODBOARD_FILE_LIMITS, readImageHeader } from '../../src/core/moodboard/imageFile';

function png(width: number, height: number): Uint8Array {
  const p = new PNG({ width, height });
  p.data.fill(200);
  return new Uint8Array(PNG.sync.write(p));
}

function jpg(width: number, height: number): Uint8Array {
  return new Uint8Array(jpeg.encode({ data: Buffer.alloc(width * height * 4, 128), width, height }, 80).data);
}

/** The first 24 bytes of a PNG as the spec lays them out: signature, IHDR length 13, "IHDR", width, height (big-endian). */
function pngHead(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  return b;
}

describe('readImageHeader', () => {
  it('reads the size of real PNG and JPEG files', () => {
    expect(readImageHeader('a.png', png(37, 21))).toEqual({ format: 'png', width: 37, height: 21 });
    expect(readImageHeader('b.jpg', jpg(50, 13))).toEqual({ format: 'jpeg', width: 50, height: 13 });
    // the extension does not matter: the bytes do
    expect(readImageHeader('photo.png', jpg(8, 9))).toMatchObject({ format: 'jpeg', width: 8, height: 9 });
  });

  it('a text file is not an image, and the message says what to add', () => {
    const r = readImageHeader('notes.txt', new TextEncoder().encode('hello, this is not a picture'));
    expect(r).toEqual({ problem: expect.stringMatching(/^notes\.txt is not a PNG or JPEG image\. Add PNG or JPEG files/) });
    expect(readImageHeader('empty.png', new Uint8Array(0))).toEqual({ problem: expect.stringContaining('empty.png is not a PNG or JPEG image') });
  });

  it('a file cut short after its signature is damaged', () => {
    const cut = png(40, 40).slice(0, 20);
    expect(readImageHeader('cut.png', cut)).toEqual({ problem: expect.stringMatching(/cut\.png looks like an image but is cut short or damaged.*Save it again/) });
    const j = jpg(16, 16);
    expect(readImageHeader('cut.jpg', j.slice(0, 6))).toEqual({ problem: expect.stringContaining('cut short or damaged') });
  });

  it('zero width or height is refused', () => {
    expect(readImageHeader('zero.png', pngHead(0, 10))).toEqual({ problem: expect.stringContaining('0 × 10 pixels, which is empty or damaged') });
  });

  it('pictures over the pixel limit and files over the byte limit are refused with the numbers and what to do', () => {
    expect(readImageHeader('ok.png', pngHead(4000, 4000))).toEqual({ format: 'png', width: 4000, height: 4000 }); // exactly 16 MP
    const big = readImageHeader('huge.png', pngHead(6000, 4000));
    expect(big).toEqual({ problem: expect.stringMatching(/^huge\.png is 6000 × 4000 pixels \(24\.0 megapixels\); the moodboard takes pictures up to 16 megapixels\. Scale it down/) });
    const heavy = new Uint8Array(MOODBOARD_FILE_LIMITS.maxBytes + 1);
    heavy.set(png(2, 2));
    expect(readImageHeader('heavy.png', heavy)).toEqual({ problem: expect.stringMatching(/^heavy\.png is 25\.0 MB; the moodboard takes files up to 25\.0 MB\. Save a smaller copy/) });
  });
});
