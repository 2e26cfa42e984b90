/** safetensors reader/writer following huggingface/safetensors README and safetensors/src/tensor.rs. */

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

import {
  assertValidEntry,
  describe,
  DTYPE_LIST,
  expectedByteLength,
  isDtype,
  METADATA_KEY,
  DEFAULT_MAX_HEADER_BYTES,
  SafetensorsError,
  type Dtype,
  type SafetensorsFile,
  type TensorEntry,
} from './safetensorsTypes';

export {
  type Dtype,
  type TensorEntry,
  type SafetensorsFile,
  SafetensorsError,
  DEFAULT_MAX_HEADER_BYTES,
  METADATA_KEY,
  isDtype,
  expectedByteLength,
  describe,
  assertValidEntry,
};
export { DTYPE_BYTES, IS_LITTLE_ENDIAN, dtypeByteSize } from './safetensorsTypes';

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
