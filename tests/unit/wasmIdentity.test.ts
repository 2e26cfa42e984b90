// The zero-copy Identity on wasm (src/platform/wasmIdentity.ts): shares the input's data, keeps it alive after the input is disposed, frees it with the last reference, and leaves gradients unchanged.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2dSame } from '../../src/core/model/conv2dSame';
import { maxAbsDiff, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

describe('wasm Identity', () => {
  it('shares the data, survives disposing the input, and frees the memory with the last reference', async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId); // no copy
    expect(y.shape).toEqual([2, 3]);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4, 5, 6]);
    const z = tf.add(y, 1); // a kernel reading the shared data
    expect(Array.from(await z.data())).toEqual([2, 3, 4, 5, 6, 7]);
    const ids = tf.memory().numDataBuffers;
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(ids - 1); // the last reference frees the buffer
    z.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a clone of a variable keeps its value when the source changes', async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    expect(Array.from(await snapshot.data())).toEqual([1, 2, 3]);
    expect(Array.from(await v.data())).toEqual([7, 8, 9]);
    tf.dispose([v, snapshot]);
  });

  it('gradients through a customGrad op (conv2dSame) match the cpu backend', async () => {
    const x0 = Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i));
    const w0 = Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i * 0.7));
    const grads = async () => {
      const g = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.tanh(conv2dSame(x as tf.Tensor4D, w as tf.Tensor4D))))([tf.tensor4d(x0, [2, 5, 5, 3]), tf.tensor4d(w0, [3, 3, 3, 4])]);
      const out = await Promise.all(g.map((t) => t.data()));
      tf.dispose(g);
      return out;
    };
    const wasm = await grads();
    await useBackend('cpu');
    const cpu = await grads();
    await useBackend('wasm');
    wasm.forEach((w, i) => expect(maxAbsDiff(w, cpu[i])).toBeLessThan(1e-4));
  });
});
