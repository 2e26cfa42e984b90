// The studio worker's events (worker -> page), as one discriminated union; the requests and the request -> result map are in protocol.ts.
import type { BackendReport } from '../platform/backendTypes';
import type { GeneratedImage, LoraStatus, MetricRow, ModelInfo, ModelRef } from './protocolTypes';
import type { MoodboardTrainedEvent } from './moodboardTrain';
import type { RateRequestEvent, RewardRoundEvent, RewardTrainedEvent } from './rewardTrain';

export interface ReadyEvent {
  type: 'ready';
  id: number;
  backend: BackendReport;
}

export interface LoadProgressEvent {
  type: 'load-progress';
  id: number;
  loadedBytes: number;
  totalBytes: number | null; // null when the server sent no Content-Length
}

/** Weights are on the device; shaders/kernels are being compiled (warmUpKernels in platform/browser.ts). */
export interface CompilingEvent {
  type: 'compiling';
  id: number;
}

export interface LoadedEvent {
  type: 'loaded';
  id: number;
  model: ModelInfo;
  downloadMs: number;
  compileMs: number;
  lora: LoraStatus; // restored from the latest checkpoint of this model, or a new adapter
}

export interface GenerateProgressEvent {
  type: 'generate-progress';
  id: number;
  step: number; // DDIM steps done, 1..total
  total: number;
}

export interface GeneratedEvent {
  type: 'generated';
  id: number;
  images: GeneratedImage[];
  ms: number;
}

/** A pair was generated and stored (trajectories stay in the worker); images are in trajectory order. */
export interface PairReadyEvent {
  type: 'pair-ready';
  id: number;
  pairId: string;
  prompt: string;
  seed: number;
  loraVersion: string | null;
  images: [GeneratedImage, GeneratedImage];
  predicted: 0 | 1 | null; // the image (trajectory order) the adapter prefers before the vote; null = no preference yet (base model)
  check: boolean; // a check pair (the taste meter's question): image 0 is the adapter's, image 1 the reference's, same x_T and noise
  ms: number;
}

/** A best-of-k grid was generated; pairIds[`${i}-${j}`] (i < j) is the stored pair of images i and j (trajectory order i, j). */
export interface GridReadyEvent {
  type: 'grid-ready';
  id: number;
  gridId: string;
  prompt: string;
  seed: number;
  loraVersion: string | null;
  images: GeneratedImage[];
  pairIds: Record<string, string>;
  implicitRewards: number[] | null; // the taste meter: the adapter's implicit reward per image before the vote (null = base model)
  ms: number;
}

export interface TrainStepEvent {
  type: 'train-step';
  id: number;
  row: MetricRow;
  index: number; // 1..steps within this request
  total: number;
}

export interface CheckpointSavedEvent {
  type: 'checkpoint-saved';
  id: number;
  checkpointId: string;
  step: number;
}

export interface TrainedEvent {
  type: 'trained';
  id: number;
  stepsDone: number;
  stopped: boolean; // cancelled between steps
  lora: LoraStatus;
}

/** The adapter changed (rollback, new, import, scale, reference). */
export interface LoraEvent {
  type: 'lora';
  id: number;
  lora: LoraStatus;
}

export interface LoraFileEvent {
  type: 'lora-file';
  id: number;
  bytes: ArrayBuffer; // transferred safetensors file
  fileName: string;
  adapterConfig: string | null; // adapter_config.json text (peft layout)
  metadata: Record<string, string>; // the file's __metadata__ (ModelSpec and training facts), for the model card
  thumbnail: ArrayBuffer | null; // the ModelSpec thumbnail as JPEG bytes (transferred)
}

export interface ComparedEvent {
  type: 'compared';
  id: number;
  base: GeneratedImage;
  tuned: GeneratedImage;
  scale: number;
}

/** Blind test: image 0 from model `a`, image 1 from model `b`, same prompt, x_T and step noise (the page hides which is which). */
export interface BlindReadyEvent {
  type: 'blind-ready';
  id: number;
  prompt: string;
  seed: number;
  images: [GeneratedImage, GeneratedImage];
  ms: number;
}

/** One model's row of a checkpoint gallery: the request's prompts × seeds, seed-major. */
export interface GalleryRowEvent {
  type: 'gallery-row';
  id: number;
  index: number; // position in the request's models
  model: ModelRef;
  images: GeneratedImage[];
}

export interface GalleryDoneEvent {
  type: 'gallery-done';
  id: number;
  rows: number;
}

/** The blend now in use: each part with the checkpoint step it took (null for the open profile's live adapter). */
export interface BlendEvent {
  type: 'blend';
  id: number;
  parts: { profile: string; weight: number; step: number | null }[];
}

/** A request failed (or was cancelled); the worker stays usable. */
export interface FailedEvent {
  type: 'failed';
  id: number;
  message: string;
  cancelled: boolean;
}

/** The worker can no longer compute (GPU device lost, uncaught error); the page should offer a reload. */
export interface FatalEvent {
  type: 'fatal';
  reason: 'device-lost' | 'uncaught';
  message: string;
}

export type StudioEvent =
  | ReadyEvent
  | LoadProgressEvent
  | CompilingEvent
  | LoadedEvent
  | GenerateProgressEvent
  | GeneratedEvent
  | PairReadyEvent
  | GridReadyEvent
  | TrainStepEvent
  | CheckpointSavedEvent
  | TrainedEvent
  | LoraEvent
  | LoraFileEvent
  | ComparedEvent
  | BlindReadyEvent
  | GalleryRowEvent
  | GalleryDoneEvent
  | BlendEvent
  | FailedEvent
  | FatalEvent
  | RewardRoundEvent
  | RateRequestEvent
  | RewardTrainedEvent
  | MoodboardTrainedEvent;
