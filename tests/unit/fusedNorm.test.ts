// The fused inference norms (src/core/model/fused, src/platform/fusedKernels.ts): GroupNorm(+SiLU) and LayerNorm equal a plain re-computation from the definition on the UNet's real shapes on wasm and cpu, the unfused path is taken (and differentiates) while a gradient is recorded, nothing leaks, and the shipped UNet and decoder give the same output with and without the fused ops.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { groupNorm, groupNormSilu, layerNorm, type Ctx } from '../../src/core/model/layers';
import { FUSED_KERNELS, setFusedOpsEnabled } from '../../src/core/model/fused/fusedOps';
import { ParamStore } from '../../src/core/model/params';
import { createRng } from '../../src/core/rng';
import { loadModel } from '../../cli/modelLoader';
import { normDispatch } from '../../src/platform/webgpuFusedNorms';
import { maxAbsDiff, useBackend } from './backend';

afterAll(() => setFusedOpsEnabled(true));

/** Deterministic values with a non-zero mean and spread: mean + spread·N(0,1). */
function normals(n: number, seed: number, mean = 0, spread = 1): Float32Array {
  const z = createRng(seed).normals(n);
  return Float32Array.from(z, (v) => mean + spread * v);
}

/** Definition-level GroupNorm: for each sample and group, collect its values, mean, biased variance, normalise, affine, SiLU. */
function referenceGroupNorm(x: Float32Array, shape: number[], groups: number, gamma: Float32Array, beta: Float32Array, silu: boolean, eps = 1e-5): Float64Array {
  const [b, h, w, c] = shape;
  const cg = c / groups;
  const out = new Float64Array(x.length);
  const at = (n: number, p: number, ch: number) => (n * h * w + p) * c + ch;
  for (let n = 0; n < b; n++) {
    for (let g = 0; g < groups; g++) {
      const vals: number[] = [];
      for (let p = 0; p < h * w; p++) for (let k = 0; k < cg; k++) vals.push(x[at(n, p, g * cg + k)]);
      const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
      const variance = vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length;
      for (let p = 0; p < h * w; p++) {
        for (let k = 0; k < cg; k++) {
          const ch = g * cg + k;
          const y = ((x[at(n, p, ch)] - mean) / Math.sqrt(variance + eps)) * gamma[ch] + beta[ch];
          out[at(n, p, ch)] = silu ? y / (1 + Math.exp(-y)) : y;
        }
      }
    }
  }
  return out;
}

function referenceLayerNorm(x: Float32Array, channels: number, gamma: Float32Array, beta: Float32Array, eps = 1e-5): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / channels; r++) {
    const row = Array.from(x.subarray(r * channels, (r + 1) * channels));
    const mean = row.reduce((s, v) => s + v, 0) / channels;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / channels;
    row.forEach((v, c) => (out[r * channels + c] = ((v - mean) / Math.sqrt(variance + eps)) * gamma[c] + beta[c]));
  }
  return out;
}

/** A Ctx whose store holds one norm's weight and bias. */
function normCtx(name: string, gamma: Float32Array, beta: Float32Array): Ctx {
  const params = new ParamStore(undefined, false);
  const values = new Map([[`t.${name}.weight`, tf.tensor1d(gamma)], [`t.${name}.bias`, tf.tensor1d(beta)]]);
  params.assign(values, true); // copies into variables
  tf.dispose([...values.values()]);
  return { params, prefix: 't.' };
}

/** Runs f on the current backend, returning its values and the kernel names it launched. */
async function run(f: () => tf.Tensor): Promise<{ values: Float32Array; kernels: string[] }> {
  let out: tf.Tensor | undefined;
  const prof = await tf.profile(() => {
    out = f();
    return out;
  });
  const values = (await out!.data()) as Float32Array;
  out!.dispose();
  return { values, kernels: prof.kernels.map((k) => k.name) };
}

// The UNet's GroupNorm inputs (sampling batch 2–8: 64 and 128 channels, the up blocks' concatenations 192/256) and
// its transformers' LayerNorm inputs [B, H·W, C].
const GN_CASES: [number[], number][] = [
  [[2, 8, 8, 64], 16],
  [[4, 4, 4, 128], 16],
  [[8, 8, 8, 192], 16],
  [[3, 4, 4, 256], 16],
];
const LN_CASES: number[][] = [
  [2, 64, 64],
  [8, 16, 128],
];

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`fused norms on ${backend}`, () => {
    it('GroupNorm and GroupNorm+SiLU equal the definition on the UNet shapes, through the fused kernel', async () => {
      await useBackend(backend);
      setFusedOpsEnabled(true);
      for (const [shape, groups] of GN_CASES) {
        const c = shape[3];
        const xv = normals(shape.reduce((p, d) => p * d, 1), c, 3, 2); // mean 3, sd 2: centring matters
        const gamma = normals(c, c + 1, 1, 0.5);
        const beta = normals(c, c + 2, 0, 0.5);
        const ctx = normCtx('norm', gamma, beta);
        const x = tf.tensor4d(xv, shape as [number, number, number, number]);
        for (const silu of [false, true]) {
          const { values, kernels } = await run(() => (silu ? groupNormSilu : groupNorm)(ctx, 'norm', x, groups));
          expect(kernels).toContain(FUSED_KERNELS.groupNorm);
          expect(kernels).not.toContain('Mean');
          expect(maxAbsDiff(values, referenceGroupNorm(xv, shape, groups, gamma, beta, silu))).toBeLessThan(1e-5);
        }
        x.dispose();
        ctx.params.dispose();
      }
    });

    it('LayerNorm equals the definition on the transformer shapes, through the fused kernel', async () => {
      await useBackend(backend);
      for (const shape of LN_CASES) {
        const c = shape[2];
        const xv = normals(shape.reduce((p, d) => p * d, 1), 7 * c, -2, 3);
        const gamma = normals(c, c + 3, 1, 0.5);
        const beta = normals(c, c + 4, 0, 0.5);
        const ctx = normCtx('ln', gamma, beta);
        const x = tf.tensor3d(xv, shape as [number, number, number]);
        const { values, kernels } = await run(() => layerNorm(ctx, 'ln', x));
        expect(kernels).toContain(FUSED_KERNELS.layerNorm);
        expect(maxAbsDiff(values, referenceLayerNorm(xv, c, gamma, beta))).toBeLessThan(1e-5);
        x.dispose();
        ctx.params.dispose();
      }
    });

    it('gradients through the fused kernels (x, gamma, beta) equal the unfused autodiff gradients and the finite difference', async () => {
      await useBackend(backend);
      const shape: [number, number, number, number] = [2, 4, 4, 64];
      const xv = normals(2 * 4 * 4 * 64, 11, 1, 2);
      const params = new ParamStore(undefined, true); // trainable gamma/beta, as in pretraining
      const init = new Map([
        ['t.gn.weight', tf.tensor1d(normals(64, 12, 1, 0.5))],
        ['t.gn.bias', tf.tensor1d(normals(64, 13, 0, 0.5))],
        ['t.ln.weight', tf.tensor1d(normals(64, 15, 1, 0.5))],
        ['t.ln.bias', tf.tensor1d(normals(64, 16, 0, 0.5))],
      ]);
      params.assign(init, true);
      tf.dispose([...init.values()]);
      const ctx: Ctx = { params, prefix: 't.' };
      const wt = tf.tensor4d(normals(xv.length, 14), shape);
      // Both norms on the path, GroupNorm with and without SiLU; a weighted sum so every output matters differently.
      const loss = (t: tf.Tensor) => {
        const a = groupNormSilu(ctx, 'gn', t as tf.Tensor4D, 16);
        const y = layerNorm(ctx, 'ln', tf.add(a, groupNorm(ctx, 'gn', t as tf.Tensor4D, 16)));
        return tf.sum(tf.mul(y, wt)) as tf.Scalar;
      };
      const vars = ['t.gn.weight', 't.gn.bias', 't.ln.weight', 't.ln.bias'].map((n) => params.tensors.get(n)! as tf.Variable);
      const x = tf.variable(tf.tensor4d(xv, shape), true);
      const gradsOf = async (fused: boolean) => {
        setFusedOpsEnabled(fused);
        const step = () => {
          const { value, grads } = tf.variableGrads(() => loss(x), [x, ...vars]);
          value.dispose();
          return [x, ...vars].map((v) => grads[v.name]);
        };
        const prof = await tf.profile(() => step());
        tf.dispose(prof.result as tf.Tensor[]);
        const grads = step();
        const out = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
        tf.dispose(grads);
        return { out, kernels: prof.kernels.map((k) => k.name) };
      };
      const on = await gradsOf(true);
      const off = await gradsOf(false);
      setFusedOpsEnabled(true);
      expect(on.kernels).toContain(FUSED_KERNELS.groupNorm); // the taped forward ran the fused kernels
      expect(on.kernels).toContain(FUSED_KERNELS.layerNorm);
      expect(off.kernels).not.toContain(FUSED_KERNELS.groupNorm);
      on.out.forEach((g, i) => {
        const scale = Math.max(1, ...Array.from(off.out[i], Math.abs));
        expect(maxAbsDiff(g, off.out[i]) / scale).toBeLessThan(1e-4); // float32 reduction order differs
      });
      // Central differences of the fused forward on a few x entries (float32 sums: loose).
      const lossAt = async (i: number, h: number) => {
        const xp = Float32Array.from(xv);
        xp[i] += h;
        const t = tf.tensor4d(xp, shape);
        const l = loss(t);
        const v = (await l.data())[0];
        tf.dispose([t, l]);
        return v;
      };
      for (const i of [0, 17, 1000, 2047]) {
        const fd = ((await lossAt(i, 1e-2)) - (await lossAt(i, -1e-2))) / 2e-2;
        expect(Math.abs(fd - on.out[0][i])).toBeLessThan(2e-2 * Math.max(1, Math.abs(on.out[0][i])));
      }
      tf.dispose([x, wt]);
      params.dispose();
    });

    it('repeated fused calls do not leak tensors or backend buffers', async () => {
      await useBackend(backend);
      const gamma = normals(128, 1, 1, 0.3);
      const beta = normals(128, 2);
      const ctx = normCtx('norm', gamma, beta);
      const x = tf.tensor4d(normals(4 * 4 * 4 * 128, 3), [4, 4, 4, 128]);
      const x3 = x.reshape([4, 16, 128]);
      const step = () => tf.tidy(() => tf.add(tf.add(groupNormSilu(ctx, 'norm', x, 16), groupNorm(ctx, 'norm', x, 16)), layerNorm(ctx, 'norm', x3).reshape([4, 4, 4, 128])));
      step().dispose(); // warm-up
      const tensors = tf.memory().numTensors;
      const dataIds = tf.engine().backend.numDataIds();
      for (let i = 0; i < 20; i++) step().dispose();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.engine().backend.numDataIds()).toBe(dataIds);
      tf.dispose([x, x3]);
      ctx.params.dispose();
    });
  });
}

describe('the shipped model with and without the fused ops (wasm)', () => {
  it('UNet forward (batch 4, CFG-style) and decode agree to 1e-5', async () => {
    await useBackend('wasm');
    const { model } = loadModel();
    const { sampleSize: s, inChannels: c } = model.config.unet;
    const x = tf.tensor4d(normals(4 * s * s * c, 5), [4, s, s, c]);
    const text = model.encodeText(['red heart', '', 'grinning face', 'dog']);
    const outputs = async (fused: boolean) => {
      setFusedOpsEnabled(fused);
      const eps = model.predict(x, [999, 500, 120, 1], text);
      const img = model.decode(eps);
      const out = { eps: (await eps.data()) as Float32Array, img: (await img.data()) as Float32Array, kernels: 0 };
      out.kernels = (await tf.profile(() => model.predict(x, [999, 500, 120, 1], text))).kernels.length;
      tf.dispose([eps, img]);
      return out;
    };
    const on = await outputs(true);
    const off = await outputs(false);
    setFusedOpsEnabled(true);
    const scale = Math.max(...Array.from(off.eps, Math.abs));
    expect(scale).toBeGreaterThan(0.1);
    expect(maxAbsDiff(on.eps, off.eps)).toBeLessThan(1e-5 * Math.max(1, scale));
    expect(maxAbsDiff(on.img, off.img)).toBeLessThan(1e-5);
    expect(on.kernels).toBeLessThan(0.7 * off.kernels); // fewer launches is the point
    tf.dispose([x, text]);
    model.dispose();
  });
});

describe('WebGPU fused norms: workgroup dispatch', () => {
  it('covers every group or row with at most 65,535 workgroups per dimension', () => {
    for (const n of [1, 5, 2048, 65535, 65536, 70000, 200_000]) {
      const [x, y, z] = normDispatch(n);
      expect(x).toBeLessThanOrEqual(65535);
      expect(z).toBe(1);
      expect(x * y).toBeGreaterThanOrEqual(n); // unit = wy·x + wx reaches n − 1
      expect(x * (y - 1)).toBeLessThan(n); // no wholly idle row of workgroups
    }
    expect(normDispatch(70000)).toEqual([65535, 2, 1]);
    expect(() => normDispatch(0)).toThrow(/nothing to normalise/);
  });
});
