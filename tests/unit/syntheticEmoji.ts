// Test fixture: a synthetic 32×32 emoji dataset on disk (discs = 'Smileys & Emotion', rectangles = 'Flags', two vendors, one of each held out), in the format `npm run data` writes.
import fs from 'node:fs';
import path from 'node:path';
import { isHeldOut } from '../../src/core/data/captions';
import { EMOJI_BYTES_PER_IMAGE, EMOJI_INDEX_FORMAT, EMOJI_INDEX_VERSION, type EmojiIndex, type EmojiRecord } from '../../src/core/data/emojiDataset';

/** First code point (hex, from `start`) whose held-out status is `held`. */
function codeWith(held: boolean, start: number): string {
  for (let i = start; ; i++) {
    const code = (0xe000 + i).toString(16).toUpperCase();
    if (isHeldOut({ baseUnified: code }) === held) return code;
  }
}

/** 6 emoji × 2 vendors (or the styles given): discs are 'Smileys & Emotion', squares 'Flags'; one of each held out. */
export function writeSyntheticDataset(dir: string, vendors: readonly EmojiRecord['vendor'][] = ['google', 'twitter']): EmojiRecord[] {
  const emoji = [
    { name: 'yellow face', category: 'Smileys & Emotion', color: [1, 0.8, 0], held: false },
    { name: 'red face', category: 'Smileys & Emotion', color: [0.9, 0.1, 0.1], held: false },
    { name: 'blue face', category: 'Smileys & Emotion', color: [0.1, 0.3, 0.9], held: true },
    { name: 'flag green', category: 'Flags', color: [0, 0.7, 0.2], held: false },
    { name: 'flag purple', category: 'Flags', color: [0.5, 0, 0.6], held: false },
    { name: 'flag orange', category: 'Flags', color: [1, 0.5, 0], held: true },
  ];
  const records: EmojiRecord[] = [];
  const pixels = new Uint8Array(emoji.length * vendors.length * EMOJI_BYTES_PER_IMAGE);
  let start = 0;
  emoji.forEach((e) => {
    const code = codeWith(e.held, start);
    start = parseInt(code, 16) - 0xe000 + 1;
    vendors.forEach((vendor, v) => {
      const index = records.length;
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) {
          const inside = e.category === 'Flags' ? Math.abs(x - 15.5) < 11 && Math.abs(y - 15.5) < 8 : (x - 15.5) ** 2 + (y - 15.5) ** 2 < (10 + v) ** 2;
          for (let c = 0; c < 3; c++) pixels[index * 3072 + (y * 32 + x) * 3 + c] = Math.round((inside ? e.color[c] : 1) * 255);
        }
      records.push({
        index, vendor, unified: code, baseUnified: code, name: e.name, shortNames: [], keywords: e.name.split(' '), category: e.category,
        subcategory: 'test', skinTone: 'none', skinTones: [], sortOrder: index, image: `${code.toLowerCase()}.png`,
      });
    });
  });
  const index: EmojiIndex = {
    format: EMOJI_INDEX_FORMAT, version: EMOJI_INDEX_VERSION, width: 32, height: 32, channels: 3, count: records.length,
    bytesPerImage: EMOJI_BYTES_PER_IMAGE, vendors: Object.fromEntries(vendors.map((v) => [v, emoji.length])), source: { packages: [], sourceSize: 64, resample: 'synthetic' }, records,
  };
  fs.writeFileSync(path.join(dir, 'emoji32.json'), JSON.stringify(index));
  fs.writeFileSync(path.join(dir, 'emoji32.bin'), pixels);
  return records;
}
