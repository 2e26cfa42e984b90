/** Stride-1 'same' conv2d whose input and filter gradients are themselves forward convolutions (input grad: dy with the filter rotated 180° and in/out swapped; filter grad: xᵀ with dyᵀ as the filter), so training runs on tfjs-backend-wasm 4.22 (no Conv2DBackpropFilter kernel) near forward speed. */
import * as tf from '@tensorflow/tfjs';

/**
 * Input gradient: conv2d(dy, W') with W' = W rotated 180° spatially and in/out channels swapped.
 * dy [B,H,W,Cout], w [k,k,Cin,Cout] -> [B,H,W,Cin]
 */
export function conv2dInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => conv2dSameRaw(dy, rotate180SwapChannels(w)));
}

/**
 * W'[i,j,o,c] = W[k−1−i, k−1−j, c, o]. Reversing both spatial axes is reversing the flattened k·k index, done as an
 * exact 0/1 permutation matmul: tfjs-wasm's Reverse (and Gather) copy element by element, ≈7× slower here.
 * w [k,k,Cin,Cout] -> [k,k,Cout,Cin]
 */
export function rotate180SwapChannels(w: tf.Tensor4D): tf.Tensor4D {
  const [k, , cin, cout] = w.shape;
  const n = k * k;
  const flip = tf.tensor2d(Float32Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) + (i % n) === n - 1 ? 1 : 0)), [n, n]); // [n,n] anti-identity
  const rotated = tf.matMul(flip, tf.reshape(w, [n, cin * cout])); // [n, Cin·Cout], rows reversed
  return tf.reshape(tf.transpose(tf.reshape(rotated, [n, cin, cout]), [0, 2, 1]), [k, k, cout, cin]);
}

const conv2dSameRaw = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, 1, 'same');

/**
 * Filter gradient: conv2d(xᵀ, dyᵀ) with the batch as channels and dy used as an H×W filter.
 * x [B,H,W,Cin], dy [B,H,W,Cout] -> [k,k,Cin,Cout]
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kernelSize: number): tf.Tensor4D {
  return tf.tidy(() => {
    const p = (kernelSize - 1) / 2;
    const xT = tf.transpose(x, [3, 1, 2, 0]); // [Cin,H,W,B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [H,W,B,Cout]
    const g = tf.conv2d(xT as tf.Tensor4D, dyT as tf.Tensor4D, 1, [[0, 0], [p, p], [p, p], [0, 0]]); // [Cin,k,k,Cout]
    return tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D; // [k,k,Cin,Cout]
  });
}

function checkKernel(w: tf.Tensor4D): number {
  const k = w.shape[0];
  if (k !== w.shape[1] || k % 2 !== 1) throw new Error(`conv2dSame needs an odd square kernel, got ${w.shape[0]}×${w.shape[1]}`);
  return k;
}

/**
 * y = conv2d(x, w, stride 1, 'same') for a filter that is not trained (a frozen base weight while only LoRA trains):
 * only the input gradient. tf.customGrad computes every input's gradient eagerly, so passing a frozen filter to
 * `conv2dSame` would pay for a filter gradient that autodiff then drops.
 */
export function conv2dSameFrozen(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  checkKernel(w);
  const f = tf.customGrad(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ((xIn: tf.Tensor4D, save: (ts: tf.Tensor[]) => void): any => {
      save([w]); // saved, not closed over: the engine keeps saved tensors alive until the backward pass
      return { value: tf.conv2d(xIn, w, 1, 'same'), gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => conv2dInputGrad(dy, saved[0] as tf.Tensor4D) };
    }) as never,
  ) as unknown as (x: tf.Tensor4D) => tf.Tensor4D;
  return f(x);
}

/** y = conv2d(x, w, stride 1, 'same') for odd square kernels, with forward-conv gradients. */
export const conv2dSame: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D = tf.customGrad(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ((x: tf.Tensor4D, w: tf.Tensor4D, save: (ts: tf.Tensor[]) => void): any => {
    const k = checkKernel(w);
    save([x, w]);
    return {
      value: tf.conv2d(x, w, 1, 'same'),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [conv2dInputGrad(dy, ws), conv2dFilterGrad(xs, dy, k)];
      },
    };
  }) as never,
) as never;
