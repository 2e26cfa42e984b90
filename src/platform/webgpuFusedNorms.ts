// The fused norm kernels of src/core/model/fused (GroupNorm(+SiLU), LayerNorm) for tfjs-backend-webgpu 4.22: one compute shader per norm instead of the 11–14 dispatches the plain ops take (mean, square, sub, rsqrt, mul, add, sigmoid…), which is what a small UNet pays for on a GPU (per-dispatch overhead). One workgroup per (batch, group) or per row: a two-pass mean/variance reduction in workgroup memory, then the affine (and SiLU) written out. The programs follow tfjs-backend-webgpu's own (e.g. src/batchnorm_webgpu.ts: WebGPUProgram, flat dispatch layout, `main(index)` with the shader preamble the backend adds).
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { FUSED_KERNELS } from '../core/model/fused/kernelNames';
import { checkGroupNormShapes, checkLayerNormShapes, rowsOf } from '../core/model/fused/normShapes';

type Inputs = Record<string, tf.TensorInfo>;
type KernelArgs = { inputs: Inputs; backend: unknown; attrs?: Record<string, unknown> };
type ProgramUniform = { type: 'int32' | 'float32'; data: number[] }[];

/** tfjs-backend-webgpu 4.22 (dist/backend_webgpu.d.ts): runs a program on input tensors with its uniforms. */
interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGPUProgram, inputs: tf.TensorInfo[], outputDtype: 'float32', programDefinedUniform?: ProgramUniform): tf.TensorInfo;
}

/** Threads per workgroup: each reduces a strided share of one group's (or row's) elements, then a tree in workgroup memory. */
export const NORM_WORKGROUP = 64;
/** WebGPU's guaranteed maxComputeWorkgroupsPerDimension; more workgroups go into a second dispatch dimension. */
const MAX_WORKGROUPS_X = 65535;

/** Workgroups for `n` independent reductions, as [x, y, 1] with x·y ≥ n (x ≤ 65535). */
export function normDispatch(n: number): [number, number, number] {
  if (!(n >= 1)) throw new Error(`fused norm: nothing to normalise (${n} groups or rows)`);
  const x = Math.min(n, MAX_WORKGROUPS_X);
  return [x, Math.ceil(n / x), 1];
}

/**
 * WGSL shared by both programs: `unit` = this workgroup's reduction (row-major over the 2-D dispatch), `groupSum` a
 * tree sum over the workgroup. Barriers stay in uniform control flow: every thread runs every loop and barrier, and
 * threads of a workgroup past the last unit only skip loads and stores.
 */
const REDUCE_WGSL = `
  var<workgroup> partial : array<f32, ${NORM_WORKGROUP}>;
  fn groupSum(v : f32) -> f32 {
    partial[localIndex] = v;
    workgroupBarrier();
    for (var s = ${NORM_WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
      if (localIndex < s) {
        partial[localIndex] = partial[localIndex] + partial[localIndex + s];
      }
      workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
  }
  fn unitIndex() -> i32 {
    return i32(workgroupId.y * numWorkgroups.x + workgroupId.x);
  }`;

const SILU_WGSL = 'y = y / (1.0 + exp(-y));';

/** GroupNorm over [H, W, C/G] per (batch, group) with per-channel affine, then SiLU when `silu` (x [B,H,W,C]). */
export class GroupNormProgram implements WebGPUProgram {
  variableNames = ['x', 'gamma', 'beta'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [NORM_WORKGROUP, 1, 1];
  uniforms = 'units : i32, groups : i32, hw : i32, cPerG : i32, channels : i32, epsilon : f32,';
  private readonly silu: boolean;

  constructor(shape: number[], groups: number, silu: boolean) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) }; // flat: the backend's preamble calls main(globalIndex)
    this.dispatch = normDispatch(shape[0] * groups);
    this.silu = silu;
    this.shaderKey = `d3poGroupNorm_${silu}`;
  }

  getUserCode(): string {
    return `${REDUCE_WGSL}
  fn main(index : i32) {
    let unit = unitIndex();
    let valid = unit < uniforms.units;
    let b = unit / uniforms.groups;
    let g = unit % uniforms.groups;
    let n = uniforms.hw * uniforms.cPerG;
    let base = b * uniforms.hw * uniforms.channels + g * uniforms.cPerG;
    var s = 0.0;
    for (var i = i32(localIndex); i < n; i = i + ${NORM_WORKGROUP}) {
      if (valid) { s = s + x[base + (i / uniforms.cPerG) * uniforms.channels + i % uniforms.cPerG]; }
    }
    let mean = groupSum(s) / f32(n);
    var q = 0.0;
    for (var i = i32(localIndex); i < n; i = i + ${NORM_WORKGROUP}) {
      if (valid) {
        let d = x[base + (i / uniforms.cPerG) * uniforms.channels + i % uniforms.cPerG] - mean;
        q = q + d * d;
      }
    }
    let inv = inverseSqrt(groupSum(q) / f32(n) + uniforms.epsilon);
    if (valid) {
      for (var i = i32(localIndex); i < n; i = i + ${NORM_WORKGROUP}) {
        let c = g * uniforms.cPerG + i % uniforms.cPerG;
        let at = base + (i / uniforms.cPerG) * uniforms.channels + i % uniforms.cPerG;
        var y = (x[at] - mean) * inv * gamma[c] + beta[c];
        ${this.silu ? SILU_WGSL : ''}
        result[at] = y;
      }
    }
  }`;
  }
}

/** LayerNorm over the last axis with affine, one workgroup per row (x [..., C]). */
export class LayerNormProgram implements WebGPUProgram {
  variableNames = ['x', 'gamma', 'beta'];
  outputShape: number[];
  shaderKey = 'd3poLayerNorm';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [NORM_WORKGROUP, 1, 1];
  uniforms = 'units : i32, channels : i32, epsilon : f32,';

  constructor(shape: number[]) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = normDispatch(rowsOf(shape));
  }

  getUserCode(): string {
    return `${REDUCE_WGSL}
  fn main(index : i32) {
    let unit = unitIndex();
    let valid = unit < uniforms.units;
    let base = unit * uniforms.channels;
    var s = 0.0;
    for (var i = i32(localIndex); i < uniforms.channels; i = i + ${NORM_WORKGROUP}) {
      if (valid) { s = s + x[base + i]; }
    }
    let mean = groupSum(s) / f32(uniforms.channels);
    var q = 0.0;
    for (var i = i32(localIndex); i < uniforms.channels; i = i + ${NORM_WORKGROUP}) {
      if (valid) {
        let d = x[base + i] - mean;
        q = q + d * d;
      }
    }
    let inv = inverseSqrt(groupSum(q) / f32(uniforms.channels) + uniforms.epsilon);
    if (valid) {
      for (var i = i32(localIndex); i < uniforms.channels; i = i + ${NORM_WORKGROUP}) {
        result[base + i] = (x[base + i] - mean) * inv * gamma[i] + beta[i];
      }
    }
  }`;
  }
}

function webgpuGroupNorm({ inputs: { x, gamma, beta }, backend, attrs }: KernelArgs): tf.TensorInfo {
  const groups = attrs?.groups as number;
  const [b, h, w, c] = x.shape;
  checkGroupNormShapes(x, gamma, beta, groups);
  const program = new GroupNormProgram(x.shape, groups, attrs?.silu === true);
  const uniforms: ProgramUniform = [
    { type: 'int32', data: [b * groups] },
    { type: 'int32', data: [groups] },
    { type: 'int32', data: [h * w] },
    { type: 'int32', data: [c / groups] },
    { type: 'int32', data: [c] },
    { type: 'float32', data: [attrs?.epsilon as number] },
  ];
  return (backend as WebGpuBackendLike).runWebGPUProgram(program, [x, gamma, beta], 'float32', uniforms);
}

function webgpuLayerNorm({ inputs: { x, gamma, beta }, backend, attrs }: KernelArgs): tf.TensorInfo {
  const c = x.shape[x.shape.length - 1];
  checkLayerNormShapes(x, gamma, beta);
  const uniforms: ProgramUniform = [
    { type: 'int32', data: [rowsOf(x.shape)] },
    { type: 'int32', data: [c] },
    { type: 'float32', data: [attrs?.epsilon as number] },
  ];
  return (backend as WebGpuBackendLike).runWebGPUProgram(new LayerNormProgram(x.shape), [x, gamma, beta], 'float32', uniforms);
}

/** Registers both kernels for 'webgpu' (idempotent; a no-op where the webgpu backend is not bundled). */
export function installWebgpuFusedNorms(): void {
  if (tf.findBackendFactory('webgpu') == null) return;
  if (tf.getKernel(FUSED_KERNELS.groupNorm, 'webgpu') == null) tf.registerKernel({ kernelName: FUSED_KERNELS.groupNorm, backendName: 'webgpu', kernelFunc: webgpuGroupNorm as unknown as tf.KernelFunc });
  if (tf.getKernel(FUSED_KERNELS.layerNorm, 'webgpu') == null) tf.registerKernel({ kernelName: FUSED_KERNELS.layerNorm, backendName: 'webgpu', kernelFunc: webgpuLayerNorm as unknown as tf.KernelFunc });
}
