// Replaces tfjs-backend-wasm 4.22's Slice and SplitV, which copy the whole input out of the wasm heap (readSync) for every slice, with ones that read the input in place: a GEGLU split of [64,64,384] copied 6 MB twice.
import * as tf from '@tensorflow/tfjs';

type KernelFn = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Record<string, unknown> }) => tf.TensorInfo;
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let installed = false;

/**
 * Copies the box [begin, begin + size) of a row-major array of `shape` into `out` (row-major, shape `size`): one
 * contiguous run of size[last] elements per index of the leading axes.
 */
export function copyBox(x: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, shape: readonly number[], begin: readonly number[], size: readonly number[], out: { set(a: ArrayLike<number>, offset: number): void } & ArrayLike<number>): void {
  const rank = shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  const run = size[rank - 1];
  const rows = size.slice(0, -1).reduce((p, d) => p * d, 1);
  if (run === 0 || rows === 0) return;
  const idx = new Array<number>(Math.max(0, rank - 1)).fill(0); // odometer over the leading axes of the box
  for (let r = 0, o = 0; r < rows; r++, o += run) {
    let at = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) at += (begin[d] + idx[d]) * strides[d];
    out.set(x.subarray(at, at + run), o);
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
}

/** Installs the replacements of Slice and SplitV (which calls the stock slice directly). Idempotent; strings go to the stock kernels. */
export function installWasmSlice(): void {
  if (installed) return;
  const stock = tf.getKernel(tf.Slice, 'wasm');
  const stockSplit = tf.getKernel(tf.SplitV, 'wasm');
  if (!stock || !stockSplit) return; // wasm backend not bundled
  installed = true;
  const stockSlice = stock.kernelFunc as KernelFn;
  const slice = (x: tf.TensorInfo, beginIn: number[], sizeIn: number[], backendIn: unknown): tf.TensorInfo => {
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, beginIn, sizeIn);
    const backend = backendIn as WasmBackendLike;
    const out = backend.makeOutput(size, x.dtype);
    // Views after makeOutput: allocating may grow the wasm heap, which detaches earlier views.
    copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
    return out;
  };
  const sliceKernel: KernelFn = (args) => {
    const x = args.inputs.x;
    if (x.dtype === 'string' || x.shape.length === 0) return stockSlice(args);
    return slice(x, args.attrs?.begin as number[], args.attrs?.size as number[], args.backend);
  };
  const splitKernel = (args: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Record<string, unknown> }): tf.TensorInfo[] => {
    const x = args.inputs.x;
    if (x.dtype === 'string') return (stockSplit.kernelFunc as unknown as (a: typeof args) => tf.TensorInfo[])(args);
    const axis = tf.util.parseAxisParam(args.attrs?.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs?.numOrSizeSplits as number[] | number, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const out = slice(x, [...begin], size, args.backend);
      begin[axis] += s;
      return out;
    });
  };
  tf.unregisterKernel(tf.Slice, 'wasm');
  tf.registerKernel({ kernelName: tf.Slice, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: sliceKernel as tf.KernelFunc });
  tf.unregisterKernel(tf.SplitV, 'wasm');
  tf.registerKernel({ kernelName: tf.SplitV, backendName: 'wasm', setupFunc: stockSplit.setupFunc, kernelFunc: splitKernel as unknown as tf.KernelFunc });
}
