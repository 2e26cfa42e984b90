// The tfjs backends the studio can run on and what the bootstrap reports about the one it picked (plain values: the worker posts them to the page).

/** tfjs backends the studio can run on, best first (the ladder lives in browser.ts). */
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

/** What one backend measured at start (or why it was not measured); see backendProbe.ts. */
export interface BackendTiming {
  name: BackendName;
  sampleMs: number | null; // one classifier-free-guided UNet call at batch 2 (median)
  trainMs: number | null; // one LoRA forward + backward at batch 2 (median)
  score: number | null; // estimated ms of one pair (20 steps) + one training step: 20·sample + 10·train
  note: string; // 'measured', or why it was skipped
}

/** The backend the worker ended up on, and why every better one was passed over. */
export interface BackendReport {
  name: BackendName;
  tried: { name: BackendName; error: string }[]; // backends that failed before `name`, in ladder order
  adapterInfo?: AdapterInfo; // webgpu only
  wasm?: WasmInfo; // wasm only
  crossOriginIsolated: boolean; // the worker's own crossOriginIsolated
  selection?: 'forced' | 'measured' | 'cached'; // ?backend= / timed now / timed earlier on this device (absent: the fixed ladder)
  timings?: BackendTiming[]; // the measurement behind a measured or cached choice
}

/** A measured choice remembered for one device (the worker keeps it in IndexedDB). */
export interface CachedChoice {
  identity: string; // browser + GPU adapter + cores + isolation when it was measured
  name: BackendName;
  timings: BackendTiming[];
  at: number; // epoch ms
}

/** Where the worker remembers the choice (storage/backendChoice.ts). */
export interface ChoiceCache {
  read(): Promise<CachedChoice | undefined>;
  write(choice: CachedChoice): Promise<void>;
}
