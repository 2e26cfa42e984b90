/** Tests for src/core/io/float16.ts: F16/BF16 bit patterns checked against IEEE 754 hand-computed values, numpy and a brute-force oracle. */
import { describe, it, expect } from 'vitest';
import {
  bfloat16BitsToFloat32,
  bfloat16BitsToFloat32Array,
  float16BitsToFloat32,
  float16BitsToFloat32Array,
  float32ArrayToBfloat16Bits,
  float32ArrayToFloat16Bits,
  float32Bits,
  float32FromBits,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from '../../src/core/io/float16';

const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

function isF16NaN(h: number): boolean {
  return (h & 0x7c00) === 0x7c00 && (h & 0x03ff) !== 0;
}

/** All finite non-negative F16 values in increasing order, computed from the definition (not from the module). */
function allPositiveFiniteF16(): { bits: number; value: number }[] {
  const out: { bits: number; value: number }[] = [];
  for (let bits = 0; bits < 0x7c00; bits++) {
    const e = bits >> 10;
    const m = bits & 0x3ff;
    const value = e === 0 ? m / 2 ** 24 : (1 + m / 1024) * 2 ** (e - 15);
    out.push({ bits, value });
  }
  return out;
}

describe('float32ToFloat16Bits: hand-computed IEEE 754 binary16 patterns', () => {
  const cases: [number, number, string][] = [
    [1.0, 0x3c00, 'one'],
    [-2.0, 0xc000, 'minus two'],
    [0.5, 0x3800, 'half'],
    [65504, 0x7bff, 'largest finite'],
    [65519, 0x7bff, 'just below the overflow tie rounds down'],
    [65520, 0x7c00, 'overflow tie rounds to even = Inf'],
    [1e6, 0x7c00, 'overflow'],
    [-1e6, 0xfc00, 'negative overflow'],
    [2 ** -14, 0x0400, 'smallest normal'],
    [2 ** -14 - 2 ** -24, 0x03ff, 'largest subnormal'],
    [2 ** -24, 0x0001, 'smallest subnormal'],
    [2 ** -25, 0x0000, 'half of smallest subnormal ties to even zero'],
    [1.5 * 2 ** -25, 0x0001, 'above the tie rounds up'],
    [3 * 2 ** -25, 0x0002, 'subnormal tie 1.5 ulp rounds to even 2'],
    [5 * 2 ** -25, 0x0002, 'subnormal tie 2.5 ulp rounds to even 2'],
    [2 ** -26, 0x0000, 'underflow to zero'],
    [-(2 ** -26), 0x8000, 'underflow to negative zero'],
    [0, 0x0000, 'zero'],
    [-0, 0x8000, 'negative zero'],
    [1 + 2 ** -11, 0x3c00, 'tie between 0x3C00 and 0x3C01 goes to even'],
    [1 + 3 * 2 ** -11, 0x3c02, 'tie between 0x3C01 and 0x3C02 goes to even'],
    [1 + 2 ** -11 + 2 ** -20, 0x3c01, 'just above the tie rounds up'],
    [2 - 2 ** -12, 0x4000, 'mantissa carry bumps the exponent'],
    [Infinity, 0x7c00, '+Inf'],
    [-Infinity, 0xfc00, '-Inf'],
  ];
  for (const [input, expected, label] of cases) {
    it(`${label}: ${input} -> ${hex(expected)}`, () => {
      expect(hex(float32ToFloat16Bits(input))).toBe(hex(expected));
    });
  }

  it('NaN stays NaN (never Inf), including a float32 NaN whose payload sits only in the low bits', () => {
    expect(isF16NaN(float32ToFloat16Bits(NaN))).toBe(true);
    const lowPayloadNaN = float32FromBits(0x7f800001);
    expect(Number.isNaN(lowPayloadNaN)).toBe(true);
    expect(isF16NaN(float32ToFloat16Bits(lowPayloadNaN))).toBe(true);
    expect(isF16NaN(float32ToFloat16Bits(float32FromBits(0xff800001)))).toBe(true);
  });

  it('matches numpy float32 -> float16 casts (independent implementation)', () => {
    // [float32 bits, float16 bits] from numpy 2.4: np.array(bits, np.uint32).view(np.float32).astype(np.float16)
    const numpy: [number, number][] = [
      [0xb2d00320, 0x8000], [0xb2f2d7e6, 0x8000], [0xb2e349ab, 0x8000], [0xb31cd396, 0x8001],
      [0x33266bd9, 0x0001], [0x336fd099, 0x0001], [0xb380ac88, 0x8001], [0x33e91e03, 0x0002],
      [0x33e6065e, 0x0002], [0x373be54a, 0x00bc], [0xb726c9c4, 0x80a7], [0x3723a373, 0x00a4],
      [0xb8209f91, 0x8282], [0xb838f842, 0x82e4], [0x38409509, 0x0302], [0xb8c6d900, 0x8637],
      [0xb8ff6c8d, 0x87fb], [0xb8e575f2, 0x872c], [0xbc4fa391, 0xa27d], [0x3c7e963f, 0x23f5],
      [0x3c1b8f3c, 0x20dc], [0xbf9481d3, 0xbca4], [0xbfce67b2, 0xbe73], [0x3f859fe4, 0x3c2d],
      [0x4384912b, 0x5c25], [0x43c1e7e0, 0x5e0f], [0xc3bbaca3, 0xdddd], [0xc6f565c0, 0xf7ab],
      [0xc6d08a7c, 0xf684], [0x46c1ce9b, 0x760e], [0x473f998c, 0x79fd], [0x471fae91, 0x78fd],
      [0xc7018277, 0xf80c], [0x4798a0a2, 0x7c00], [0xc7d89482, 0xfc00], [0xc799ad7b, 0xfc00],
      [0x3f800000, 0x3c00], [0x477fe000, 0x7bff], [0x477fefff, 0x7bff], [0x477ff000, 0x7c00],
      [0x33000000, 0x0000], [0x33000001, 0x0001], [0x33c00000, 0x0002], [0x387fc000, 0x03ff],
      [0x38800000, 0x0400], [0x3dcccccd, 0x2e66], [0x3eaaaaab, 0x3555], [0x00000001, 0x0000],
      [0x7f7fffff, 0x7c00],
    ];
    const mismatches = numpy
      .map(([f32, f16]) => ({ f32, expected: f16, got: float32ToFloat16Bits(float32FromBits(f32)) }))
      .filter((r) => r.got !== r.expected)
      .map((r) => `${r.f32.toString(16)}: got ${hex(r.got)} want ${hex(r.expected)}`);
    expect(mismatches).toEqual([]);
  });

  it('rounds every midpoint between adjacent F16 values to the even one, and its float32 neighbours to the nearer one', () => {
    const values = allPositiveFiniteF16();
    const failures: string[] = [];
    for (let k = 0; k + 1 < values.length; k++) {
      const lo = values[k];
      const hi = values[k + 1];
      const mid = (lo.value + hi.value) / 2; // exact in float32: F16 has 11 significant bits
      if (Math.fround(mid) !== mid) failures.push(`mid ${mid} not exact in float32`);
      const even = (lo.bits & 1) === 0 ? lo.bits : hi.bits;
      const midBits = float32Bits(mid);
      const below = float32FromBits(midBits - 1);
      const above = float32FromBits(midBits + 1);
      if (float32ToFloat16Bits(mid) !== even) failures.push(`mid ${mid} -> ${hex(float32ToFloat16Bits(mid))}`);
      if (float32ToFloat16Bits(below) !== lo.bits) failures.push(`below ${below}`);
      if (float32ToFloat16Bits(above) !== hi.bits) failures.push(`above ${above}`);
      if (float32ToFloat16Bits(-mid) !== (even | 0x8000)) failures.push(`-mid ${-mid}`);
      if (failures.length > 5) break;
    }
    expect(failures).toEqual([]);
  });
});

describe('float16BitsToFloat32', () => {
  it('decodes known patterns', () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(float16BitsToFloat32(0x0400)).toBe(2 ** -14);
    expect(float16BitsToFloat32(0x3555)).toBe(0.333251953125);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(Object.is(float16BitsToFloat32(0x0000), 0)).toBe(true);
    expect(float16BitsToFloat32(0x7c00)).toBe(Infinity);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
    expect(float16BitsToFloat32(0xfc01)).toBeNaN();
  });

  it('agrees with the definition for every finite pattern and round-trips all 65536 patterns', () => {
    const values = allPositiveFiniteF16();
    for (const { bits, value } of values) {
      if (float16BitsToFloat32(bits) !== value) throw new Error(`decode ${hex(bits)}`);
      if (float16BitsToFloat32(bits | 0x8000) !== -value) throw new Error(`decode ${hex(bits | 0x8000)}`);
    }
    let roundTripFailures = 0;
    for (let h = 0; h <= 0xffff; h++) {
      const back = float32ToFloat16Bits(float16BitsToFloat32(h));
      if (isF16NaN(h) ? !isF16NaN(back) : back !== h) roundTripFailures++;
    }
    expect(roundTripFailures).toBe(0);
  });
});

describe('bfloat16', () => {
  it('encodes known patterns with round-to-nearest-even', () => {
    expect(hex(float32ToBfloat16Bits(1))).toBe('0x3f80');
    expect(hex(float32ToBfloat16Bits(-2))).toBe('0xc000');
    expect(hex(float32ToBfloat16Bits(3.140625))).toBe('0x4049');
    expect(hex(float32ToBfloat16Bits(Math.PI))).toBe('0x4049');
    expect(hex(float32ToBfloat16Bits(0))).toBe('0x0000');
    expect(hex(float32ToBfloat16Bits(-0))).toBe('0x8000');
    expect(hex(float32ToBfloat16Bits(Infinity))).toBe('0x7f80');
    expect(hex(float32ToBfloat16Bits(-Infinity))).toBe('0xff80');
    // ties: 1 + 2^-8 sits halfway between 0x3F80 (even) and 0x3F81
    expect(hex(float32ToBfloat16Bits(float32FromBits(0x3f808000)))).toBe('0x3f80');
    expect(hex(float32ToBfloat16Bits(float32FromBits(0x3f818000)))).toBe('0x3f82');
    expect(hex(float32ToBfloat16Bits(float32FromBits(0x3f808001)))).toBe('0x3f81');
    expect(hex(float32ToBfloat16Bits(float32FromBits(0x3f807fff)))).toBe('0x3f80');
    // float32 max rounds up to Inf; float32 subnormals keep their top bits
    expect(hex(float32ToBfloat16Bits(float32FromBits(0x7f7fffff)))).toBe('0x7f80');
    expect(hex(float32ToBfloat16Bits(float32FromBits(0x7f7f7fff)))).toBe('0x7f7f');
    expect(hex(float32ToBfloat16Bits(float32FromBits(0x00010000)))).toBe('0x0001');
    expect(hex(float32ToBfloat16Bits(float32FromBits(0x80008000)))).toBe('0x8000');
  });

  it('keeps NaN a NaN, including payloads only in the low 16 bits', () => {
    for (const bits of [0x7fc00000, 0x7f800001, 0xff800001, 0x7fffffff]) {
      const h = float32ToBfloat16Bits(float32FromBits(bits));
      expect((h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0).toBe(true);
      expect(h & 0x8000).toBe(bits >= 0x80000000 ? 0x8000 : 0);
    }
  });

  it('decodes every pattern to the float32 with the same top 16 bits', () => {
    expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
    expect(bfloat16BitsToFloat32(0x4049)).toBe(3.140625);
    expect(bfloat16BitsToFloat32(0xff80)).toBe(-Infinity);
    expect(bfloat16BitsToFloat32(0x7fc0)).toBeNaN();
    let failures = 0;
    for (let h = 0; h <= 0xffff; h++) {
      const v = bfloat16BitsToFloat32(h);
      const isNaNPattern = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      if (isNaNPattern ? !Number.isNaN(v) : float32Bits(v) !== h * 0x10000) failures++;
      if (!isNaNPattern && float32ToBfloat16Bits(v) !== h) failures++;
    }
    expect(failures).toBe(0);
  });
});

describe('array helpers', () => {
  it('convert element-wise in both directions', () => {
    const src = new Float32Array([1, -2, 65504, 2 ** -24, 0.1]);
    expect([...float32ArrayToFloat16Bits(src)]).toEqual([0x3c00, 0xc000, 0x7bff, 0x0001, 0x2e66]);
    expect([...float16BitsToFloat32Array(new Uint16Array([0x3c00, 0xc000, 0x7bff]))]).toEqual([1, -2, 65504]);
    expect([...float32ArrayToBfloat16Bits(new Float32Array([1, -2, Infinity]))]).toEqual([0x3f80, 0xc000, 0x7f80]);
    expect([...bfloat16BitsToFloat32Array(new Uint16Array([0x3f80, 0xc000, 0x7f80]))]).toEqual([1, -2, Infinity]);
  });
});
