// The wasm Slice/SplitV replacements (src/platform/wasmSlice.ts): copyBox against an element-by-element index computation, slices and splits of every rank against the cpu backend, gradients through split, no leaks, and the replacement is the kernel that runs.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyBox } from '../../src/platform/wasmSlice';
import { maxAbsDiff, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

const values = (n: number) => Array.from({ length: n }, (_, i) => i * 0.5 - 7);

/** out[i…] = x[begin + i…], one element at a time. */
function naiveBox(x: number[], shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const total = size.reduce((p, d) => p * d, 1);
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let at = 0;
    for (let d = 0; d < shape.length; d++) {
      const inner = size.slice(d + 1).reduce((p, q) => p * q, 1);
      const i = Math.floor(rem / inner);
      rem -= i * inner;
      at = at * shape[d] + begin[d] + i;
    }
    out.push(x[at]);
  }
  return out;
}

describe('wasm Slice and SplitV', () => {
  const boxes: [number[], number[], number[]][] = [
    [[7], [2], [4]],
    [[4, 6], [1, 2], [2, 3]],
    [[3, 4, 5], [0, 1, 2], [3, 2, 3]],
    [[2, 3, 4, 5], [1, 0, 2, 1], [1, 3, 2, 4]],
    [[2, 2, 3, 2, 4], [0, 1, 1, 0, 2], [2, 1, 2, 2, 2]], // rank 5 (the stock kernel falls back to a generic path here)
    [[4, 6], [0, 0], [0, 6]], // empty
  ];

  it('copyBox equals an element-by-element copy', () => {
    for (const [shape, begin, size] of boxes) {
      const x = Float32Array.from(values(shape.reduce((p, d) => p * d, 1)));
      const out = new Float32Array(size.reduce((p, d) => p * d, 1));
      copyBox(x, shape, begin, size, out);
      expect(Array.from(out)).toEqual(naiveBox(Array.from(x), shape, begin, size));
    }
  });

  it('slice and split agree with the cpu backend, with gradients, without leaks', async () => {
    const run = async () => {
      const out: number[][] = [];
      for (const [shape, begin, size] of boxes) {
        const x = tf.tensor(values(shape.reduce((p, d) => p * d, 1)), shape);
        const y = tf.slice(x, begin, size);
        out.push([...y.shape, ...(await y.data())]);
        tf.dispose([x, y]);
      }
      const x = tf.tensor3d(values(2 * 3 * 10), [2, 3, 10]);
      const parts = tf.split(x, [4, 6], -1);
      for (const p of parts) out.push([...p.shape, ...(await p.data())]);
      const xi = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
      const ints = tf.split(xi, 3, 0);
      for (const p of ints) out.push([...p.shape, ...(await p.data())]);
      const g = tf.grad((t: tf.Tensor) => {
        const [a, b] = tf.split(t, 2, -1);
        return tf.sum(tf.mul(a, tf.sin(b)));
      })(x);
      out.push([...(await g.data())]);
      tf.dispose([x, xi, ...parts, ...ints, g]);
      return out;
    };
    await run();
    const before = tf.memory().numTensors;
    const wasm = await run();
    expect(tf.memory().numTensors).toBe(before);
    await useBackend('cpu');
    const cpu = await run();
    await useBackend('wasm');
    expect(wasm.length).toBe(cpu.length);
    wasm.forEach((w, i) => {
      expect(w.length).toBe(cpu[i].length);
      expect(maxAbsDiff(w, cpu[i])).toBeLessThan(1e-5); // slices are exact; the gradient goes through sin (wasm vs JS)
    });
  });

  it('the registered Slice and SplitV are the replacements (no full read of the input)', async () => {
    const backend = tf.backend() as unknown as { readSync: (...a: unknown[]) => unknown };
    const readSync = backend.readSync;
    let reads = 0;
    backend.readSync = (...a: unknown[]) => (reads++, readSync.apply(backend, a));
    try {
      const x = tf.tensor3d(values(4 * 8 * 6), [4, 8, 6]);
      const s = tf.slice(x, [1, 0, 2], [2, 8, 3]);
      const parts = tf.split(x, 2, -1);
      tf.dispose([x, s, ...parts]);
      expect(reads).toBe(0);
    } finally {
      backend.readSync = readSync;
    }
  });
});
