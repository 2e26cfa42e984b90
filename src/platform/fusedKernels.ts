// Registers the fused inference kernels of src/core/model/fused/fusedOps.ts (GroupNorm(+SiLU), LayerNorm) for the wasm backend (statistics read from the wasm heap in place; the elementwise work by the backend's own SIMD kernels, called without the engine) and the cpu backend (plain loops over its typed arrays); webgpu has its own shaders (webgpuFusedNorms.ts); webgl gets none and keeps the unfused ops.
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNELS } from '../core/model/fused/kernelNames';
import { groupNormInto, groupNormScaleShift, layerNormInto } from '../core/model/fused/normMath';
import { checkGroupNormShapes, checkLayerNormShapes, rowsOf } from '../core/model/fused/normShapes';

type Inputs = Record<string, tf.TensorInfo>;
type KernelArgs = { inputs: Inputs; backend: unknown; attrs?: Record<string, unknown> };
type KernelFn = (args: KernelArgs) => tf.TensorInfo;

/** tfjs-backend-wasm 4.22 (dist/backend_wasm.js): makeOutput mallocs in the heap, which may grow it and detach older views. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}
/** tfjs-backend-cpu 4.22 (dist/backend_cpu.js): tensor data are typed arrays in backend.data. */
interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}


/**
 * wasm GroupNorm(+SiLU): the statistics in one JS pass over the heap (groupNormScaleShift), then y = x·scale + shift
 * and y·σ(y) by the stock wasm Multiply / Add / Sigmoid kernels (XNNPACK, SIMD; broadcasting [B,1,1,C]) called
 * directly — a JS exp is ≈10× slower than the wasm Sigmoid, and the engine's per-kernel bookkeeping is what the fusion
 * saves. Intermediates are freed before returning (the engine's leak check counts one new data id).
 */
function wasmGroupNorm({ inputs: { x, gamma, beta }, backend: backendIn, attrs }: KernelArgs): tf.TensorInfo {
  const groups = attrs?.groups as number;
  checkGroupNormShapes(x, gamma, beta, groups);
  const backend = backendIn as WasmBackendLike;
  const [b, h, w, c] = x.shape;
  const { scale, shift } = groupNormScaleShift(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(gamma), backend.typedArrayFromHeap(beta), b, h * w, c, groups, attrs?.epsilon as number);
  const s = backend.makeOutput([b, 1, 1, c], 'float32');
  backend.typedArrayFromHeap(s).set(scale);
  const t = backend.makeOutput([b, 1, 1, c], 'float32');
  backend.typedArrayFromHeap(t).set(shift);
  const mul = tf.getKernel(tf.Multiply, 'wasm')!.kernelFunc as KernelFn;
  const add = tf.getKernel(tf.Add, 'wasm')!.kernelFunc as KernelFn;
  const xs = mul({ inputs: { a: x, b: s }, backend });
  const y = add({ inputs: { a: xs, b: t }, backend });
  for (const d of [s, t, xs]) backend.disposeData(d.dataId);
  if (attrs?.silu !== true) return y;
  const sig = (tf.getKernel(tf.Sigmoid, 'wasm')!.kernelFunc as KernelFn)({ inputs: { x: y }, backend });
  const out = mul({ inputs: { a: y, b: sig }, backend });
  backend.disposeData(y.dataId);
  backend.disposeData(sig.dataId);
  return out;
}

/** wasm LayerNorm: one JS kernel over the heap (statistics and output in two passes per row). */
function wasmLayerNorm({ inputs: { x, gamma, beta }, backend: backendIn, attrs }: KernelArgs): tf.TensorInfo {
  checkLayerNormShapes(x, gamma, beta);
  const backend = backendIn as WasmBackendLike;
  const out = backend.makeOutput(x.shape, 'float32'); // views after the allocation (it may grow the heap)
  const v = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t);
  layerNormInto(v(x), v(gamma), v(beta), v(out), rowsOf(x.shape), x.shape[x.shape.length - 1], attrs?.epsilon as number);
  return out;
}

const cpuValues = (backend: CpuBackendLike, t: tf.TensorInfo) => backend.data.get(t.dataId).values as Float32Array;

function cpuGroupNorm({ inputs: { x, gamma, beta }, backend: backendIn, attrs }: KernelArgs): tf.TensorInfo {
  const groups = attrs?.groups as number;
  checkGroupNormShapes(x, gamma, beta, groups);
  const backend = backendIn as CpuBackendLike;
  const [b, h, w, c] = x.shape;
  const out = new Float32Array(b * h * w * c);
  groupNormInto(cpuValues(backend, x), cpuValues(backend, gamma), cpuValues(backend, beta), out, b, h * w, c, groups, attrs?.epsilon as number, attrs?.silu === true);
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

function cpuLayerNorm({ inputs: { x, gamma, beta }, backend: backendIn, attrs }: KernelArgs): tf.TensorInfo {
  checkLayerNormShapes(x, gamma, beta);
  const backend = backendIn as CpuBackendLike;
  const out = new Float32Array(rowsOf(x.shape) * x.shape[x.shape.length - 1]);
  layerNormInto(cpuValues(backend, x), cpuValues(backend, gamma), cpuValues(backend, beta), out, rowsOf(x.shape), x.shape[x.shape.length - 1], attrs?.epsilon as number);
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

let installed = false;

/** Registers the fused kernels for 'wasm' and 'cpu' (idempotent; a backend whose stock kernels are not bundled is skipped). */
export function installFusedKernels(): void {
  if (installed) return;
  installed = true;
  const table: [string, string, KernelFn][] = [
    ['wasm', FUSED_KERNELS.groupNorm, wasmGroupNorm],
    ['wasm', FUSED_KERNELS.layerNorm, wasmLayerNorm],
    ['cpu', FUSED_KERNELS.groupNorm, cpuGroupNorm],
    ['cpu', FUSED_KERNELS.layerNorm, cpuLayerNorm],
  ];
  for (const [backendName, kernelName, kernelFunc] of table) {
    if (!tf.getKernel(tf.Sigmoid, backendName)) continue; // backend not bundled (the wasm kernel also calls Multiply/Add/Sigmoid)
    if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as tf.KernelFunc });
  }
}
