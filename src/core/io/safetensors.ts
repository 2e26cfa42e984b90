/** safetensors reader/writer following huggingface/safetensors README and safetensors/src/tensor.rs (docs/conventions.md §1.1). */

// Pure TypeScript on Uint8Array/ArrayBuffer: no DOM, Node or tfjs APIs, so it runs in Node, a page and a Worker.
//
// Layout: u64 little-endian header length N | N bytes of UTF-8 JSON, space-padded to a multiple of 8 | byte buffer.
// Decisions:
// - encode writes tensors back to back in insertion order (Map order; for a plain object, JS property order,
//   which lists integer-like names such as "0" first, so pass a Map when the order matters). The Rust writer
//   sorts by dtype then name instead; readers must not rely on either order, they use data_offsets.
// - encode omits `__metadata__` when there is no metadata key.
// - decode returns tensors in header text order, each `data` a fresh copy (never a view into the input), so
//   the input buffer can be transferred or reused and each tensor's bytes start at offset 0 of their own buffer.
// - decode validates like the Rust reader (contiguous, hole-free offsets covering the whole buffer) plus a strict
//   leading '{' and duplicate-key detection at every JSON depth; unknown fields inside a tensor entry are ignored,
//   as serde does.

import {
  float32ArrayToBfloat16Bits,
  float32ArrayToFloat16Bits,
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
} from './float16';

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** One tensor: dtype, row-major shape and raw little-endian bytes. */
export interface TensorEntry {
  dtype: Dtype;
  shape: number[];
  data: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

/** Every validation failure in this module throws this; the message says what is wrong and what to do. */
export class SafetensorsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SafetensorsError';
  }
}

/** Default header cap, the reference reader's MAX_HEADER_SIZE (100 MB). */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

export const METADATA_KEY = '__metadata__';

const DTYPE_BYTES: Readonly<Record<Dtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

const DTYPE_LIST = Object.keys(DTYPE_BYTES).join(', ');

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------------------------
// dtype and shape helpers

/** True if `value` names a supported dtype. */
export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

/** Bytes per element of `dtype`. */
export function dtypeByteSize(dtype: Dtype): number {
  return DTYPE_BYTES[dtype];
}

/** True if `shape` is an array of non-negative safe integers. */
function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** product(shape) * dtype size, or null when it exceeds Number.MAX_SAFE_INTEGER. */
function byteLengthOrNull(dtype: Dtype, shape: readonly number[]): number | null {
  let total = DTYPE_BYTES[dtype];
  for (const dim of shape) {
    total *= dim;
    if (!Number.isSafeInteger(total)) return null;
  }
  return total;
}

/** product(shape) * dtype size; throws SafetensorsError if the shape or the size is invalid. */
export function expectedByteLength(dtype: Dtype, shape: readonly number[], what = 'tensor'): number {
  if (!isValidShape(shape)) {
    throw new SafetensorsError(
      `safetensors: ${what} has shape ${describe(shape)}; a shape must be an array of non-negative integers (use [] for a scalar).`,
    );
  }
  const bytes = byteLengthOrNull(dtype, shape);
  if (bytes === null) {
    throw new SafetensorsError(
      `safetensors: ${what} with shape ${JSON.stringify(shape)} and dtype ${dtype} is larger than 2^53 bytes; the shape is corrupt, fix or re-export it.`,
    );
  }
  return bytes;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** Throws unless `entry` is a well-formed TensorEntry whose byte length matches its dtype and shape. */
function assertValidEntry(name: string, entry: TensorEntry): void {
  const what = `tensor ${JSON.stringify(name)}`;
  if (typeof entry !== 'object' || entry === null) {
    throw new SafetensorsError(`safetensors: ${what} is ${describe(entry)}; pass { dtype, shape, data: Uint8Array }.`);
  }
  if (!isDtype(entry.dtype)) {
    throw new SafetensorsError(
      `safetensors: ${what} has unknown dtype ${describe(entry.dtype)}; use one of ${DTYPE_LIST}.`,
    );
  }
  const expected = expectedByteLength(entry.dtype, entry.shape, what);
  if (!isUint8Array(entry.data)) {
    throw new SafetensorsError(
      `safetensors: ${what} data must be a Uint8Array of little-endian bytes; wrap a typed array x with new Uint8Array(x.buffer, x.byteOffset, x.byteLength), or use f32Entry().`,
    );
  }
  if (entry.data.byteLength !== expected) {
    throw new SafetensorsError(
      `safetensors: ${what} has ${entry.data.byteLength} bytes but dtype ${entry.dtype} with shape ${JSON.stringify(entry.shape)} needs ${expected}; fix the shape or the data.`,
    );
  }
}

function isUint8Array(value: unknown): value is Uint8Array {
  // toString tag instead of instanceof, so arrays from another realm (worker, vm) and Node Buffers pass.
  return Object.prototype.toString.call(value) === '[object Uint8Array]';
}

// ---------------------------------------------------------------------------------------------------------------
// UTF-8 (TextEncoder/TextDecoder are not in the ES2022 lib the core compiles against)

/** UTF-8 bytes of `text`; a lone surrogate becomes U+FFFD. */
export function encodeUtf8(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

/** Length of the UTF-8 sequence starting at `bytes[i]`, or 0 if it is not well-formed (RFC 3629 table). */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  let length: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) length = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 === 0xe0) lo = 0xa0; // overlong
    if (b0 === 0xed) hi = 0x9f; // surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 === 0xf0) lo = 0x90; // overlong
    if (b0 === 0xf4) hi = 0x8f; // > U+10FFFF
  } else return 0;
  if (i + length > bytes.length) return 0;
  const b1 = bytes[i + 1];
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < length; k++) {
    if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
  }
  return length;
}

/** Decodes well-formed UTF-8; returns the index of the first bad byte instead when it is not. */
function decodeUtf8Strict(bytes: Uint8Array): { text: string } | { badByte: number } {
  const chunks: string[] = [];
  let units: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) return { badByte: i };
    let cp = bytes[i];
    if (length === 2) cp = ((cp & 0x1f) << 6) | (bytes[i + 1] & 0x3f);
    else if (length === 3) cp = ((cp & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
    else if (length === 4) {
      cp = ((cp & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
    }
    if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else units.push(cp);
    if (units.length >= 8192) {
      chunks.push(String.fromCharCode(...units));
      units = [];
    }
    i += length;
  }
  chunks.push(String.fromCharCode(...units));
  return { text: chunks.join('') };
}

// ---------------------------------------------------------------------------------------------------------------
// JSON key scan (JSON.parse silently keeps the last duplicate and reorders integer-like keys)

interface KeyScan {
  /** Top-level keys in the order they appear in the text. */
  topLevelKeys: string[];
  /** First duplicate key found at any depth, with the top-level key it sits under (null at top level). */
  duplicate: { key: string; under: string | null } | null;
}

/** Index of the closing quote of the JSON string that opens at `text[start]`. */
function endOfJsonString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i;
    else i++;
  }
  return text.length - 1;
}

/** Scans already-validated JSON text for object keys; see KeyScan. */
function scanJsonKeys(text: string): KeyScan {
  interface Frame {
    keys: Set<string> | null;
    expectKey: boolean;
    lastKey: string | null;
  }
  const stack: Frame[] = [];
  const topLevelKeys: string[] = [];
  let topLevelOwner: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
      const end = endOfJsonString(text, i);
      if (top && top.keys && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (top.keys.has(key)) {
          return { topLevelKeys, duplicate: { key, under: stack.length === 1 ? null : topLevelOwner } };
        }
        top.keys.add(key);
        top.expectKey = false;
        top.lastKey = key;
        if (stack.length === 1) topLevelKeys.push(key);
      }
      i = end;
    } else if (c === '{' || c === '[') {
      if (stack.length === 1) topLevelOwner = top.lastKey;
      stack.push({ keys: c === '{' ? new Set() : null, expectKey: c === '{', lastKey: null });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' && top && top.keys) {
      top.expectKey = true;
    }
  }
  return { topLevelKeys, duplicate: null };
}

// ---------------------------------------------------------------------------------------------------------------
// encode

function entriesOf(tensors: Map<string, TensorEntry> | Record<string, TensorEntry>): [string, TensorEntry][] {
  if (tensors instanceof Map) return [...tensors.entries()];
  if (typeof tensors !== 'object' || tensors === null) {
    throw new SafetensorsError('safetensors: encodeSafetensors needs a Map or an object of name -> TensorEntry.');
  }
  return Object.entries(tensors);
}

function assertValidMetadataForEncode(metadata: Record<string, string> | undefined): [string, string][] {
  if (metadata === undefined) return [];
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new SafetensorsError('safetensors: metadata must be an object mapping strings to strings.');
  }
  const pairs = Object.entries(metadata);
  for (const [key, value] of pairs) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(
        `safetensors: metadata ${JSON.stringify(key)} is ${typeof value} ${describe(value)}, but __metadata__ maps strings to strings only; convert it with String() or JSON.stringify().`,
      );
    }
  }
  return pairs;
}

/** Header JSON text (unpadded), tensors in the given order with offsets laid back to back. */
function buildHeaderJson(entries: [string, TensorEntry][], metadataPairs: [string, string][]): string {
  const parts: string[] = [];
  if (metadataPairs.length > 0) {
    const body = metadataPairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${body}}`);
  }
  let offset = 0;
  for (const [name, entry] of entries) {
    const end = offset + entry.data.byteLength;
    const info = { dtype: entry.dtype, shape: entry.shape.map((d) => d + 0), data_offsets: [offset, end] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset = end;
  }
  return `{${parts.join(',')}}`;
}

/** `bytes` followed by spaces (0x20) up to a multiple of 8, as the Rust writer does. */
function padWithSpacesTo8(bytes: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil(bytes.length / 8) * 8).fill(0x20);
  padded.set(bytes);
  return padded;
}

/**
 * Serializes tensors (insertion order, back to back) and optional string metadata into a safetensors file.
 * Throws SafetensorsError on a bad name, dtype, shape, byte length or non-string metadata value.
 */
export function encodeSafetensors(
  tensors: Map<string, TensorEntry> | Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = entriesOf(tensors);
  for (const [name, entry] of entries) {
    if (name === METADATA_KEY) {
      throw new SafetensorsError(
        `safetensors: "${METADATA_KEY}" is reserved for string metadata; rename the tensor or pass the values as metadata.`,
      );
    }
    assertValidEntry(name, entry);
  }
  const metadataPairs = assertValidMetadataForEncode(metadata);
  const header = padWithSpacesTo8(encodeUtf8(buildHeaderJson(entries, metadataPairs)));
  const dataBytes = entries.reduce((sum, [, e]) => sum + e.data.byteLength, 0);
  const out = new Uint8Array(8 + header.length + dataBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, header.length % 0x100000000, true);
  view.setUint32(4, Math.floor(header.length / 0x100000000), true);
  out.set(header, 8);
  let cursor = 8 + header.length;
  for (const [, entry] of entries) {
    out.set(entry.data, cursor);
    cursor += entry.data.byteLength;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// decode

interface HeaderTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

function toBytes(input: ArrayBuffer | Uint8Array): Uint8Array {
  if (input instanceof ArrayBuffer || Object.prototype.toString.call(input) === '[object ArrayBuffer]') {
    return new Uint8Array(input as ArrayBuffer);
  }
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new SafetensorsError(
    `safetensors: decodeSafetensors needs an ArrayBuffer or Uint8Array, got ${describe(input)}; read the file with arrayBuffer() first.`,
  );
}

/** The u64 header length as a number; values past 2^53 come back as Infinity (always too large). */
function readHeaderLength(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  return high >= 0x200000 ? Infinity : high * 0x100000000 + low;
}

function readHeaderText(bytes: Uint8Array, headerLength: number, maxHeaderBytes: number): string {
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `safetensors: file is ${bytes.length} bytes, shorter than the 8-byte header length prefix; it is truncated or not a safetensors file.`,
    );
  }
  if (headerLength > maxHeaderBytes) {
    throw new SafetensorsError(
      `safetensors: header length ${headerLength} exceeds the ${maxHeaderBytes}-byte limit; the file is corrupt or not a safetensors file (raise maxHeaderBytes only if you trust it).`,
    );
  }
  if (8 + headerLength > bytes.length) {
    throw new SafetensorsError(
      `safetensors: header length ${headerLength} runs past the end of the ${bytes.length}-byte file; the file is truncated or not a safetensors file.`,
    );
  }
  const decoded = decodeUtf8Strict(bytes.subarray(8, 8 + headerLength));
  if ('badByte' in decoded) {
    throw new SafetensorsError(
      `safetensors: header is not valid UTF-8 (bad byte at file offset ${8 + decoded.badByte}); the file is corrupt.`,
    );
  }
  return decoded.text;
}

function parseHeaderJson(text: string): { json: Record<string, unknown>; keys: string[] } {
  if (!text.startsWith('{')) {
    throw new SafetensorsError(
      `safetensors: header must start with '{' but starts with ${describe(text.slice(0, 16))}; the file is corrupt or not a safetensors file.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(
      `safetensors: header is not valid JSON (${(err as Error).message}); the file is corrupt. Pad headers with spaces, never NUL bytes.`,
      { cause: err },
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError('safetensors: header JSON must be an object of name -> tensor info; the file is corrupt.');
  }
  const scan = scanJsonKeys(text);
  if (scan.duplicate) {
    const where = scan.duplicate.under === null ? 'at the top level' : `inside ${JSON.stringify(scan.duplicate.under)}`;
    throw new SafetensorsError(
      `safetensors: header has duplicate key ${JSON.stringify(scan.duplicate.key)} ${where}; the file is ambiguous, re-export it with unique names.`,
    );
  }
  return { json: json as Record<string, unknown>, keys: scan.topLevelKeys };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SafetensorsError(
      `safetensors: __metadata__ is ${describe(value)} but must be an object mapping strings to strings; the file is corrupt.`,
    );
  }
  const pairs = Object.entries(value);
  for (const [key, v] of pairs) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(
        `safetensors: __metadata__ ${JSON.stringify(key)} is ${describe(v)}, but metadata values must be strings; re-export with string values (e.g. JSON.stringify the value).`,
      );
    }
  }
  return Object.fromEntries(pairs) as Record<string, string>;
}

function isOffsetPair(value: unknown): value is [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((v) => Number.isSafeInteger(v) && v >= 0)
  );
}

/** Validates one header entry on its own (dtype, shape, offsets, byte length, bounds). */
function parseTensorInfo(name: string, value: unknown, bufferLength: number): HeaderTensor {
  const what = `tensor ${JSON.stringify(name)}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SafetensorsError(
      `safetensors: ${what} header entry is ${describe(value)}, expected {"dtype","shape","data_offsets"}; the file is corrupt.`,
    );
  }
  const info = value as Record<string, unknown>;
  if (!isDtype(info.dtype)) {
    throw new SafetensorsError(
      `safetensors: ${what} has unsupported dtype ${describe(info.dtype)}; supported: ${DTYPE_LIST}. Re-export with one of them (e.g. F32 or F16).`,
    );
  }
  const byteLength = expectedByteLength(info.dtype, info.shape as number[], what);
  const shape = (info.shape as number[]).map((d) => d + 0);
  const offsets = info.data_offsets;
  if (!isOffsetPair(offsets)) {
    throw new SafetensorsError(
      `safetensors: ${what} data_offsets ${describe(offsets)} must be two non-negative integers [begin, end]; the file is corrupt.`,
    );
  }
  const [begin, end] = offsets;
  if (begin > end) {
    throw new SafetensorsError(`safetensors: ${what} data_offsets [${begin}, ${end}] have begin > end; the file is corrupt.`);
  }
  if (end > bufferLength) {
    throw new SafetensorsError(
      `safetensors: ${what} data_offsets end ${end} is beyond the ${bufferLength}-byte data buffer; the file is truncated.`,
    );
  }
  if (end - begin !== byteLength) {
    throw new SafetensorsError(
      `safetensors: ${what} spans ${end - begin} bytes but dtype ${info.dtype} with shape ${JSON.stringify(shape)} needs ${byteLength}; the file is corrupt.`,
    );
  }
  return { name, dtype: info.dtype, shape, begin: begin + 0, end: end + 0 };
}

/** Requires the tensors, sorted by offsets, to tile [0, bufferLength) exactly: no overlap, gap or tail. */
function assertContiguousLayout(tensors: HeaderTensor[], bufferLength: number): void {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: HeaderTensor | null = null;
  for (const t of sorted) {
    if (t.begin < expected) {
      throw new SafetensorsError(
        `safetensors: tensor ${JSON.stringify(t.name)} [${t.begin}, ${t.end}] overlaps ${JSON.stringify(previous?.name)} [${previous?.begin}, ${previous?.end}]; the file is corrupt.`,
      );
    }
    if (t.begin > expected) {
      throw new SafetensorsError(
        `safetensors: ${t.begin - expected} unused bytes at buffer offset ${expected} before tensor ${JSON.stringify(t.name)}; tensors must be packed without gaps, the file is corrupt.`,
      );
    }
    expected = t.end;
    if (t.end > t.begin) previous = t;
  }
  if (expected !== bufferLength) {
    throw new SafetensorsError(
      `safetensors: tensors cover ${expected} of the ${bufferLength} data bytes; the file has ${bufferLength - expected} trailing bytes not owned by any tensor and is corrupt.`,
    );
  }
}

function decodeChecked(input: ArrayBuffer | Uint8Array, maxHeaderBytes: number): SafetensorsFile {
  const bytes = toBytes(input);
  const headerLength = bytes.length >= 8 ? readHeaderLength(bytes) : 0;
  const text = readHeaderText(bytes, headerLength, maxHeaderBytes);
  const { json, keys } = parseHeaderJson(text);
  const dataStart = 8 + headerLength;
  const bufferLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const infos: HeaderTensor[] = [];
  for (const key of keys) {
    if (key === METADATA_KEY) metadata = parseMetadata(json[key]);
    else infos.push(parseTensorInfo(key, json[key], bufferLength));
  }
  assertContiguousLayout(infos, bufferLength);
  const tensors = new Map<string, TensorEntry>();
  for (const t of infos) {
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: bytes.slice(dataStart + t.begin, dataStart + t.end) });
  }
  return { tensors, metadata };
}

/**
 * Parses and strictly validates a safetensors file. Tensors come back in header order, each with a copied
 * `data`. Throws SafetensorsError (never a partial result) on any malformed input.
 */
export function decodeSafetensors(
  bytes: ArrayBuffer | Uint8Array,
  opts?: { maxHeaderBytes?: number },
): SafetensorsFile {
  const maxHeaderBytes = opts?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!(maxHeaderBytes >= 0)) {
    throw new SafetensorsError(`safetensors: maxHeaderBytes must be a non-negative number, got ${describe(maxHeaderBytes)}.`);
  }
  try {
    return decodeChecked(bytes, maxHeaderBytes);
  } catch (err) {
    if (err instanceof SafetensorsError) throw err;
    throw new SafetensorsError(
      `safetensors: could not decode the file (${(err as Error)?.message ?? String(err)}); it is probably corrupt. Please report this if it is a valid file.`,
      { cause: err },
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// float convenience

function float32LittleEndianBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  if (IS_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } else {
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  }
  return out;
}

function uint16LittleEndianBytes(bits: Uint16Array): Uint8Array {
  const out = new Uint8Array(bits.length * 2);
  for (let i = 0; i < bits.length; i++) {
    out[2 * i] = bits[i] & 0xff;
    out[2 * i + 1] = bits[i] >>> 8;
  }
  return out;
}

/** A TensorEntry holding `data` (row-major, `shape`) converted to F32 (default), F16 or BF16, round-to-nearest-even. */
export function f32Entry(data: Float32Array, shape: number[], dtype: 'F32' | 'F16' | 'BF16' = 'F32'): TensorEntry {
  if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') {
    throw new SafetensorsError(`safetensors: f32Entry converts to F32, F16 or BF16 only, got ${describe(dtype)}.`);
  }
  const bytes = expectedByteLength(dtype, shape);
  const count = bytes / DTYPE_BYTES[dtype];
  if (data.length !== count) {
    throw new SafetensorsError(
      `safetensors: f32Entry got ${data.length} values for shape ${JSON.stringify(shape)} (${count} elements); pass matching data and shape.`,
    );
  }
  const shapeCopy = shape.map((d) => d + 0);
  if (dtype === 'F32') return { dtype, shape: shapeCopy, data: float32LittleEndianBytes(data) };
  const bits = dtype === 'F16' ? float32ArrayToFloat16Bits(data) : float32ArrayToBfloat16Bits(data);
  return { dtype, shape: shapeCopy, data: uint16LittleEndianBytes(bits) };
}

/** Reads element `i` of a little-endian `dtype` buffer as a number. */
function readElement(view: DataView, dtype: Dtype, i: number): number {
  switch (dtype) {
    case 'F64':
      return view.getFloat64(i * 8, true);
    case 'F32':
      return view.getFloat32(i * 4, true);
    case 'F16':
      return float16BitsToFloat32(view.getUint16(i * 2, true));
    case 'BF16':
      return bfloat16BitsToFloat32(view.getUint16(i * 2, true));
    case 'I64':
      return Number(view.getBigInt64(i * 8, true));
    case 'I32':
      return view.getInt32(i * 4, true);
    case 'I16':
      return view.getInt16(i * 2, true);
    case 'I8':
      return view.getInt8(i);
    case 'U8':
      return view.getUint8(i);
    case 'BOOL':
      return view.getUint8(i) === 0 ? 0 : 1;
  }
}

/** The tensor's values as a new Float32Array (any dtype; F64/I64/I32 values round to float32, BOOL gives 0/1). */
export function entryToFloat32(e: TensorEntry): Float32Array {
  assertValidEntry('entryToFloat32 input', e);
  const count = e.data.byteLength / DTYPE_BYTES[e.dtype];
  if (e.dtype === 'F32' && IS_LITTLE_ENDIAN) return new Float32Array(e.data.slice().buffer);
  const view = new DataView(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = readElement(view, e.dtype, i);
  return out;
}
