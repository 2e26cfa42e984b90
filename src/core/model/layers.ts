/** Functional building blocks (linear, conv, norms, activations, attention) over a ParamStore, with the LoRA hook and a FLOP counter. */
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params';
import type { LoraAdapter } from './lora';
import { conv2dSame, conv2dSameFrozen } from './conv2dSame';
import { FUSED_KERNELS, canFuse, fusedGroupNorm, fusedLayerNorm, inferenceOnly } from './fused/fusedOps';

/** Everything a forward pass needs besides its inputs. */
export interface Ctx {
  params: ParamStore;
  prefix: string; // component prefix in the store, e.g. 'unet.'
  lora?: LoraAdapter; // adapter applied to matching modules (keys without prefix)
  loraScale?: number; // overrides lora.scale when set; 0 = reference model
  flops?: { total: number }; // when present, matmuls and convs add their FLOPs here
}

export function withPrefix(ctx: Ctx, prefix: string): Ctx {
  return { ...ctx, prefix };
}

const loraScaleOf = (ctx: Ctx) => (ctx.lora ? ctx.loraScale ?? ctx.lora.scale : 0);

/** y = x·W + b on the last axis. x [..., in] -> [..., out] */
export function linear(ctx: Ctx, name: string, x: tf.Tensor, outFeatures: number, bias = true): tf.Tensor {
  const inFeatures = x.shape[x.rank - 1];
  const w = ctx.params.get(ctx.prefix + name + '.weight', [inFeatures, outFeatures], { uniform: Math.sqrt(1 / inFeatures) });
  const lead = x.shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const x2 = x.reshape([rows, inFeatures]);
  // Bias fused into the matmul (one _FusedMatMul kernel on wasm/webgpu instead of MatMul + Add).
  const b = bias ? ctx.params.get(ctx.prefix + name + '.bias', [outFeatures], 'zeros') : undefined;
  // frozenDense only matters for gradients; without a tape its customGrad wrapper is pure overhead.
  let y: tf.Tensor = b ? (w.trainable || inferenceOnly() ? tf.fused.matMul({ a: x2, b: w, bias: b }) : frozenDense(x2 as tf.Tensor2D, w, b)) : tf.matMul(x2, w);
  if (ctx.flops) ctx.flops.total += 2 * rows * inFeatures * outFeatures;
  const mod = ctx.lora?.modules.get(name);
  const s = loraScaleOf(ctx);
  if (mod && s !== 0) {
    y = tf.add(y, tf.mul(tf.matMul(tf.matMul(x2, mod.A), mod.B), s));
    if (ctx.flops) ctx.flops.total += 2 * rows * (mod.A.shape[1] as number) * (inFeatures + outFeatures);
  }
  return y.reshape([...lead, outFeatures]);
}

/**
 * x·W + b with W and b frozen: the fused kernel forward, and only dx = dy·Wᵀ backward. tf.fused.matMul's gradient is a
 * tf.customGrad that computes dW and db eagerly even for weights nobody trains (every LoRA step).
 */
export function frozenDense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  const f = tf.customGrad(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ((xIn: tf.Tensor2D, save: (ts: tf.Tensor[]) => void): any => {
      save([w]); // saved, not closed over: the engine keeps saved tensors alive until the backward pass
      return { value: tf.fused.matMul({ a: xIn, b: w as tf.Tensor2D, bias: b }), gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.matMul(dy, saved[0] as tf.Tensor2D, false, true) };
    }) as never,
  ) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
  return f(x);
}

/** Stride-1 'same' convolution. x [B,H,W,Cin] -> [B,H,W,Cout]; 1×1 kernels run as a matmul. */
export function conv(ctx: Ctx, name: string, x: tf.Tensor4D, outChannels: number, kernelSize = 3): tf.Tensor4D {
  const [b, h, wd, c] = x.shape;
  const fanIn = c * kernelSize * kernelSize;
  const w = ctx.params.get(ctx.prefix + name + '.weight', [kernelSize, kernelSize, c, outChannels], { uniform: Math.sqrt(1 / fanIn) });
  const bias = ctx.params.get(ctx.prefix + name + '.bias', [outChannels], 'zeros');
  if (ctx.flops) ctx.flops.total += 2 * b * h * wd * fanIn * outChannels;
  let y: tf.Tensor4D;
  if (kernelSize === 1) y = tf.matMul(x.reshape([b * h * wd, c]), w.reshape([c, outChannels])).reshape([b, h, wd, outChannels]);
  else if (w.trainable) y = conv2dSame(x, w as tf.Tensor4D);
  else y = inferenceOnly() ? tf.conv2d(x, w as tf.Tensor4D, 1, 'same') : conv2dSameFrozen(x, w as tf.Tensor4D); // same kernel; the customGrad only matters for gradients
  y = tf.add(y, bias);
  const mod = ctx.lora?.modules.get(name);
  const s = loraScaleOf(ctx);
  if (mod && s !== 0) {
    const r = mod.B.shape[0] as number;
    const down = kernelSize === 1 ? tf.matMul(x.reshape([b * h * wd, c]), mod.A.reshape([c, r])) : conv2dSame(x, mod.A as tf.Variable<tf.Rank.R4>).reshape([b * h * wd, r]);
    y = tf.add(y, tf.mul(tf.matMul(down, mod.B), s).reshape([b, h, wd, outChannels]));
    if (ctx.flops) ctx.flops.total += 2 * b * h * wd * (fanIn * r + r * outChannels);
  }
  return y;
}

/** GroupNorm over [H, W, C/G] per group. x [B,H,W,C] -> same */
export function groupNorm(ctx: Ctx, name: string, x: tf.Tensor4D, groups: number, epsilon = 1e-5): tf.Tensor4D {
  return groupNormAct(ctx, name, x, groups, epsilon, false);
}

/** silu(groupNorm(x)): ResnetBlock2D's and conv_norm_out's norm + activation, one fused kernel where available. x [B,H,W,C] -> same */
export function groupNormSilu(ctx: Ctx, name: string, x: tf.Tensor4D, groups: number, epsilon = 1e-5): tf.Tensor4D {
  return groupNormAct(ctx, name, x, groups, epsilon, true);
}

function groupNormAct(ctx: Ctx, name: string, x: tf.Tensor4D, groups: number, epsilon: number, act: boolean): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (c % groups !== 0) throw new Error(`GroupNorm ${name}: ${c} channels are not divisible by ${groups} groups`);
  const gamma = ctx.params.get(ctx.prefix + name + '.weight', [c], 'ones');
  const beta = ctx.params.get(ctx.prefix + name + '.bias', [c], 'zeros');
  // One kernel instead of ≈14 where the backend has it (fused/fusedOps.ts; it has a registered gradient); else the ops below.
  if (canFuse(FUSED_KERNELS.groupNorm, x, gamma, beta)) return fusedGroupNorm(x, gamma, beta, groups, epsilon, act);
  const g = x.reshape([b, h, w, groups, c / groups]);
  const { mean, variance } = tf.moments(g, [1, 2, 4], true);
  const normed = tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, epsilon))).reshape([b, h, w, c]);
  const y = tf.add(tf.mul(normed, gamma), beta) as tf.Tensor4D;
  return act ? silu(y) : y;
}

/** LayerNorm over the last axis. x [..., C] -> same */
export function layerNorm(ctx: Ctx, name: string, x: tf.Tensor, epsilon = 1e-5): tf.Tensor {
  const c = x.shape[x.rank - 1];
  const gamma = ctx.params.get(ctx.prefix + name + '.weight', [c], 'ones');
  const beta = ctx.params.get(ctx.prefix + name + '.bias', [c], 'zeros');
  if (canFuse(FUSED_KERNELS.layerNorm, x, gamma, beta)) return fusedLayerNorm(x, gamma, beta, epsilon);
  const { mean, variance } = tf.moments(x, [x.rank - 1], true);
  const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(normed, gamma), beta);
}

export const silu = <T extends tf.Tensor>(x: T): T => tf.mul(x, tf.sigmoid(x)) as T;

/** GELU as CLIP's quick_gelu, x·σ(1.702x): two cheap kernels (the tanh form's x³ is a slow Pow on wasm). */
export const gelu = <T extends tf.Tensor>(x: T): T => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))) as T;

/**
 * Multi-head attention: q from x [B,N,D], k/v from ctxTokens [B,M,Dc] (self-attention when ctxTokens = x).
 * keyBias [B,M] is added to the logits (0 keep, large negative drop). -> [B,N,D]
 */
export function attention(ctx: Ctx, name: string, x: tf.Tensor3D, ctxTokens: tf.Tensor3D, heads: number, keyBias?: tf.Tensor2D): tf.Tensor3D {
  const [b, n, d] = x.shape;
  const m = ctxTokens.shape[1];
  const dh = d / heads;
  if (!Number.isInteger(dh)) throw new Error(`Attention ${name}: width ${d} is not divisible by ${heads} heads`);
  const split = (t: tf.Tensor, len: number) => t.reshape([b, len, heads, dh]).transpose([0, 2, 1, 3]); // [B,h,len,dh]
  const q = split(linear(ctx, name + '.to_q', x, d, false), n);
  const k = split(linear(ctx, name + '.to_k', ctxTokens, d, false), m);
  const v = split(linear(ctx, name + '.to_v', ctxTokens, d, false), m);
  let logits = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)); // [B,h,N,M]
  if (keyBias) logits = tf.add(logits, keyBias.reshape([b, 1, 1, m]));
  const out = tf.matMul(tf.softmax(logits), v); // [B,h,N,dh]
  if (ctx.flops) ctx.flops.total += 4 * b * n * m * d;
  const merged = out.transpose([0, 2, 1, 3]).reshape([b, n, d]);
  return linear(ctx, name + '.to_out.0', merged, d) as tf.Tensor3D;
}

/** 2× average-pool downsample. [B,H,W,C] -> [B,H/2,W/2,C] */
export const downsample2x = (x: tf.Tensor4D): tf.Tensor4D => tf.avgPool(x, 2, 2, 'valid');

/** 2× nearest-neighbour upsample. [B,H,W,C] -> [B,2H,2W,C] */
export const upsample2x = (x: tf.Tensor4D): tf.Tensor4D => tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2]);
