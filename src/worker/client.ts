// Main-thread facade over the studio worker: typed promise-returning calls, progress callbacks, an event subscription and AbortSignal cancel (squoosh worker-bridge; excalidraw worker trio).
import type { BackendName } from '../platform/backendTypes';
import type {
  BlendEvent,
  BlindReadyEvent,
  GalleryDoneEvent,
  CallType,
  ComparedEvent,
  ExportFacts,
  FatalEvent,
  GenerateParams,
  GeneratedEvent,
  GridReadyEvent,
  LoadedEvent,
  LoraEvent,
  LoraFileEvent,
  ModelRef,
  PairReadyEvent,
  ProgressOf,
  ReadyEvent,
  ResultOf,
  StudioEvent,
  StudioRequest,
  TrainedEvent,
} from './protocol';
import type { StudioTrainConfig } from './trainConfig';
import type { RewardTrainedEvent, RewardTrainRequest } from './rewardTrain';
import type { MoodboardTrainedEvent, MoodboardTrainRequest } from './moodboardTrain';
import { RESULT_TYPES } from './protocol';
import { invalidRatings, type Rating } from '../core/rewards/humanRating';

export interface CallOptions<P> {
  onProgress?: (event: P) => void;
  signal?: AbortSignal; // aborting sends a cooperative cancel; the promise rejects with an AbortError
}

/** A request the worker reported as failed (not cancelled). */
export class StudioRequestError extends Error {
  override name = 'StudioRequestError';
}

interface Pending {
  type: CallType;
  resolve: (event: StudioEvent) => void;
  reject: (error: Error) => void;
  onProgress?: (event: StudioEvent) => void;
}

/** Folder names under /models/ are plain slugs (no path traversal via ?model=). */
export const MODEL_FOLDER_PATTERN = /^[a-z0-9][a-z0-9._-]*$/i;

export class StudioClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: StudioEvent) => void>();
  private fatal: FatalEvent | null = null;

  constructor() {
    this.worker = new Worker(new URL('./studio.worker.ts', import.meta.url), { type: 'module', name: 'studio' });
    this.worker.onmessage = (e: MessageEvent<StudioEvent>) => this.dispatch(e.data);
    this.worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.dispatch({
        type: 'fatal',
        reason: 'uncaught',
        message: `The studio worker failed to start or crashed (${e.message || 'no details; see the console'}). Reload the page.`,
      });
    };
  }

  /** Picks and initialises the tfjs backend inside the worker (`preferred` first, then the ladder). */
  init(preferred?: BackendName): Promise<ReadyEvent> {
    return this.call('init', (id) => ({ type: 'init', id, preferred }), {});
  }

  /** Downloads public/models/<folder>/model.safetensors in the worker, builds the model and compiles its kernels. */
  load(folder: string, options: CallOptions<ProgressOf['load']> & { lora?: { rank: number; alpha: number; targets?: string[] }; profile?: string } = {}): Promise<LoadedEvent> {
    if (!MODEL_FOLDER_PATTERN.test(folder)) {
      return Promise.reject(new StudioRequestError(`Invalid model folder '${folder}'; use a folder name under /models/, e.g. ?model=tiny-test.`));
    }
    const url = new URL(`${import.meta.env.BASE_URL}models/${folder}/model.safetensors`, globalThis.location.href).href;
    return this.call('load', (id) => ({ type: 'load', id, folder, url, lora: options.lora, profile: options.profile }), options);
  }

  /** Opens another taste profile in the worker (its newest checkpoint, or a new adapter of `lora`'s shape); clears the blend. */
  profile(profile: string, lora: { rank: number; alpha: number; targets?: string[] }): Promise<LoraEvent> {
    return this.call('profile', (id) => ({ type: 'profile', id, profile, lora }), {});
  }

  /** Samples Generate, Compare and A/B pairs with a blend of profiles (no parts: the open profile alone). */
  blend(parts: { profile: string; weight: number }[]): Promise<BlendEvent> {
    return this.call('blend', (id) => ({ type: 'blend', id, parts }), {});
  }

  /** Generates and stores one D3PO pair from a shared x_T; resolves with its id and both images (trajectories stay in the worker). */
  pair(params: { prompt: string; seed: number; steps?: number; check?: boolean }, options: CallOptions<ProgressOf['pair']> = {}): Promise<PairReadyEvent> {
    return this.call('pair', (id) => ({ type: 'pair', id, ...params }), options);
  }

  /** Generates a best-of-k grid from one x_T and stores all its pairs; resolves with the images and the pair id of each (i, j). */
  grid(params: { prompt: string; seed: number; size: number; steps?: number }, options: CallOptions<ProgressOf['grid']> = {}): Promise<GridReadyEvent> {
    return this.call('grid', (id) => ({ type: 'grid', id, ...params }), options);
  }

  /** Runs `steps` D3PO steps on the stored labels. Aborting stops between steps and still resolves (stopped: true). */
  train(
    params: { steps: number; config: StudioTrainConfig; runId: string; refreshReference: boolean },
    options: CallOptions<ProgressOf['train']> = {},
  ): Promise<TrainedEvent> {
    return this.call('train', (id) => ({ type: 'train', id, ...params }), options);
  }

  /** Answers a human-rating run's rate-request (`target` = the reward-train request's id); not queued, no reply. */
  rate(target: number, request: number, ratings: Rating[]): void {
    const invalid = ratings.length === 0 ? 'No ratings to send.' : invalidRatings(ratings, ratings.length);
    if (invalid) throw new StudioRequestError(invalid);
    this.worker.postMessage({ type: 'ratings', id: this.nextId++, target, request, ratings } satisfies StudioRequest);
  }

  /** PRDP/DDPO rounds with a pixel reward or the person's ratings; progress: one reward-round per round, rate-request events (human ratings), checkpoint-saved events. */
  rewardTrain(params: Omit<RewardTrainRequest, 'type' | 'id'>, options: CallOptions<ProgressOf['reward-train']> = {}): Promise<RewardTrainedEvent> {
    return this.call('reward-train', (id) => ({ type: 'reward-train', id, ...params }), options);
  }

  /** Diffusion-DPO steps on the stored moodboard into the current adapter; progress: train-step and checkpoint-saved events. Aborting stops between steps and still resolves (stopped: true). */
  moodboardTrain(params: Omit<MoodboardTrainRequest, 'type' | 'id'>, options: CallOptions<ProgressOf['moodboard-train']> = {}): Promise<MoodboardTrainedEvent> {
    return this.call('moodboard-train', (id) => ({ type: 'moodboard-train', id, ...params }), options);
  }

  rollback(checkpointId: string, runId: string): Promise<LoraEvent> {
    return this.call('rollback', (id) => ({ type: 'rollback', id, checkpointId, runId }), {});
  }

  newAdapter(params: { rank: number; alpha: number; targets?: string[]; runId: string }): Promise<LoraEvent> {
    return this.call('new-adapter', (id) => ({ type: 'new-adapter', id, ...params }), {});
  }

  /** The current adapter as a safetensors file (bytes transferred) plus adapter_config.json text for the PEFT layout. */
  exportLora(layout: 'peft' | 'kohya', facts?: ExportFacts): Promise<LoraFileEvent> {
    return this.call('export-lora', (id) => ({ type: 'export-lora', id, layout, facts }), {});
  }

  /** Validates and loads a LoRA file; the buffer is transferred (copy it first if you still need it). A bad file changes nothing. */
  importLora(bytes: ArrayBuffer, fileName: string, runId: string): Promise<LoraEvent> {
    return this.call('import-lora', (id) => ({ type: 'import-lora', id, bytes, fileName, runId }), {}, [bytes]);
  }

  setLoraScale(scale: number): Promise<LoraEvent> {
    return this.call('set-lora-scale', (id) => ({ type: 'set-lora-scale', id, scale }), {});
  }

  /** Base model (LoRA scale 0) vs the tuned adapter at its current scale, same prompt and seed. */
  compare(params: { prompt: string; seed: number; steps?: number }, options: CallOptions<ProgressOf['compare']> = {}): Promise<ComparedEvent> {
    return this.call('compare', (id) => ({ type: 'compare', id, ...params }), options);
  }

  /** Blind test: one image from each model (same prompt, x_T and step noise); images[0] is `a`'s. */
  blind(params: { prompt: string; seed: number; a: ModelRef; b: ModelRef; steps?: number }, options: CallOptions<ProgressOf['blind']> = {}): Promise<BlindReadyEvent> {
    return this.call('blind', (id) => ({ type: 'blind', id, ...params }), options);
  }

  /** Checkpoint gallery: prompts × seeds per model, one gallery-row progress event per model. */
  gallery(params: { prompts: string[]; seeds: number[]; models: ModelRef[]; steps?: number }, options: CallOptions<ProgressOf['gallery']> = {}): Promise<GalleryDoneEvent> {
    return this.call('gallery', (id) => ({ type: 'gallery', id, ...params }), options);
  }

  /** Turns the separate reference adapter on/off, and optionally copies the current adapter into it now. */
  reference(params: { enabled: boolean; refresh: boolean }): Promise<LoraEvent> {
    return this.call('reference', (id) => ({ type: 'reference', id, ...params }), {});
  }

  /** Generates `count` images for one prompt; resolves with RGBA bytes (transferred from the worker). */
  generate(params: GenerateParams, options: CallOptions<ProgressOf['generate']> = {}): Promise<GeneratedEvent> {
    return this.call('generate', (id) => ({ type: 'generate', id, ...params }), options);
  }

  /** Every event the worker posts (progress, results, fatal errors). Returns the unsubscribe function. */
  subscribe(listener: (event: StudioEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the worker (last resort; tfjs state and the model are gone). Pending calls reject. */
  terminate(): void {
    this.worker.terminate();
    this.failAll(new StudioRequestError('The studio worker was terminated.'));
    this.listeners.clear();
  }

  private call<T extends CallType>(
    type: T,
    build: (id: number) => Extract<StudioRequest, { type: T }>,
    { onProgress, signal }: CallOptions<ProgressOf[T]>,
    transfer: Transferable[] = [],
  ): Promise<ResultOf[T]> {
    if (this.fatal) return Promise.reject(new StudioRequestError(this.fatal.message));
    if (signal?.aborted) return Promise.reject(abortError());
    const id = this.nextId++;
    return new Promise<ResultOf[T]>((resolve, reject) => {
      const onAbort = () => this.worker.postMessage({ type: 'cancel', id: this.nextId++, target: id } satisfies StudioRequest);
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        type,
        resolve: (event) => {
          cleanup();
          resolve(event as ResultOf[T]);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
        onProgress: onProgress as ((event: StudioEvent) => void) | undefined,
      });
      this.worker.postMessage(build(id), transfer);
    });
  }

  private dispatch(event: StudioEvent): void {
    for (const listener of this.listeners) listener(event);
    if (event.type === 'fatal') {
      this.fatal = event;
      this.failAll(new StudioRequestError(event.message));
      return;
    }
    const pending = this.pending.get(event.id);
    if (pending == null) return;
    if (event.type === 'failed') {
      this.pending.delete(event.id);
      pending.reject(event.cancelled ? abortError() : new StudioRequestError(event.message));
    } else if (event.type === RESULT_TYPES[pending.type]) {
      this.pending.delete(event.id);
      pending.resolve(event);
    } else {
      pending.onProgress?.(event);
    }
  }

  private failAll(error: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(error);
  }
}

function abortError(): DOMException {
  return new DOMException('The request was cancelled.', 'AbortError');
}

export function isAbortError(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}
