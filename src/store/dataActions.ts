// Export/import actions: LoRA import (via the worker; export is loraExport.ts), labels as Pick-a-Pic v2 JSONL/zip (annotator merge on import), and the storage panel (usage, persist, prune, full backup). Returns files for the UI to download; never touches the DOM.
import { jsonlToRows, pairsToPickapicRows, rowsToJsonl, rowsToZip, zipToRows, type PickapicRow } from '../core/preferences/pickapic';
import { rowsToParquet } from '../core/preferences/pickapicParquet';
import { mergeAnnotators } from '../core/preferences/annotators';
import { listLabels, saveLabels, type Label } from '../storage/labels';
import { getPairSummary, listPairSummaries } from '../storage/pairs';
import { isPersisted, requestPersist, storageEstimate } from '../storage/quota';
import { exportAll, importAll, pruneTrajectories } from '../storage/backup';
import { loadBlindVotes } from './blindActions';
import { errorMessage, getClient } from './client';
import { patch, useStudioStore } from './index';
import { countLabels } from './labelingSlice';

export interface ExportedFile {
  fileName: string;
  data: Uint8Array | ArrayBuffer | string;
}

function fail(e: unknown): null {
  patch('storage', { busy: false, error: errorMessage(e), message: null });
  return null;
}

/** Validates and loads a LoRA file into the worker; a file that does not fit the model changes nothing. */
export async function importLora(bytes: Uint8Array, fileName: string): Promise<boolean> {
  const s = useStudioStore.getState();
  if (s.training.status !== 'idle') {
    patch('storage', { error: 'Stop training before importing a LoRA.' });
    return false;
  }
  patch('storage', { busy: true, error: null });
  try {
    const e = await getClient().importLora(bytes.slice().buffer as ArrayBuffer, fileName, s.training.runId);
    patch('session', { lora: e.lora });
    patch('training', { rows: [] });
    patch('storage', { busy: false, message: `Imported ${fileName}: rank ${e.lora.rank}, alpha ${e.lora.alpha}, ${e.lora.targets.join(', ')}.${e.lora.note ? ' ' + e.lora.note : ''}` });
    return true;
  } catch (e) {
    fail(e);
    return false;
  }
}

/** Labels of this model with their pairs' images as Pick-a-Pic v2 rows (JSONL with base64 JPEGs, a zip of metadata.jsonl + images/, or Parquet with the JPEGs inside). */
export async function exportLabels(format: 'jsonl' | 'zip' | 'parquet'): Promise<ExportedFile | null> {
  patch('storage', { busy: true, error: null });
  try {
    const s = useStudioStore.getState();
    const modelId = s.session.model?.name;
    const labels = (await listLabels()).filter((l) => modelId == null || l.modelId === modelId);
    const pairs = await listPairSummaries();
    const rows = pairsToPickapicRows(pairs, labels, { userId: annotatorNumber(s.settings.annotator) });
    if (rows.length === 0) throw new Error('There are no labeled pairs to export yet; label some pairs first.');
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    const file: ExportedFile =
      format === 'jsonl'
        ? { fileName: `d3po-labels-${stamp}.jsonl`, data: rowsToJsonl(rows) }
        : format === 'zip'
          ? { fileName: `d3po-labels-${stamp}.zip`, data: rowsToZip(rows) }
          : { fileName: `d3po-labels-${stamp}.parquet`, data: rowsToParquet(rows) };
    patch('storage', { busy: false, message: `Exported ${rows.length} labeled pairs (Pick-a-Pic v2 columns).` });
    return file;
  } catch (e) {
    return fail(e);
  }
}

/** A stable int64-ish user_id for the annotator name (Pick-a-Pic's user_id is a number). */
export function annotatorNumber(name: string): number {
  let h = 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0;
  return h;
}

/** Parses Pick-a-Pic files (.jsonl or .zip), one per annotator. */
export function parseLabelFiles(files: { name: string; bytes: Uint8Array }[]): PickapicRow[][] {
  return files.map((f) => (f.name.toLowerCase().endsWith('.zip') ? zipToRows(f.bytes) : jsonlToRows(f.bytes, f.name)));
}

/**
 * Imports annotators' Pick-a-Pic files: labels are averaged per pair (D3PO load_data_from_json) and saved for the
 * pairs stored in this studio (matched by image uid); rows of pairs that are not stored here are skipped and counted.
 */
export async function importLabels(files: { name: string; bytes: Uint8Array }[]): Promise<boolean> {
  patch('storage', { busy: true, error: null });
  try {
    const merged = mergeAnnotators(parseLabelFiles(files));
    const s = useStudioStore.getState();
    const labels: Label[] = [];
    let missing = 0;
    for (const m of merged) {
      const pair = m.pairId ? await getPairSummary(m.pairId) : undefined;
      if (pair == null) {
        missing++;
        continue;
      }
      labels.push({
        pairId: pair.id,
        vote: m.vote,
        leftIsFirst: true,
        prompt: pair.prompt,
        seed: pair.seed,
        time: Date.now(),
        modelId: pair.modelId,
        loraVersion: pair.loraVersion,
        annotator: m.annotators > 1 ? `merged:${m.annotators}` : s.settings.annotator,
        weight: m.weight,
      });
    }
    if (labels.length > 0) await saveLabels(labels);
    const modelId = s.session.model?.name;
    const mine = (await listLabels()).filter((l) => l.modelId === modelId);
    patch('labeling', { counts: countLabels(mine), undo: mine });
    patch('storage', {
      busy: false,
      message: `Imported ${labels.length} labels from ${files.length} file${files.length === 1 ? '' : 's'}${missing ? `; ${missing} pairs are not stored in this studio and were skipped` : ''}.`,
    });
    return true;
  } catch (e) {
    fail(e);
    return false;
  }
}

export async function refreshStorage(): Promise<void> {
  const [estimate, persisted] = await Promise.all([storageEstimate(), isPersisted()]);
  patch('storage', { usage: estimate?.usage ?? null, quota: estimate?.quota ?? null, persisted });
}

/** Asks the browser to keep this origin's data (must run from a click). */
export async function persistStorage(): Promise<void> {
  const granted = await requestPersist();
  patch('storage', { persisted: granted, message: granted ? 'Storage is persistent: the browser will not evict it.' : 'The browser declined persistent storage (Chrome grants it to sites you use often).' });
}

/** Frees space: unlabeled pairs go whole; labeled pairs keep their trajectories unless `keepLabeled` is false. */
export async function pruneStorage(keepLabeled: boolean): Promise<void> {
  patch('storage', { busy: true, error: null });
  try {
    const freed = await pruneTrajectories({ keepLabeled, olderThan: oldestQueuedPairTime() });
    await refreshStorage();
    patch('storage', { busy: false, message: `Pruned ${(freed / 1e6).toFixed(2)} MB of pairs and trajectories.` });
  } catch (e) {
    fail(e);
  }
}

/** Pairs waiting on screen or in the queue are unlabeled but must survive a prune: only prune older ones. */
function oldestQueuedPairTime(): number {
  const { current, queue } = useStudioStore.getState().labeling;
  const times = [current, ...queue].filter((p) => p != null).map((p) => pairTime(p!.pairId));
  return Math.min(Date.now(), ...times.filter((t) => Number.isFinite(t)));
}

/** Pair ids start with `pair-<Date.now() in base 36>` (see worker/pairJobs.ts). */
function pairTime(pairId: string): number {
  const m = /^pair-([0-9a-z]+)-/.exec(pairId);
  return m ? parseInt(m[1], 36) : NaN;
}

/** Everything (pairs, trajectories, labels, checkpoints, metrics) as one zip. */
export async function exportEverything(): Promise<ExportedFile | null> {
  patch('storage', { busy: true, error: null });
  try {
    const bytes = await exportAll();
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    patch('storage', { busy: false, message: `Backup of ${(bytes.byteLength / 1e6).toFixed(2)} MB ready.` });
    return { fileName: `d3po-studio-backup-${stamp}.zip`, data: bytes };
  } catch (e) {
    return fail(e);
  }
}

/** Restores a backup zip (validated first; a bad file changes nothing). Reload afterwards to restore its latest LoRA. */
export async function importEverything(bytes: Uint8Array): Promise<boolean> {
  patch('storage', { busy: true, error: null });
  try {
    const r = await importAll(bytes);
    const modelId = useStudioStore.getState().session.model?.name;
    const mine = (await listLabels()).filter((l) => l.modelId === modelId);
    patch('labeling', { counts: countLabels(mine), undo: mine });
    await Promise.all([refreshStorage(), loadBlindVotes()]);
    patch('storage', {
      busy: false,
      message: `Restored ${r.pairs} pairs, ${r.labels} labels, ${r.checkpoints} checkpoints, ${r.runs} runs, ${r.blindVotes} blind-test votes and ${r.moodboardImages} moodboard images. Reload the page to continue from the restored LoRA.`,
    });
    return true;
  } catch (e) {
    fail(e);
    return false;
  }
}
