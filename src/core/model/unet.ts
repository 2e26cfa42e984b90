/** Latent UNet predicting eps (or v), after diffusers' UNet2DConditionModel: timestep embedding, ResnetBlock2D, Transformer2DModel with self- and cross-attention, skip connections; module names match diffusers. */
import * as tf from '@tensorflow/tfjs';
import type { UNetConfig } from '../config';
import { attention, conv, downsample2x, gelu, groupNorm, groupNormSilu, layerNorm, linear, silu, upsample2x, type Ctx } from './layers';

/** Sinusoidal timestep embedding as diffusers' get_timestep_embedding(flip_sin_to_cos=True, shift=0). t [B] -> [B,dim] */
export function timestepEmbedding(timesteps: tf.Tensor1D, dim: number): tf.Tensor2D {
  const half = dim / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(10000) * i) / half);
  const args = tf.mul(timesteps.reshape([-1, 1]), tf.tensor2d(freqs, [1, half])); // [B,half]
  return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D;
}

/** ResnetBlock2D: norm1-silu-conv1 (+ time proj) norm2-silu-conv2, 1×1 shortcut when widths differ. [B,H,W,Cin] -> [B,H,W,Cout] */
export function resnetBlock(ctx: Ctx, name: string, x: tf.Tensor4D, outChannels: number, groups: number, temb?: tf.Tensor2D): tf.Tensor4D {
  let h = conv(ctx, name + '.conv1', groupNormSilu(ctx, name + '.norm1', x, groups), outChannels);
  if (temb) h = tf.add(h, linear(ctx, name + '.time_emb_proj', silu(temb), outChannels).reshape([-1, 1, 1, outChannels]));
  h = conv(ctx, name + '.conv2', groupNormSilu(ctx, name + '.norm2', h, groups), outChannels);
  const skip = x.shape[3] === outChannels ? x : conv(ctx, name + '.conv_shortcut', x, outChannels, 1);
  return tf.add(skip, h);
}

/** Transformer2DModel with one BasicTransformerBlock (self-attn, cross-attn, GEGLU). x [B,H,W,C], text [B,M,Dc] -> [B,H,W,C] */
export function transformer2d(ctx: Ctx, name: string, x: tf.Tensor4D, text: tf.Tensor3D, cfg: UNetConfig): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const heads = c / cfg.attentionHeadDim;
  let t = groupNorm(ctx, name + '.norm', x, cfg.groups).reshape([b, h * w, c]) as tf.Tensor3D; // [B,HW,C]
  t = linear(ctx, name + '.proj_in', t, c) as tf.Tensor3D;
  const blk = name + '.transformer_blocks.0';
  const n1 = layerNorm(ctx, blk + '.norm1', t) as tf.Tensor3D;
  t = tf.add(t, attention(ctx, blk + '.attn1', n1, n1, heads));
  t = tf.add(t, attention(ctx, blk + '.attn2', layerNorm(ctx, blk + '.norm2', t) as tf.Tensor3D, text, heads));
  const inner = cfg.ffMult * c;
  const proj = linear(ctx, blk + '.ff.net.0.proj', layerNorm(ctx, blk + '.norm3', t), 2 * inner); // GEGLU: [B,HW,2·inner]
  const [val, gate] = tf.split(proj, 2, -1);
  t = tf.add(t, linear(ctx, blk + '.ff.net.2', tf.mul(val, gelu(gate)), c)) as tf.Tensor3D;
  t = linear(ctx, name + '.proj_out', t, c) as tf.Tensor3D;
  return tf.add(x, t.reshape([b, h, w, c]));
}

/**
 * eps (or v) prediction. latents [B,S,S,4], timesteps [B] (float), text [B,M,Dc] -> [B,S,S,4].
 * Levels: down_blocks.i at S/2^i; mid_block at the lowest level; up_blocks mirror with skip concatenation.
 */
export function unetForward(ctx: Ctx, cfg: UNetConfig, latents: tf.Tensor4D, timesteps: tf.Tensor1D, text: tf.Tensor3D): tf.Tensor4D {
  const chans = cfg.blockOutChannels;
  const tembDim = 4 * chans[0];
  let temb = timestepEmbedding(timesteps, chans[0]); // [B,c0]
  temb = linear(ctx, 'time_embedding.linear_2', silu(linear(ctx, 'time_embedding.linear_1', temb, tembDim)), tembDim) as tf.Tensor2D;

  let h = conv(ctx, 'conv_in', latents, chans[0]); // [B,S,S,c0]
  const skips: tf.Tensor4D[] = [h];
  chans.forEach((c, i) => {
    for (let j = 0; j < cfg.layersPerBlock; j++) {
      h = resnetBlock(ctx, `down_blocks.${i}.resnets.${j}`, h, c, cfg.groups, temb);
      h = transformer2d(ctx, `down_blocks.${i}.attentions.${j}`, h, text, cfg);
      skips.push(h);
    }
    if (i < chans.length - 1) {
      h = conv(ctx, `down_blocks.${i}.downsamplers.0.conv`, downsample2x(h), c); // [B,S/2^(i+1),..,c]
      skips.push(h);
    }
  });

  const cMid = chans[chans.length - 1];
  h = resnetBlock(ctx, 'mid_block.resnets.0', h, cMid, cfg.groups, temb);
  h = transformer2d(ctx, 'mid_block.attentions.0', h, text, cfg);
  h = resnetBlock(ctx, 'mid_block.resnets.1', h, cMid, cfg.groups, temb);

  const rev = [...chans].reverse();
  rev.forEach((c, u) => {
    for (let j = 0; j < cfg.layersPerBlock + 1; j++) {
      const skip = skips.pop()!;
      h = resnetBlock(ctx, `up_blocks.${u}.resnets.${j}`, tf.concat([h, skip], 3), c, cfg.groups, temb); // [B,s,s,c]
      h = transformer2d(ctx, `up_blocks.${u}.attentions.${j}`, h, text, cfg);
    }
    if (u < rev.length - 1) h = conv(ctx, `up_blocks.${u}.upsamplers.0.conv`, upsample2x(h), c); // [B,2s,2s,c]
  });

  h = groupNormSilu(ctx, 'conv_norm_out', h, cfg.groups);
  return conv(ctx, 'conv_out', h, cfg.inChannels); // [B,S,S,4]
}
