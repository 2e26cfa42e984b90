// Node-only tfjs backend bootstrap: multithreaded wasm (emscripten pthreads on worker_threads), then single-threaded wasm, then cpu.
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { installWasmKernels } from './wasmKernels';

export interface BackendInfo {
  name: string;
  threads: number;
  simd: boolean;
  /** Why the requested/default configuration was not used (absent when it was). */
  reason?: string;
}

export interface NodeBackendOptions {
  /** 'wasm' (default) or 'cpu' (pure JS, slow; for debugging or comparison). */
  backend?: 'wasm' | 'cpu';
  /** XNNPACK thread count for wasm. Default os.cpus().length; 1 selects the single-threaded SIMD build. */
  threads?: number;
}

/*
 * Why this exists: tfjs-backend-wasm's WASM_HAS_MULTITHREAD_SUPPORT flag is hard-wired to false under Node,
 * and its init() hands emscripten blob: URLs (worker script and main script) that node:worker_threads cannot
 * load. The emscripten output itself supports Node, so for the threaded build we call the emscripten factory
 * ourselves with plain file paths:
 *   - pthread worker script: the package's `wasmWorkerContents`, written once to a content-addressed .cjs file
 *     in os.tmpdir() (it uses require, so it must be CommonJS);
 *   - main script the workers import (importScripts = fs.readFileSync + indirect eval): the package's own
 *     wasm-out/tfjs-backend-wasm-threaded-simd.js, passed as a string so the worker's file branch is taken;
 *   - wasm binary: dist/tfjs-backend-wasm-threaded-simd.wasm, read with fs by emscripten.
 * Plus three Node-specific fixes: pthread workers are started with `execArgv: []` (see PthreadWorker), the
 * XNNPACK thread cap is corrected (see instantiateWasm), and the running pool workers are unref()'d so they
 * don't keep Node alive (see releaseWorkers). The only global touched is `require('worker_threads').Worker`,
 * swapped for the duration of the synchronous factory call and restored before it returns.
 * The resulting module is wrapped in the package's own BackendWasm, so all registered 'wasm' kernels work
 * unchanged; we replace the 'wasm' backend factory (removeBackend + registerBackend, same priority).
 */

const WASM_PRIORITY = 2; // same as the package's own registration
const INIT_TIMEOUT_MS = 60_000;

const require = createRequire(import.meta.url);

/** The package's stock 'wasm' factory (single-threaded under Node), captured before we ever replace it. */
const stockWasmFactory = tf.findBackendFactory('wasm');

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread?: {
    unusedWorkers: Array<{ terminate(): unknown }>;
    runningWorkers: Array<{ unref(): void }>;
    terminateAllThreads(): void;
  };
  tfjs?: Record<string, unknown>;
}
type WasmFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** The wasm configuration currently registered under 'wasm', and what it resolved to. */
let wasmState: { key: string; info: BackendInfo } | null = null;

/**
 * Initialise and select the tfjs backend for Node. Defaults: wasm, threads = os.cpus().length, SIMD.
 * Falls back to single-threaded wasm (info.reason says why) and then to cpu. Safe to call repeatedly:
 * the same configuration is reused; a different one re-creates the 'wasm' backend (existing wasm tensors
 * become invalid, as with any backend removal).
 */
export async function initNodeBackend(opts: NodeBackendOptions = {}): Promise<BackendInfo> {
  const backend = opts.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') {
    throw new Error(`initNodeBackend: unknown backend '${String(backend)}'; pass backend: 'wasm' or 'cpu'.`);
  }
  const threads = opts.threads ?? Math.max(1, os.cpus().length);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`initNodeBackend: threads must be an integer >= 1 (got ${String(opts.threads)}); omit it to use all cores.`);
  }

  // Every matmul through XNNPACK (the stock kernel's scalar loop is 10× slower), zero-copy Identity, and the fused norm
  // kernels (wasm and cpu: fusedKernels.ts), so a cpu-only run computes what a wasm run does.
  installWasmKernels();
  if (backend === 'cpu') {
    await selectOrThrow('cpu');
    return { name: 'cpu', threads: 1, simd: false };
  }
  const key = `wasm:${threads}`;
  if (wasmState?.key === key && tf.findBackend(wasmState.info.name) != null) {
    // Same wasm request as the one currently registered (even if it fell back): reuse, don't re-init.
    await selectOrThrow(wasmState.info.name);
    return { ...wasmState.info };
  }

  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  let reason: string | undefined;

  if (threads === 1) {
    reason = 'threads: 1 requested; using the single-threaded wasm build';
  } else if (!simd) {
    reason = 'WebAssembly SIMD unsupported by this Node; the threaded wasm build requires SIMD';
  } else if (!sharedMemorySupported()) {
    reason = 'WebAssembly threads / SharedArrayBuffer unsupported by this Node';
  } else {
    let initError: unknown = null;
    registerWasm(async () => {
      try {
        const module = await createThreadedModule(threads);
        try {
          tfwasm.setThreadsCount(threads);
          const be = new tfwasm.BackendWasm(module as unknown as ConstructorParameters<typeof tfwasm.BackendWasm>[0]);
          releaseWorkers(module);
          return be;
        } catch (e) {
          module.PThread?.terminateAllThreads();
          throw e;
        }
      } catch (e) {
        initError = e;
        throw e;
      }
    });
    if (await trySetBackend('wasm')) {
      const actual = tfwasm.getThreadsCount();
      const info: BackendInfo = { name: 'wasm', threads: actual, simd: true };
      if (actual !== threads) info.reason = `requested ${threads} threads, XNNPACK reports ${actual}`;
      return remember(key, info);
    }
    reason = `threaded wasm init failed (${errorText(initError)}); using the single-threaded wasm build`;
  }

  // Single-threaded wasm: the package's stock init (SIMD build when supported).
  if (stockWasmFactory == null) {
    reason = `${reason}; @tensorflow/tfjs-backend-wasm did not register a 'wasm' backend — check that it is installed`;
  } else {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    let initError: unknown = null;
    registerWasm(async () => {
      try {
        return await withTimeout(Promise.resolve(stockWasmFactory()), INIT_TIMEOUT_MS, 'wasm init');
      } catch (e) {
        initError = e;
        throw e;
      }
    });
    if (await trySetBackend('wasm')) {
      return remember(key, { name: 'wasm', threads: 1, simd, reason });
    }
    reason = `${reason}; single-threaded wasm init failed too (${errorText(initError)})`;
  }

  await selectOrThrow('cpu');
  return remember(key, { name: 'cpu', threads: 1, simd: false, reason: `${reason}; using the cpu backend` });
}

function remember(key: string, info: BackendInfo): BackendInfo {
  wasmState = { key, info };
  return { ...info };
}

async function selectOrThrow(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) {
    throw new Error(`initNodeBackend: tf.setBackend('${name}') failed; see the tfjs warning above, and check the @tensorflow packages are installed at one version.`);
  }
  await tf.ready();
}

/** tf.setBackend returns false (after logging a tfjs warning) when the backend's factory throws. */
async function trySetBackend(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** Replace the 'wasm' factory; registerBackend alone would keep (and warn about) the existing one. */
function registerWasm(factory: () => Promise<tf.KernelBackend>): void {
  if (tf.findBackendFactory('wasm') != null) tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, WASM_PRIORITY);
}

/**
 * After XNNPACK created its pool (threads-1 pthreads, inside the BackendWasm constructor):
 *  - unref the running pool workers: emscripten ref()s a worker while its pthread runs, and XNNPACK's
 *    threads never exit, so otherwise Node would never exit on its own;
 *  - terminate the idle pre-spawned workers (emscripten always starts 8, ~15 MB each); emscripten spawns a
 *    fresh one should a pthread ever be created later.
 */
function releaseWorkers(module: EmscriptenModule): void {
  const pool = module.PThread;
  if (pool == null) return;
  for (const w of pool.runningWorkers) w.unref();
  for (const w of pool.unusedWorkers.splice(0)) void w.terminate();
}

function sharedMemorySupported(): boolean {
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return typeof SharedArrayBuffer === 'function';
  } catch {
    return false;
  }
}

function wasmPackageDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

/** Emscripten's threaded-SIMD module, created with file paths instead of blob: URLs (see header note). */
async function createThreadedModule(threads: number): Promise<EmscriptenModule> {
  const dir = wasmPackageDir();
  const mainScript = path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const wasmBinary = path.join(dir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm');
  for (const f of [mainScript, wasmBinary]) {
    if (!fs.existsSync(f)) throw new Error(`missing ${f}; reinstall @tensorflow/tfjs-backend-wasm`);
  }
  const factoryExport = require(mainScript) as WasmFactory | { default: WasmFactory };
  const factory = typeof factoryExport === 'function' ? factoryExport : factoryExport.default;
  const workerScript = writeWorkerScript(dir);

  let fail: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const config: Record<string, unknown> & Partial<EmscriptenModule> = {
    locateFile: (p: string, prefix: string) => {
      if (p.endsWith('.worker.js')) return workerScript;
      if (p.endsWith('.wasm')) return wasmBinary;
      return prefix + p;
    },
    // A string makes the pthread worker importScripts() it from disk instead of going through a Blob URL.
    mainScriptUrlOrBlob: mainScript,
    // backend.cc caps XNNPACK's pool at emscripten_num_logical_cores()/2 (it assumes 2 hyperthreads per core),
    // which would give 1 thread on a 2-core machine; report 2*threads so the cap is exactly `threads`.
    // (Only the main module's static initialiser calls this import; pthread workers instantiate separately.)
    instantiateWasm: (
      info: { env: Record<string, unknown> },
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) => {
      const imports = { ...info, env: { ...info.env, emscripten_num_logical_cores: () => 2 * threads } };
      fs.promises
        .readFile(wasmBinary)
        .then((bytes) => WebAssembly.instantiate(new Uint8Array(bytes), imports as WebAssembly.Imports))
        .then(({ instance, module }) => receive(instance, module))
        .catch(fail);
      return {};
    },
    onAbort: (msg: unknown) => fail(new Error(`emscripten aborted: ${String(msg)}`)),
  };

  pthreadErrorSink = fail;
  try {
    // Emscripten runs `global.Worker = require("worker_threads").Worker` and spawns its 8-worker pool
    // synchronously inside the factory call: swap in PthreadWorker for exactly that call.
    const original = workerThreads.Worker;
    workerThreads.Worker = PthreadWorker;
    let ready: Promise<EmscriptenModule>;
    try {
      ready = factory(config);
    } finally {
      workerThreads.Worker = original;
    }
    const module = await withTimeout(Promise.race([ready, failed]), INIT_TIMEOUT_MS, 'threaded wasm init');
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    return module;
  } catch (e) {
    config.PThread?.terminateAllThreads();
    throw e;
  } finally {
    pthreadErrorSink = null;
  }
}

/** Where pthread worker errors go while a threaded init is in progress (they reject it). */
let pthreadErrorSink: ((e: unknown) => void) | null = null;

const workerThreads = require('node:worker_threads') as typeof import('node:worker_threads');

/**
 * The worker class emscripten gets for its pthreads:
 *  - `execArgv: []`: workers otherwise inherit the parent's CLI flags (tsx's loader hooks, vitest's flags,
 *    `--input-type`, ...), which slows every pthread's start-up and can make Node refuse the worker file;
 *  - emscripten rethrows worker 'error' events from inside its listener, which would crash the process;
 *    during init we turn that into a rejected init (so we fall back) instead.
 */
class PthreadWorker extends workerThreads.Worker {
  constructor(filename: string | URL, options: import('node:worker_threads').WorkerOptions = {}) {
    super(filename, { execArgv: [], ...options });
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'error') return super.emit(event, ...args);
    try {
      return super.emit(event, ...args);
    } catch (e) {
      const sink = pthreadErrorSink;
      if (sink == null) throw e;
      sink(new Error(`a wasm pthread worker failed to start: ${errorText(args[0] ?? e)}`));
      return true;
    }
  }
}

/** Writes the pthread worker script to a content-addressed .cjs file in the temp dir (atomic; reused). */
function writeWorkerScript(dir: string): string {
  const { wasmWorkerContents } = require(path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // The package stores the script in a template literal, so its "\n" escapes became real newlines
  // (inside string literals); restore them exactly as the package does before making its Blob.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `tfjs-wasm-pthread-${hash}.cjs`);
  try {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === source) return file;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, source);
    fs.renameSync(tmp, file);
  } catch (e) {
    throw new Error(`cannot write the wasm pthread worker script to ${file} (${errorText(e)}); set TMPDIR to a writable directory`);
  }
  return file;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function errorText(e: unknown): string {
  if (e == null) return 'unknown error';
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}
