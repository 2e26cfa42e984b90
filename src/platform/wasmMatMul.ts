// Replaces tfjs-backend-wasm 4.22's BatchMatMul kernel so every product reaches XNNPACK: the stock kernel uses XNNPACK only for untransposed batch-1 inputs and a scalar loop (≈1–2 GFLOP/s) otherwise, which is every matmul of a backward pass.
import * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;
interface WasmBackendLike {
  disposeData(dataId: object): void;
}
type KernelFn = (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: Record<string, unknown> }) => TensorInfo;

let installed = false;

/** Number of matrices in a [...batch, rows, cols] tensor. */
const batchOf = (x: TensorInfo) => x.shape.slice(0, -2).reduce((p, d) => p * d, 1);

/**
 * Installs the replacement (idempotent; call before or after the wasm backend is initialised). For
 * a [...batch, m, k] × b [k, n] or [...batch, k, n] (either side possibly transposed) the new kernel:
 *   1. materialises transposes with the Transpose kernel (a memory pass, O(size), vs a scalar O(m·n·k) loop);
 *   2. folds a's batch into its rows (b is shared): [batchA·m, k] × [k, n];
 *   3. runs batched products (attention scores, batch > 1 on both sides) as one depthwise convolution.
 * Results are identical up to float summation order (tests/unit/wasmMatMul.test.ts checks against cpu).
 */
export function installWasmMatMul(): void {
  if (installed) return;
  const stock = tf.getKernel(tf.BatchMatMul, 'wasm');
  const transpose = tf.getKernel(tf.Transpose, 'wasm')?.kernelFunc as KernelFn | undefined;
  const depthwise = tf.getKernel(tf.DepthwiseConv2dNative, 'wasm')?.kernelFunc as KernelFn | undefined;
  if (!stock || !transpose || !depthwise) return; // wasm backend not bundled: nothing to patch
  const stockMatMul = stock.kernelFunc as KernelFn;
  installed = true;

  const kernelFunc: KernelFn = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs;
    const transposeA = Boolean(attrs?.transposeA);
    const transposeB = Boolean(attrs?.transposeB);
    const temps: TensorInfo[] = [];
    const permuted = (x: TensorInfo, perm: number[]) => {
      const y = transpose({ inputs: { x }, backend, attrs: { perm } });
      temps.push(y);
      return y;
    };
    const done = (out: TensorInfo, shape: number[]) => {
      for (const t of temps) (backend as WasmBackendLike).disposeData(t.dataId);
      return { ...out, shape };
    };
    if (batchOf(b) > 1) {
      if (batchOf(a) !== batchOf(b)) return stockMatMul({ inputs, backend, attrs }); // broadcast batch: rare, stock loop
      return done(...batchedViaDepthwise(a, b, transposeA, transposeB, permuted, backend));
    }
    const untransposed = (x: TensorInfo, t: boolean) => {
      if (!t) return x;
      const r = x.shape.length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      return permuted(x, perm);
    };
    const a0 = untransposed(a, transposeA); // [...batchA, m, k]
    const b0 = untransposed(b, transposeB); // [k, n] or [1, k, n]
    const [m, k] = a0.shape.slice(-2);
    const n = b0.shape[b0.shape.length - 1];
    // Shared b, so a's batch entries are just more rows: [1, batchA·m, k] × [1, k, n] -> [...batchA, m, n].
    const out = stockMatMul({
      inputs: { a: { ...a0, shape: [1, batchOf(a0) * m, k] }, b: { ...b0, shape: [1, k, n] } },
      backend,
      attrs: { transposeA: false, transposeB: false },
    });
    const batchShape = a0.shape.length > b0.shape.length ? a0.shape.slice(0, -2) : b0.shape.slice(0, -2);
    return done(out, [...batchShape, m, n]);
  };

  /**
   * Batched product as one depthwise convolution (threaded XNNPACK, ≈3× the stock loop at attention sizes):
   * with channels = batch entries and the shared dim k as the kernel height,
   *   x [m, k, 1, BH] (x[i,κ,0,β] = A[β,i,κ]) ⊛ filter [k, 1, BH, n] (f[κ,0,β,j] = B[β,κ,j]), 'valid'
   *   -> y [m, 1, 1, BH·n] with y[i,0,0,β·n+j] = Σκ A[β,i,κ]·B[β,κ,j] = (A·B)[β,i,j].
   */
  const batchedViaDepthwise = (a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, permuted: (x: TensorInfo, perm: number[]) => TensorInfo, backend: unknown): [TensorInfo, number[]] => {
    const batchShape = a.shape.slice(0, -2);
    const bh = batchOf(a);
    const [a1, a2] = a.shape.slice(-2);
    const [b1, b2] = b.shape.slice(-2);
    const [m, k] = transposeA ? [a2, a1] : [a1, a2];
    const n = transposeB ? b1 : b2;
    const a3 = { ...a, shape: [bh, a1, a2] };
    const b3 = { ...b, shape: [bh, b1, b2] };
    const x = permuted(a3, transposeA ? [2, 1, 0] : [1, 2, 0]); // [m, k, BH]
    const f = permuted(b3, transposeB ? [2, 0, 1] : [1, 0, 2]); // [k, BH, n]
    const y = depthwise({
      inputs: { x: { ...x, shape: [m, k, 1, bh] }, filter: { ...f, shape: [k, 1, bh, n] } },
      backend,
      attrs: { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC' },
    }); // [m, 1, 1, BH·n]
    const out = transpose({ inputs: { x: { ...y, shape: [m, bh, n] } }, backend, attrs: { perm: [1, 0, 2] } }); // [BH, m, n]
    (backend as WasmBackendLike).disposeData(y.dataId);
    return [out, [...batchShape, m, n]];
  };

  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({ kernelName: tf.BatchMatMul, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: kernelFunc as tf.KernelFunc });
}
