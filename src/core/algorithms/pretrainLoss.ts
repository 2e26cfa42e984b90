// The large-scale RL paper's pretraining-loss term (Algorithm 1, eq. 8: L_pre = denoising loss, LoRA only) and the base-quality proxy (denoising loss with the LoRA vs without on a fixed batch), on a LatentPool of training latents.
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { AdamW } from '../train/adamw';
import { clipByGlobalNorm, globalNorm } from '../train/gradients';
import { alphasCumprod } from '../diffusion/schedule';
import { denoisingLoss } from '../pretrain/losses';
import type { LatentPool } from '../pretrain/latentSubset';
import { createRng, type Rng } from '../rng';

/** min-SNR-γ of the base model's pretraining (defaultPretrainConfig('unet').minSnrGamma), so L_pre is the loss it was trained on. */
export const MIN_SNR_GAMMA = 5;

interface DenoisingTensors {
  latents: tf.Tensor4D;
  noise: tf.Tensor4D;
  timesteps: number[];
  text: tf.Tensor3D;
}

/** One batch: x0 [B,8,8,4] + captions from the pool, ε [B,8,8,4], t uniform in [0, N). */
function drawBatch(model: MiniSD, pool: LatentPool, rng: Rng, b: number): DenoisingTensors {
  const [s, c] = [model.config.unet.sampleSize, model.config.unet.inChannels];
  const { latents, captions } = pool.data.latentBatch!(rng, b);
  const timesteps = Array.from({ length: b }, () => rng.int(model.config.scheduler.numTrainTimesteps));
  return {
    latents: tf.tensor4d(latents, [b, s, s, c]),
    noise: tf.tensor4d(rng.normals(b * s * s * c), [b, s, s, c]),
    timesteps,
    text: model.encodeText(captions),
  };
}

const disposeBatch = (t: DenoisingTensors) => tf.dispose([t.latents, t.noise, t.text]);

export interface PretrainStepOptions {
  weight: number; // W in W·L_pre (the paper's β)
  batchSize: number;
  learningRate: number;
  maxGradNorm: number;
}

/**
 * Large-scale RL Algorithm 1, last line: one gradient step on W·L_pre (LoRA variables only), through the RL optimizer so
 * W sets the term's size relative to the policy gradients in AdamW's moments. Returns the unweighted L_pre.
 */
export async function pretrainLossStep(model: MiniSD, lora: LoraAdapter, optimizer: AdamW, pool: LatentPool, rng: Rng, opts: PretrainStepOptions): Promise<number> {
  const batch = drawBatch(model, pool, rng, opts.batchSize);
  const acp = alphasCumprod(model.config.scheduler);
  try {
    const { grads, value } = tf.variableGrads(() => tf.mul(denoisingLoss(model, batch, acp, MIN_SNR_GAMMA, lora), opts.weight) as tf.Scalar, lora.variables);
    const norm = globalNorm(grads);
    const clipped = clipByGlobalNorm(grads, norm, opts.maxGradNorm);
    optimizer.apply(clipped, opts.learningRate);
    const v = (await value.data())[0];
    tf.dispose([value, norm, ...Object.values(grads), ...Object.values(clipped)]);
    return v / opts.weight;
  } finally {
    disposeBatch(batch);
  }
}

/**
 * Base-quality proxy: the min-SNR denoising loss on one fixed batch of training latents (fixed t and ε), with the LoRA
 * and without. A rise means the tuned UNet fits the emoji distribution worse (the "alignment tax"); reward-independent.
 */
export class DenoisingProxy {
  private constructor(private readonly model: MiniSD, private readonly batch: DenoisingTensors, readonly batchSize: number) {}

  static create(model: MiniSD, pool: LatentPool, batchSize = 64, seed = 12345): DenoisingProxy {
    return new DenoisingProxy(model, drawBatch(model, pool, createRng(seed), batchSize), batchSize);
  }

  /** Loss of the base model (no LoRA) or of the model with `lora` at its current multiplier. */
  async loss(lora?: LoraAdapter): Promise<number> {
    const acp = alphasCumprod(this.model.config.scheduler);
    const l = tf.tidy(() => denoisingLoss(this.model, this.batch, acp, MIN_SNR_GAMMA, lora));
    const v = (await l.data())[0];
    l.dispose();
    return v;
  }

  dispose(): void {
    disposeBatch(this.batch);
  }
}
