/** The studio worker's message protocol: every request the page sends and every event the worker posts, as discriminated unions (style.md §3 rule 10). */

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
}

/** Which wasm binary and thread pool the wasm backend runs with (conventions §4). */
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

export type StudioRequest = InitRequest | LoadRequest | GenerateRequest | CancelRequest;

// ---------- events: worker -> page ----------

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

/** Weights are on the device; shaders/kernels are being compiled (conventions §3.1 rule 5). */
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
  | FailedEvent
  | FatalEvent;

/** The final event of each request type (what the client's promise resolves to). */
export interface ResultOf {
  init: ReadyEvent;
  load: LoadedEvent;
  generate: GeneratedEvent;
}

/** The events a request may post before its result. */
export interface ProgressOf {
  init: never;
  load: LoadProgressEvent | CompilingEvent;
  generate: GenerateProgressEvent;
}

export type CallType = keyof ResultOf;
export const RESULT_TYPES: Record<CallType, ResultOf[CallType]['type']> = { init: 'ready', load: 'loaded', generate: 'generated' };
