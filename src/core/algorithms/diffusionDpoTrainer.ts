/**
 * One Diffusion-DPO update on image pairs (SalesforceAIResearch/DiffusionDPO train.py; the diffusers LoRA port
 * examples/research_projects/diffusion_dpo/train_diffusion_dpo.py, whose reference is the UNet with the adapter
 * disabled — here LoRA scale 0): each pair's winner and loser latents are noised to one random t with one ε, the
 * policy's and the reference's ε-prediction errors give the loss, gradients flow into the LoRA only.
 *
 * Extension: `loserPrompt`. Upstream (SalesforceAIResearch/DiffusionDPO train.py, SD 1.5 branch:
 * `encoder_hidden_states = encoder_hidden_states.repeat(2, 1, 1)` when train_method == 'dpo') conditions both images
 * of a pair on their one Pick-a-Pic caption. A moodboard pairs a liked and a disliked image that may carry different captions, so each image's policy and reference errors are computed under its own caption (the
 * loser's `loserPrompt`, else `prompt`; '' = unconditional). This stays well defined because each image's implicit
 * reward β·(‖ε − ε_ref(x_t, c)‖² − ‖ε − ε_θ(x_t, c)‖²) subtracts the reference's error under the same caption, so the
 * caption's own effect on the error cancels and the logit compares only how far the adapter moved on each (image, caption).
 */
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { AdamW } from '../train/adamw';
import { alphasCumprod } from '../diffusion/schedule';
import type { Rng } from '../rng';
import { clipByGlobalNorm, globalNorm } from '../train/gradients';
import { diffusionDpoInside, diffusionDpoLoss, type DiffusionDpoLossConfig } from './diffusionDpo';

/** A preference between two images, as autoencoder latents (scaled, [H·W·C] each); the loser is conditioned on `loserPrompt` when given, else on `prompt`. */
export interface ImagePreference {
  prompt: string; // the winner's caption (and the loser's when loserPrompt is absent)
  winner: Float32Array;
  loser: Float32Array;
  loserPrompt?: string; // the loser's own caption (a moodboard's images may differ); '' = unconditional
}

export interface DiffusionDpoTrainConfig extends DiffusionDpoLossConfig {
  learningRate: number;
  maxGradNorm: number;
}

export const defaultDiffusionDpoTrainConfig: DiffusionDpoTrainConfig = { beta: 5000, learningRate: 1e-3, maxGradNorm: 1 };

export interface DiffusionDpoStepResult {
  loss: number;
  accuracy: number; // implicit_acc: share of pairs with inside > 0
  margin: number; // mean of inside = −½β((m_w − r_w) − (m_l − r_l)): the implicit reward margin (0 while policy = reference)
  gradNorm: number;
}

/** ε-prediction mean squared error per sample at the given noisy latents. -> [B] */
function predictionErrors(model: MiniSD, xt: tf.Tensor4D, t: number[], text: tf.Tensor3D, noise: tf.Tensor4D, lora: LoraAdapter | undefined, scale?: number): tf.Tensor1D {
  const b = t.length;
  if (model.config.scheduler.predictionType !== 'epsilon') throw new Error('Diffusion-DPO here supports epsilon-prediction models only.');
  const out = model.predict(xt, t, text, lora, scale);
  return tf.mean(tf.square(tf.sub(out, noise)).reshape([b, -1]), 1) as tf.Tensor1D;
}

export async function diffusionDpoTrainStep(model: MiniSD, lora: LoraAdapter, optimizer: AdamW, pairs: ImagePreference[], cfg: DiffusionDpoTrainConfig, rng: Rng): Promise<DiffusionDpoStepResult> {
  if (pairs.length === 0) throw new Error('Diffusion-DPO needs at least one image pair.');
  const n = pairs.length;
  const [s, c] = [model.config.unet.sampleSize, model.config.unet.inChannels];
  const size = s * s * c;
  const acp = alphasCumprod(model.config.scheduler);
  // Rows [w_0..w_{n−1}, l_0..l_{n−1}]: one t and one ε per pair, shared by its winner and loser.
  const t = Array.from({ length: n }, () => rng.int(model.config.scheduler.numTrainTimesteps));
  const eps = rng.normals(n * size);
  const x0 = new Float32Array(2 * n * size);
  pairs.forEach((p, i) => {
    if (p.winner.length !== size || p.loser.length !== size) throw new Error(`Image latents must have ${size} values, got ${p.winner.length} and ${p.loser.length}.`);
    x0.set(p.winner, i * size);
    x0.set(p.loser, (n + i) * size);
  });
  const tt = [...t, ...t];
  const noise = tf.tensor4d(Float32Array.from([...eps, ...eps]), [2 * n, s, s, c]);
  const col = (f: (x: number) => number) => tf.tensor4d(Float32Array.from(tt, f), [2 * n, 1, 1, 1]);
  const xt = tf.tidy(() => tf.add(tf.mul(col((x) => Math.sqrt(acp[x])), tf.tensor4d(x0, [2 * n, s, s, c])), tf.mul(col((x) => Math.sqrt(1 - acp[x])), noise)) as tf.Tensor4D);
  const text = model.encodeText([...pairs.map((p) => p.prompt), ...pairs.map((p) => p.loserPrompt ?? p.prompt)]);
  const ref = tf.tidy(() => predictionErrors(model, xt, tt, text, noise, lora, 0)); // no gradient: the reference
  try {
    let inside: tf.Tensor1D | null = null;
    const { grads, value } = tf.variableGrads(() => {
      const errs = predictionErrors(model, xt, tt, text, noise, lora);
      const [mw, ml] = tf.split(errs, 2) as [tf.Tensor1D, tf.Tensor1D];
      const [rw, rl] = tf.split(ref, 2) as [tf.Tensor1D, tf.Tensor1D];
      inside = tf.keep(diffusionDpoInside(mw, ml, rw, rl, cfg));
      return tf.mean(diffusionDpoLoss(mw, ml, rw, rl, cfg)) as tf.Scalar;
    }, lora.variables);
    const norm = globalNorm(grads);
    const clipped = clipByGlobalNorm(grads, norm, cfg.maxGradNorm);
    optimizer.apply(clipped, cfg.learningRate);
    const packed = tf.tidy(() => tf.stack([value, tf.mean(tf.cast(tf.greater(inside!, 0), 'float32')), tf.mean(inside!), norm]));
    const v = await packed.data();
    tf.dispose([packed, value, norm, inside!, ...Object.values(grads), ...Object.values(clipped)]);
    return { loss: v[0], accuracy: v[1], margin: v[2], gradNorm: v[3] };
  } finally {
    tf.dispose([noise, xt, text, ref]);
  }
}
