/** Fused norm ops (GroupNorm(+SiLU), LayerNorm): one custom tfjs kernel instead of 11–14 small ones where the active backend registers it (wasm, cpu: src/platform/fusedKernels.ts; webgpu: src/platform/webgpuFusedNorms.ts), with registered gradients (normGrads.ts); webgl takes the unfused tfjs ops. */
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNELS } from './kernelNames';
import { registerFusedNormGradients } from './normGrads';

export { FUSED_KERNELS };

let enabled = true;

/** Turns the fused paths off (or back on) process-wide: for A/B measurements and for tests that compare both paths. */
export function setFusedOpsEnabled(on: boolean): void {
  enabled = on;
}

export function fusedOpsEnabled(): boolean {
  return enabled;
}

/**
 * Whether a forward may drop wrappers that only matter for gradients: enabled and no gradient tape is recording
 * (tf.engine().isTapeOn(): true inside tf.grad / variableGrads, false outside them and inside any kernel or customGrad
 * forward). The frozen-weight customGrad wrappers (frozenDense, conv2dSameFrozen) run the same kernels as the bare ops,
 * so skipping them changes no value.
 */
export function inferenceOnly(): boolean {
  return enabled && !tf.engine().isTapeOn();
}

/**
 * Whether `kernel` may run now: enabled, float32 inputs, and registered for the active backend. With or without a
 * gradient tape: the training forward runs the same kernel as sampling and the reference forwards (identical values),
 * and backpropagates through the registered gradient.
 */
export function canFuse(kernel: string, ...inputs: tf.Tensor[]): boolean {
  return enabled && inputs.every((t) => t.dtype === 'float32') && tf.getKernel(kernel, tf.getBackend()) != null;
}

/** GroupNorm over [H, W, C/G] with per-channel affine, then SiLU when `silu`. x [B,H,W,C] -> same (check canFuse first). */
export function fusedGroupNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, groups: number, epsilon: number, silu: boolean): tf.Tensor4D {
  registerFusedNormGradients();
  return tf.engine().runKernel(FUSED_KERNELS.groupNorm, { x, gamma, beta }, { groups, epsilon, silu }) as tf.Tensor4D;
}

/** LayerNorm over the last axis with affine. x [..., C] -> same (check canFuse first). */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  registerFusedNormGradients();
  return tf.engine().runKernel(FUSED_KERNELS.layerNorm, { x, gamma, beta }, { epsilon }) as tf.Tensor;
}
