/** Small text encoder (CLIP-like pre-LN transformer over word tokens, bidirectional with a padding mask) giving the UNet's cross-attention context. */
import * as tf from '@tensorflow/tfjs';
import type { TextEncoderConfig } from '../config';
import { attention, gelu, layerNorm, linear, type Ctx } from './layers';

/** ids [B,L] (int32), mask [B,L] (1 token, 0 pad) -> hidden states [B,L,D] */
export function textEncoderForward(ctx: Ctx, cfg: TextEncoderConfig, ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor3D {
  const [b, l] = ids.shape;
  const d = cfg.width;
  const v = cfg.vocab.length;
  const table = ctx.params.get(ctx.prefix + 'text_model.embeddings.token_embedding.weight', [v, d], { normal: 0.02 });
  const pos = ctx.params.get(ctx.prefix + 'text_model.embeddings.position_embedding.weight', [cfg.maxLength, d], { normal: 0.01 });
  // Lookup as one-hot · table: its gradient needs only MatMul (wasm 4.22 has no UnsortedSegmentSum for gather's gradient).
  const oneHot = tf.oneHot(ids.reshape([b * l]), v).toFloat(); // [B·L,V]
  let x = tf.add(tf.matMul(oneHot, table).reshape([b, l, d]), pos.slice([0, 0], [l, d])) as tf.Tensor3D; // [B,L,D]
  const keyBias = tf.mul(tf.sub(1, mask), -1e4) as tf.Tensor2D; // [B,L]: padding keys are ignored
  for (let i = 0; i < cfg.layers; i++) {
    const p = `text_model.encoder.layers.${i}`;
    const n1 = layerNorm(ctx, p + '.layer_norm1', x) as tf.Tensor3D;
    x = tf.add(x, attention(ctx, p + '.self_attn', n1, n1, cfg.heads, keyBias));
    const n2 = layerNorm(ctx, p + '.layer_norm2', x);
    x = tf.add(x, linear(ctx, p + '.mlp.fc2', gelu(linear(ctx, p + '.mlp.fc1', n2, 4 * d)), d)) as tf.Tensor3D;
  }
  return layerNorm(ctx, 'text_model.final_layer_norm', x) as tf.Tensor3D;
}
