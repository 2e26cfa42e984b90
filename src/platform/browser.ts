// Browser tfjs backend bootstrap: backend ladder webgpu → wasm → webgl → cpu (setBackend's false checked, tensorflow/tfjs#8065), wasm paths and threads (tfjs-backend-wasm README: threads need cross-origin isolation), WebGPU kernel warm-up, device-loss watch (GPUDevice.lost). Entry points (the worker) call this; src/core never does.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu'; // registers 'webgpu' (priority 3) only when navigator.gpu exists
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// The app serves the wasm binaries itself (Vite emits them as hashed assets; no CDN, CSP stays 'self').
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import { installWasmKernels } from './wasmKernels';
import { installWebgpuFusedNorms } from './webgpuFusedNorms';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { BACKEND_NAMES, type AdapterInfo, type BackendName, type BackendReport, type BackendTiming, type ChoiceCache, type WasmInfo } from './backendTypes';
import { fastest, probeScore, timeProbe } from './backendProbe';

/** Minimal WebGPU shapes we touch (lib.dom in TS 5.9 has no WebGPU types; @webgpu/types is only transitive). */
interface GpuAdapterLike {
  info?: Partial<AdapterInfo> & { isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean; // older Chrome: on the adapter itself
  features?: Iterable<string>;
  limits?: Record<string, number>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}
interface GpuDeviceLike {
  lost: Promise<{ reason: string; message: string }>;
}
interface WebGpuBackendLike {
  device: GpuDeviceLike;
  adapterInfo?: { vendor?: string; architecture?: string };
  checkCompileCompletionAsync(): Promise<void>;
}

const NICE: Record<BackendName, string> = { webgpu: 'WebGPU', wasm: 'wasm', webgl: 'WebGL', cpu: 'cpu' };

/** Why `failed` was passed over and what that means for the user, once we know which backend (`next`) took over. */
function fallbackMessage(failed: BackendName, reason: string, next: BackendName): string {
  const consequence: Record<BackendName, string> = {
    webgpu: 'Training will be slower; for speed use a browser and GPU with WebGPU (recent Chrome/Edge, Safari 26, Firefox 141+ on Windows).',
    wasm: 'Check that the .wasm assets are served and the page is cross-origin isolated.',
    webgl: 'Everything will be slow.',
    cpu: '',
  };
  return `${reason}; falling back to ${NICE[next]}. ${consequence[failed]}`.trim();
}

/**
 * Initialises the best available tfjs backend, trying `preferred` first and then the ladder
 * webgpu → wasm → webgl → cpu. Every failure is recorded in `tried` with a message saying what to do.
 * Throws only if even cpu fails.
 */
export async function initBrowserBackend(preferred?: BackendName): Promise<BackendReport> {
  const ladder: BackendName[] = preferred ? [preferred, ...BACKEND_NAMES.filter((b) => b !== preferred)] : [...BACKEND_NAMES];
  const selection = preferred ? ({ selection: 'forced' } as const) : {};
  const failures: { name: BackendName; reason: string }[] = [];
  for (const name of ladder) {
    try {
      const report = await tryBackend(name);
      const active = tf.getBackend();
      if (active !== name) throw new Error(`tfjs reports backend '${active}' after selecting '${name}'`);
      const tried = failures.map((f) => ({ name: f.name, error: fallbackMessage(f.name, f.reason, name) }));
      return { ...report, tried, crossOriginIsolated: globalThis.crossOriginIsolated === true, ...(name === preferred ? selection : {}) };
    } catch (e) {
      failures.push({ name, reason: errorText(e) });
    }
  }
  throw new Error(`No tfjs backend could start (${failures.map((f) => `${f.name}: ${f.reason}`).join('; ')}); reload the page or try another browser.`);
}

/** The candidates measured, best first on ties: WebGPU, wasm, WebGL (cpu is ~50× slower and only the ladder's last resort). */
const MEASURED: BackendName[] = ['webgpu', 'wasm', 'webgl'];

/**
 * Picks the backend by measurement: every available backend (software GPU adapters and renderers excluded: they are
 * correctness paths, never fast) runs the probe of backendProbe.ts and the lowest score wins. The choice is remembered
 * per device identity, so later loads skip the probe; if measuring fails altogether, the fixed ladder decides.
 */
export async function initMeasuredBackend(cache: ChoiceCache): Promise<BackendReport> {
  const adapter = await webGpuAdapter().catch(() => null);
  const identity = deviceIdentity(adapter);
  const isolated = globalThis.crossOriginIsolated === true;
  const cached = await cache.read().catch(() => undefined);
  if (cached && cached.identity === identity) {
    try {
      const report = await tryBackend(cached.name);
      return { ...report, tried: [], crossOriginIsolated: isolated, selection: 'cached', timings: cached.timings };
    } catch {
      // The remembered backend no longer starts: measure again.
    }
  }
  const timings: BackendTiming[] = [];
  for (const name of MEASURED) {
    const skip = name === 'webgpu' ? softwareAdapterReason(adapter) : null;
    if (skip) {
      timings.push({ name, sampleMs: null, trainMs: null, score: null, note: skip });
      continue;
    }
    try {
      await tryBackend(name);
      const renderer = name === 'webgl' ? softwareRendererReason() : null;
      if (renderer) {
        timings.push({ name, sampleMs: null, trainMs: null, score: null, note: renderer });
        continue;
      }
      const { sampleMs, trainMs } = await timeProbe();
      timings.push({ name, sampleMs, trainMs, score: probeScore(sampleMs, trainMs), note: 'measured' });
    } catch (e) {
      timings.push({ name, sampleMs: null, trainMs: null, score: null, note: `unavailable: ${errorText(e)}` });
    }
  }
  const best = fastest(timings);
  if (best == null) return initBrowserBackend();
  const report = await tryBackend(best);
  await cache.write({ identity, name: best, timings, at: Date.now() }).catch(() => undefined); // a full disk only costs a re-measure
  return { ...report, tried: [], crossOriginIsolated: isolated, selection: 'measured', timings };
}

async function webGpuAdapter(): Promise<GpuAdapterLike | null> {
  const gpu = (globalThis.navigator as unknown as { gpu?: GpuLike }).gpu;
  return gpu ? gpu.requestAdapter({ powerPreference: 'high-performance' }) : null;
}

/** Why a WebGPU adapter is not worth timing: none, or a software/fallback one (SwiftShader). Null for a hardware adapter. */
export function softwareAdapterReason(adapter: GpuAdapterLike | null): string | null {
  if (adapter == null) return 'no WebGPU adapter';
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.description, info.device].join(' ').toLowerCase();
  if (adapter.isFallbackAdapter || info.isFallbackAdapter || text.includes('swiftshader')) {
    return `skipped: software adapter (${info.architecture || info.description || 'fallback'}), always slower than wasm; ?backend=webgpu forces it`;
  }
  return null;
}

/** Why the active WebGL context is not worth timing (a software renderer such as SwiftShader or llvmpipe), else null. */
function softwareRendererReason(): string | null {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
  if (gl == null) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  return /swiftshader|llvmpipe|software/i.test(renderer) ? `skipped: software renderer (${renderer}); ?backend=webgl forces it` : null;
}

/** What a remembered choice is valid for: this browser, this GPU adapter, this many cores, this isolation. */
function deviceIdentity(adapter: GpuAdapterLike | null): string {
  const info = adapter?.info ?? {};
  const nav = globalThis.navigator;
  return JSON.stringify([nav?.userAgent ?? '', info.vendor ?? '', info.architecture ?? '', info.device ?? '', info.description ?? '', nav?.hardwareConcurrency ?? 0, globalThis.crossOriginIsolated === true]);
}

/** Selects one backend or throws a sentence saying why not. */
async function tryBackend(name: BackendName): Promise<Omit<BackendReport, 'tried' | 'crossOriginIsolated'>> {
  if (name === 'webgpu') return { name, adapterInfo: await initWebGpu() };
  if (name === 'wasm') return { name, wasm: await initWasm() };
  if (tf.findBackendFactory(name) == null) throw new Error(`backend '${name}' is not registered in this build`);
  await setBackendOrThrow(name);
  return { name };
}

/** Adapter limits that bound what the studio can run (buffer sizes: the known cause of black images, softwiredtech/stable-diffusion-webgpu#1). */
export const GPU_LIMITS = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup'] as const;

async function initWebGpu(): Promise<AdapterInfo> {
  const gpu = (globalThis.navigator as unknown as { gpu?: GpuLike }).gpu;
  if (gpu == null) throw new Error('WebGPU is not available in this browser (navigator.gpu is missing)');
  // tfjs would fail with "Cannot read properties of null (reading 'features')" and silently pick another backend (tfjs#8065).
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter == null) throw new Error('WebGPU adapter not found (navigator.gpu.requestAdapter() returned null)');
  if (tf.findBackendFactory('webgpu') == null) throw new Error('the tfjs webgpu backend did not register');
  installWebgpuFusedNorms(); // GroupNorm(+SiLU) and LayerNorm as one shader each (webgpuFusedNorms.ts)
  await setBackendOrThrow('webgpu');
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  const info = adapter.info ?? {};
  return {
    vendor: backend.adapterInfo?.vendor ?? info.vendor ?? '',
    architecture: backend.adapterInfo?.architecture ?? info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    features: [...(adapter.features ?? [])].sort(),
    limits: Object.fromEntries(GPU_LIMITS.map((k) => [k, Number(adapter.limits?.[k] ?? NaN)])),
  };
}

async function initWasm(): Promise<WasmInfo> {
  if (typeof WebAssembly !== 'object') throw new Error('WebAssembly is not available');
  installWasmKernels(); // every matmul through XNNPACK, zero-copy Identity (see wasmKernels.ts)
  // setWasmPaths must come before the first setBackend('wasm'); a file map keeps Vite's hashed asset names.
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlainUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
  });
  const threads = Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
  setThreadsCount(threads); // XNNPACK pool size; only used by the threaded build
  const [simd, multithread] = await Promise.all([
    tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as Promise<boolean>,
    tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') as Promise<boolean>,
  ]);
  // Reporting 2 × threads logical cores while the module instantiates lifts tfjs's cap (see withReportedCores).
  await withReportedCores(2 * threads, () => setBackendOrThrow('wasm'));
  const binary: WasmInfo['binary'] = simd && multithread ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
  return { simd, multithread, threads: getThreadsCount(), binary };
}

/**
 * tfjs-backend-wasm 4.22 caps its XNNPACK pool at navigator.hardwareConcurrency / 2 ("many x86-64 processors have
 * 2 threads per core"; backend.cc `num_cores`, a static initialiser run when the module instantiates), so on a
 * 2-core machine setThreadsCount(2) still gives 1 thread. While the module instantiates (inside setBackend) we shadow
 * this worker's navigator.hardwareConcurrency with `cores`, then remove the shadow. Scoped to the studio worker.
 */
async function withReportedCores<T>(cores: number, run: () => Promise<T>): Promise<T> {
  const nav = globalThis.navigator as Navigator | undefined;
  if (nav == null) return run();
  const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
  try {
    Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => cores });
  } catch {
    return run(); // not configurable here: keep tfjs's default cap
  }
  try {
    return await run();
  } finally {
    if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
    else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

/** tf.setBackend returns false (after logging) when init fails; turn that into an exception. */
async function setBackendOrThrow(name: BackendName): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new Error(`tf.setBackend('${name}') threw: ${errorText(e)}`);
  }
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false (see the console for tfjs's reason)`);
  await tf.ready();
}

/**
 * Runs `forward` once so every kernel it uses is compiled before real work (tfjs-backend-webgpu's WEBGPU_ENGINE_COMPILE_ONLY flag).
 * webgpu: compile-only mode (pipelines built with createComputePipelineAsync, nothing executed), then wait.
 * webgl: one real run (shader compilation happens on first use). wasm/cpu: nothing to compile.
 * `forward` must be synchronous and return the tensors it creates (they are disposed here).
 */
export async function warmUpKernels(forward: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const name = tf.getBackend();
  if (name === 'webgpu') {
    const backend = tf.backend() as unknown as WebGpuBackendLike;
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
    try {
      tf.dispose(tf.tidy(forward));
    } finally {
      tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
    }
    await backend.checkCompileCompletionAsync();
  } else if (name === 'webgl') {
    const out = tf.tidy(forward);
    const list = Array.isArray(out) ? out : [out];
    await Promise.all(list.map((t) => t.data())); // async read: waits for the GPU without blocking
    tf.dispose(list);
  }
}

/**
 * Calls `onLost` once if the WebGPU device is lost (driver reset, GPU process crash, sync read on SwiftShader).
 * After that no tensor on the backend is usable: the page must reload. No-op on other backends.
 */
export function watchDeviceLoss(onLost: (message: string) => void): void {
  if (tf.getBackend() !== 'webgpu') return;
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  void backend.device.lost.then((info) => {
    if (info.reason === 'destroyed') return; // we disposed the backend ourselves
    onLost(
      `The GPU device was lost (${info.reason || 'unknown reason'}${info.message ? `: ${info.message}` : ''}). ` +
        'Reload the page to start again; to avoid it, close other GPU-heavy tabs or use ?backend=wasm.',
    );
  });
}

export function errorText(e: unknown): string {
  if (e == null) return 'unknown error';
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}
