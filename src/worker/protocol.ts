/** The studio worker's message protocol: every request the page sends (a discriminated union; transformers.js-examples' worker messages, typed) and which event answers each; the events are in protocolEvents.ts and the shared value types in protocolTypes.ts (both re-exported here). */

import type { BackendName } from '../platform/backendTypes';
import type { StudioTrainConfig } from './trainConfig';
import type { RateRequestEvent, RatingsRequest, RewardRoundEvent, RewardTrainedEvent, RewardTrainRequest } from './rewardTrain';
import type { MoodboardTrainedEvent, MoodboardTrainRequest } from './moodboardTrain';
import type { GenerateParams, ModelRef } from './protocolTypes';
import type { BlendEvent, BlindReadyEvent, GalleryDoneEvent, GalleryRowEvent, CheckpointSavedEvent, ComparedEvent, CompilingEvent, GeneratedEvent, GenerateProgressEvent, GridReadyEvent, LoadedEvent, LoadProgressEvent, LoraEvent, LoraFileEvent, PairReadyEvent, ReadyEvent, TrainedEvent, TrainStepEvent } from './protocolEvents';

export type * from './protocolTypes';
export type * from './protocolEvents';

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
  profile?: string; // the taste profile whose databases hold the checkpoints (storage/profiles.ts; default: the first)
}

/** Opens another taste profile: its newest checkpoint (or a new adapter of `lora`'s shape); the blend is cleared. */
export interface ProfileRequest {
  type: 'profile';
  id: number;
  profile: string;
  lora: { rank: number; alpha: number; targets?: string[] };
}

/** Samples Generate, Compare and A/B pairs with a blend of profiles (their newest checkpoints) instead of the open one alone; no parts = the open profile alone. */
export interface BlendRequest {
  type: 'blend';
  id: number;
  parts: { profile: string; weight: number }[]; // the open profile's part uses its live adapter
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
  check?: boolean; // a check pair for the taste meter (checkPairs.ts) when the adapter has trained; otherwise an ordinary pair
  candidates?: number; // ordinary pairs: sample this many images from the x_T (2–8) and keep the two that differ most (distinctPairs.ts); default 2
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
  facts?: ExportFacts; // ModelSpec title and training facts for the file's metadata (absent: only the step)
}

/** What the page knows about the adapter it exports (the worker adds the step and the base model). */
export interface ExportFacts {
  title?: string;
  clicks?: number; // A/B votes
  beta?: number;
  recipe?: Record<string, unknown>;
  thumbnail?: { prompts: string[]; seed: number; steps?: number }; // the gallery's prompts, first seed and DDIM steps (default: the model's): sampled with the adapter, tiled 2 × 2
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
  | ProfileRequest
  | BlendRequest
  | RewardTrainRequest
  | MoodboardTrainRequest
  | RatingsRequest;

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
  profile: LoraEvent;
  blend: BlendEvent;
  'reward-train': RewardTrainedEvent;
  'moodboard-train': MoodboardTrainedEvent;
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
  profile: never;
  blend: never;
  'reward-train': RewardRoundEvent | RateRequestEvent | CheckpointSavedEvent;
  'moodboard-train': TrainStepEvent | CheckpointSavedEvent;
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
  profile: 'lora',
  blend: 'blend',
  'reward-train': 'reward-trained',
  'moodboard-train': 'moodboard-trained',
};
