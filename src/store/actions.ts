// Module-level actions for the session (zustand "practice with no store actions"): boot the worker, load the model, restore labels / metrics / checkpoints from IndexedDB, and route worker-wide events (fatal errors).
import { listLabels } from '../storage/labels';
import { listRechecks } from '../storage/rechecks';
import { loadProfiles } from '../storage/profiles';
import { setStorageProfile } from '../storage/db';
import { appendMetrics, clearRun, getMetrics } from '../storage/runs';
import { loadBlindVotes } from './blindActions';
import { StudioClient } from '../worker/client';
import { isBackendName, type BackendName } from '../platform/backendTypes';
import type { MetricRow } from '../worker/protocol';
import { errorMessage, setClient, type StudioApi } from './client';
import { patch, useStudioStore } from './index';
import { countLabels } from './labelingSlice';
import { VIEWS, type View } from './sessionSlice';
import { mergeRows } from './trainingSlice';
import { fillQueue } from './pairQueue';
import { refreshCheckpoints } from './trainingActions';
import { refreshStorage } from './dataActions';

const DEFAULT_MODEL = 'emoji-sd';

export interface UrlOptions {
  backend?: BackendName;
  model: string;
  view?: View;
  warning?: string; // an ignored URL parameter
}

export function readUrlOptions(search: string): UrlOptions {
  const params = new URLSearchParams(search);
  const backendParam = params.get('backend');
  const model = params.get('model') || DEFAULT_MODEL;
  const viewParam = params.get('view');
  const view = viewParam != null && (VIEWS as string[]).includes(viewParam) ? (viewParam as View) : undefined;
  if (backendParam != null && !isBackendName(backendParam)) {
    return { model, view, warning: `Unknown ?backend=${backendParam}; use webgpu, wasm, webgl or cpu. Using the default ladder.` };
  }
  return { backend: backendParam ?? undefined, model, view };
}

/** The metrics run of a model: one curve per base model, continued across reloads. */
export const runIdFor = (modelId: string) => `d3po-${modelId}`;

/** Starts the worker, picks the backend, loads the model (restoring the latest LoRA checkpoint) and reads what IndexedDB holds. */
export async function boot(search: string, makeClient: () => StudioApi = () => new StudioClient()): Promise<void> {
  const url = readUrlOptions(search);
  patch('session', { modelFolder: url.model, urlWarning: url.warning ?? null, ...(url.view ? { view: url.view } : {}) });
  const client = makeClient();
  setClient(client);
  client.subscribe((e) => {
    if (e.type === 'fatal') onFatal(e.message);
  });
  try {
    const ready = await client.init(url.backend);
    patch('session', { backend: ready.backend, phase: 'downloading' });
    const { rank, alpha, targets } = useStudioStore.getState().settings.train;
    const { profiles, active } = await loadProfiles(); // the open taste profile's databases hold the labels and checkpoints
    setStorageProfile(active);
    patch('profiles', { list: profiles, active });
    const loaded = await client.load(url.model, {
      lora: { rank, alpha, targets },
      profile: active,
      onProgress: (e) => {
        if (e.type === 'load-progress') patch('session', { download: { loaded: e.loadedBytes, total: e.totalBytes } });
        else patch('session', { phase: 'compiling' });
      },
    });
    patch('training', { runId: runIdFor(loaded.model.name) });
    let lora = loaded.lora;
    const scale = useStudioStore.getState().settings.compareScale;
    if (scale !== lora.scale) lora = (await client.setLoraScale(scale)).lora; // the persisted compare/playground scale
    await restoreFromStorage(loaded.model.name, lora.step);
    patch('session', {
      model: loaded.model,
      lora,
      loadTimes: { downloadMs: loaded.downloadMs, compileMs: loaded.compileMs },
      phase: 'ready',
    });
    if (useStudioStore.getState().labeling.active) fillQueue();
  } catch (e) {
    patch('session', { loadError: errorMessage(e), phase: 'failed' });
  }
}

/**
 * Labels (counts + undo stack), the metrics curve and the checkpoint list of this model, as stored. Rows past the step the
 * adapter was restored to (steps trained after the last checkpoint when the page was closed mid-run) are dropped from
 * storage too, so the curve shows what the adapter is.
 */
export async function restoreFromStorage(modelId: string, restoredStep?: number): Promise<void> {
  const mine = (await listLabels()).filter((l) => l.modelId === modelId);
  patch('labeling', { counts: countLabels(mine), undo: mine, rechecks: await listRechecks() });
  const runId = runIdFor(modelId);
  let rows = (await getMetrics(runId)) as MetricRow[];
  if (restoredStep !== undefined && rows.some((r) => r.step > restoredStep)) {
    rows = rows.filter((r) => r.step <= restoredStep);
    await clearRun(runId);
    if (rows.length > 0) await appendMetrics(runId, rows);
  }
  patch('training', { rows: mergeRows([], rows) });
  await Promise.all([refreshCheckpoints(), refreshStorage(), loadBlindVotes()]);
}

function onFatal(message: string): void {
  patch('session', { fatal: message });
  patch('training', { status: 'idle' });
  patch('labeling', { inFlight: 0 });
}

export function setView(view: View): void {
  patch('session', { view });
}
