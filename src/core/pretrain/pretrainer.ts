/** Resumable two-stage pretraining of the miniature SD (stage 1 autoencoder, stage 2 text encoder + UNet on frozen latents), as SD is trained: AdamW, warm-up + cosine LR, grad clipping, EMA, full checkpoints (weights, optimizer, EMA, step, RNG). */
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '../rng';
import { COMPONENTS, MiniSD } from '../model/pipeline';
import { AdamW } from '../train/adamw';
import { clipByGlobalNorm, globalNorm } from '../train/gradients';
import { learningRateAt } from '../train/lrSchedule';
import { alphasCumprod } from '../diffusion/schedule';
import { decodeSafetensors, encodeSafetensors, type TensorEntry } from '../io/safetensors';
import { entryToFloat32, f32Entry } from '../io/tensorEntry';
import type { ModelConfig } from '../config';
import { Ema } from './ema';
import { autoencoderLoss, denoisingLoss } from './losses';

/** autoencoder: vae.* from scratch; unet: text encoder + UNet on frozen latents; decoder: vae.decoder only, on a frozen encoder (the latent space, and with it the UNet, stays valid: new image styles without retraining stage 2). */
export type PretrainStage = 'autoencoder' | 'unet' | 'decoder';

export interface PretrainConfig {
  stage: PretrainStage;
  batchSize: number; // images per optimizer step
  learningRate: number; // peak LR after warm-up
  warmupSteps: number; // linear warm-up length
  decaySteps: number; // cosine decay length (≤ 0: constant)
  decayStart: number; // step the decay begins (≤ warm-up: right after it); a resumed run can add a decay phase from its step
  minLrRatio: number; // LR floor as a fraction of the peak
  weightDecay: number; // AdamW decoupled weight decay
  maxGradNorm: number; // global-norm gradient clip
  emaDecay: number; // EMA decay of the trained weights (the shipped weights are the EMA)
  klWeight: number; // stage 1: weight of the per-dim KL term (light, so latents stay smooth)
  captionDropout: number; // stage 2: share of empty captions, for classifier-free guidance
  minSnrGamma: number; // stage 2: min-SNR-γ loss weighting (≤ 0 disables)
  seed: number; // seeds the data order, augmentation, noise and timesteps
}

export const defaultPretrainConfig = (stage: PretrainStage): PretrainConfig => ({
  stage,
  batchSize: stage === 'unet' ? 64 : 32,
  learningRate: stage === 'autoencoder' ? 1e-3 : stage === 'decoder' ? 2e-4 : 5e-4, // decoder: a fine-tune of trained weights
  warmupSteps: 200,
  decaySteps: 0,
  decayStart: 0,
  minLrRatio: 0.1,
  weightDecay: 1e-4,
  maxGradNorm: 1.0,
  emaDecay: 0.999,
  klWeight: 1e-4,
  captionDropout: 0.1,
  minSnrGamma: 5,
  seed: 0,
});

/** Where batches come from; implementations draw with the trainer's RNG so resuming replays the same stream. */
export interface PretrainData {
  /** Stage 1: images [B,32,32,3] in [-1,1] (flattened). */
  imageBatch?(rng: Rng, batchSize: number): Float32Array;
  /** Stage 2: scaled latents x0 [B,8,8,4] (flattened) and their captions. */
  latentBatch?(rng: Rng, batchSize: number): { latents: Float32Array; captions: string[] };
}

export interface PretrainStepMetrics {
  step: number; // optimizer steps done, after this one
  loss: number;
  parts: Record<string, number>; // stage-specific loss terms
  gradNorm: number;
  learningRate: number;
}

const STATE_KEY = 'd3po_studio_pretrain_state';

interface SavedState {
  config: PretrainConfig;
  modelConfig: ModelConfig;
  step: number;
  imagesSeen: number;
  elapsedSeconds: number;
  rng: number[];
  emaUpdates: number;
  trainedPrefixes: string[];
}

export class Pretrainer {
  step = 0;
  imagesSeen = 0;
  elapsedSeconds = 0;
  readonly rng: Rng;
  readonly optimizer: AdamW;
  readonly ema: Ema;
  readonly vars: tf.Variable[];
  readonly varNames: string[];
  private readonly acp: Float64Array;

  constructor(readonly model: MiniSD, readonly config: PretrainConfig, rngState?: number[]) {
    const prefixes = Pretrainer.trainedPrefixes(config.stage);
    this.varNames = model.params.names().filter((n) => prefixes.some((p) => n.startsWith(p)));
    this.vars = this.varNames.map((n) => model.params.tensors.get(n)!);
    if (this.vars.some((v) => !v.trainable)) throw new Error('Pretrainer needs a model created with trainable weights (MiniSD.create(cfg, seed, true)).');
    this.optimizer = new AdamW(this.vars, { learningRate: config.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: config.weightDecay });
    this.ema = new Ema(this.vars, config.emaDecay);
    this.rng = createRng(rngState ?? config.seed);
    this.acp = alphasCumprod(model.config.scheduler);
  }

  static trainedPrefixes(stage: PretrainStage): string[] {
    if (stage === 'decoder') return [`${COMPONENTS.vae}decoder.`];
    return stage === 'autoencoder' ? [COMPONENTS.vae] : [COMPONENTS.unet, COMPONENTS.textEncoder];
  }

  learningRate(): number {
    const c = this.config;
    return learningRateAt(this.step, { base: c.learningRate, warmupSteps: c.warmupSteps, decaySteps: c.decaySteps, decayStart: c.decayStart ?? 0, minRatio: c.minLrRatio });
  }

  /** One optimizer step on a batch drawn from `data`. */
  async trainStep(data: PretrainData): Promise<PretrainStepMetrics> {
    const c = this.config;
    const lr = this.learningRate();
    const { grads, parts } = c.stage === 'unet' ? this.unetGrads(data) : this.autoencoderGrads(data); // decoder: the same loss, gradients only for the decoder
    const norm = globalNorm(grads);
    const clipped = clipByGlobalNorm(grads, norm, c.maxGradNorm);
    this.optimizer.apply(clipped, lr);
    this.ema.update();
    const names = Object.keys(parts);
    const packed = tf.stack([...names.map((n) => parts[n]), norm]);
    const values = await packed.data();
    tf.dispose([packed, norm, ...Object.values(grads), ...Object.values(clipped), ...Object.values(parts)]);
    this.step++;
    this.imagesSeen += c.batchSize;
    const p: Record<string, number> = {};
    names.forEach((n, i) => (p[n] = values[i]));
    return { step: this.step, loss: p.loss, parts: p, gradNorm: values[names.length], learningRate: lr };
  }

  private autoencoderGrads(data: PretrainData): { grads: tf.NamedTensorMap; parts: Record<string, tf.Scalar> } {
    if (!data.imageBatch) throw new Error('Stage autoencoder needs PretrainData.imageBatch');
    const { imageSize, imageChannels, latentChannels } = this.model.config.autoencoder;
    const b = this.config.batchSize;
    const s = this.model.config.unet.sampleSize;
    const images = tf.tensor4d(data.imageBatch(this.rng, b), [b, imageSize, imageSize, imageChannels]);
    const eps = tf.tensor4d(this.rng.normals(b * s * s * latentChannels), [b, s, s, latentChannels]);
    let kept: Record<string, tf.Scalar> = {};
    const { grads, value } = tf.variableGrads(() => {
      const r = autoencoderLoss(this.model, images, eps, this.config.klWeight);
      kept = { l1: tf.keep(r.l1), mse: tf.keep(r.mse), kl: tf.keep(r.kl) };
      return r.loss;
    }, this.vars);
    tf.dispose([images, eps]);
    return { grads, parts: { loss: value, ...kept } };
  }

  private unetGrads(data: PretrainData): { grads: tf.NamedTensorMap; parts: Record<string, tf.Scalar> } {
    if (!data.latentBatch) throw new Error('Stage unet needs PretrainData.latentBatch');
    const b = this.config.batchSize;
    const [s, c] = [this.model.config.unet.sampleSize, this.model.config.unet.inChannels];
    const { latents, captions } = data.latentBatch(this.rng, b);
    const prompts = captions.map((cap) => (this.rng.next() < this.config.captionDropout ? '' : cap));
    const timesteps = Array.from({ length: b }, () => this.rng.int(this.model.config.scheduler.numTrainTimesteps));
    const x0 = tf.tensor4d(latents, [b, s, s, c]);
    const noise = tf.tensor4d(this.rng.normals(b * s * s * c), [b, s, s, c]);
    const { grads, value } = tf.variableGrads(() => {
      const text = this.model.encodeText(prompts); // gradients reach the text encoder (tidy keeps taped tensors)
      return denoisingLoss(this.model, { latents: x0, noise, timesteps, text }, this.acp, this.config.minSnrGamma);
    }, this.vars);
    tf.dispose([x0, noise]);
    return { grads, parts: { loss: value } };
  }

  /** Full checkpoint: weights (param.*), EMA (ema.*), AdamW moments (adam_m.* / adam_v.*) and the JSON state. */
  async checkpoint(): Promise<Uint8Array> {
    const entries = new Map<string, TensorEntry>();
    const add = async (name: string, t: tf.Tensor) => entries.set(name, f32Entry((await t.data()) as Float32Array, t.shape.slice(), 'F32'));
    for (const [name, v] of this.model.params.tensors) await add('param.' + name, v);
    for (let i = 0; i < this.vars.length; i++) await add('ema.' + this.varNames[i], this.ema.shadows[i]);
    const st = await this.optimizer.getState();
    this.varNames.forEach((n, i) => {
      const shape = this.vars[i].shape.slice();
      entries.set('adam_m.' + n, f32Entry(st.m[i], shape));
      entries.set('adam_v.' + n, f32Entry(st.v[i], shape));
    });
    const state: SavedState = {
      config: this.config,
      modelConfig: this.model.config,
      step: this.step,
      imagesSeen: this.imagesSeen,
      elapsedSeconds: this.elapsedSeconds,
      rng: this.rng.state(),
      emaUpdates: this.ema.updates,
      trainedPrefixes: Pretrainer.trainedPrefixes(this.config.stage),
    };
    return encodeSafetensors(entries, { [STATE_KEY]: JSON.stringify(state), adam_step: String(st.step) });
  }

  /** Restores a checkpoint written by `checkpoint()`; `overrides` may change LR/batch etc. (not the stage). */
  static fromCheckpoint(bytes: Uint8Array | ArrayBuffer, overrides: Partial<PretrainConfig> = {}): Pretrainer {
    const file = decodeSafetensors(bytes);
    const text = file.metadata[STATE_KEY];
    if (!text) throw new Error('This file is not a d3po-studio pretraining checkpoint (no state metadata). Start a new run without --resume.');
    const state = JSON.parse(text) as SavedState;
    if (overrides.stage && overrides.stage !== state.config.stage) throw new Error(`The checkpoint is stage ${state.config.stage}; it cannot resume as stage ${overrides.stage}.`);
    const get = (name: string) => {
      const e = file.tensors.get(name);
      if (!e) throw new Error(`Checkpoint is missing ${name}; it is truncated or from another version.`);
      return tf.tensor(entryToFloat32(e), e.shape);
    };
    const params = new Map<string, tf.Tensor>();
    for (const name of file.tensors.keys()) if (name.startsWith('param.')) params.set(name.slice(6), get(name));
    const model = MiniSD.fromTensors(state.modelConfig, params, true);
    tf.dispose([...params.values()]);
    const trainer = new Pretrainer(model, { ...state.config, ...overrides }, state.rng);
    trainer.step = state.step;
    trainer.imagesSeen = state.imagesSeen;
    trainer.elapsedSeconds = state.elapsedSeconds;
    trainer.ema.updates = state.emaUpdates;
    trainer.varNames.forEach((n, i) => {
      const e = get('ema.' + n);
      trainer.ema.shadows[i].assign(e);
      e.dispose();
    });
    const arr = (name: string) => entryToFloat32(file.tensors.get(name) ?? (() => { throw new Error(`Checkpoint is missing ${name}`); })());
    trainer.optimizer.setState({
      step: Number(file.metadata.adam_step ?? state.step),
      m: trainer.varNames.map((n) => arr('adam_m.' + n)),
      v: trainer.varNames.map((n) => arr('adam_v.' + n)),
    });
    return trainer;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.ema.dispose();
  }
}
