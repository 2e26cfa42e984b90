/** safetensors dtypes, entries and their validation (huggingface/safetensors README; huggingface.js packages/hub/src/lib/parse-safetensors-metadata.ts Dtype). */

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

export const DTYPE_LIST = Object.keys(DTYPE_BYTES).join(', ');

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
