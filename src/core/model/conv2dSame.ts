/** Stride-1 'same' conv2d whose input and filter gradients are themselves forward convolutions (conventions.md §4), so training runs on tfjs-backend-wasm 4.22 (no Conv2DBackpropFilter kernel) near forward speed. */
import * as tf from '@tensorflow/tfjs';

/**
 * Input gradient: conv2d(dy, W') with W' = W rotated 180° spatially and in/out channels swapped.
 * dy [B,H,W,Cout], w [k,k,Cin,Cout] -> [B,H,W,Cin]
 */
export function conv2dInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const wRot = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [k,k,Cout,Cin]
    return tf.conv2d(dy, wRot, 1, 'same');
  });
}

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

/** y = conv2d(x, w, stride 1, 'same') for odd square kernels, with forward-conv gradients. */
export const conv2dSame: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D = tf.customGrad(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ((x: tf.Tensor4D, w: tf.Tensor4D, save: (ts: tf.Tensor[]) => void): any => {
    const k = w.shape[0];
    if (k !== w.shape[1] || k % 2 !== 1) throw new Error(`conv2dSame needs an odd square kernel, got ${w.shape[0]}×${w.shape[1]}`);
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
