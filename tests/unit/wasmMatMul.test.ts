// The wasm BatchMatMul replacement (src/platform/wasmMatMul.ts) against the cpu backend: every transpose combination, batch folding, per-entry batches, gradients, no leaked tensors.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { installWasmMatMul } from '../../src/platform/wasmMatMul';
import { relErr, useBackend } from './backend';

const stockKernel = tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc;
installWasmMatMul();

/** Runs f on `backend` with the given inputs and returns the result values. */
async function on(backend: 'wasm' | 'cpu', inputs: { shape: number[]; values: Float32Array }[], f: (...t: tf.Tensor[]) => tf.Tensor): Promise<{ shape: number[]; values: Float32Array }> {
  await useBackend(backend);
  const ts = inputs.map((i) => tf.tensor(i.values, i.shape));
  const r = f(...ts);
  const out = { shape: r.shape, values: (await r.data()) as Float32Array };
  tf.dispose([r, ...ts]);
  return out;
}

function rand(shape: number[], seed: number): { shape: number[]; values: Float32Array } {
  let s = seed >>> 0;
  const n = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = s / 2 ** 32 - 0.5;
  }
  return { shape, values };
}

describe('wasm BatchMatMul replacement', () => {
  it('is installed in place of the stock kernel, once', () => {
    const mine = tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc;
    expect(stockKernel).toBeDefined();
    expect(mine).not.toBe(stockKernel);
    installWasmMatMul();
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc).toBe(mine);
  });

  const cases: { name: string; a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [];
  for (const tA of [false, true]) for (const tB of [false, true]) {
    cases.push({ name: `2-D tA=${tA} tB=${tB}`, a: tA ? [13, 7] : [7, 13], b: tB ? [5, 13] : [13, 5], tA, tB });
    cases.push({ name: `batch·shared b tA=${tA} tB=${tB}`, a: tA ? [3, 13, 7] : [3, 7, 13], b: tB ? [5, 13] : [13, 5], tA, tB });
    cases.push({ name: `batch×batch tA=${tA} tB=${tB}`, a: tA ? [2, 3, 13, 7] : [2, 3, 7, 13], b: tB ? [2, 3, 5, 13] : [2, 3, 13, 5], tA, tB });
    cases.push({ name: `shared a, batched b tA=${tA} tB=${tB}`, a: tA ? [1, 13, 7] : [1, 7, 13], b: tB ? [4, 5, 13] : [4, 13, 5], tA, tB });
  }
  for (const c of cases) {
    it(`matches cpu: ${c.name}`, async () => {
      const ins = [rand(c.a, 1), rand(c.b, 2)];
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, c.tA, c.tB);
      const w = await on('wasm', ins, f);
      const ref = await on('cpu', ins, f);
      expect(w.shape).toEqual(ref.shape);
      expect(relErr(w.values, ref.values)).toBeLessThan(1e-5);
    });
  }

  it('gradients of a batched attention-like product match cpu', async () => {
    const ins = [rand([2, 4, 6, 8], 3), rand([2, 4, 9, 8], 4)];
    const f = (q: tf.Tensor, k: tf.Tensor) => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, false, true))));
      const [dq, dk] = g([q, k]);
      return tf.concat([dq.flatten(), dk.flatten()]);
    };
    const w = await on('wasm', ins, f);
    const ref = await on('cpu', ins, f);
    expect(relErr(w.values, ref.values)).toBeLessThan(1e-5);
  });

  it('leaves no tensors or wasm buffers behind', async () => {
    await useBackend('wasm');
    const a = tf.tensor(rand([3, 7, 13], 5).values, [3, 7, 13]);
    const b = tf.tensor(rand([3, 5, 13], 6).values, [3, 5, 13]);
    tf.matMul(a, b, false, true).dispose(); // warm-up
    const before = tf.memory();
    const ids = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) tf.matMul(a, b, false, true).dispose();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(tf.engine().backend.numDataIds()).toBe(ids); // the transposed copies are freed in wasm memory too
    tf.dispose([a, b]);
  });
});
