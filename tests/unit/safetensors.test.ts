/** Tests for src/core/io/safetensors.ts: round-trips, golden bytes per huggingface/safetensors, strict rejection of malformed files. */
import { describe, it, expect } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type Dtype,
  type TensorEntry,
} from '../../src/core/io/safetensors';
import { entryToFloat32, f32Entry } from '../../src/core/io/tensorEntry';

const utf8 = (s: string) => new TextEncoder().encode(s);
const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

/** A file built by hand: u64 LE length of `header` (or `declaredLength`), the header bytes, then `data`. */
function rawFile(header: string | Uint8Array, data: Uint8Array | number = 0, declaredLength?: number): Uint8Array {
  const headerBytes = typeof header === 'string' ? utf8(header) : header;
  const dataBytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + headerBytes.length + dataBytes.length);
  const view = new DataView(out.buffer);
  const n = declaredLength ?? headerBytes.length;
  view.setUint32(0, n % 2 ** 32, true);
  view.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(headerBytes, 8);
  out.set(dataBytes, 8 + headerBytes.length);
  return out;
}

/** A header entry as JSON text. */
function info(dtype: string, shape: unknown, offsets: unknown): string {
  return `{"dtype":${JSON.stringify(dtype)},"shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;
}

/** Runs decode and returns the SafetensorsError it throws; fails the test if it returns or throws anything else. */
function decodeError(bytes: Uint8Array | ArrayBuffer, opts?: { maxHeaderBytes?: number }): SafetensorsError {
  let thrown: unknown;
  try {
    decodeSafetensors(bytes, opts);
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'decodeSafetensors should have thrown').toBeInstanceOf(SafetensorsError);
  return thrown as SafetensorsError;
}

function encodeError(fn: () => unknown): SafetensorsError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'encode should have thrown').toBeInstanceOf(SafetensorsError);
  return thrown as SafetensorsError;
}

/** Deterministic pseudo-random bytes (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function patternBytes(length: number, seed: number): Uint8Array {
  const rand = prng(seed);
  return Uint8Array.from({ length }, () => Math.floor(rand() * 256));
}

const VALID_TWO_TENSORS = rawFile(`{"a":${info('F32', [2], [0, 8])},"b":${info('U8', [3], [8, 11])}}`, patternBytes(11, 1));

describe('encode/decode round-trip', () => {
  const sizes: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

  it('round-trips every dtype, a scalar and an empty tensor, with metadata, bit for bit', () => {
    const tensors = new Map<string, TensorEntry>();
    let seed = 10;
    for (const dtype of Object.keys(sizes) as Dtype[]) {
      const shape = [2, 3];
      tensors.set(`t.${dtype}`, { dtype, shape, data: patternBytes(6 * sizes[dtype], seed++) });
    }
    tensors.set('scalar', { dtype: 'F32', shape: [], data: patternBytes(4, seed++) });
    tensors.set('empty', { dtype: 'F16', shape: [0, 5], data: new Uint8Array(0) });
    tensors.set('bools', { dtype: 'BOOL', shape: [4], data: Uint8Array.from([0, 1, 1, 0]) });
    const metadata = { format: 'pt', ss_network_dim: '4', note: 'ünïcödé "quoted" \\ {braces}' };

    const decoded = decodeSafetensors(encodeSafetensors(tensors, metadata));

    expect([...decoded.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [name, entry] of tensors) {
      const got = decoded.tensors.get(name)!;
      expect(got.dtype, name).toBe(entry.dtype);
      expect(got.shape, name).toEqual(entry.shape);
      expect([...got.data], name).toEqual([...entry.data]);
    }
    expect(decoded.metadata).toEqual(metadata);
  });

  it('keeps insertion order, even for integer-like names that JS objects would reorder', () => {
    const tensors = new Map<string, TensorEntry>([
      ['b', f32Entry(new Float32Array([1]), [1])],
      ['10', f32Entry(new Float32Array([2]), [1])],
      ['2', f32Entry(new Float32Array([3]), [1])],
    ]);
    const bytes = encodeSafetensors(tensors);
    const header = ascii(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))));
    expect(header.indexOf('"b"')).toBeLessThan(header.indexOf('"10"'));
    expect(header.indexOf('"10"')).toBeLessThan(header.indexOf('"2"'));
    expect(header).toContain(`"2":${info('F32', [1], [8, 12])}`);
    const decoded = decodeSafetensors(bytes);
    expect([...decoded.tensors.keys()]).toEqual(['b', '10', '2']);
    expect([...entryToFloat32(decoded.tensors.get('2')!)]).toEqual([3]);
  });

  it('round-trips awkward tensor names and accepts a plain object', () => {
    const names = ['unet.down_blocks.0.attn1.to_q.lora_A.weight', 'we"ird{name}[]', 'back\\slash', 'emoji 🎨', ''];
    const record: Record<string, TensorEntry> = {};
    names.forEach((n, i) => (record[n] = f32Entry(new Float32Array([i, -i]), [2])));
    const decoded = decodeSafetensors(encodeSafetensors(record));
    expect(new Set(decoded.tensors.keys())).toEqual(new Set(names));
    expect([...entryToFloat32(decoded.tensors.get('emoji 🎨')!)]).toEqual([3, -3]);
  });

  it('omits __metadata__ when there is none and decodes it as {}', () => {
    const bytes = encodeSafetensors({ x: f32Entry(new Float32Array([1]), [1]) }, {});
    expect(ascii(bytes)).not.toContain('__metadata__');
    expect(decodeSafetensors(bytes).metadata).toEqual({});
  });

  it('encodes an empty file as the header {} padded to 8', () => {
    const bytes = encodeSafetensors(new Map());
    expect([...bytes]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...utf8('{}      ')]);
    expect(decodeSafetensors(bytes).tensors.size).toBe(0);
  });

  it('returns copies: decoded data owns its bytes and does not change when the input does', () => {
    const input = VALID_TWO_TENSORS.slice();
    const decoded = decodeSafetensors(input);
    const a = decoded.tensors.get('a')!;
    expect(a.data.buffer).not.toBe(input.buffer);
    expect(a.data.byteOffset).toBe(0);
    expect(a.data.buffer.byteLength).toBe(8);
    const before = [...a.data];
    input.fill(0);
    expect([...a.data]).toEqual(before);
  });

  it('accepts an ArrayBuffer and a Uint8Array view at a non-zero offset', () => {
    const embedded = new Uint8Array(VALID_TWO_TENSORS.length + 7);
    embedded.set(VALID_TWO_TENSORS, 3);
    const view = embedded.subarray(3, 3 + VALID_TWO_TENSORS.length);
    const fromView = decodeSafetensors(view);
    const fromBuffer = decodeSafetensors(VALID_TWO_TENSORS.slice().buffer);
    expect([...fromView.tensors.get('b')!.data]).toEqual([...VALID_TWO_TENSORS.subarray(-3)]); // b is the last 3 bytes
    expect([...fromBuffer.tensors.get('a')!.data]).toEqual([...fromView.tensors.get('a')!.data]);
  });
});

describe('golden bytes', () => {
  it('writes the exact length prefix, compact JSON, space padding and little-endian data', () => {
    const bytes = encodeSafetensors(new Map([['w', f32Entry(new Float32Array([1, -2]), [2])]]), { format: 'pt' });
    const json = '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(json.length).toBe(85); // counted by hand: pads to 88 with 3 spaces
    expect([...bytes.subarray(0, 8)]).toEqual([88, 0, 0, 0, 0, 0, 0, 0]);
    expect(ascii(bytes.subarray(8, 8 + 88))).toBe(`${json}   `);
    expect([...bytes.subarray(93, 96)]).toEqual([0x20, 0x20, 0x20]);
    // 1.0f = 0x3F800000, -2.0f = 0xC0000000, little-endian
    expect([...bytes.subarray(96)]).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
    expect(bytes.length).toBe(104);
  });

  it('pads every header to a multiple of 8 with spaces, never NUL', () => {
    for (let len = 1; len <= 9; len++) {
      const bytes = encodeSafetensors({ ['n'.repeat(len)]: f32Entry(new Float32Array([0]), [1]) });
      const n = new DataView(bytes.buffer).getUint32(0, true);
      expect(n % 8).toBe(0);
      const header = ascii(bytes.subarray(8, 8 + n));
      expect(header.trimEnd().endsWith('}')).toBe(true);
      expect(/^ *$/.test(header.slice(header.trimEnd().length))).toBe(true);
      expect(header.length - header.trimEnd().length).toBeLessThan(8);
    }
  });

  it('decodes the reference reader doc example (unpadded 60-byte header, I32 [2,2])', () => {
    // From safetensors/src/tensor.rs docs: b"<\x00\x00\x00\x00\x00\x00\x00{\"test\":{...}}" + 16 zero bytes
    const file = rawFile('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', 16);
    expect(file[0]).toBe('<'.charCodeAt(0));
    const decoded = decodeSafetensors(file);
    const t = decoded.tensors.get('test')!;
    expect(t.dtype).toBe('I32');
    expect(t.shape).toEqual([2, 2]);
    expect([...entryToFloat32(t)]).toEqual([0, 0, 0, 0]);
  });

  it('accepts tensors listed out of offset order in the header', () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5]);
    const decoded = decodeSafetensors(rawFile(`{"late":${info('U8', [2], [3, 5])},"early":${info('U8', [3], [0, 3])}}`, data));
    expect([...decoded.tensors.keys()]).toEqual(['late', 'early']);
    expect([...decoded.tensors.get('late')!.data]).toEqual([4, 5]);
    expect([...decoded.tensors.get('early')!.data]).toEqual([1, 2, 3]);
  });
});

describe('decode rejects malformed files with SafetensorsError', () => {
  it('file shorter than 8 bytes', () => {
    expect(decodeError(new Uint8Array(0)).message).toMatch(/0 bytes, shorter than the 8-byte/);
    expect(decodeError(new Uint8Array(7)).message).toMatch(/7 bytes, shorter than the 8-byte/);
  });

  it('header length larger than the file', () => {
    const file = rawFile('{}', 0, 1000);
    expect(decodeError(file).message).toMatch(/header length 1000 runs past the end of the 10-byte file/);
  });

  it('header length larger than maxHeaderBytes (explicit and default 100 MB, including u64 values past 2^53)', () => {
    const file = rawFile(`{"a":${info('U8', [1], [0, 1])}}`, 1);
    expect(decodeError(file, { maxHeaderBytes: 16 }).message).toMatch(/exceeds the 16-byte limit/);
    expect(decodeSafetensors(file, { maxHeaderBytes: 1024 }).tensors.size).toBe(1);
    expect(decodeError(rawFile('{}', 0, 100_000_001)).message).toMatch(/exceeds the 100000000-byte limit/);
    const huge = rawFile('{}');
    huge.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0);
    expect(decodeError(huge).message).toMatch(/exceeds the 100000000-byte limit/);
  });

  it('header that is not valid UTF-8 (bad byte, overlong encoding, encoded surrogate)', () => {
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const header = Uint8Array.from([...utf8('{"'), ...bad, ...utf8('":1}')]);
      expect(decodeError(rawFile(header)).message).toMatch(/not valid UTF-8 \(bad byte at file offset 10\)/);
    }
  });

  it('header that does not start with {', () => {
    expect(decodeError(rawFile(' {}')).message).toMatch(/must start with '\{'/);
    expect(decodeError(rawFile('[]')).message).toMatch(/must start with '\{'/);
    expect(decodeError(rawFile('')).message).toMatch(/must start with '\{'/);
  });

  it('header that is not valid JSON, including NUL padding', () => {
    expect(decodeError(rawFile('{"a":')).message).toMatch(/not valid JSON/);
    expect(decodeError(rawFile('{}\0\0\0\0\0\0')).message).toMatch(/not valid JSON.*spaces, never NUL/);
  });

  it('accepts trailing whitespace after the JSON', () => {
    expect(decodeSafetensors(rawFile('{}   \n\t ')).tensors.size).toBe(0);
  });

  it('header entry that is not an object', () => {
    expect(decodeError(rawFile('{"a":5}')).message).toMatch(/tensor "a" header entry is 5/);
    expect(decodeError(rawFile('{"a":[0,1]}')).message).toMatch(/tensor "a" header entry/);
  });

  it('unknown or malformed dtype', () => {
    expect(decodeError(rawFile(`{"a":${info('F8_E4M3', [1], [0, 1])}}`, 1)).message).toMatch(
      /tensor "a" has unsupported dtype "F8_E4M3"; supported: F64, F32/,
    );
    expect(decodeError(rawFile(`{"a":${info('f32', [1], [0, 4])}}`, 4)).message).toMatch(/unsupported dtype "f32"/);
    expect(decodeError(rawFile('{"a":{"dtype":7,"shape":[1],"data_offsets":[0,1]}}', 1)).message).toMatch(
      /unsupported dtype 7/,
    );
    expect(decodeError(rawFile('{"a":{"dtype":"toString","shape":[1],"data_offsets":[0,1]}}', 1)).message).toMatch(
      /unsupported dtype/,
    );
  });

  it('shape that is not an array of non-negative integers', () => {
    for (const shape of ['"2"', '-1', '[-1]', '[1.5]', '[null]', '["2"]', '{"0":2}']) {
      const header = `{"a":{"dtype":"U8","shape":${shape},"data_offsets":[0,2]}}`;
      expect(decodeError(rawFile(header, 2)).message, shape).toMatch(/tensor "a" has shape .* non-negative integers/);
    }
    const missing = '{"a":{"dtype":"U8","data_offsets":[0,2]}}';
    expect(decodeError(rawFile(missing, 2)).message).toMatch(/has shape undefined/);
  });

  it('data_offsets that are not two non-negative integers', () => {
    for (const offsets of ['[0]', '[0,1,2]', '[0,"1"]', '[0,1.5]', '[-1,1]', '"0,1"', 'null', '[0,1e300]']) {
      const header = `{"a":{"dtype":"U8","shape":[1],"data_offsets":${offsets}}}`;
      expect(decodeError(rawFile(header, 1)).message, offsets).toMatch(/data_offsets .* must be two non-negative integers/);
    }
  });

  it('data_offsets with begin > end', () => {
    expect(decodeError(rawFile(`{"a":${info('U8', [0], [2, 1])}}`, 2)).message).toMatch(/\[2, 1\] have begin > end/);
  });

  it('data_offsets ending beyond the buffer', () => {
    expect(decodeError(rawFile(`{"a":${info('F32', [2], [0, 8])}}`, 4)).message).toMatch(
      /end 8 is beyond the 4-byte data buffer; the file is truncated/,
    );
  });

  it('byte length that does not match product(shape) * dtype size', () => {
    expect(decodeError(rawFile(`{"a":${info('F32', [3], [0, 8])}}`, 8)).message).toMatch(
      /tensor "a" spans 8 bytes but dtype F32 with shape \[3\] needs 12/,
    );
    expect(decodeError(rawFile(`{"a":${info('F16', [], [0, 4])}}`, 4)).message).toMatch(/needs 2/);
    const overflow = `{"a":${info('F64', [2 ** 26, 2 ** 26, 2 ** 26], [0, 8])}}`;
    expect(decodeError(rawFile(overflow, 8)).message).toMatch(/larger than 2\^53 bytes/);
  });

  it('overlapping tensors', () => {
    const header = `{"a":${info('U8', [4], [0, 4])},"b":${info('U8', [4], [2, 6])}}`;
    expect(decodeError(rawFile(header, 6)).message).toMatch(/tensor "b" \[2, 6\] overlaps "a" \[0, 4\]/);
    const same = `{"a":${info('U8', [4], [0, 4])},"b":${info('U8', [4], [0, 4])}}`;
    expect(decodeError(rawFile(same, 4)).message).toMatch(/overlaps/);
  });

  it('gaps between tensors, before the first one, and trailing bytes after the last one', () => {
    const gap = `{"a":${info('U8', [2], [0, 2])},"b":${info('U8', [2], [3, 5])}}`;
    expect(decodeError(rawFile(gap, 5)).message).toMatch(/1 unused bytes at buffer offset 2 before tensor "b"/);
    const leading = `{"a":${info('U8', [2], [1, 3])}}`;
    expect(decodeError(rawFile(leading, 3)).message).toMatch(/1 unused bytes at buffer offset 0/);
    const trailing = new Uint8Array([...VALID_TWO_TENSORS, 0]);
    expect(decodeError(trailing).message).toMatch(/tensors cover 11 of the 12 data bytes; the file has 1 trailing bytes/);
    expect(decodeError(rawFile('{}', 3)).message).toMatch(/cover 0 of the 3 data bytes/);
  });

  it('__metadata__ values that are not strings, or __metadata__ that is not an object', () => {
    const numeric = `{"__metadata__":{"format":"pt","ss_network_dim":4},"a":${info('U8', [1], [0, 1])}}`;
    expect(decodeError(rawFile(numeric, 1)).message).toMatch(/__metadata__ "ss_network_dim" is 4, but metadata values must be strings/);
    for (const bad of ['[]', 'null', '"x"', '{"k":{"nested":"v"}}', '{"k":null}']) {
      const header = `{"__metadata__":${bad}}`;
      expect(decodeError(rawFile(header)).message, bad).toMatch(/__metadata__/);
    }
  });

  it('duplicate keys, which JSON.parse alone would silently accept', () => {
    const entry = info('F32', [2], [0, 8]);
    expect(decodeError(rawFile(`{"a":${entry},"a":${entry}}`, 8)).message).toMatch(
      /duplicate key "a" at the top level/,
    );
    expect(decodeError(rawFile(`{"a":${entry},"\\u0061":${entry}}`, 8)).message).toMatch(/duplicate key "a"/);
    expect(decodeError(rawFile(`{"__metadata__":{"k":"1"},"a":${entry},"__metadata__":{"k":"2"}}`, 8)).message).toMatch(
      /duplicate key "__metadata__"/,
    );
    expect(decodeError(rawFile(`{"__metadata__":{"k":"1","k":"2"},"a":${entry}}`, 8)).message).toMatch(
      /duplicate key "k" inside "__metadata__"/,
    );
    const dupField = '{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(decodeError(rawFile(dupField, 8)).message).toMatch(/duplicate key "dtype" inside "a"/);
  });

  it('does not mistake keys inside strings or nested values for duplicates', () => {
    const header =
      `{"__metadata__":{"a":"{\\"a\\":1,\\"a\\":2}","b":"x"},` +
      `"a":${info('U8', [1], [0, 1])},"x\\"a":${info('U8', [1], [1, 2])}}`;
    const decoded = decodeSafetensors(rawFile(header, 2));
    expect([...decoded.tensors.keys()]).toEqual(['a', 'x"a']);
    expect(decoded.metadata).toEqual({ a: '{"a":1,"a":2}', b: 'x' });
  });

  it('input that is not bytes', () => {
    expect(decodeError(null as unknown as Uint8Array).message).toMatch(/needs an ArrayBuffer or Uint8Array/);
    expect(decodeError('abc' as unknown as Uint8Array).message).toMatch(/needs an ArrayBuffer or Uint8Array/);
  });

  it('every truncation of a valid file fails cleanly', () => {
    const file = encodeSafetensors({ w: f32Entry(new Float32Array([1, 2, 3]), [3]) }, { k: 'v' });
    for (let len = 0; len < file.length; len++) decodeError(file.subarray(0, len));
  });

  it('random byte corruption either decodes or fails a specific validation, never another error', () => {
    const file = encodeSafetensors(
      new Map<string, TensorEntry>([
        ['a', f32Entry(new Float32Array([1, 2]), [2])],
        ['b', { dtype: 'I16', shape: [2, 1], data: patternBytes(4, 3) }],
      ]),
      { format: 'pt' },
    );
    const rand = prng(42);
    const unexpected: string[] = [];
    for (let trial = 0; trial < 400; trial++) {
      const copy = file.slice();
      const flips = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < flips; k++) copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
      try {
        decodeSafetensors(copy);
      } catch (err) {
        // The catch-all wrapper ("could not decode") would mean a validation step missed the corruption.
        if (!(err instanceof SafetensorsError) || /could not decode/.test(err.message)) unexpected.push(String(err));
      }
    }
    expect(unexpected).toEqual([]);
  });
});

describe('encode rejects bad input with SafetensorsError', () => {
  it('non-string metadata values', () => {
    const t = { w: f32Entry(new Float32Array([1]), [1]) };
    const err = encodeError(() => encodeSafetensors(t, { ss_network_dim: 4 } as unknown as Record<string, string>));
    expect(err.message).toMatch(/metadata "ss_network_dim" is number 4.*strings to strings only.*String\(\)/);
    expect(encodeError(() => encodeSafetensors(t, { a: null } as unknown as Record<string, string>)).message).toMatch(
      /metadata "a" is object null/,
    );
  });

  it('byte lengths that do not match the shape', () => {
    const err = encodeError(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Uint8Array(4) } }));
    expect(err.message).toMatch(/tensor "w" has 4 bytes but dtype F32 with shape \[2\] needs 8; fix the shape or the data/);
    expect(encodeError(() => encodeSafetensors({ s: { dtype: 'I64', shape: [], data: new Uint8Array(4) } })).message).toMatch(
      /needs 8/,
    );
  });

  it('unknown dtypes, bad shapes, non-Uint8Array data and the reserved name', () => {
    const bad = (entry: unknown) => ({ w: entry as TensorEntry });
    expect(encodeError(() => encodeSafetensors(bad({ dtype: 'F8', shape: [1], data: new Uint8Array(1) }))).message).toMatch(
      /unknown dtype "F8"; use one of F64, F32/,
    );
    expect(encodeError(() => encodeSafetensors(bad({ dtype: 'U8', shape: [-1], data: new Uint8Array(0) }))).message).toMatch(
      /shape \[-1\]; a shape must be an array of non-negative integers/,
    );
    expect(encodeError(() => encodeSafetensors(bad({ dtype: 'U8', shape: 3, data: new Uint8Array(3) }))).message).toMatch(
      /shape 3/,
    );
    expect(
      encodeError(() => encodeSafetensors(bad({ dtype: 'F32', shape: [1], data: new Float32Array([1]) }))).message,
    ).toMatch(/must be a Uint8Array.*f32Entry/);
    expect(encodeError(() => encodeSafetensors(bad(null))).message).toMatch(/tensor "w" is null/);
    expect(
      encodeError(() => encodeSafetensors({ __metadata__: f32Entry(new Float32Array([1]), [1]) })).message,
    ).toMatch(/"__metadata__" is reserved/);
  });
});

describe('f32Entry and entryToFloat32', () => {
  it('f32Entry writes little-endian F32, F16 and BF16 bytes', () => {
    const values = new Float32Array([1, -2, 65504, 2 ** -24]);
    expect([...f32Entry(values, [2, 2]).data.subarray(0, 8)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
    const f16 = f32Entry(values, [4], 'F16');
    expect(f16.dtype).toBe('F16');
    expect([...f16.data]).toEqual([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00]);
    const bf16 = f32Entry(new Float32Array([1, -2]), [2], 'BF16');
    expect([...bf16.data]).toEqual([0x80, 0x3f, 0x00, 0xc0]);
  });

  it('f32Entry rejects a data length that does not match the shape', () => {
    expect(encodeError(() => f32Entry(new Float32Array(5), [2, 2])).message).toMatch(
      /got 5 values for shape \[2,2\] \(4 elements\)/,
    );
  });

  it('f32Entry -> encode -> decode -> entryToFloat32 returns the (rounded) values', () => {
    const values = new Float32Array([0.1, -3.5, 1000, 1e-3]);
    const file = decodeSafetensors(
      encodeSafetensors(
        new Map([
          ['f32', f32Entry(values, [4])],
          ['f16', f32Entry(values, [4], 'F16')],
          ['bf16', f32Entry(values, [4], 'BF16')],
        ]),
      ),
    );
    expect([...entryToFloat32(file.tensors.get('f32')!)]).toEqual([...values]);
    const f16 = entryToFloat32(file.tensors.get('f16')!);
    expect([...f16]).toEqual([0.0999755859375, -3.5, 1000, 0.0010004043579101562]);
    const bf16 = entryToFloat32(file.tensors.get('bf16')!);
    expect([...bf16]).toEqual([0.10009765625, -3.5, 1000, 0.00099945068359375]);
  });

  it('entryToFloat32 reads every integer and float dtype little-endian', () => {
    const le = (bytes: number[]) => Uint8Array.from(bytes);
    const read = (dtype: Dtype, shape: number[], bytes: number[]) => [...entryToFloat32({ dtype, shape, data: le(bytes) })];
    expect(read('F64', [1], [0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f])).toEqual([Math.fround(0.1)]);
    expect(read('I64', [2], [0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 0, 0])).toEqual([-5, 2 ** 32]);
    expect(read('I32', [1], [0xff, 0xff, 0xff, 0x7f])).toEqual([Math.fround(2147483647)]);
    expect(read('I16', [2], [0xfd, 0xff, 0x00, 0x01])).toEqual([-3, 256]);
    expect(read('I8', [2], [0x80, 0x7f])).toEqual([-128, 127]);
    expect(read('U8', [2], [0xff, 0x01])).toEqual([255, 1]);
    expect(read('BOOL', [3], [0, 1, 2])).toEqual([0, 1, 1]);
    expect(read('F16', [], [0x00, 0x3c])).toEqual([1]);
    expect(read('BF16', [0], [])).toEqual([]);
  });

  it('entryToFloat32 reads F32 from a view at an odd byte offset', () => {
    const backing = new Uint8Array(9);
    backing.set([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0], 1);
    expect([...entryToFloat32({ dtype: 'F32', shape: [2], data: backing.subarray(1) })]).toEqual([1, -2]);
  });

  it('entryToFloat32 rejects an inconsistent entry', () => {
    expect(encodeError(() => entryToFloat32({ dtype: 'F32', shape: [3], data: new Uint8Array(8) })).message).toMatch(
      /has 8 bytes but dtype F32 with shape \[3\] needs 12/,
    );
  });
});
