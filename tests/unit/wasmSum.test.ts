// The wasm Sum replacement (src/platform/wasmSum.ts): large leading-axes float32 sums as an XNNPACK average pool agree with the cpu backend for every axis pattern, keepDims, negative axes and int32 (stock path), without leaking, and bias gradients stay right.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { normaliseAxes } from '../../src/platform/wasmSum';
import { maxAbsDiff, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

const values = (n: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 3);

/** Shape and values of sum(x, axis, keepDims) on the current backend. */
async function sumOn(shape: number[], axis: number | number[] | undefined, keepDims: boolean, dtype: 'float32' | 'int32' = 'float32') {
  const n = shape.reduce((p, d) => p * d, 1);
  const x = tf.tensor(dtype === 'int32' ? values(n).map(Math.round) : values(n), shape, dtype);
  const y = tf.sum(x, axis, keepDims);
  const out = { shape: y.shape, data: Array.from(await y.data()) };
  tf.dispose([x, y]);
  return out;
}

describe('wasm Sum', () => {
  // ≥ MIN_POOLED_ELEMENTS (32,768) elements take the pooled path when the axes lead; the rest the stock kernel.
  const cases: [number[], number | number[] | undefined, boolean][] = [
    [[16, 8, 8, 64], [0, 1, 2], false], // bias gradient of a conv (pooled)
    [[16, 8, 8, 64], [0, 1, 2], true],
    [[16, 8, 8, 64], [2, 0, 1], false], // unsorted leading axes
    [[16, 8, 8, 64], [-4, -3], false], // negative leading axes
    [[2048, 32], 0, false], // dense bias gradient
    [[2048, 32], [0], true],
    [[16, 8, 8, 64], [1, 2], false], // not leading: stock kernel
    [[16, 8, 8, 64], 3, false], // inner axis: stock kernel
    [[16, 8, 8, 64], [0, 3], false], // mixed
    [[16, 8, 8, 64], undefined, false], // all axes
    [[1, 9, 4096], 0, false], // N = 1: stock kernel
    [[6, 4, 4, 8], [0, 1, 2], false], // small: stock kernel
  ];

  it('matches the cpu backend for every axis pattern and keepDims', async () => {
    const wasm: { shape: number[]; data: number[] }[] = [];
    for (const [shape, axis, keep] of cases) wasm.push(await sumOn(shape, axis, keep));
    wasm.push(await sumOn([64, 8, 64], [0, 1], false, 'int32'));
    await useBackend('cpu');
    const cpu: { shape: number[]; data: number[] }[] = [];
    for (const [shape, axis, keep] of cases) cpu.push(await sumOn(shape, axis, keep));
    cpu.push(await sumOn([64, 8, 64], [0, 1], false, 'int32'));
    await useBackend('wasm');
    wasm.forEach((w, i) => {
      expect(w.shape).toEqual(cpu[i].shape);
      expect(maxAbsDiff(w.data, cpu[i].data) / Math.max(1, ...cpu[i].data.map(Math.abs))).toBeLessThan(1e-4); // float32 summation order
    });
  });

  it('does not leak tensors or buffers, and bias gradients agree with cpu', async () => {
    const grad = async () => {
      const x = tf.tensor4d(values(16 * 8 * 8 * 64), [16, 8, 8, 64]);
      const b = tf.tensor1d(values(64).map((v) => v / 10));
      const g = tf.grad((bias: tf.Tensor) => tf.sum(tf.square(tf.add(x, bias))))(b);
      const out = Array.from(await g.data());
      tf.dispose([x, b, g]);
      return out;
    };
    await grad();
    const before = { ...tf.memory() };
    const wasm = await grad();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    await useBackend('cpu');
    const cpu = await grad();
    await useBackend('wasm');
    expect(maxAbsDiff(wasm, cpu) / Math.max(...cpu.map(Math.abs))).toBeLessThan(1e-4);
  });

  it('pools only large leading-axes float32 sums', async () => {
    const real = tf.getKernel(tf.AvgPool, 'wasm')!;
    let calls = 0;
    tf.unregisterKernel(tf.AvgPool, 'wasm');
    tf.registerKernel({ ...real, kernelFunc: (args) => (calls++, real.kernelFunc(args)) });
    try {
      await sumOn([16, 8, 8, 64], [0, 1, 2], false);
      expect(calls).toBe(1);
      await sumOn([16, 8, 8, 64], [1, 2], false);
      await sumOn([16, 8, 8, 64], 3, false);
      await sumOn([6, 4, 4, 8], [0, 1, 2], false);
      await sumOn([64, 8, 64], [0, 1], false, 'int32');
      expect(calls).toBe(1);
    } finally {
      tf.unregisterKernel(tf.AvgPool, 'wasm');
      tf.registerKernel(real);
    }
  });

  it('keeps the XNNPACK weight cache consistent: a tensor summed over its first axis stays usable as a matmul weight', async () => {
    // XNNPACK caches packed weights by the weight tensor's id; summing dy [4,16,128] over axis 0 must not register
    // its data as a [4, 2048] weight, or a later [64,128] product with the same data reads out of bounds.
    const results: number[][] = [];
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend(backend);
      const dy = tf.tensor3d(values(4 * 16 * 128), [4, 16, 128]);
      const x = tf.tensor2d(values(64 * 8).map((v) => v / 3), [64, 8]);
      const s0 = tf.sum(dy, 0); // [16,128]
      const w = tf.matMul(x, tf.reshape(dy, [64, 128]), true, false); // dy as the weight, [8,128]
      const s1 = tf.sum(dy, [0, 1]); // [128]
      const w2 = tf.matMul(x, tf.reshape(dy, [64, 128]), true, false);
      results.push([...(await s0.data()), ...(await w.data()), ...(await s1.data()), ...(await w2.data())]);
      tf.dispose([dy, x, s0, w, s1, w2]);
    }
    await useBackend('wasm');
    expect(maxAbsDiff(results[0], results[1])).toBeLessThan(1e-3);
  });

  it('normaliseAxes', () => {
    expect(normaliseAxes([2, -4, 1, 2], 4)).toEqual([0, 1, 2]);
    expect(normaliseAxes(-1, 3)).toEqual([2]);
    expect(normaliseAxes(3, 3)).toBeNull();
    expect(normaliseAxes(undefined, 3)).toBeNull();
  });
});
