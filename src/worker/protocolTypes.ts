// Plain value types the worker and the page exchange (model info, images, adapter status, dashboard rows, model references); requests are in protocol.ts, events in protocolEvents.ts.

/** What the page needs to know about a loaded model. */
export interface ModelInfo {
  name: string; // config.name from the file's metadata
  folder: string; // the /models/<folder>/ it came from
  bytes: number; // size of model.safetensors
  parameterCounts: Record<string, number>; // per component (vae, textEncoder, unet)
  imageSize: number; // pixels per side of generated images (32)
  sampleDefaults: { steps: number; eta: number; guidanceScale: number };
  vocabulary: string[]; // the text encoder's words (prompts are checked against it: unknown words read as <unk>)
  maxPromptWords: number; // words of a prompt the text encoder reads; the rest are cut
}

/** One generated image as RGBA8 bytes (width·height·4), transferred, not copied. */
export interface GeneratedImage {
  width: number;
  height: number;
  rgba: ArrayBuffer;
}

/** The adapter the worker trains and samples with (plain values for the page). */
export interface LoraStatus {
  step: number; // optimizer steps this adapter has taken (AdamW step count)
  rank: number;
  alpha: number;
  targets: string[]; // module-name suffixes the adapter covers
  parameterCount: number;
  scale: number; // user multiplier used for sampling (compare slider); training always uses 1
  version: string | null; // stamped on new pairs; null = untrained base model
  source: 'new' | 'checkpoint' | 'imported';
  checkpointId: string | null; // the checkpoint this state was last saved to or loaded from
  checkpointStep: number | null;
  hasReference: boolean; // a separate reference adapter is in use (refreshed each round)
  note?: string; // e.g. why the latest checkpoint could not be restored
}

/** One optimizer step's dashboard row (TRL/D3PO metric names in comments); plain numbers only (a type alias, so it fits storage's row type). */
export type MetricRow = {
  step: number; // optimizer step after this update (x-axis)
  time: number; // Date.now() when the step finished
  loss: number; // D3PO loss
  accuracy: number; // rewards/accuracies
  margin: number; // rewards/margins
  chosenReward: number; // rewards/chosen
  rejectedReward: number; // rewards/rejected
  meanLogRatio: number; // kl proxy: mean log(πθ/πref)
  approxKl: number; // 0.5·mean(Δlogp²)
  clipFraction: number; // clipfrac
  gradNorm: number; // grad_norm before clipping
  learningRate: number; // learning_rate
  labeled: number; // labels with a preference available when the step ran
  pairsUsed: number; // pairs in this step's batch
  ms: number; // wall time of the step
  rewardMean?: number; // reward-driven rounds (PRDP/DDPO): mean reward of the round's samples
  rewardStd?: number; // ... and its standard deviation
  imagesSampled?: number; // ... and the images sampled so far in the run
  jointRewardMean?: number; // multi-task rounds: the joint task's reward mean over its samples
  jointRewardStd?: number; // ... and its standard deviation
  pretrainLoss?: number; // reward-driven rounds with a pretraining-loss term: L_pre (denoising loss on training latents) of the round's step
};

export interface GenerateParams {
  prompt: string;
  count: number; // images to generate (rows of one batch)
  seed: number; // seeds x_T and every DDIM step's noise
  steps?: number; // DDIM steps (default: the model's sample.steps)
  guidanceScale?: number; // CFG weight (default: the model's sample.guidanceScale)
}

/** Which model a blind test or gallery samples with: 'base' (LoRA off), 'current' (the trained adapter at multiplier 1), or a checkpoint id. */
export type ModelRef = 'base' | 'current' | { checkpoint: string };
