import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { conv2dSame, rotate180SwapChannels } from '../../src/core/model/conv2dSame';
import { createRng } from '../../src/core/rng';
import { relErr, useBackend } from './backend';

/** Gradients of sum(conv(x, w) · r) w.r.t. x and w on a backend, with the given conv implementation. */
async function grads(backend: 'wasm' | 'cpu', convFn: 'custom' | 'tfjs', x: Float32Array, w: Float32Array, r: Float32Array, xs: number[], ws: number[], ys: number[]) {
  await useBackend(backend);
  return tf.tidy(() => {
    const f = (a: tf.Tensor, b: tf.Tensor) => {
      const y = convFn === 'custom' ? conv2dSame(a as tf.Tensor4D, b as tf.Tensor4D) : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same');
      return tf.sum(tf.mul(y, tf.tensor(r, ys)));
    };
    const [gx, gw] = tf.grads(f)([tf.tensor(x, xs), tf.tensor(w, ws)]);
    const x4: tf.Tensor = tf.tensor(x, xs);
    const w4: tf.Tensor = tf.tensor(w, ws);
    const y = convFn === 'custom' ? conv2dSame(x4 as tf.Tensor4D, w4 as tf.Tensor4D) : tf.conv2d(x4 as tf.Tensor4D, w4 as tf.Tensor4D, 1, 'same');
    return { gx: gx.dataSync(), gw: gw.dataSync(), y: y.dataSync() };
  });
}

describe('conv2dSame: gradients as forward convolutions', () => {
  const rng = createRng(42);
  // Random shapes: batch, size, channels and odd kernel sizes (padding = (k−1)/2 each side).
  const cases = Array.from({ length: 6 }, (_, i) => ({
    b: 1 + rng.int(3),
    h: 3 + rng.int(8),
    w: 3 + rng.int(8),
    cin: 1 + rng.int(6),
    cout: 1 + rng.int(6),
    k: [1, 3, 5][i % 3],
  }));
  for (const c of cases) {
    it(`matches the cpu backend's gradients for x[${c.b},${c.h},${c.w},${c.cin}] * w[${c.k},${c.k},${c.cin},${c.cout}]`, async () => {
      const xs = [c.b, c.h, c.w, c.cin];
      const ws = [c.k, c.k, c.cin, c.cout];
      const ys = [c.b, c.h, c.w, c.cout];
      const x = rng.normals(xs.reduce((p, q) => p * q));
      const w = rng.normals(ws.reduce((p, q) => p * q));
      const r = rng.normals(ys.reduce((p, q) => p * q));
      const ref = await grads('cpu', 'tfjs', x, w, r, xs, ws, ys);
      const got = await grads('wasm', 'custom', x, w, r, xs, ws, ys);
      expect(relErr(got.y, ref.y)).toBeLessThan(1e-4);
      expect(relErr(got.gx, ref.gx)).toBeLessThan(1e-4);
      expect(relErr(got.gw, ref.gw)).toBeLessThan(1e-4);
    });
  }

  it('rotates filters by 180° and swaps channels exactly (index by index, k = 1, 3, 5)', async () => {
    await useBackend('wasm');
    for (const [k, cin, cout] of [[1, 2, 3], [3, 4, 5], [5, 3, 2]]) {
      const rng = createRng(k);
      const w = Float32Array.from({ length: k * k * cin * cout }, () => rng.normal() * 100);
      const got = tf.tidy(() => rotate180SwapChannels(tf.tensor4d(w, [k, k, cin, cout])).dataSync());
      const at = (i: number, j: number, c: number, o: number) => w[((i * k + j) * cin + c) * cout + o];
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let o = 0; o < cout; o++) for (let c = 0; c < cin; c++) {
        expect(got[((i * k + j) * cout + o) * cin + c]).toBe(at(k - 1 - i, k - 1 - j, c, o));
      }
    }
  });

  it('rejects even kernels with a clear error', async () => {
    await useBackend('wasm');
    expect(() => conv2dSame(tf.zeros([1, 4, 4, 1]) as tf.Tensor4D, tf.zeros([2, 2, 1, 1]) as tf.Tensor4D)).toThrow(/odd square kernel/);
  });
});
