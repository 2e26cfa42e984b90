/** float32 <-> IEEE 754 binary16 (F16) and bfloat16 (BF16) bit conversion, round-to-nearest-even, following IEEE 754-2008 binary16 and the bfloat16 layout (top half of binary32). */

// Bit patterns are plain numbers in [0, 0xFFFF]; callers decide the byte order when they store them.

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The IEEE 754 binary32 bit pattern of `x` after rounding it to float32. */
export function float32Bits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0];
}

/** The float32 value whose bit pattern is `bits` (a u32). */
export function float32FromBits(bits: number): number {
  scratchU32[0] = bits >>> 0;
  return scratchF32[0];
}

/** Right-shifts `value` by `shift` bits (1..25), rounding to nearest, ties to even. */
function shiftRightRoundEven(value: number, shift: number): number {
  const quotient = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (remainder > halfway || (remainder === halfway && (quotient & 1) === 1)) return quotient + 1;
  return quotient;
}

/**
 * F16 bits of `x` (first rounded to float32, as a Float32Array would store it).
 * Overflow (|x| >= 65520) gives ±Inf, tiny values round to subnormals or ±0, NaN stays a (quiet) NaN.
 */
export function float32ToFloat16Bits(x: number): number {
  const bits = float32Bits(x);
  const sign = (bits >>> 16) & 0x8000;
  const exp32 = (bits >>> 23) & 0xff;
  const mant32 = bits & 0x7fffff;
  if (exp32 === 0xff) {
    // Inf stays Inf; NaN keeps its top payload bits and is forced quiet so it never turns into Inf.
    return mant32 === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant32 >>> 13);
  }
  const exp16 = exp32 - 127 + 15;
  if (exp16 >= 0x1f) return sign | 0x7c00;
  if (exp16 >= 1) {
    // Normal: a carry out of the mantissa correctly bumps the exponent (up to Inf at 65520).
    return sign | shiftRightRoundEven((exp16 << 23) | mant32, 13);
  }
  // Subnormal or zero: value = significand * 2^(exp32 - 150), F16 unit = 2^-24.
  const shift = 14 - exp16; // = 126 - exp32
  if (shift > 25) return sign;
  const significand = mant32 | 0x800000;
  return sign | shiftRightRoundEven(significand, shift);
}

/** The float32 value (as a JS number) of the F16 bit pattern `h`. */
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/**
 * BF16 bits of `x` (first rounded to float32): the top 16 bits of the float32 pattern, rounded to nearest even.
 * Overflow rounds to ±Inf, NaN stays a quiet NaN with the same sign.
 */
export function float32ToBfloat16Bits(x: number): number {
  const bits = float32Bits(x);
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return (bits >>> 16) | 0x0040;
  const roundingBias = 0x7fff + ((bits >>> 16) & 1);
  return Math.floor((bits + roundingBias) / 0x10000) & 0xffff;
}

/** The float32 value (as a JS number) of the BF16 bit pattern `h`. */
export function bfloat16BitsToFloat32(h: number): number {
  return float32FromBits((h & 0xffff) << 16);
}

/** Converts every element of `src` to F16 bits. */
export function float32ArrayToFloat16Bits(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float32ToFloat16Bits(src[i]);
  return out;
}

/** Converts every F16 bit pattern in `src` to float32. */
export function float16BitsToFloat32Array(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float16BitsToFloat32(src[i]);
  return out;
}

/** Converts every element of `src` to BF16 bits. */
export function float32ArrayToBfloat16Bits(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float32ToBfloat16Bits(src[i]);
  return out;
}

/** Converts every BF16 bit pattern in `src` to float32. */
export function bfloat16BitsToFloat32Array(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = bfloat16BitsToFloat32(src[i]);
  return out;
}
