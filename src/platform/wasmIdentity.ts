// Replaces tfjs-backend-wasm 4.22's Identity kernel, which copies its input, with a zero-copy one that shares the data (as the cpu backend and the wasm Reshape do): autodiff and customGrad call Identity ≈2,000 times per training step.
import * as tf from '@tensorflow/tfjs';

interface RefCounting {
  incRef(dataId: object): void;
}

let installed = false;

/**
 * Installs the replacement (idempotent). Sharing is safe because no wasm kernel writes into its inputs and
 * Variable.assign swaps the data id instead of writing in place; the backend frees the data when its last
 * reference is disposed.
 */
export function installWasmIdentity(): void {
  if (installed) return;
  const stock = tf.getKernel(tf.Identity, 'wasm');
  if (!stock) return; // wasm backend not bundled
  installed = true;
  const kernelFunc = ({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return (stock.kernelFunc as tf.KernelFunc)({ inputs, backend: backend as never, attrs: {} }) as tf.TensorInfo;
    (backend as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({ kernelName: tf.Identity, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc: kernelFunc as tf.KernelFunc });
}
