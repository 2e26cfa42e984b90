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

/** The backend the worker ended up on, and why every better one was passed over. */
export interface BackendReport {
  name: BackendName;
  tried: { name: BackendName; error: string }[]; // backends that failed before `name`, in ladder order
  adapterInfo?: AdapterInfo; // webgpu only
  wasm?: WasmInfo; // wasm only
  crossOriginIsolated: boolean; // the worker's own crossOriginIsolated
}
