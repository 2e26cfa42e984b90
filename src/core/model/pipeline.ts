/** The miniature Stable Diffusion as one object (autoencoder 'vae.', text encoder 'text_encoder.', UNet 'unet.' in one ParamStore), with the calls samplers and trainers need. */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import { createRng } from '../rng';
import { tokenize } from '../data/captions';
import { ParamStore } from './params';
import type { Ctx } from './layers';
import type { LoraAdapter } from './lora';
import { unetForward } from './unet';
import { textEncoderForward } from './textEncoder';
import { decoderForward, encoderForward } from './autoencoder';

export const COMPONENTS = { vae: 'vae.', textEncoder: 'text_encoder.', unet: 'unet.' } as const;

export class MiniSD {
  private constructor(readonly config: ModelConfig, readonly params: ParamStore) {}

  /** Randomly initialised model: one forward pass per component in creation mode declares every weight. */
  static create(config: ModelConfig, seed = 0, trainable = false): MiniSD {
    const params = new ParamStore(createRng(seed), trainable);
    const model = new MiniSD(config, params);
    params.creating = true;
    tf.tidy(() => {
      const text = model.encodeText(['']);
      const [s, , c] = [config.unet.sampleSize, 0, config.unet.inChannels];
      model.predict(tf.zeros([1, s, s, c]) as tf.Tensor4D, [0], text);
      const img = tf.zeros([1, config.autoencoder.imageSize, config.autoencoder.imageSize, config.autoencoder.imageChannels]) as tf.Tensor4D;
      model.decodeRaw(encoderForward(model.ctx(COMPONENTS.vae), config.autoencoder, img).mean);
    });
    params.creating = false;
    return model;
  }

  /** Model from named weights (e.g. a decoded safetensors file); every weight the config needs must be present. */
  static fromTensors(config: ModelConfig, tensors: Map<string, tf.Tensor>, trainable = false): MiniSD {
    const params = new ParamStore(undefined, trainable);
    params.assign(tensors, true);
    const model = new MiniSD(config, params);
    // Dry run: checks that all weights exist with the right shapes, with a clear error otherwise.
    tf.tidy(() => {
      const text = model.encodeText(['']);
      const s = config.unet.sampleSize;
      model.predict(tf.zeros([1, s, s, config.unet.inChannels]) as tf.Tensor4D, [0], text);
      model.decodeRaw(tf.zeros([1, s, s, config.autoencoder.latentChannels]) as tf.Tensor4D);
    });
    return model;
  }

  ctx(prefix: string, lora?: LoraAdapter, loraScale?: number, flops?: { total: number }): Ctx {
    return { params: this.params, prefix, lora, loraScale, flops };
  }

  /** Token ids and padding mask for prompts. -> ids [B,L] int32, mask [B,L] */
  tokenize(prompts: string[]): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
    const { vocab, maxLength } = this.config.textEncoder;
    const ids = new Int32Array(prompts.length * maxLength);
    const mask = new Float32Array(prompts.length * maxLength);
    prompts.forEach((p, i) => {
      const t = tokenize(p, vocab, maxLength);
      ids.set(t.ids, i * maxLength);
      mask.set(t.mask, i * maxLength);
    });
    return { ids: tf.tensor2d(ids, [prompts.length, maxLength], 'int32'), mask: tf.tensor2d(mask, [prompts.length, maxLength]) };
  }

  /** prompts -> text context [B,L,D] */
  encodeText(prompts: string[], flops?: { total: number }): tf.Tensor3D {
    return tf.tidy(() => {
      const { ids, mask } = this.tokenize(prompts);
      return textEncoderForward(this.ctx(COMPONENTS.textEncoder, undefined, undefined, flops), this.config.textEncoder, ids, mask);
    });
  }

  /** Raw UNet output (eps or v). latents [B,S,S,4], one timestep per row, text [B,L,D] -> [B,S,S,4] */
  predict(latents: tf.Tensor4D, timesteps: number[], text: tf.Tensor3D, lora?: LoraAdapter, loraScale?: number, flops?: { total: number }): tf.Tensor4D {
    const t = tf.tensor1d(Float32Array.from(timesteps));
    const out = unetForward(this.ctx(COMPONENTS.unet, lora, loraScale, flops), this.config.unet, latents, t, text);
    t.dispose();
    return out;
  }

  /**
   * Classifier-free guided prediction: out_u + w·(out_c − out_u), one batched UNet call on [uncond; cond].
   * latents [B,...], textCond [B,L,D], textUncond [1 or B,L,D] -> [B,S,S,4]
   */
  guidedPredict(latents: tf.Tensor4D, timesteps: number[], textCond: tf.Tensor3D, textUncond: tf.Tensor3D, guidanceScale: number, lora?: LoraAdapter, loraScale?: number): tf.Tensor4D {
    return tf.tidy(() => {
      const b = latents.shape[0];
      if (guidanceScale === 1) return this.predict(latents, timesteps, textCond, lora, loraScale);
      const uncond = textUncond.shape[0] === b ? textUncond : tf.tile(textUncond, [b, 1, 1]);
      const out = this.predict(tf.concat([latents, latents]), [...timesteps, ...timesteps], tf.concat([uncond, textCond]), lora, loraScale); // [2B,...]
      const [u, c] = tf.split(out, 2, 0);
      return tf.add(u, tf.mul(tf.sub(c, u), guidanceScale)) as tf.Tensor4D;
    });
  }

  /** Scaled latents -> images [B,32,32,3] in [0,1] */
  decode(latents: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const raw = this.decodeRaw(tf.div(latents, this.config.autoencoder.scalingFactor) as tf.Tensor4D);
      return tf.clipByValue(tf.add(tf.mul(raw, 0.5), 0.5), 0, 1) as tf.Tensor4D;
    });
  }

  /** Unscaled latents -> decoder output in [-1,1] (unclipped; for training) */
  decodeRaw(latents: tf.Tensor4D, flops?: { total: number }): tf.Tensor4D {
    return decoderForward(this.ctx(COMPONENTS.vae, undefined, undefined, flops), this.config.autoencoder, latents);
  }

  /** images [B,32,32,3] in [0,1] -> scaled latent means [B,8,8,4] */
  encode(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const { mean } = encoderForward(this.ctx(COMPONENTS.vae), this.config.autoencoder, tf.sub(tf.mul(images, 2), 1) as tf.Tensor4D);
      return tf.mul(mean, this.config.autoencoder.scalingFactor) as tf.Tensor4D;
    });
  }

  /** Parameter counts per component. */
  parameterCounts(): Record<keyof typeof COMPONENTS, number> {
    return { vae: this.params.count(COMPONENTS.vae), textEncoder: this.params.count(COMPONENTS.textEncoder), unet: this.params.count(COMPONENTS.unet) };
  }

  /** FLOPs of one UNet forward per latent, one text encoding, one decode per image (multiply-adds counted as 2). */
  flopCounts(): { unet: number; textEncoder: number; decoder: number } {
    const s = this.config.unet.sampleSize;
    const u = { total: 0 };
    const te = { total: 0 };
    const d = { total: 0 };
    tf.tidy(() => {
      const text = this.encodeText([''], te);
      this.predict(tf.zeros([1, s, s, this.config.unet.inChannels]) as tf.Tensor4D, [500], text, undefined, undefined, u);
      this.decodeRaw(tf.zeros([1, s, s, this.config.autoencoder.latentChannels]) as tf.Tensor4D, d);
    });
    return { unet: u.total, textEncoder: te.total, decoder: d.total };
  }

  dispose(): void {
    this.params.dispose();
  }
}
