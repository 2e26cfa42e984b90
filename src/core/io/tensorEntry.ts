/** float32 views of safetensors entries: build F32/F16/BF16 entries from a Float32Array and read any numeric dtype back as float32. */
import { float32ArrayToBfloat16Bits, float32ArrayToFloat16Bits, bfloat16BitsToFloat32, float16BitsToFloat32 } from './float16';
import { DTYPE_BYTES, IS_LITTLE_ENDIAN, SafetensorsError, assertValidEntry, describe, expectedByteLength, type Dtype, type TensorEntry } from './safetensors';

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
