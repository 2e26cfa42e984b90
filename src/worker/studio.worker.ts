// Dedicated module Worker that owns tfjs, the model and the LoRA session: init (backend) → load (download, build, warm up, restore the latest checkpoint) → generate / pair / train / compare / LoRA jobs, one at a time, with cooperative cancel (the entry point picks the backend, one typed protocol, cancel checked between steps; transformers.js-examples janus-pro-webgpu/src/worker.js lifecycle).
import * as tf from '@tensorflow/tfjs';
import { modelFromSafetensors } from '../core/model/weights';
import { LATENT_SUBSET_FILE } from '../core/pretrain/latentSubset';
import type { MiniSD } from '../core/model/pipeline';
import { imagesToRgba, SamplingCancelled, sampleWithTrajectory } from '../core/diffusion/sample';
import { errorText, initBrowserBackend, initMeasuredBackend, warmUpKernels, watchDeviceLoss } from '../platform/browser';
import { backendChoiceCache } from '../storage/backendChoice';
import type { GenerateRequest, GeneratedImage, InitRequest, LoadRequest, ModelInfo, StudioEvent, StudioRequest } from './protocol';
import { handleCompare, handleGrid, handlePair } from './pairJobs';
import type { JobContext } from './jobContext';
import { handleTrain } from './trainJob';
import { handleBlind, handleGallery } from './evalJobs';
import { clearSpareAdapters } from './modelRef';
import { handleRewardTrain } from './rewardTrainJob';
import { handleMoodboardTrain } from './moodboardJob';
import { abandonRatings, deliverRatings } from './ratingInbox';
import { handleExport, handleImport, handleNewAdapter, handleReference, handleRollback, handleScale } from './loraJobs';
import { disposeSessionState, loraStatus, openSession, type Session } from './session';
import { handleBlend, handleProfile, withSamplingAdapter } from './profileJobs';
import { setStorageProfile } from '../storage/db';
import { DEFAULT_PROFILE_ID } from '../storage/keys';
import type { LoraAdapter } from '../core/model/lora';
import { defaultStudioTrainConfig } from './trainConfig';

declare const self: DedicatedWorkerGlobalScope;

const MAX_IMAGES = 16; // per generate request; keeps one batch well inside memory on every backend
const MAX_STEPS = 1000;

/** Worker state: one backend, at most one model. */
let backendReady = false;
let model: MiniSD | null = null;
let session: Session | null = null;
let deviceLost = false;

/** Requests received and not yet finished, and those among them whose cancel arrived (checked between steps/chunks). */
const pending = new Set<number>();
const cancelled = new Set<number>();
/** Aborts for in-flight downloads, by request id. */
const downloads = new Map<number, AbortController>();

class Cancelled extends Error {
  constructor() {
    super('Cancelled');
  }
}

function post(event: StudioEvent, transfer: Transferable[] = []): void {
  self.postMessage(event, transfer);
}

// Jobs run one at a time in arrival order (tfjs work must not interleave); cancel bypasses the queue. While a training
// job runs, pair and grid requests wait in `urgent` instead: the job runs them between its steps (labeling never waits for
// a round), and whatever is left when it ends runs right after it.
let queue: Promise<void> = Promise.resolve();
let training = false;
const urgent: Exclude<StudioRequest, { type: 'cancel' | 'ratings' }>[] = [];

async function runUrgent(): Promise<void> {
  while (urgent.length > 0) await run(urgent.shift()!);
}

self.onmessage = (e: MessageEvent<StudioRequest>) => {
  const req = e.data;
  if (req.type === 'cancel') {
    if (!pending.has(req.target)) return; // already finished
    cancelled.add(req.target);
    downloads.get(req.target)?.abort();
    abandonRatings(req.target);
    return;
  }
  if (req.type === 'ratings') {
    const ignored = deliverRatings(req); // the job is waiting for this answer, so it skips the queue
    if (ignored) console.warn(ignored);
    return;
  }
  pending.add(req.id);
  if (training && (req.type === 'pair' || req.type === 'grid')) urgent.push(req);
  else queue = queue.then(() => run(req));
};

async function run(req: Exclude<StudioRequest, { type: 'cancel' | 'ratings' }>): Promise<void> {
  try {
    if (cancelled.has(req.id)) throw new Cancelled();
    if (deviceLost) throw new Error('The GPU device was lost; reload the page.');
    switch (req.type) {
      case 'init':
        return await handleInit(req);
      case 'load':
        return await handleLoad(req);
      case 'generate':
        return await handleGenerate(req);
    }
    const s = session;
    if (s == null) throw new Error('No model is loaded yet; wait for loading to finish.');
    const ctx: JobContext = { post, cancelled: () => cancelled.has(req.id), runUrgent };
    if (req.type === 'train' || req.type === 'moodboard-train') {
      training = true;
      try {
        return req.type === 'train' ? await handleTrain(s, req, ctx) : await handleMoodboardTrain(s, req, ctx);
      } finally {
        training = false;
        await runUrgent();
      }
    }
    switch (req.type) {
      case 'pair':
        return await handlePair(s, req, ctx);
      case 'grid':
        return await handleGrid(s, req, ctx);
      case 'compare':
        return await handleCompare(s, req, ctx);
      case 'rollback':
        return await handleRollback(s, req, ctx);
      case 'new-adapter':
        return await handleNewAdapter(s, req, ctx);
      case 'export-lora':
        return await handleExport(s, req, ctx);
      case 'import-lora':
        return await handleImport(s, req, ctx);
      case 'set-lora-scale':
        return handleScale(s, req, ctx);
      case 'reference':
        return handleReference(s, req, ctx);
      case 'reward-train':
        return await handleRewardTrain(s, req, ctx);
      case 'blind':
        return await handleBlind(s, req, ctx);
      case 'gallery':
        return await handleGallery(s, req, ctx);
      case 'profile':
        session = await handleProfile(s, req, ctx);
        clearSpareAdapters();
        return;
      case 'blend':
        return await handleBlend(s, req, ctx);
    }
  } catch (err) {
    const wasCancelled = err instanceof Cancelled || err instanceof SamplingCancelled || (err instanceof DOMException && err.name === 'AbortError');
    post({ type: 'failed', id: req.id, message: wasCancelled ? 'Cancelled' : errorText(err), cancelled: wasCancelled });
  } finally {
    pending.delete(req.id);
    cancelled.delete(req.id);
  }
}

async function handleInit(req: InitRequest): Promise<void> {
  if (backendReady) throw new Error('The worker is already initialised; create a new StudioClient to switch backends.');
  // ?backend= forces one (the ladder after it); otherwise the fastest by measurement, remembered per device.
  const backend = req.preferred ? await initBrowserBackend(req.preferred) : await initMeasuredBackend(backendChoiceCache);
  backendReady = true;
  watchDeviceLoss((message) => {
    deviceLost = true;
    post({ type: 'fatal', reason: 'device-lost', message });
  });
  post({ type: 'ready', id: req.id, backend });
}

async function handleLoad(req: LoadRequest): Promise<void> {
  if (!backendReady) throw new Error('Call init before load.');
  const t0 = performance.now();
  const bytes = await download(req);
  const t1 = performance.now();
  post({ type: 'compiling', id: req.id });
  disposeSession();
  clearSpareAdapters();
  model?.dispose();
  model = null;
  const next = modelFromSafetensors(bytes); // builds weights on the backend and dry-runs every component
  try {
    await warmUp(next);
  } catch (e) {
    next.dispose();
    throw e;
  }
  model = next;
  setStorageProfile(req.profile ?? DEFAULT_PROFILE_ID);
  session = await openSession(next, req.lora ?? { rank: defaultStudioTrainConfig.rank, alpha: defaultStudioTrainConfig.alpha });
  session.latentSubset = () => fetchLatentSubset(req);
  const cfg = next.config;
  const info: ModelInfo = {
    name: cfg.name,
    folder: req.folder,
    bytes: bytes.byteLength,
    parameterCounts: next.parameterCounts(),
    imageSize: cfg.autoencoder.imageSize,
    sampleDefaults: { ...cfg.sample },
    vocabulary: [...cfg.textEncoder.vocab],
    maxPromptWords: cfg.textEncoder.maxLength,
  };
  post({ type: 'loaded', id: req.id, model: info, downloadMs: t1 - t0, compileMs: performance.now() - t1, lora: loraStatus(session) });
}

function disposeSession(): void {
  if (session == null) return;
  disposeSessionState(session);
  session = null;
}

/** Streams model.safetensors with progress events; cancel aborts the fetch. -> file bytes */
async function download(req: LoadRequest): Promise<Uint8Array> {
  const abort = new AbortController();
  downloads.set(req.id, abort);
  try {
    const res = await fetch(req.url, { signal: abort.signal });
    // A missing file comes back as a 404, or (dev server / SPA hosting) as index.html with status 200.
    if (!res.ok || res.body == null || (res.headers.get('content-type') ?? '').includes('text/html')) {
      throw new Error(`Model '${req.folder}' not found at ${req.url} (HTTP ${res.status}); check that public/models/${req.folder}/model.safetensors exists, or pick another ?model=.`);
    }
    const header = res.headers.get('content-length');
    const totalBytes = header != null && Number(header) > 0 ? Number(header) : null;
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loadedBytes = 0;
    post({ type: 'load-progress', id: req.id, loadedBytes, totalBytes });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loadedBytes += value.byteLength;
      post({ type: 'load-progress', id: req.id, loadedBytes, totalBytes });
    }
    const bytes = new Uint8Array(loadedBytes);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.byteLength;
    }
    return bytes;
  } finally {
    downloads.delete(req.id);
  }
}

/** The model's shipped training latents (public/models/<folder>/pretrain-latents.safetensors), for the pretraining-loss term. */
async function fetchLatentSubset(req: LoadRequest): Promise<Uint8Array> {
  const url = new URL(LATENT_SUBSET_FILE, req.url).href;
  const res = await fetch(url);
  if (!res.ok || (res.headers.get('content-type') ?? '').includes('text/html')) {
    throw new Error(
      `Model '${req.folder}' ships no training latents at ${url} (HTTP ${res.status}); write them with \`npm run cli -- latent-subset --model public/models/${req.folder}/model.safetensors\``,
    );
  }
  return new Uint8Array(await res.arrayBuffer());
}

/** One CFG UNet step and one decode at batch 1, so the first Generate doesn't pay for shader compilation. */
async function warmUp(m: MiniSD): Promise<void> {
  const s = m.config.unet.sampleSize;
  await warmUpKernels(() => {
    const text = m.encodeText(['']); // [1,L,D]
    const x = tf.zeros([1, s, s, m.config.unet.inChannels]) as tf.Tensor4D; // [1,8,8,4]
    const eps = m.guidedPredict(x, [500], text, text, m.config.sample.guidanceScale); // [1,8,8,4]
    return [eps, m.decode(x)]; // decode: [1,32,32,3]
  });
}

async function handleGenerate(req: GenerateRequest): Promise<void> {
  if (model == null) throw new Error('No model is loaded yet; wait for loading to finish.');
  const count = req.count;
  if (!Number.isInteger(count) || count < 1 || count > MAX_IMAGES) throw new Error(`count must be an integer from 1 to ${MAX_IMAGES}, got ${count}.`);
  if (!Number.isInteger(req.seed)) throw new Error(`seed must be an integer, got ${req.seed}.`);
  const steps = req.steps ?? model.config.sample.steps;
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) throw new Error(`steps must be an integer from 1 to ${MAX_STEPS}, got ${steps}.`);
  const t0 = performance.now();
  const m = model;
  const sample = (lora?: LoraAdapter, loraScale?: number) =>
    sampleWithTrajectory(
      m,
      {
        prompts: new Array<string>(count).fill(req.prompt),
        seed: req.seed,
        sample: { steps, ...(req.guidanceScale != null ? { guidanceScale: req.guidanceScale } : {}) },
        ...(lora ? { lora, loraScale } : {}),
      },
      {
        onStep: (step, total) => post({ type: 'generate-progress', id: req.id, step, total }),
        shouldCancel: () => cancelled.has(req.id),
      },
    );
  // The tuned adapter (or the profiles' blend) at the compare scale (a new adapter has B = 0, so this equals the base model).
  const s = session;
  const { final } = s ? await withSamplingAdapter(s, (lora) => sample(lora, s.scale * lora.scale)) : await sample();
  const decoded = model.decode(final); // [B,32,32,3] in [0,1]
  final.dispose();
  let rgba: Uint8ClampedArray[];
  try {
    rgba = await imagesToRgba(decoded);
  } finally {
    decoded.dispose();
  }
  const [, h, w] = decoded.shape;
  const images: GeneratedImage[] = rgba.map((px) => ({ width: w, height: h, rgba: px.buffer as ArrayBuffer }));
  post({ type: 'generated', id: req.id, images, ms: performance.now() - t0 }, images.map((i) => i.rgba));
}
