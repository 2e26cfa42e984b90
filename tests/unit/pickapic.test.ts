/** Tests for src/core/preferences/pickapic.ts (and annotators.ts, io/base64.ts, io/zip.ts): Pick-a-Pic rows per vote kind, JPEG bytes, JSONL and zip round-trips, strict rejection of bad files, annotator averaging, and the zip codec against fflate. */
import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { unzipSync, zipSync } from 'fflate';
import { preferenceSigns } from '../../src/core/algorithms/d3po';
import {
  PickapicError,
  jsonlToRows,
  pairIdFromUids,
  pairsToPickapicRows,
  rowsToJsonl,
  rowsToZip,
  zipToRows,
  type PickapicLabelInput,
  type PickapicPairInput,
  type PickapicRow,
} from '../../src/core/preferences/pickapic';
import { mergeAnnotators } from '../../src/core/preferences/annotators';
import { decodeBase64, encodeBase64 } from '../../src/core/io/base64';
import { ZipError, readZip, writeZip } from '../../src/core/io/zip';

const enc = (s: string) => new TextEncoder().encode(s);

function rgba(seed: number): Uint8Array {
  return Uint8Array.from({ length: 32 * 32 * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * (seed + 3) + seed * 17) & 255));
}

function pair(id: string, prompt: string, group?: string): PickapicPairInput {
  return { id, prompt, modelId: 'emoji-sd', loraVersion: id === 'p4' ? null : 'round3', images: [rgba(id.length), rgba(id.charCodeAt(1))], ...(group ? { group } : {}) };
}

const pairs = [pair('p1', 'a cat', 'grid'), pair('p2', 'a cat', 'grid'), pair('p3', 'a dog'), pair('p4', 'a hat')];
const labels: PickapicLabelInput[] = [
  { pairId: 'p1', vote: 0, time: Date.UTC(2024, 0, 1) },
  { pairId: 'p2', vote: 1, time: Date.UTC(2024, 0, 2) },
  { pairId: 'p3', vote: 'tie', time: Date.UTC(2024, 0, 3) },
  { pairId: 'p4', vote: 'both-bad', time: Date.UTC(2024, 0, 4) },
  { pairId: 'gone', vote: 0, time: Date.UTC(2024, 0, 5) }, // pair pruned or deleted: left out
];

const rows = pairsToPickapicRows(pairs, labels, { userId: 7, modelNames: { 'emoji-sd@round3': 'studio-lora@round3' } });

describe('pairsToPickapicRows', () => {
  it('writes the Pick-a-Pic columns for win, lose, tie and both-bad', () => {
    expect(rows).toHaveLength(4);
    const pick = (r: PickapicRow) => [r.label_0, r.label_1, r.best_image_uid, r.studio_vote];
    expect(rows.map(pick)).toEqual([
      [1, 0, 'p1-0', 'image_0'],
      [0, 1, 'p2-1', 'image_1'],
      [0.5, 0.5, '', 'tie'],
      [0.5, 0.5, '', 'both-bad'],
    ]);
    expect(rows[0]).toMatchObject({
      caption: 'a cat',
      model_0: 'studio-lora@round3',
      model_1: 'studio-lora@round3',
      image_0_uid: 'p1-0',
      image_1_uid: 'p1-1',
      are_different: true,
      has_label: true,
      user_id: 7,
      created_at: '2024-01-01T00:00:00.000Z',
      num_example_per_prompt: 2,
    });
    expect(rows[3].model_0).toBe('emoji-sd'); // base model, no name given
    expect(rows.map((r) => r.ranking_id)).toEqual([0, 0, 1, 2]); // one best-of-k grid shares its id
    expect(rows.map((r) => r.num_example_per_prompt)).toEqual([2, 2, 1, 1]);
  });

  it('encodes real JPEGs that decode to the 32×32 image', () => {
    for (const r of rows) {
      for (const j of [r.jpg_0, r.jpg_1]) {
        expect(j.length).toBeGreaterThan(0);
        expect([j[0], j[1]]).toEqual([0xff, 0xd8]);
        const img = jpeg.decode(j, { useTArray: true });
        expect([img.width, img.height]).toEqual([32, 32]);
      }
    }
    const back = jpeg.decode(rows[0].jpg_0, { useTArray: true });
    const src = pairs[0].images[0];
    let err = 0;
    for (let i = 0; i < src.length; i += 4) err += Math.abs(back.data[i] - src[i]);
    expect(err / (src.length / 4)).toBeLessThan(60); // lossy but the same picture
  });

  it('explains what to do with PNG or odd-sized images', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    expect(() => pairsToPickapicRows([{ ...pairs[0], images: [png, png] }], [labels[0]])).toThrow(/PNG; pass decodeImage/);
    expect(() => pairsToPickapicRows([{ ...pairs[0], images: [new Uint8Array(30), rgba(1)] }], [labels[0]])).toThrow(/not a square RGBA image/);
    const decoded = pairsToPickapicRows([{ ...pairs[0], images: [png, png] }], [labels[0]], { decodeImage: () => ({ data: rgba(2), width: 32, height: 32 }) });
    expect(decoded[0].jpg_0[0]).toBe(0xff);
  });
});

describe('JSONL', () => {
  it('round-trips every field, from text and from bytes', () => {
    const text = rowsToJsonl(rows);
    expect(text.trim().split('\n')).toHaveLength(4);
    const first = JSON.parse(text.split('\n')[0]);
    expect(Object.keys(first)).toContain('jpg_0');
    expect(typeof first.jpg_0).toBe('string');
    expect(jsonlToRows(text)).toEqual(rows);
    expect(jsonlToRows(enc(text))).toEqual(rows);
    expect(jsonlToRows('')).toEqual([]);
  });

  it('rejects missing columns, wrong types, bad base64, non-JPEG bytes and bad JSON, naming the line', () => {
    const lines = rowsToJsonl(rows).trim().split('\n');
    const edit = (i: number, f: (o: Record<string, unknown>) => void) => {
      const o = JSON.parse(lines[i]);
      f(o);
      return [...lines.slice(0, i), JSON.stringify(o), ...lines.slice(i + 1)].join('\n');
    };
    const cases: [string, RegExp][] = [
      [edit(1, (o) => delete o.label_0), /line 2: column "label_0" must be a number in \[0, 1\], got nothing \(the column is missing\)/],
      [edit(0, (o) => (o.user_id = '7')), /line 1: column "user_id" must be an integer/],
      [edit(2, (o) => (o.are_different = 1)), /line 3: column "are_different" must be true or false/],
      [edit(0, (o) => (o.jpg_1 = 'not*base64!')), /line 1: column "jpg_1" is not valid base64/],
      [edit(0, (o) => (o.jpg_0 = encodeBase64(enc('hello world')))), /line 1: jpg_0 is not JPEG data/],
      [edit(0, (o) => (o.label_1 = 0.7)), /label_0 \+ label_1 must be 1/],
      [edit(3, (o) => (o.studio_vote = 'image_0')), /contradicts label_0/],
      [edit(0, (o) => (o.created_at = 'yesterday')), /not a date/],
      [lines[0] + '\n{"caption": ', /line 2: not valid JSON/],
    ];
    for (const [text, message] of cases) {
      expect(() => jsonlToRows(text)).toThrow(PickapicError);
      expect(() => jsonlToRows(text)).toThrow(message);
    }
    expect(() => jsonlToRows(Uint8Array.from([0x7b, 0xff, 0x7d]))).toThrow(/not UTF-8/);
  });

  it('base64 matches Node and rejects malformed text', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) & 255);
      expect(encodeBase64(b)).toBe(Buffer.from(b).toString('base64'));
      expect(decodeBase64(encodeBase64(b))).toEqual(b);
    }
    for (const bad of ['abc', 'ab=c', '====', 'a===', 'ab c', 'é123']) expect(decodeBase64(bad)).toBeNull();
  });
});

describe('zip', () => {
  it('round-trips rows through metadata.jsonl + images/<uid>.jpg, readable by other zip tools', () => {
    const zip = rowsToZip(rows);
    const files = unzipSync(zip); // an independent reader accepts it
    expect(Object.keys(files).sort()).toEqual(['images/p1-0.jpg', 'images/p1-1.jpg', 'images/p2-0.jpg', 'images/p2-1.jpg', 'images/p3-0.jpg', 'images/p3-1.jpg', 'images/p4-0.jpg', 'images/p4-1.jpg', 'metadata.jsonl']);
    const meta = new TextDecoder().decode(files['metadata.jsonl']).trim().split('\n').map((l) => JSON.parse(l));
    expect(meta[0]).toMatchObject({ jpg_0_file_name: 'images/p1-0.jpg', jpg_1_file_name: 'images/p1-1.jpg', label_0: 1 });
    expect(meta[0]).not.toHaveProperty('jpg_0');
    expect(files['images/p2-1.jpg']).toEqual(rows[1].jpg_1);
    expect(zipToRows(zip)).toEqual(rows);
  });

  it('reads a deflated zip made by another tool, with the data in a folder', () => {
    const files = readZip(rowsToZip(rows));
    const foreign = zipSync(Object.fromEntries([...files].map(([n, d]) => [`export/${n}`, d])), { level: 9 });
    expect(zipToRows(foreign)).toEqual(rows);
  });

  it('rejects a bad zip, a zip without metadata, and a missing image', () => {
    const zip = rowsToZip(rows);
    const damaged = zip.slice();
    damaged[60] ^= 0x55; // inside metadata.jsonl's deflated data
    const noMeta = writeZip([{ name: 'images/a.jpg', data: rows[0].jpg_0 }]);
    const files = readZip(zip);
    files.delete('images/p3-1.jpg');
    const missing = writeZip([...files].map(([name, data]) => ({ name, data })));
    expect(() => zipToRows(zip.slice(0, zip.length - 10))).toThrow(/cannot be read/);
    expect(() => zipToRows(damaged)).toThrow(/cannot be read: .*(CRC-32|does not decompress)/);
    expect(() => zipToRows(enc('not a zip at all, just some text'))).toThrow(PickapicError);
    expect(() => zipToRows(noMeta)).toThrow(/no metadata.jsonl/);
    expect(() => zipToRows(missing)).toThrow(/line 3: jpg_1_file_name points at "images\/p3-1.jpg", which is not in the zip/);
  });

  it('writeZip/readZip round-trip stored and deflated entries with UTF-8 names', () => {
    const entries = [
      { name: 'a.txt', data: enc('hello '.repeat(100)) },
      { name: 'dir/ünï.bin', data: Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255) },
      { name: 'empty', data: new Uint8Array(0) },
    ];
    const zip = writeZip(entries, { deflate: (n) => n.endsWith('.txt') });
    expect(zip.length).toBeLessThan(600 + 1000 + 200); // the text was deflated
    const back = readZip(zip);
    expect([...back.keys()]).toEqual(entries.map((e) => e.name));
    for (const e of entries) expect(back.get(e.name)).toEqual(e.data);
    expect(unzipSync(zip)['dir/ünï.bin']).toEqual(entries[1].data);
    expect(() => readZip(new Uint8Array(10))).toThrow(ZipError);
    expect(() => writeZip([entries[0], entries[0]])).toThrow(/named "a.txt"/);
  });
});

describe('bounded unpacking (zip bombs, newline floods)', () => {
  /** A zip whose one deflated entry declares `usize` bytes in both headers (what a bomb, or a lying header, does). */
  function declaring(usize: number, data = enc('hello '.repeat(100))): Uint8Array {
    const zip = writeZip([{ name: 'metadata.jsonl', data }], { deflate: () => true });
    const v = new DataView(zip.buffer);
    v.setUint32(22, usize, true); // local header: uncompressed size
    const cd = zip.length - 22 - (46 + 'metadata.jsonl'.length);
    expect(v.getUint32(cd, true)).toBe(0x02014b50);
    v.setUint32(cd + 24, usize, true); // central directory: uncompressed size
    return zip;
  }

  it('refuses an entry or an archive that would unpack past the limits, before inflating anything', () => {
    const big = { name: 'big.txt', data: enc('x'.repeat(5000)) };
    const zip = writeZip([big], { deflate: () => true });
    expect(zip.length).toBeLessThan(200);
    expect(() => readZip(zip, { maxEntryBytes: 4096 })).toThrow(/"big\.txt" would unpack to 5\.0 kB, more than the 4\.1 kB this studio reads per file; nothing was unpacked\. Split/);
    expect(readZip(zip, { maxEntryBytes: 5000 }).get('big.txt')).toEqual(big.data);
    const three = writeZip(['a', 'b', 'c'].map((name) => ({ name, data: enc(name.repeat(2000)) })), { deflate: () => true });
    expect(() => readZip(three, { maxTotalBytes: 5000 })).toThrow(/would unpack to more than 5\.0 kB in all \(at entry 3 of 3\)/);
    expect(readZip(three, { maxTotalBytes: 6000 }).size).toBe(3);
  });

  it('the default caps (256 MiB per file, 1 GiB in all) stop a header that claims 300 MB, quickly and with a clear message', () => {
    const t0 = performance.now();
    expect(() => readZip(declaring(300 * 1024 * 1024))).toThrow(/would unpack to 314\.6 MB, more than the 268\.4 MB this studio reads per file/);
    expect(() => zipToRows(declaring(300 * 1024 * 1024))).toThrow(/Pick-a-Pic zip cannot be read: Zip entry "metadata\.jsonl" would unpack/);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('a header that under-declares its entry gets a buffer of the declared size only, and fails its check', () => {
    const flood = declaring(1000, new Uint8Array(10_000_000)); // 10 MB of zeros declared as 1,000 bytes
    expect(flood.length).toBeLessThan(20_000);
    expect(() => readZip(flood)).toThrow(/fails its CRC-32 check/);
  });

  it('a 32 MB flood of newlines in metadata.jsonl (a 33 KB zip) is refused by line count, not split into an array', () => {
    const newlines = new Uint8Array(32_000_000).fill(0x0a);
    const zip = writeZip([{ name: 'metadata.jsonl', data: newlines }], { deflate: () => true });
    expect(zip.length).toBeLessThan(100_000);
    const t0 = performance.now();
    expect(() => zipToRows(zip)).toThrow(/metadata\.jsonl in the zip has more than 1,000,000 lines; a label export has one line per labeled pair\. Split it/);
    expect(() => jsonlToRows(newlines, 'flood.jsonl')).toThrow(/flood\.jsonl has more than 1,000,000 lines/);
    expect(() => jsonlToRows('\n'.repeat(1_500_000), 'flood.jsonl')).toThrow(/more than 1,000,000 lines/);
    expect(performance.now() - t0).toBeLessThan(5000);
    // Up to the cap, blank lines are skipped as before, and rows after them are read with their line numbers.
    const lines = rowsToJsonl(rows).trim().split('\n');
    const padded = '\n'.repeat(999_990) + lines.slice(0, 2).join('\n\n') + '\n\n\n';
    expect(jsonlToRows(padded)).toEqual(rows.slice(0, 2));
    expect(jsonlToRows(enc(padded))).toEqual(rows.slice(0, 2));
    expect(() => jsonlToRows(enc('\n'.repeat(999_990) + '{oops'))).toThrow(/line 999991: not valid JSON/);
  });

  it('reads UTF-8 bytes line by line: a bad byte is reported at its offset in the file; a BOM is accepted', () => {
    const text = rowsToJsonl(rows);
    const bytes = enc(text);
    const bad = bytes.slice();
    const at = text.indexOf('\n') + 5;
    bad[at] = 0xff;
    expect(() => jsonlToRows(bad, 'bad.jsonl')).toThrow(new RegExp(`bad\\.jsonl is not UTF-8 text \\(bad byte at offset ${at}\\)`));
    expect(jsonlToRows(Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes]))).toEqual(rows);
  });
});

describe('mergeAnnotators', () => {
  // rows[i] already holds pair i's JPEGs; relabel them instead of encoding again (same columns as pairsToPickapicRows).
  const kinds = { 0: [1, 0, 'image_0'], 1: [0, 1, 'image_1'], tie: [0.5, 0.5, 'tie'], 'both-bad': [0.5, 0.5, 'both-bad'] } as const;
  const labelsFor = (votes: PickapicLabelInput['vote'][]): PickapicRow[] =>
    votes.map((vote, i) => {
      const [label_0, label_1, studio_vote] = kinds[vote];
      const best_image_uid = label_0 === 1 ? rows[i].image_0_uid : label_1 === 1 ? rows[i].image_1_uid : '';
      return { ...rows[i], label_0, label_1, studio_vote, best_image_uid };
    });

  it('relabeled rows match what the exporter writes', () => {
    expect(labelsFor([0, 1, 'tie', 'both-bad'])).toEqual(rows);
  });

  it('two annotators who disagree average to 0.5: a tie D3PO skips', () => {
    const merged = mergeAnnotators([labelsFor([0, 1]), labelsFor([1, 1])]);
    expect(merged).toHaveLength(2);
    expect(merged[0]).toMatchObject({ pairId: 'p1', label_0: 0.5, label_1: 0.5, annotators: 2, vote: 'tie', weight: 0 });
    expect(preferenceSigns(merged[0].vote)).toEqual([0, 0]);
    expect(merged[1]).toMatchObject({ pairId: 'p2', label_0: 0, vote: 1, weight: 1 });
  });

  it('three annotators: the majority wins, weighted by agreement', () => {
    const merged = mergeAnnotators([labelsFor([0, 1, 'tie']), labelsFor([0, 0, 'both-bad']), labelsFor([1, 0, 0])]);
    expect(merged.map((m) => m.vote)).toEqual([0, 0, 0]);
    expect(merged[0].label_0).toBeCloseTo(2 / 3);
    expect(merged[0].weight).toBeCloseTo(1 / 3);
    expect(merged[2].label_0).toBeCloseTo((0.5 + 0.5 + 1) / 3);
  });

  it('matches pairs shown in either order and keeps trajectory order', () => {
    const a = labelsFor([0]);
    const swapped = a.map((r) => ({ ...r, image_0_uid: r.image_1_uid, image_1_uid: r.image_0_uid, jpg_0: r.jpg_1, jpg_1: r.jpg_0, label_0: r.label_1, label_1: r.label_0 }));
    const merged = mergeAnnotators([swapped, a]);
    expect(merged).toEqual([expect.objectContaining({ pairId: 'p1', image_0_uid: 'p1-0', label_0: 1, vote: 0, annotators: 2 })]);
  });

  it('both-bad from everyone stays both-bad; requireAll keeps pairs every file labeled; duplicates are refused', () => {
    expect(mergeAnnotators([labelsFor(['both-bad']), labelsFor(['both-bad'])])[0].vote).toBe('both-bad');
    expect(mergeAnnotators([labelsFor([0, 0]), labelsFor([0])], { requireAll: true }).map((m) => m.pairId)).toEqual(['p1']);
    expect(mergeAnnotators([labelsFor([0, 0]), labelsFor([0])]).map((m) => m.annotators)).toEqual([2, 1]);
    const one = labelsFor([0]);
    expect(() => mergeAnnotators([[...one, ...one]])).toThrow(/labels the pair \(p1-0, p1-1\) twice/);
  });

  it('recognises studio uids', () => {
    expect(pairIdFromUids('abc-1', 'abc-0')).toBe('abc');
    expect(pairIdFromUids('a-b-0', 'a-b-1')).toBe('a-b');
    expect(pairIdFromUids('x-0', 'y-1')).toBeNull();
    expect(pairIdFromUids('uuid-a', 'uuid-b')).toBeNull();
  });
});
