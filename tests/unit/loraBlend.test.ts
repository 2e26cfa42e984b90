// Blending adapters (src/core/model/loraBlend.ts): checked module by module against a plain-JS Σ w_i s_i x·A_i·B_i, and through the UNet against single adapters.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { allLoraTargets, createLoraAdapter, type LoraAdapter } from '../../src/core/model/lora';
import { blendAdapters } from '../../src/core/model/loraBlend';
import { createRng } from '../../src/core/rng';
import { maxAbsDiff, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

/** An adapter with random non-zero B (a trained one's shape). */
function trained(model: MiniSD, seed: number, rank: number, alpha: number, targets = allLoraTargets): LoraAdapter {
  const lora = createLoraAdapter(model.params, 'unet.', { rank, alpha, targets, seed });
  const rng = createRng(seed + 100);
  for (const m of lora.modules.values()) m.B.assign(tf.tensor(rng.normals(m.B.size).map((v) => 0.05 * v), m.B.shape));
  return lora;
}

/** Row-major x [n, in] · A [in, r] · B [r, out] in plain JS. */
function xab(x: Float32Array, n: number, inF: number, A: Float32Array, r: number, B: Float32Array, out: number): Float64Array {
  const y = new Float64Array(n * out);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < r; k++) {
      let xa = 0;
      for (let j = 0; j < inF; j++) xa += x[i * inF + j] * A[j * r + k];
      for (let o = 0; o < out; o++) y[i * out + o] += xa * B[k * out + o];
    }
  }
  return y;
}

describe('blendAdapters', () => {
  const cfg = tinyModelConfig();

  it('gives x·A·B = Σ w_i s_i x·A_i·B_i on every linear module (ranks and alphas differ, one weight negative)', async () => {
    const model = MiniSD.create(cfg, 1);
    const a = trained(model, 1, 2, 4, ['to_q', 'to_v']); // scale 2
    const b = trained(model, 2, 3, 1.5, ['to_q', 'to_k']); // scale 0.5
    const before = tf.memory().numTensors;
    const blend = blendAdapters([
      { adapter: a, weight: 0.7 },
      { adapter: b, weight: -1.2 },
    ]);
    expect(blend.scale).toBe(1);
    expect([...blend.modules.keys()].sort()).toEqual([...new Set([...a.modules.keys(), ...b.modules.keys()])].sort());
    const rng = createRng(9);
    for (const [name, m] of blend.modules) {
      const n = 3;
      const x = Float32Array.from(rng.normals(n * m.inFeatures));
      const got = tf.tidy(() => tf.matMul(tf.matMul(tf.tensor2d(x, [n, m.inFeatures]), m.A as tf.Tensor2D), m.B as tf.Tensor2D));
      const want = new Float64Array(n * m.outFeatures);
      for (const [ad, w] of [[a, 0.7], [b, -1.2]] as const) {
        const am = ad.modules.get(name);
        if (!am) continue;
        const r = am.B.shape[0] as number;
        const part = xab(x, n, m.inFeatures, await am.A.data() as Float32Array, r, await am.B.data() as Float32Array, m.outFeatures);
        part.forEach((v, i) => (want[i] += w * ad.scale * v));
      }
      expect(maxAbsDiff(await got.data(), want)).toBeLessThan(1e-5);
      got.dispose();
    }
    blend.dispose();
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
    b.dispose();
  });

  it('through the UNet: weight 1 and 0 is the first adapter alone; 0.5 + 0.5 of one adapter is that adapter; conv modules too', async () => {
    const model = MiniSD.create(cfg, 1);
    const a = trained(model, 3, 2, 2);
    const b = trained(model, 4, 4, 4);
    const out = async (lora: LoraAdapter) => {
      const y = tf.tidy(() => model.predict(tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 5) as tf.Tensor4D, [100, 700], model.encodeText(['red heart', 'dog']), lora));
      const d = await y.data();
      y.dispose();
      return d;
    };
    const alone = await out(a);
    const first = blendAdapters([{ adapter: a, weight: 1 }, { adapter: b, weight: 0 }]);
    expect(maxAbsDiff(await out(first), alone)).toBeLessThan(1e-5);
    const halves = blendAdapters([{ adapter: a, weight: 0.5 }, { adapter: a, weight: 0.5 }]);
    expect(maxAbsDiff(await out(halves), alone)).toBeLessThan(1e-5);
    const mixed = blendAdapters([{ adapter: a, weight: 1 }, { adapter: b, weight: -1 }]);
    expect(maxAbsDiff(await out(mixed), alone)).toBeGreaterThan(1e-3); // the second adapter does change the output
    for (const x of [first, halves, mixed, a, b]) x.dispose();
  });

  it('refuses weights outside ±2 and adapters of different base models', () => {
    const model = MiniSD.create(cfg, 1);
    const other = MiniSD.create({ ...cfg, unet: { ...cfg.unet, blockOutChannels: [32, 64] } }, 1);
    const a = trained(model, 5, 2, 2, ['to_k']);
    const c = trained(other, 6, 2, 2, ['to_k']);
    expect(() => blendAdapters([{ adapter: a, weight: 3 }])).toThrow(/from −2 to 2, got 3/);
    expect(() => blendAdapters([{ adapter: a, weight: 1 }, { adapter: c, weight: 1 }])).toThrow(/trained on different base models/);
    a.dispose();
    c.dispose();
  });
});
