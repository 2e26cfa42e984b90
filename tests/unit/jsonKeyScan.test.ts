// Tests for src/core/io/jsonKeyScan.ts: top-level key order and duplicate detection checked against keys known by
// construction on seeded random JSON (escapes, integer-like keys, nesting, random whitespace), and the scan of a
// legal 99 MB space-padded safetensors header in well under a second (it took 5–13 s character by character).
import { describe, expect, it } from 'vitest';
import { scanJsonKeys } from '../../src/core/io/jsonKeyScan';
import { decodeSafetensors } from '../../src/core/io/safetensors';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0; // mulberry32
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEY_PARTS = ['a', 'w', '"', '\\', '\\"', '{', '}', '[', ',', ':', ' ', '7', 'é', '\u2028', '\n', '__proto__', 'lora_A'];

describe('scanJsonKeys', () => {
  it('fuzz (seed 6): top-level keys in text order and the first duplicate at any depth, as built', () => {
    const r = rng(6);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
    const ws = () => ' \t\n\r'.slice(0, Math.floor(r() * 5)).repeat(Math.floor(r() * 3));
    const randomKey = () => (r() < 0.2 ? String(Math.floor(r() * 20)) : Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(KEY_PARTS)).join(''));
    /** JSON text of a random value; `dup` (when given) is a key repeated inside this object, to be found by the scan. */
    const value = (depth: number): string => {
      const kind = depth > 2 ? Math.floor(r() * 3) : Math.floor(r() * 5);
      if (kind === 0) return JSON.stringify(randomKey());
      if (kind === 1) return String(Math.floor(r() * 1e6) / 100);
      if (kind === 2) return pick(['true', 'false', 'null']);
      if (kind === 3) return `[${ws()}${Array.from({ length: Math.floor(r() * 3) }, () => value(depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
      const keys = [...new Set(Array.from({ length: Math.floor(r() * 4) }, randomKey))];
      return `{${ws()}${keys.map((k) => `${JSON.stringify(k)}${ws()}:${ws()}${value(depth + 1)}`).join(`${ws()},${ws()}`)}${ws()}}`;
    };
    let duplicates = 0;
    for (let n = 0; n < 500; n++) {
      const keys = [...new Set(Array.from({ length: 1 + Math.floor(r() * 6) }, randomKey))];
      const values = keys.map(() => value(1));
      const mode = Math.floor(r() * 3); // 0: none, 1: duplicate at the top level, 2: inside the last key's object
      let expected: { key: string; under: string | null } | null = null;
      let topKeys = keys;
      if (mode === 1 && keys.length > 1) {
        const dupAt = 1 + Math.floor(r() * (keys.length - 1));
        expected = { key: keys[dupAt - 1], under: null };
        keys.splice(dupAt, 0, keys[dupAt - 1]);
        values.splice(dupAt, 0, value(1));
        topKeys = keys.slice(0, dupAt);
      } else if (mode === 2) {
        const k = randomKey();
        values[values.length - 1] = `{${JSON.stringify(k)}:${value(2)},${ws()}${JSON.stringify(k)}${ws()}:1}`;
        expected = { key: k, under: keys[keys.length - 1] };
      }
      const text = `{${ws()}${keys.map((k, i) => `${JSON.stringify(k)}${ws()}:${ws()}${values[i]}`).join(`${ws()},${ws()}`)}${ws()}}${ws()}`;
      JSON.parse(text); // the generator writes valid JSON
      const scan = scanJsonKeys(text);
      expect(scan.duplicate, text).toEqual(expected);
      if (expected) duplicates++;
      if (!expected || expected.under !== null) expect(scan.topLevelKeys, text).toEqual(keys);
      else expect(scan.topLevelKeys, text).toEqual(topKeys);
    }
    expect(duplicates).toBeGreaterThan(200);
  });

  it('scans a 99 MB space-padded header in under a second, padding after, inside and between entries', () => {
    const entry = '"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    const pad = ' '.repeat(33_000_000);
    // Decoded from bytes, as decodeSafetensors gets its header text (a flat string, not a concatenation).
    const texts = [`{"__metadata__":{"a":"b"},${entry}}${pad}${pad}${pad}`, `{${pad}"__metadata__"${pad}:{"a":"b"},${pad}${entry}}`].map((t) =>
      new TextDecoder().decode(new TextEncoder().encode(t)),
    );
    for (const text of texts) {
      const t0 = performance.now();
      const scan = scanJsonKeys(text);
      const ms = performance.now() - t0;
      expect(scan).toEqual({ topLevelKeys: ['__metadata__', 'w'], duplicate: null });
      expect(ms).toBeLessThan(1000);
    }
  });

  it('decodeSafetensors still reports a duplicate hidden behind 99 MB of padding', () => {
    const header = `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},${' '.repeat(99_000_000)}"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`;
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setUint32(0, header.length, true);
    bytes.set(new TextEncoder().encode(header), 8);
    expect(() => decodeSafetensors(bytes)).toThrow(/duplicate key "w" at the top level/);
  });
});
