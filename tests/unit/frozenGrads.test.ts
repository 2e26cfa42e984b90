// Frozen base weights: conv and dense layers with non-trainable weights skip the weight gradients but give the same
// input gradients (checked against tfjs's own ops on the cpu backend), and a LoRA's gradients are unchanged.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { conv2dSameFrozen } from '../../src/core/model/conv2dSame';
import { frozenDense } from '../../src/core/model/layers';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter } from '../../src/core/model/lora';
import { createRng } from '../../src/core/rng';
import { relErr, useBackend } from './backend';

describe('frozen-weight layers', () => {
  it('conv2dSameFrozen: value and input gradient equal tf.conv2d (cpu backend)', async () => {
    const rng = createRng(1);
    const xs = [2, 5, 6, 3];
    const ws = [3, 3, 3, 4];
    const x = rng.normals(2 * 5 * 6 * 3);
    const w = rng.normals(3 * 3 * 3 * 4);
    const r = rng.normals(2 * 5 * 6 * 4);
    const run = (f: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D) =>
      tf.tidy(() => {
        const wt = tf.tensor4d(w, ws as [number, number, number, number]);
        const loss = (a: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, wt), tf.tensor(r, [2, 5, 6, 4])));
        const { value, grad } = tf.valueAndGrad(loss)(tf.tensor(x, xs));
        return { y: value.dataSync()[0], g: grad.dataSync() };
      });
    await useBackend('cpu');
    const ref = run((a, b) => tf.conv2d(a, b, 1, 'same'));
    await useBackend('wasm');
    const got = run(conv2dSameFrozen);
    expect(Math.abs(got.y - ref.y) / Math.abs(ref.y)).toBeLessThan(1e-5);
    expect(relErr(got.g, ref.g)).toBeLessThan(1e-5);
  });

  it('frozenDense: value and input gradient equal matMul + bias (cpu backend)', async () => {
    const rng = createRng(2);
    const x = rng.normals(5 * 7);
    const w = rng.normals(7 * 3);
    const b = rng.normals(3);
    const r = rng.normals(5 * 3);
    const run = (dense: (a: tf.Tensor2D) => tf.Tensor) =>
      tf.tidy(() => {
        const loss = (a: tf.Tensor) => tf.sum(tf.mul(dense(a as tf.Tensor2D), tf.tensor2d(r, [5, 3])));
        const { value, grad } = tf.valueAndGrad(loss)(tf.tensor2d(x, [5, 7]));
        return { y: value.dataSync()[0], g: grad.dataSync() };
      });
    await useBackend('cpu');
    const ref = run((a) => tf.add(tf.matMul(a, tf.tensor2d(w, [7, 3])), tf.tensor1d(b)));
    await useBackend('wasm');
    const got = run((a) => frozenDense(a, tf.tensor2d(w, [7, 3]), tf.tensor1d(b)));
    expect(Math.abs(got.y - ref.y) / Math.abs(ref.y)).toBeLessThan(1e-5);
    expect(relErr(got.g, ref.g)).toBeLessThan(1e-5);
  });

  it('LoRA gradients through the UNet are the same whether the base weights are frozen or trainable', async () => {
    await useBackend('wasm');
    const model = MiniSD.create(tinyModelConfig(), 7);
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q', 'to_out.0', 'ff.net.2', 'conv1'], seed: 3 });
    const rng = createRng(4);
    for (const m of lora.modules.values()) m.B.assign(tf.tensor(rng.normals(m.B.size).map((v) => v * 0.1), m.B.shape));
    const x = tf.tensor4d(rng.normals(2 * 8 * 8 * 4), [2, 8, 8, 4]);
    const text = model.encodeText(['dog', 'pizza']);
    const gradsOf = () => {
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(model.predict(x, [500, 20], text, lora))) as tf.Scalar, lora.variables);
      const out = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync().slice()]));
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const frozen = gradsOf();
    for (const v of model.params.tensors.values()) v.trainable = true; // the full-gradient paths (pretraining)
    const full = gradsOf();
    expect(Object.keys(frozen).length).toBe(lora.variables.length);
    for (const k of Object.keys(full)) expect(relErr(frozen[k], full[k])).toBeLessThan(1e-5);
    tf.dispose([x, text]);
    lora.dispose();
    model.dispose();
  });
});
