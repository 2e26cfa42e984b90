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

import { decodeUtf8Strict, encodeUtf8 } from './utf8';
import { scanJsonKeys } from './jsonKeyScan';

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

export const DTYPE_BYTES: Readonly<Record<Dtype, number>> = {
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

export const IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

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

export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** Throws unless `entry` is a well-formed TensorEntry whose byte length matches its dtype and shape. */
export function assertValidEntry(name: string, entry: TensorEntry): void {
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

export { encodeUtf8 } from './utf8';
