/** Typed configuration of the miniature Stable Diffusion (autoencoder, text encoder, UNet, scheduler) and its presets. */

export interface AutoencoderConfig {
  imageSize: number; // pixels per side of the RGB image (32)
  imageChannels: number; // 3 (RGB)
  latentChannels: number; // channels of the latent (4, as in SD)
  channels: number[]; // conv width per resolution level; levels.length - 1 = number of 2× downsamplings (32→8 needs 3 levels)
  groups: number; // GroupNorm groups
  scalingFactor: number; // latents are multiplied by this so they have unit variance (SD: 0.18215); set after AE training
}

export interface TextEncoderConfig {
  vocab: string[]; // word vocabulary; vocab[0] = '<pad>', vocab[1] = '<unk>'
  maxLength: number; // tokens per prompt (padded / truncated)
  width: number; // hidden size = UNet cross-attention dim
  layers: number; // transformer layers
  heads: number; // attention heads
}

export interface UNetConfig {
  sampleSize: number; // latent side (8)
  inChannels: number; // latent channels (4)
  blockOutChannels: number[]; // width per level; level i runs at sampleSize / 2^i
  layersPerBlock: number; // resnets per down block (up blocks get one more, as in diffusers)
  attentionHeadDim: number; // channels per attention head
  crossAttentionDim: number; // text encoder width
  groups: number; // GroupNorm groups
  ffMult: number; // GEGLU feed-forward inner width = ffMult · channels
}

export type PredictionType = 'epsilon' | 'v_prediction';

export interface SchedulerConfig {
  numTrainTimesteps: number; // 1000
  betaSchedule: 'squaredcos_cap_v2' | 'scaled_linear'; // cosine (Nichol & Dhariwal) or SD's scaled linear
  betaStart: number; // only for scaled_linear
  betaEnd: number; // only for scaled_linear
  predictionType: PredictionType; // what the UNet predicts
  stepsOffset: number; // added to DDIM timesteps (SD uses 1, so the last step is t=1 and sigma > 0)
}

export interface SampleConfig {
  steps: number; // DDIM steps (D3PO: 20)
  eta: number; // DDIM eta; must be > 0 for log-probs (D3PO/DDPO: 1.0)
  guidanceScale: number; // classifier-free guidance weight w in eps_u + w(eps_c − eps_u)
}

export interface ModelConfig {
  name: string; // model id written into manifests and LoRA metadata
  autoencoder: AutoencoderConfig;
  textEncoder: TextEncoderConfig;
  unet: UNetConfig;
  scheduler: SchedulerConfig;
  sample: SampleConfig; // defaults for sampling with this model
}

export const defaultSchedulerConfig: SchedulerConfig = {
  numTrainTimesteps: 1000,
  betaSchedule: 'squaredcos_cap_v2',
  betaStart: 0.00085,
  betaEnd: 0.012,
  predictionType: 'epsilon',
  stepsOffset: 1,
};

/** Guidance 2: `eval --sweep-guidance 2,3.5,5,7.5` (public/models/emoji-sd/guidance-sweep.json) gave equal category accuracy at 2 and 3.5 and the lowest Fréchet distance at 2. */
export const defaultSampleConfig: SampleConfig = { steps: 20, eta: 1.0, guidanceScale: 2.0 };

/** The shipped model's architecture (vocabulary filled in from the emoji dataset). */
export function defaultModelConfig(vocab: string[]): ModelConfig {
  return {
    name: 'emoji-sd-mini',
    autoencoder: { imageSize: 32, imageChannels: 3, latentChannels: 4, channels: [16, 48, 64], groups: 8, scalingFactor: 1 },
    textEncoder: { vocab, maxLength: 16, width: 128, layers: 2, heads: 4 },
    unet: {
      sampleSize: 8,
      inChannels: 4,
      blockOutChannels: [64, 128],
      layersPerBlock: 1,
      attentionHeadDim: 32,
      crossAttentionDim: 128,
      groups: 16,
      ffMult: 3,
    },
    scheduler: { ...defaultSchedulerConfig },
    sample: { ...defaultSampleConfig },
  };
}

/** A very small model for unit tests and CI: the default architecture with tiny widths. */
export function tinyModelConfig(vocab: string[] = ['<pad>', '<unk>', 'red', 'heart', 'grinning', 'face', 'dog', 'pizza']): ModelConfig {
  const d = defaultModelConfig(vocab);
  return {
    ...d,
    name: 'tiny-test',
    autoencoder: { ...d.autoencoder, channels: [8, 8, 16], groups: 4 },
    textEncoder: { ...d.textEncoder, maxLength: 6, width: 16, layers: 1, heads: 2 },
    unet: { ...d.unet, blockOutChannels: [16, 32], attentionHeadDim: 8, crossAttentionDim: 16, groups: 4, ffMult: 2 },
    sample: { steps: 4, eta: 1.0, guidanceScale: 3.0 },
  };
}

/** Latent shape [H, W, C] for a config. */
export function latentShape(cfg: ModelConfig): [number, number, number] {
  const s = cfg.unet.sampleSize;
  return [s, s, cfg.unet.inChannels];
}
