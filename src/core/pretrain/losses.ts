/** Pretraining losses: the KL-regularised autoencoder objective (SD's AutoencoderKL, without GAN/LPIPS) and the text-conditioned denoising loss with min-SNR weighting (Hang et al. 2023) that is also L_pre of the large-scale RL paper. */
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import { COMPONENTS } from '../model/pipeline';
import { encoderForward } from '../model/autoencoder';
import type { LoraAdapter } from '../model/lora';

export interface AutoencoderLossParts {
  loss: tf.Scalar;
  l1: tf.Scalar; // mean |x − x̂| in [-1,1] units
  mse: tf.Scalar; // mean (x − x̂)²
  kl: tf.Scalar; // mean per-dim KL(q(z|x) || N(0, I))
}

/**
 * images [B,32,32,3] in [-1,1], posterior noise eps [B,8,8,4]:
 *   z = mu + exp(logvar/2)·eps;  loss = L1 + MSE + klWeight·KL
 */
export function autoencoderLoss(model: MiniSD, images: tf.Tensor4D, eps: tf.Tensor4D, klWeight: number): AutoencoderLossParts {
  const { mean, logvar } = encoderForward(model.ctx(COMPONENTS.vae), model.config.autoencoder, images);
  const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor4D;
  const recon = model.decodeRaw(z);
  const diff = tf.sub(recon, images);
  const l1 = tf.mean(tf.abs(diff)) as tf.Scalar;
  const mse = tf.mean(tf.square(diff)) as tf.Scalar;
  const kl = tf.mul(0.5, tf.mean(tf.sub(tf.add(tf.square(mean), tf.exp(logvar)), tf.add(1, logvar)))) as tf.Scalar;
  return { loss: tf.addN([l1, mse, tf.mul(kl, klWeight)]) as tf.Scalar, l1, mse, kl };
}

/** min-SNR-γ weight per timestep: eps-pred min(SNR,γ)/SNR; v-pred min(SNR,γ)/(SNR+1); γ ≤ 0 disables (weight 1). */
export function minSnrWeights(alphasCumprod: Float64Array, timesteps: number[], gamma: number, prediction: 'epsilon' | 'v_prediction'): Float32Array {
  return Float32Array.from(timesteps, (t) => {
    if (gamma <= 0) return 1;
    const snr = alphasCumprod[t] / (1 - alphasCumprod[t]);
    return Math.min(snr, gamma) / (prediction === 'epsilon' ? snr : snr + 1);
  });
}

export interface DenoisingBatch {
  latents: tf.Tensor4D; // scaled x0 [B,8,8,4]
  noise: tf.Tensor4D; // eps [B,8,8,4]
  timesteps: number[]; // [B] integer t in [0, N)
  text: tf.Tensor3D; // text context [B,L,D]
}

/**
 * Denoising score-matching loss: x_t = sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·eps, target eps (or v = sqrt(ᾱ)·eps − sqrt(1−ᾱ)·x0),
 * weighted MSE mean over the batch. With `lora`, only the adapter is trained (DDPO's pretraining-loss term).
 */
export function denoisingLoss(model: MiniSD, batch: DenoisingBatch, alphasCumprod: Float64Array, minSnrGamma: number, lora?: LoraAdapter): tf.Scalar {
  const pred = model.config.scheduler.predictionType;
  const b = batch.timesteps.length;
  const col = (f: (t: number) => number) => tf.tensor4d(Float32Array.from(batch.timesteps, f), [b, 1, 1, 1]);
  const sa = col((t) => Math.sqrt(alphasCumprod[t]));
  const s1a = col((t) => Math.sqrt(1 - alphasCumprod[t]));
  const xt = tf.add(tf.mul(sa, batch.latents), tf.mul(s1a, batch.noise)) as tf.Tensor4D;
  const target = pred === 'epsilon' ? batch.noise : tf.sub(tf.mul(sa, batch.noise), tf.mul(s1a, batch.latents));
  const out = model.predict(xt, batch.timesteps, batch.text, lora);
  const perSample = tf.mean(tf.square(tf.sub(out, target)).reshape([b, -1]), 1); // [B]
  const w = tf.tensor1d(minSnrWeights(alphasCumprod, batch.timesteps, minSnrGamma, pred));
  return tf.mean(tf.mul(perSample, w)) as tf.Scalar;
}
