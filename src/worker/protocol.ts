/** The studio worker's message protocol: shared value types, every request the page sends (a discriminated union; transformers.js-examples' worker messages, typed) and which event answers each; the events themselves are in protocolEvents.ts. */

import type { StudioTrainConfig } from './trainConfig';
import type { RewardRoundEvent, RewardTrainedEvent, RewardTrainRequest } from './rewardTrain';
import type { ModelRef } from './modelRef';
import type { BlindReadyEvent, GalleryDoneEvent, GalleryRowEvent, CheckpointSavedEvent, ComparedEvent, CompilingEvent, GeneratedEvent, GenerateProgressEvent, GridReadyEvent, LoadedEvent, LoadProgressEvent, LoraEvent, LoraFileEvent, PairReadyEvent, ReadyEvent, TrainedEvent, TrainStepEvent } from './protocolEvents';

export type * from './protocolEvents';

// ---------- shared value types ----------

/** tfjs backends the studio can run on, best first (the ladder lives in platform/browser.ts). */
export const BACKEND_NAMES = ['webgpu', 'wasm', 'webgl', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export function isBackendName(s: string | null | undefined): s is BackendName {
  return s != null && (BACKEND_NAMES as readonly string[]).includes(s);
}

/** A GPU adapter as reported by `adapter.info` (SwiftShader in headless CI: architecture 'swiftshader'). */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[]; // adapter features, e.g. 'shader-f16' (the studio computes in f32 either way)
  limits: Record<string, number>; // GPU_LIMITS of the adapter (bytes or counts)
}

/** Which wasm binary and thread pool the wasm backend runs with (tfjs-backend-wasm README: the threaded SIMD build needs cross-origin isolation). */
export interface WasmInfo {
  simd: boolean; // WebAssembly SIMD supported
  multithread: boolean; // threads supported (needs crossOriginIsolated + SharedArrayBuffer)
  threads: number; // XNNPACK thread pool size actually in use
  binary: 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';
}

/** The backend the worker ended up on, and why every better one was passed over. */
export interface BackendReport {
  name: BackendName;
  tried: { name: BackendName; error: string }[]; // backends that failed before `name`, in ladder order
  adapterInfo?: AdapterInfo; // webgpu only
  wasm?: WasmInfo; // wasm only
  crossOriginIsolated: boolean; // the worker's own crossOriginIsolated
}

/** What the page needs to know about a loaded model. */
export interface ModelInfo {
  name: string; // config.name from the file's metadata
  folder: string; // the /models/<folder>/ it came from
  bytes: number; // size of model.safetensors
  parameterCounts: Record<string, number>; // per component (vae, textEncoder, unet)
  imageSize: number; // pixels per side of generated images (32)
  sampleDefaults: { steps: number; eta: number; guidanceScale: number };
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

// ---------- requests: page -> worker ----------

/** Pick and initialise a tfjs backend; `preferred` is tried first (URL ?backend=). */
export interface InitRequest {
  type: 'init';
  id: number;
  preferred?: BackendName;
}

/** Download a model (streamed, with progress), build it, and warm up its kernels. */
export interface LoadRequest {
  type: 'load';
  id: number;
  folder: string; // models/<folder>/model.safetensors
  url: string; // absolute URL of model.safetensors
  lora?: { rank: number; alpha: number; targets?: string[] }; // shape of a new adapter when no checkpoint of this model exists
}

export interface GenerateRequest extends GenerateParams {
  type: 'generate';
  id: number;
}

/** Cooperative cancel of an earlier request (checked between DDIM steps / download chunks). */
export interface CancelRequest {
  type: 'cancel';
  id: number;
  target: number; // id of the request to cancel
}

/** Generate one D3PO pair (two images from one shared x_T), store it in the worker, post back only its id and images. */
export interface PairRequest {
  type: 'pair';
  id: number;
  prompt: string;
  seed: number;
  steps?: number; // DDIM steps (default: the model's)
}

/** Best-of-k: k images from one shared x_T; every one of the k·(k−1)/2 pairs is stored (group = gridId), only ids and images return. */
export interface GridRequest {
  type: 'grid';
  id: number;
  prompt: string;
  seed: number;
  size: number; // k images (2..8)
  steps?: number;
}

/** Run `steps` D3PO optimizer steps on the stored labels; one train-step event per step; cancel stops between steps. */
export interface TrainRequest {
  type: 'train';
  id: number;
  steps: number;
  config: StudioTrainConfig;
  runId: string; // metrics are appended under this run
  refreshReference: boolean; // copy the current adapter into the reference before the first step (D3PO human protocol)
}

/** Restore a checkpoint's LoRA and AdamW state; metrics of `runId` after its step are dropped. */
export interface RollbackRequest {
  type: 'rollback';
  id: number;
  checkpointId: string;
  runId: string;
}

/** Replace the adapter with a fresh one (B = 0: the base model again); metrics of `runId` are cleared. */
export interface NewAdapterRequest {
  type: 'new-adapter';
  id: number;
  rank: number;
  alpha: number;
  targets?: string[]; // module suffixes (default: the attention projections)
  runId: string;
}

export interface ExportLoraRequest {
  type: 'export-lora';
  id: number;
  layout: 'peft' | 'kohya';
}

export interface ImportLoraRequest {
  type: 'import-lora';
  id: number;
  bytes: ArrayBuffer; // transferred
  fileName: string;
  runId: string; // metrics of this run are cleared (the imported adapter starts a new curve)
}

export interface SetLoraScaleRequest {
  type: 'set-lora-scale';
  id: number;
  scale: number;
}

/** Base (scale 0) vs tuned (current scale) from the same prompt and seed. */
export interface CompareRequest {
  type: 'compare';
  id: number;
  prompt: string;
  seed: number;
  steps?: number;
}

/** Keep a second adapter as D3PO's reference (`enabled`), and/or copy the current adapter into it now (`refresh`). */
export interface ReferenceRequest {
  type: 'reference';
  id: number;
  enabled: boolean;
  refresh: boolean;
}

/** Blind test: one image from each of two models, same prompt and seed (so the same x_T and step noise). */
export interface BlindRequest {
  type: 'blind';
  id: number;
  prompt: string;
  seed: number;
  a: ModelRef;
  b: ModelRef;
  steps?: number;
}

/** Checkpoint gallery: fixed prompts × seeds sampled with each model; one gallery-row event per model. */
export interface GalleryRequest {
  type: 'gallery';
  id: number;
  prompts: string[];
  seeds: number[];
  models: ModelRef[];
  steps?: number;
}

export type StudioRequest =
  | InitRequest
  | LoadRequest
  | GenerateRequest
  | CancelRequest
  | PairRequest
  | GridRequest
  | TrainRequest
  | RollbackRequest
  | NewAdapterRequest
  | ExportLoraRequest
  | ImportLoraRequest
  | SetLoraScaleRequest
  | CompareRequest
  | ReferenceRequest
  | BlindRequest
  | GalleryRequest
  | RewardTrainRequest;

/** The final event of each request type (what the client's promise resolves to). */
export interface ResultOf {
  init: ReadyEvent;
  load: LoadedEvent;
  generate: GeneratedEvent;
  pair: PairReadyEvent;
  grid: GridReadyEvent;
  train: TrainedEvent;
  rollback: LoraEvent;
  'new-adapter': LoraEvent;
  'export-lora': LoraFileEvent;
  'import-lora': LoraEvent;
  'set-lora-scale': LoraEvent;
  compare: ComparedEvent;
  reference: LoraEvent;
  blind: BlindReadyEvent;
  gallery: GalleryDoneEvent;
  'reward-train': RewardTrainedEvent;
}

/** The events a request may post before its result. */
export interface ProgressOf {
  init: never;
  load: LoadProgressEvent | CompilingEvent;
  generate: GenerateProgressEvent;
  pair: GenerateProgressEvent;
  grid: GenerateProgressEvent;
  train: TrainStepEvent | CheckpointSavedEvent;
  rollback: never;
  'new-adapter': never;
  'export-lora': never;
  'import-lora': never;
  'set-lora-scale': never;
  compare: GenerateProgressEvent;
  reference: never;
  blind: never;
  gallery: GalleryRowEvent;
  'reward-train': RewardRoundEvent | CheckpointSavedEvent;
}

export type CallType = keyof ResultOf;
export const RESULT_TYPES: { [K in CallType]: ResultOf[K]['type'] } = {
  init: 'ready',
  load: 'loaded',
  generate: 'generated',
  pair: 'pair-ready',
  grid: 'grid-ready',
  train: 'trained',
  rollback: 'lora',
  'new-adapter': 'lora',
  'export-lora': 'lora-file',
  'import-lora': 'lora',
  'set-lora-scale': 'lora',
  compare: 'compared',
  reference: 'lora',
  blind: 'blind-ready',
  gallery: 'gallery-done',
  'reward-train': 'reward-trained',
};
