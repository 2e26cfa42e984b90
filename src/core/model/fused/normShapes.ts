/** Shape checks of the fused norm kernels, shared by every backend that registers them (src/platform/fusedKernels.ts for wasm/cpu, src/platform/webgpuFusedNorms.ts): a kernel refuses inputs it would misread with a message naming the shapes. */
import { FUSED_KERNELS } from './kernelNames';

type Shaped = { shape: number[] };

/** x [B,H,W,C] with C divisible by `groups`, gamma and beta [C]. */
export function checkGroupNormShapes(x: Shaped, gamma: Shaped, beta: Shaped, groups: number): void {
  const c = x.shape[3];
  if (x.shape.length !== 4 || !(groups > 0) || c % groups !== 0 || gamma.shape[0] !== c || beta.shape[0] !== c) throw new Error(`${FUSED_KERNELS.groupNorm}: bad shapes x [${x.shape}], gamma [${gamma.shape}], beta [${beta.shape}] for ${groups} groups`);
}

/** gamma and beta [C] for x [..., C]. */
export function checkLayerNormShapes(x: Shaped, gamma: Shaped, beta: Shaped): void {
  const c = x.shape[x.shape.length - 1];
  if (gamma.shape[0] !== c || beta.shape[0] !== c) throw new Error(`${FUSED_KERNELS.layerNorm}: bad shapes x [${x.shape}], gamma [${gamma.shape}], beta [${beta.shape}]`);
}

/** Rows of a [..., C] tensor: the product of every dimension but the last. */
export const rowsOf = (shape: readonly number[]) => shape.slice(0, -1).reduce((p, d) => p * d, 1);
