// Checkpoint gallery actions: sample the first active prompts × fixed seeds with the base model and the newest checkpoints (rows arrive one by one; rows already sampled for the same prompts and seeds are kept), roll back to a row's checkpoint, or download its LoRA file.
import { loadCheckpoint } from '../storage/checkpoints';
import type { ModelRef } from '../worker/protocol';
import { errorMessage, getClient, isAbort } from './client';
import { patch, useStudioStore } from './index';
import { activePrompts } from './settingsSlice';
import type { GalleryRow } from './gallerySlice';
import { rollbackTo } from './trainingActions';

export const GALLERY_PROMPTS = 4;
export const GALLERY_SEEDS = [11, 22];
export const GALLERY_CHECKPOINTS = 7;

let abort: AbortController | null = null;

/** Samples the rows not sampled yet (base + the newest checkpoints, oldest first) for the first active prompts. */
export async function sampleGallery(): Promise<void> {
  const s = useStudioStore.getState();
  if (s.session.model == null || s.gallery.loading) return;
  const prompts = activePrompts(s.settings).slice(0, GALLERY_PROMPTS);
  if (prompts.length === 0) {
    patch('gallery', { error: 'Every prompt is switched off; switch one on in the Label view.' });
    return;
  }
  const steps = s.settings.train.sampleSteps;
  const same = JSON.stringify([prompts, GALLERY_SEEDS, steps]) === JSON.stringify([s.gallery.prompts, s.gallery.seeds, s.gallery.steps]);
  const wanted: Omit<GalleryRow, 'images'>[] = [
    { key: 'base', label: 'base model', checkpointId: null, step: null },
    ...s.training.checkpoints
      .slice(0, GALLERY_CHECKPOINTS)
      .reverse()
      .map((c) => ({ key: c.id, label: `step ${c.step}`, checkpointId: c.id, step: c.step })),
  ];
  const kept = same ? s.gallery.rows.filter((r) => wanted.some((w) => w.key === r.key)) : [];
  const todo = wanted.filter((w) => !kept.some((r) => r.key === w.key));
  const order = (rows: GalleryRow[]) => wanted.flatMap((w) => rows.filter((r) => r.key === w.key));
  patch('gallery', { prompts, seeds: GALLERY_SEEDS, steps, rows: order(kept), loading: todo.length > 0, error: null });
  if (todo.length === 0) return;
  abort = new AbortController();
  const models: ModelRef[] = todo.map((t) => (t.checkpointId ? { checkpoint: t.checkpointId } : 'base'));
  try {
    await getClient().gallery(
      { prompts, seeds: GALLERY_SEEDS, models, steps },
      {
        signal: abort.signal,
        onProgress: (e) => {
          const row: GalleryRow = { ...todo[e.index], images: e.images };
          patch('gallery', { rows: order([...useStudioStore.getState().gallery.rows, row]) });
        },
      },
    );
  } catch (e) {
    if (!isAbort(e)) patch('gallery', { error: errorMessage(e) });
  } finally {
    abort = null;
    patch('gallery', { loading: false });
  }
}

export function stopGallery(): void {
  abort?.abort();
}

/** Rolls the adapter back to a gallery row's checkpoint. */
export async function rollbackToRow(row: GalleryRow): Promise<void> {
  if (row.checkpointId) await rollbackTo(row.checkpointId);
}

/** The checkpoint's LoRA file (PEFT safetensors, as stored), for a download. */
export async function checkpointLoraFile(row: GalleryRow): Promise<{ fileName: string; bytes: Uint8Array } | null> {
  if (!row.checkpointId) return null;
  const ckpt = await loadCheckpoint(row.checkpointId);
  if (ckpt == null) {
    patch('gallery', { error: `Checkpoint ${row.label} no longer exists (only the newest are kept).` });
    return null;
  }
  return { fileName: `${ckpt.modelId ?? 'lora'}-d3po-step${ckpt.step}.safetensors`, bytes: ckpt.lora };
}
