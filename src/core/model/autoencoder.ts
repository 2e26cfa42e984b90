/** Autoencoder 32×32×3 ↔ 8×8×4 (factor 4, as SD's AutoencoderKL but tiny): KL-regularised encoder giving mean/logvar, decoder back to pixels; latents scaled by scalingFactor. */
import * as tf from '@tensorflow/tfjs';
import type { AutoencoderConfig } from '../config';
import { conv, downsample2x, groupNormSilu, upsample2x, type Ctx } from './layers';
import { resnetBlock } from './unet';

/** images [B,32,32,3] in [-1,1] -> {mean, logvar} each [B,8,8,4] (unscaled latent distribution) */
export function encoderForward(ctx: Ctx, cfg: AutoencoderConfig, images: tf.Tensor4D): { mean: tf.Tensor4D; logvar: tf.Tensor4D } {
  const ch = cfg.channels;
  let h = conv(ctx, 'encoder.conv_in', images, ch[0]); // [B,32,32,c0]
  ch.forEach((c, i) => {
    h = resnetBlock(ctx, `encoder.down_blocks.${i}.resnets.0`, h, c, cfg.groups);
    if (i < ch.length - 1) h = conv(ctx, `encoder.down_blocks.${i}.downsamplers.0.conv`, downsample2x(h), c); // halves H,W
  });
  const top = ch[ch.length - 1];
  h = resnetBlock(ctx, 'encoder.mid_block.resnets.0', h, top, cfg.groups);
  h = groupNormSilu(ctx, 'encoder.conv_norm_out', h, cfg.groups);
  const moments = conv(ctx, 'encoder.conv_out', h, 2 * cfg.latentChannels); // [B,8,8,2·4]
  const [mean, logvar] = tf.split(moments, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
  return { mean, logvar: tf.clipByValue(logvar, -30, 20) };
}

/** latents [B,8,8,4] (unscaled) -> images [B,32,32,3] in [-1,1] (not clipped) */
export function decoderForward(ctx: Ctx, cfg: AutoencoderConfig, latents: tf.Tensor4D): tf.Tensor4D {
  const ch = [...cfg.channels].reverse();
  let h = conv(ctx, 'decoder.conv_in', latents, ch[0]); // [B,8,8,c]
  h = resnetBlock(ctx, 'decoder.mid_block.resnets.0', h, ch[0], cfg.groups);
  ch.forEach((c, i) => {
    h = resnetBlock(ctx, `decoder.up_blocks.${i}.resnets.0`, h, c, cfg.groups);
    if (i < ch.length - 1) h = conv(ctx, `decoder.up_blocks.${i}.upsamplers.0.conv`, upsample2x(h), ch[i + 1]); // doubles H,W
  });
  h = groupNormSilu(ctx, 'decoder.conv_norm_out', h, cfg.groups);
  return conv(ctx, 'decoder.conv_out', h, cfg.imageChannels);
}
