// Browser-side check for tests/e2e/fusedWebgpu.e2e.mjs: on the WebGPU backend the fused GroupNorm(+SiLU) and LayerNorm
// shaders (src/platform/webgpuFusedNorms.ts) against the norms computed here in float64 from their definitions, their
// registered gradients against autodiff of the plain tfjs formula on the same backend, and a tiny-model UNet forward
// fused vs unfused (values and kernel counts). Every read is async (never dataSync on WebGPU).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { installWebgpuFusedNorms } from '../../../src/platform/webgpuFusedNorms';
import { FUSED_KERNELS, fusedGroupNorm, fusedLayerNorm, setFusedOpsEnabled } from '../../../src/core/model/fused/fusedOps';
import { MiniSD } from '../../../src/core/model/pipeline';
import { tinyModelConfig } from '../../../src/core/config';

/** Deterministic values in [-scale, scale) + offset (an LCG; no Math.random). */
function values(n: number, seed: number, scale = 2, offset = 0): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale + offset;
  }
  return out;
}

/** GroupNorm from its definition (float64): per (b, group) mean and biased variance over H·W·C/G, affine, optional SiLU. */
function groupNormRef(x: Float32Array, [b, h, w, c]: number[], gamma: Float32Array, beta: Float32Array, groups: number, eps: number, silu: boolean): Float64Array {
  const y = new Float64Array(x.length);
  const cg = c / groups;
  for (let bi = 0; bi < b; bi++) {
    for (let g = 0; g < groups; g++) {
      const idx: number[] = [];
      for (let p = 0; p < h * w; p++) for (let k = 0; k < cg; k++) idx.push((bi * h * w + p) * c + g * cg + k);
      const mean = idx.reduce((a, i) => a + x[i], 0) / idx.length;
      const v = idx.reduce((a, i) => a + (x[i] - mean) ** 2, 0) / idx.length;
      for (const i of idx) {
        const ch = i % c;
        const t = ((x[i] - mean) / Math.sqrt(v + eps)) * gamma[ch] + beta[ch];
        y[i] = silu ? t / (1 + Math.exp(-t)) : t;
      }
    }
  }
  return y;
}

/** LayerNorm over the last axis from its definition (float64). */
function layerNormRef(x: Float32Array, c: number, gamma: Float32Array, beta: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / c; r++) {
    const row = x.subarray(r * c, (r + 1) * c);
    const mean = row.reduce((a, v) => a + v, 0) / c;
    const v = row.reduce((a, t) => a + (t - mean) ** 2, 0) / c;
    for (let i = 0; i < c; i++) y[r * c + i] = ((row[i] - mean) / Math.sqrt(v + eps)) * gamma[i] + beta[i];
  }
  return y;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** The plain tfjs GroupNorm (what webgpu ran before the fused shader), for autodiff. */
function plainGroupNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number, eps: number, silu: boolean): tf.Tensor {
  const [b, h, w, c] = x.shape;
  const g = x.reshape([b, h, w, groups, c / groups]);
  const { mean, variance } = tf.moments(g, [1, 2, 4], true);
  const y = tf.add(tf.mul(tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, eps))).reshape(x.shape), gamma), beta);
  return silu ? tf.mul(y, tf.sigmoid(y)) : y;
}

function plainLayerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, [x.rank - 1], true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

export interface FusedNormCheck {
  backend: string;
  registered: boolean;
  forward: { name: string; maxDiff: number; maxAbs: number }[];
  gradients: { name: string; maxDiff: number; maxAbs: number }[];
  model: { fusedKernels: number; plainKernels: number; fusedCalls: number; maxDiff: number; maxAbs: number };
  tensorsLeaked: number;
}

export async function runFusedNormCheck(): Promise<FusedNormCheck> {
  installWebgpuFusedNorms();
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
  await tf.ready();
  const before = tf.memory().numTensors;
  const forward: FusedNormCheck['forward'] = [];
  const gradients: FusedNormCheck['gradients'] = [];
  // The UNet's GroupNorm shapes (32 groups; 2 channels per group up to 6) and more groups than one dispatch row holds
  // would need; batch 3 so that (b, g) indexing is exercised beyond 1.
  const gnCases: { shape: number[]; groups: number; silu: boolean }[] = [
    { shape: [3, 8, 8, 64], groups: 32, silu: true },
    { shape: [2, 4, 4, 128], groups: 32, silu: false },
    { shape: [2, 8, 8, 192], groups: 32, silu: true },
    { shape: [1, 32, 32, 16], groups: 8, silu: true }, // 1,024 elements per group: many strides per thread
  ];
  for (const [k, { shape, groups, silu }] of gnCases.entries()) {
    const n = shape.reduce((a, d) => a * d, 1);
    const c = shape[3];
    const xv = values(n, 11 + k, 3, 0.5);
    const gv = values(c, 101 + k, 1, 1);
    const bv = values(c, 201 + k, 0.5);
    const [x, gamma, beta] = [tf.tensor4d(xv, shape as [number, number, number, number]), tf.tensor1d(gv), tf.tensor1d(bv)];
    const y = fusedGroupNorm(x, gamma, beta, groups, 1e-5, silu);
    const ref = groupNormRef(xv, shape, gv, bv, groups, 1e-5, silu);
    forward.push({ name: `GroupNorm${silu ? '+SiLU' : ''} [${shape}] / ${groups}`, maxDiff: maxDiff(await y.data(), ref), maxAbs: Math.max(...Array.from(ref, Math.abs)) });
    // Gradients: Σ y·dy through the fused kernel (registered gradient) vs the plain formula (autodiff), same backend.
    const dy = tf.tensor4d(values(n, 301 + k), shape as [number, number, number, number]);
    const fusedGrads = tf.grads((a: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(fusedGroupNorm(a as tf.Tensor4D, g, bb, groups, 1e-5, silu), dy)))([x, gamma, beta]);
    const plainGrads = tf.grads((a: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(plainGroupNorm(a as tf.Tensor4D, g as tf.Tensor1D, bb as tf.Tensor1D, groups, 1e-5, silu), dy)))([x, gamma, beta]);
    for (const [i, what] of ['x', 'gamma', 'beta'].entries()) {
      const p = await plainGrads[i].data();
      gradients.push({ name: `GroupNorm [${shape}] d${what}`, maxDiff: maxDiff(await fusedGrads[i].data(), p), maxAbs: Math.max(...Array.from(p, Math.abs)) });
    }
    tf.dispose([x, gamma, beta, y, dy, ...fusedGrads, ...plainGrads]);
  }
  const lnCases = [[2, 64, 128], [3, 16, 256], [5, 32]];
  for (const [k, shape] of lnCases.entries()) {
    const n = shape.reduce((a, d) => a * d, 1);
    const c = shape[shape.length - 1];
    const xv = values(n, 21 + k, 2, -0.3);
    const gv = values(c, 121 + k, 1, 1);
    const bv = values(c, 221 + k, 0.5);
    const [x, gamma, beta] = [tf.tensor(xv, shape), tf.tensor1d(gv), tf.tensor1d(bv)];
    const y = fusedLayerNorm(x, gamma, beta, 1e-5);
    const ref = layerNormRef(xv, c, gv, bv, 1e-5);
    forward.push({ name: `LayerNorm [${shape}]`, maxDiff: maxDiff(await y.data(), ref), maxAbs: Math.max(...Array.from(ref, Math.abs)) });
    const dy = tf.tensor(values(n, 321 + k), shape);
    const fusedGrads = tf.grads((a: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(fusedLayerNorm(a, g, bb, 1e-5), dy)))([x, gamma, beta]);
    const plainGrads = tf.grads((a: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(plainLayerNorm(a, g as tf.Tensor1D, bb as tf.Tensor1D, 1e-5), dy)))([x, gamma, beta]);
    for (const [i, what] of ['x', 'gamma', 'beta'].entries()) {
      const p = await plainGrads[i].data();
      gradients.push({ name: `LayerNorm [${shape}] d${what}`, maxDiff: maxDiff(await fusedGrads[i].data(), p), maxAbs: Math.max(...Array.from(p, Math.abs)) });
    }
    tf.dispose([x, gamma, beta, y, dy, ...fusedGrads, ...plainGrads]);
  }
  // A whole UNet forward (tiny model): fused vs the plain ops, values and dispatched kernels.
  const model = MiniSD.create(tinyModelConfig(), 3);
  const { sampleSize: s, inChannels: ch } = model.config.unet;
  const lat = tf.tensor4d(values(2 * s * s * ch, 7), [2, s, s, ch]);
  const text = model.encodeText(['red heart', 'dog face']);
  const run = async (fused: boolean) => {
    setFusedOpsEnabled(fused);
    try {
      const prof = await tf.profile(() => {
        tf.tidy(() => model.predict(lat, [500, 20], text)).dispose();
        return [];
      });
      const y = tf.tidy(() => model.predict(lat, [500, 20], text));
      const data = await y.data();
      y.dispose();
      const names = prof.kernels.map((k) => k.name).filter((name) => tf.getKernel(name, 'webgpu') != null);
      return { data, kernels: names.length, fusedCalls: names.filter((name) => name === FUSED_KERNELS.groupNorm || name === FUSED_KERNELS.layerNorm).length };
    } finally {
      setFusedOpsEnabled(true);
    }
  };
  const fused = await run(true);
  const plain = await run(false);
  tf.dispose([lat, text]);
  model.dispose();
  return {
    backend: tf.getBackend(),
    registered: tf.getKernel(FUSED_KERNELS.groupNorm, 'webgpu') != null && tf.getKernel(FUSED_KERNELS.layerNorm, 'webgpu') != null,
    forward,
    gradients,
    model: { fusedKernels: fused.kernels, plainKernels: plain.kernels, fusedCalls: fused.fusedCalls, maxDiff: maxDiff(fused.data, plain.data), maxAbs: Math.max(...Array.from(plain.data, Math.abs)) },
    tensorsLeaked: tf.memory().numTensors - before,
  };
}
