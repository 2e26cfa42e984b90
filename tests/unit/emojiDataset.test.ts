// Tests for the emoji dataset: area downsample, builder output on real emoji, reader, the v1 build unchanged (hashes, shipped vocabulary), captions, vocab/tokenizer, split and flip policy; follows src/core/data + cli/data.

import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  areaDownsample,
  buildEmojiDataset,
  packageRoot,
  planEmojiRecords,
  readPngRgba,
  type EmojiDataEntry,
} from '../../cli/data/buildEmojiDataset';
import {
  buildVocab,
  canFlip,
  captionFor,
  captionVariants,
  fnv1a32,
  isHeldOut,
  normalizeText,
  promptCoverage,
  tokenize,
} from '../../src/core/data/captions';
import {
  EMOJI_BYTES_PER_IMAGE,
  parseEmojiIndex,
  readEmojiPixels,
  skinTonesOf,
  type EmojiIndex,
  type EmojiRecord,
  type Vendor,
} from '../../src/core/data/emojiDataset';

/** Deterministic uint8 noise. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Independent reference: composite on white, replicate each pixel outW×outH times (a (w·outW)×(h·outH) grid), then average w×h blocks. */
function referenceDownsample(rgba: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH * 3);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let by = oy * h; by < (oy + 1) * h; by++) {
          for (let bx = ox * w; bx < (ox + 1) * w; bx++) {
            const s = (Math.floor(by / outH) * w + Math.floor(bx / outW)) * 4;
            const a = rgba[s + 3];
            sum += (rgba[s + c] * a + 255 * (255 - a)) / 255;
          }
        }
        out[(oy * outW + ox) * 3 + c] = Math.round(sum / (w * h));
      }
    }
  }
  return out;
}

describe('areaDownsample', () => {
  it('matches 2×2 box averaging of white-composited pixels on a synthetic 64×64 image', () => {
    const rgba = noise(64 * 64 * 4, 7);
    const out = areaDownsample(rgba, 64, 64, 32, 32); // [32, 32, 3]
    expect(out.length).toBe(32 * 32 * 3);
    expect([...out]).toEqual([...referenceDownsample(rgba, 64, 64, 32, 32)]);
  });

  it('handles fractional footprints exactly (5×5 → 3×3 and 7×4 → 3×2)', () => {
    for (const [w, h, ow, oh] of [[5, 5, 3, 3], [7, 4, 3, 2]]) {
      const rgba = noise(w * h * 4, w * 31 + h);
      expect([...areaDownsample(rgba, w, h, ow, oh)]).toEqual([...referenceDownsample(rgba, w, h, ow, oh)]);
    }
  });

  it('composites transparency on white and keeps opaque colours', () => {
    const rgba = new Uint8Array(4 * 4 * 4);
    for (let i = 0; i < 16; i++) rgba.set(i < 8 ? [10, 20, 30, 0] : [200, 100, 50, 255], i * 4); // top half transparent
    const out = areaDownsample(rgba, 4, 4, 2, 2);
    expect([...out]).toEqual([255, 255, 255, 255, 255, 255, 200, 100, 50, 200, 100, 50]);
  });

  it('rejects mismatched input with a clear message', () => {
    expect(() => areaDownsample(new Uint8Array(10), 4, 4, 2, 2)).toThrow(/expected 4×4×4/);
  });
});

describe('buildEmojiDataset on real emoji', () => {
  const codes = ['1F600', '1F44D', '1F1E7-1F1F7']; // grinning face, thumbs up (+5 tones), Brazil flag
  let dir: string;
  let index: EmojiIndex;
  let buf: ArrayBuffer;
  let result: Awaited<ReturnType<typeof buildEmojiDataset>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emoji32-test-'));
    result = await buildEmojiDataset({ outDir: dir, codes });
    index = parseEmojiIndex(JSON.parse(await readFile(join(dir, 'emoji32.json'), 'utf8')));
    buf = new Uint8Array(await readFile(join(dir, 'emoji32.bin'))).buffer; // own copy: a plain ArrayBuffer
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes N×32×32×3 bytes and a matching index', () => {
    expect(result.count).toBe(16); // (1 + 6 + 1) per vendor
    expect(result.perVendor).toEqual({ google: 8, twitter: 8 });
    expect(buf.byteLength).toBe(16 * 32 * 32 * 3);
    expect(result.bytes).toBe(buf.byteLength);
    expect(index.count).toBe(16);
    expect(index.records.map((r) => r.index)).toEqual([...Array(16).keys()]);
    expect(index.source.packages.map((p) => p.name)).toEqual(['emoji-datasource-google', 'emoji-datasource-twitter']);
  });

  it('records carry name, short names, keywords, category, vendor, tone and codes', () => {
    const thumb = index.records.find((r) => r.vendor === 'twitter' && r.unified === '1F44D-1F3FD')!;
    expect(thumb).toMatchObject({
      baseUnified: '1F44D',
      name: 'thumbs up',
      shortNames: ['+1', 'thumbsup'],
      category: 'People & Body',
      subcategory: 'hand-fingers-closed',
      skinTone: 'medium',
      skinTones: ['medium'],
      image: '1f44d-1f3fd.png',
    });
    expect(thumb.keywords).toEqual(['thumbs', 'up', '1', 'thumbsup', 'sign']); // CLDR words, short names, then the old Unicode name's extra words
    const grin = index.records.find((r) => r.unified === '1F600')!;
    expect(grin).toMatchObject({ skinTone: 'none', skinTones: [], sortOrder: 1, category: 'Smileys & Emotion' });
  });

  it('has white corners where the artwork is transparent, and real content inside', () => {
    for (const r of index.records.filter((r) => r.unified === '1F600')) {
      const px = readEmojiPixels(buf, index, r.index); // [32, 32, 3]
      expect(px.length).toBe(EMOJI_BYTES_PER_IMAGE);
      for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31]]) {
        expect([...px.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)]).toEqual([255, 255, 255]);
      }
      expect(Math.min(...px)).toBeLessThan(100); // dark eyes/mouth
      expect(new Set(px).size).toBeGreaterThan(20);
    }
  });

  it('stores exactly areaDownsample of each source PNG at the recorded row', async () => {
    for (const r of index.records) {
      const vendor = r.vendor as Vendor; // a v1 build holds only the emoji-datasource vendors
      const png = await readPngRgba(join(packageRoot(vendor), 'img', vendor, '64', r.image));
      expect([png.width, png.height]).toEqual([64, 64]);
      const expected = areaDownsample(png.rgba, 64, 64, 32, 32);
      expect(Buffer.compare(Buffer.from(readEmojiPixels(buf, index, r.index)), Buffer.from(expected))).toBe(0);
    }
  });

  it('reader rejects out-of-range rows and mismatched buffers', () => {
    expect(() => readEmojiPixels(buf, index, 16)).toThrow(/out of range/);
    expect(() => readEmojiPixels(buf.slice(0, 3072), index, 0)).toThrow(/npm run data/);
    expect(() => parseEmojiIndex({ ...index, version: 99 })).toThrow(/npm run data/);
  });

  it('limit takes the first N base emoji in sort order for every vendor', async () => {
    const dir2 = await mkdtemp(join(tmpdir(), 'emoji32-limit-'));
    try {
      const res = await buildEmojiDataset({ outDir: dir2, limit: 3, vendors: ['google'] });
      expect(res.count).toBe(3);
      const idx = parseEmojiIndex(JSON.parse(await readFile(join(dir2, 'emoji32.json'), 'utf8')));
      expect(idx.records.map((r) => r.name)).toEqual(['grinning face', 'grinning face with big eyes', 'grinning face with smiling eyes']);
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  });
});

/** Whether the emoji-datasource devDependencies are installed (the real-build tests skip without them). */
function datasourceInstalled(): boolean {
  try {
    packageRoot('google');
    packageRoot('twitter');
    return true;
  } catch {
    return false;
  }
}

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

describe.skipIf(!datasourceInstalled())('the v1 build is unchanged by the multi-style (v2) work', () => {
  // Pinned from `npx tsx cli/data/buildEmojiDataset.ts --out DIR` at commit fcb6a39, before the v2 dataset existed,
  // with emoji-datasource-google/-twitter 16.0.0 and unicode-emoji-json 0.9.0; equal to the data/emoji32.* the shipped
  // model was trained on. A changed hash means `npm run data` no longer rebuilds the shipped model's data.
  const V1_BIN_SHA256 = 'b059dbc6c72540b9e7e8f3017257a9e18254e0286af4b4fc081cd123a7430d1e';
  const V1_JSON_SHA256 = 'acfd83a4f9ea66fe44255d1970c4068bbaadfd090d3d6bf10d2e9303e7c6fd8b';
  let dir: string;
  let result: Awaited<ReturnType<typeof buildEmojiDataset>>;
  let json: string;
  let bin: Uint8Array;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emoji32-v1-'));
    result = await buildEmojiDataset({ outDir: dir }); // the defaults of `npm run data`
    json = await readFile(join(dir, 'emoji32.json'), 'utf8');
    bin = new Uint8Array(await readFile(join(dir, 'emoji32.bin')));
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the same 7,572 images and byte-identical files', () => {
    expect(result.count).toBe(7572);
    expect(result.perVendor).toEqual({ google: 3786, twitter: 3786 });
    expect(sha256(bin)).toBe(V1_BIN_SHA256);
    expect(sha256(json)).toBe(V1_JSON_SHA256);
    const idx = parseEmojiIndex(JSON.parse(json));
    expect(idx.version).toBe(1);
    expect(idx.styles).toBeUndefined();
  });

  it('buildVocab over it is the shipped model vocabulary (config.json), with no v2 style word', async () => {
    const config = 'public/models/emoji-sd/config.json'; // tracked in git with the shipped weights
    const shipped = (JSON.parse(await readFile(config, 'utf8')) as { textEncoder: { vocab: string[] } }).textEncoder.vocab;
    const vocab = buildVocab(parseEmojiIndex(JSON.parse(json)).records);
    expect(vocab.length).toBe(2316);
    expect(vocab).toEqual(shipped);
    for (const w of ['openmoji', 'fluent', 'emojione', 'fxemoji', 'streamline']) expect(vocab).not.toContain(w);
  });
});

describe('metadata planning over the full emoji.json', () => {
  let entries: EmojiDataEntry[];
  beforeAll(async () => {
    entries = JSON.parse(await readFile(join(packageRoot('google'), 'emoji.json'), 'utf8')) as EmojiDataEntry[];
  });

  it('includes every flagged image: 3,786 per vendor, 7,572 in total', () => {
    const all = planEmojiRecords(entries, { vendors: ['google', 'twitter'] });
    expect(all.length).toBe(7572);
    expect(all.filter((r) => r.vendor === 'google').length).toBe(3786);
    expect(new Set(all.map((r) => `${r.vendor}/${r.image}`)).size).toBe(7572);
  });

  it('held-out split is stable across order and subsets, groups variants, and is ≈5%', () => {
    const all = planEmojiRecords(entries, { vendors: ['google', 'twitter'] });
    const reversed = planEmojiRecords([...entries].reverse(), { vendors: ['twitter'] });
    const subset = planEmojiRecords(entries.filter((_, i) => i % 3 === 0), { vendors: ['google'] });
    const decision = new Map(all.map((r) => [r.unified + r.vendor, isHeldOut(r)]));
    for (const r of [...reversed, ...subset]) expect(isHeldOut(r)).toBe(decision.get(r.unified + r.vendor));
    const byBase = new Map<string, Set<boolean>>();
    for (const r of all) byBase.set(r.baseUnified, (byBase.get(r.baseUnified) ?? new Set()).add(isHeldOut(r)));
    expect([...byBase.values()].every((s) => s.size === 1)).toBe(true);
    const heldBases = [...byBase.entries()].filter(([, s]) => s.has(true)).length;
    expect(heldBases).toBe(88); // pinned for emoji-data 16.0.0: the rule must never change silently
    expect(heldBases / byBase.size).toBeGreaterThan(0.03);
    expect(heldBases / byBase.size).toBeLessThan(0.07);
  });

  it('vocab over everything starts with <pad>, <unk> and is sorted and unique', () => {
    const vocab = buildVocab(planEmojiRecords(entries, { vendors: ['google', 'twitter'] }));
    expect(vocab.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    const words = vocab.slice(2);
    expect(words).toEqual([...new Set(words)].sort());
    expect(words).toEqual(expect.arrayContaining(['grinning', 'brazil', 'google', 'twitter', 'skin', 'tone', 'medium', 'asterisk']));
    expect(words.every((w) => /^[\p{Ll}\p{N}]+$/u.test(w))).toBe(true);
  });
});

describe('hashing', () => {
  it('fnv1a32 matches the reference vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
});

/** Minimal record for pure text tests. */
function rec(partial: Partial<EmojiRecord>): EmojiRecord {
  return {
    index: 0, vendor: 'google', unified: '1F600', baseUnified: '1F600', name: 'grinning face', shortNames: ['grinning'],
    keywords: ['grinning', 'face'], category: 'Smileys & Emotion', subcategory: 'face-smiling', skinTone: 'none',
    skinTones: [], sortOrder: 1, image: '1f600.png', ...partial,
  };
}

describe('captions', () => {
  const grin = rec({});
  const thumb = rec({ name: 'thumbs up sign', unified: '1F44D-1F3FD', baseUnified: '1F44D', skinTone: 'medium', skinTones: ['medium'], vendor: 'twitter' });
  const brazil = rec({ name: 'brazil flag', unified: '1F1E7-1F1F7', baseUnified: '1F1E7-1F1F7', category: 'Flags', subcategory: 'country-flag' });

  it('promptCoverage names exactly the words tokenize reads as <unk>, once each, and counts the words cut off', () => {
    const vocab = ['<pad>', '<unk>', 'face', 'google', 'grinning', 'heart', 'red', 'style'];
    const text = 'Red heart, FLUENT style; fluent grinning zebra face';
    const c = promptCoverage(text, vocab, 16);
    expect(c).toEqual({ unknown: ['fluent', 'zebra'], cutWords: 0 });
    // Independently: the ids tokenize gives, mapped back to words.
    const { ids, mask } = tokenize(text, vocab, 16);
    const words = normalizeText(text).split(' ');
    const unk = [...new Set(words.filter((_, i) => mask[i] === 1 && ids[i] === 1))];
    expect(c.unknown).toEqual(unk);
    // Beyond maxLen: not read, so neither unknown nor known — counted as cut.
    expect(promptCoverage('red heart zebra', vocab, 2)).toEqual({ unknown: [], cutWords: 1 });
    expect(promptCoverage('', vocab, 16)).toEqual({ unknown: [], cutWords: 0 });
  });

  it('normalises names', () => {
    expect(normalizeText('flag: brazil')).toBe('flag brazil');
    expect(normalizeText('KEYCAP: *')).toBe('keycap asterisk');
    expect(normalizeText('São Tomé & Príncipe Flag')).toBe('sao tome and principe flag');
    expect(normalizeText('RESCUE WORKER’S  HELMET')).toBe('rescue workers helmet');
    expect(normalizeText('  T-SHIRT ')).toBe('t shirt');
  });

  it('builds captions with optional skin tone and vendor words', () => {
    expect(captionFor(grin, { vendor: false, skinTone: true })).toBe('grinning face');
    expect(captionFor(grin, { vendor: true, skinTone: true })).toBe('grinning face, google style');
    expect(captionFor(thumb, { vendor: false, skinTone: true })).toBe('thumbs up sign, medium skin tone');
    expect(captionFor(thumb, { vendor: true, skinTone: true })).toBe('thumbs up sign, medium skin tone, twitter style');
    expect(captionFor(brazil, { vendor: false, skinTone: false })).toBe('brazil flag');
    const couple = rec({ name: 'kiss: woman, man', skinTones: ['light', 'medium-dark'], skinTone: 'light' });
    expect(captionFor(couple, { vendor: false, skinTone: true })).toBe('kiss woman man, light skin tone, medium dark skin tone');
    const same = rec({ name: 'kiss: man, man', skinTones: ['dark', 'dark'], skinTone: 'dark' });
    expect(captionFor(same, { vendor: false, skinTone: true })).toBe('kiss man man, dark skin tone');
  });

  it('rng drops allowed optional parts with probability 1/2', () => {
    expect(captionFor(thumb, { vendor: true, skinTone: true }, () => 0.9)).toBe('thumbs up sign');
    expect(captionFor(thumb, { vendor: true, skinTone: true }, () => 0.1)).toBe('thumbs up sign, medium skin tone, twitter style');
    expect(captionFor(thumb, { vendor: false, skinTone: false }, () => 0.1)).toBe('thumbs up sign');
  });

  it('lists caption variants, bare first', () => {
    expect(captionVariants(grin)).toEqual(['grinning face', 'grinning face, google style']);
    expect(captionVariants(thumb)).toEqual([
      'thumbs up sign',
      'thumbs up sign, medium skin tone',
      'thumbs up sign, twitter style',
      'thumbs up sign, medium skin tone, twitter style',
    ]);
  });

  it('reads skin tones from codepoints', () => {
    expect(skinTonesOf('1F44D')).toEqual([]);
    expect(skinTonesOf('1f44d-1f3fb')).toEqual(['light']);
    expect(skinTonesOf('1F469-1F3FC-200D-2764-FE0F-200D-1F468-1F3FF')).toEqual(['medium-light', 'dark']);
  });
});

describe('tokenize', () => {
  const vocab = buildVocab([rec({}), rec({ name: 'thumbs up sign', shortNames: ['+1', 'thumbsup'], keywords: ['thumbs', 'up', 'sign', '1', 'thumbsup'] })]);

  it('maps words, unknowns, padding and mask', () => {
    const { ids, mask } = tokenize('Grinning FACE, frobnicate!', vocab, 6);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(mask).toBeInstanceOf(Float32Array);
    expect([...ids]).toEqual([vocab.indexOf('grinning'), vocab.indexOf('face'), 1, 0, 0, 0]);
    expect([...mask]).toEqual([1, 1, 1, 0, 0, 0]);
    expect(vocab.indexOf('grinning')).toBeGreaterThan(1);
  });

  it('truncates to maxLen and handles empty text', () => {
    expect([...tokenize('thumbs up sign, medium skin tone', vocab, 3).mask]).toEqual([1, 1, 1]);
    expect([...tokenize('', vocab, 4).ids]).toEqual([0, 0, 0, 0]);
    expect([...tokenize('!!', vocab, 2).mask]).toEqual([0, 0]);
    expect(() => tokenize('x', vocab, 0)).toThrow(/positive integer/);
  });

  it('tokenizes every caption of the vocab records without <unk>', () => {
    const caption = captionFor(rec({ skinTones: ['medium-light'], vendor: 'twitter' }), { vendor: true, skinTone: true });
    expect([...tokenize(caption, vocab, 16).ids].filter((id) => id === 1)).toEqual([]);
  });
});

describe('canFlip', () => {
  const cases: [Partial<EmojiRecord>, boolean][] = [
    [{ name: 'grinning face' }, true],
    [{ name: 'thumbs up sign', category: 'People & Body', subcategory: 'hand-fingers-closed' }, true],
    [{ name: 'running shirt with sash', category: 'Activities', subcategory: 'award-medal' }, true],
    [{ name: 'brazil flag', category: 'Flags', subcategory: 'country-flag' }, false],
    [{ name: 'leftwards black arrow', category: 'Symbols', subcategory: 'arrow' }, false],
    [{ name: 'keycap 7', category: 'Symbols', subcategory: 'keycap' }, false],
    [{ name: 'squared cool', category: 'Symbols', subcategory: 'alphanum' }, false],
    [{ name: 'white left pointing backhand index', category: 'People & Body', subcategory: 'hand-single-finger' }, false],
    [{ name: 'clock face one oclock', category: 'Travel & Places', subcategory: 'time' }, false],
    [{ name: 'runner', category: 'People & Body', subcategory: 'person-activity' }, false],
    [{ name: 'hundred points symbol', subcategory: 'emotion' }, false],
    [{ name: 'medium white circle', category: 'Symbols', subcategory: 'geometric' }, true],
  ];
  it.each(cases)('%o → %s', (partial, expected) => {
    expect(canFlip(rec(partial))).toBe(expected);
  });
});
