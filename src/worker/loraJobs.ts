// Worker jobs on the adapter itself: rollback to a checkpoint, start a new adapter, export (PEFT/kohya safetensors with ModelSpec metadata and a gallery thumbnail + adapter_config.json), validated import, compare scale, and the D3PO reference copy (file layouts: see src/core/model/loraFile/loraFile.ts).
import { adapterConfigJson, decodeLoraSafetensors, defaultLoraImportLimits, encodeLoraSafetensors, inspectLoraSafetensors, type LoraImportLimits } from '../core/model/loraFile/loraFile';
import type { LoraAdapter } from '../core/model/lora';
import { loraOutputProblem } from '../core/model/loraProbe';
import { AdamW, defaultAdamWConfig } from '../core/train/adamw';
import { deleteCheckpoint, listCheckpoints, loadCheckpoint, saveCheckpoint } from '../storage/checkpoints';
import { clearRun, getMetrics, appendMetrics } from '../storage/runs';
import { errorText } from '../platform/browser';
import type { ExportFacts, ExportLoraRequest, ImportLoraRequest, NewAdapterRequest, ReferenceRequest, RollbackRequest, SetLoraScaleRequest } from './protocol';
import { modelSpecMetadata, tileImages } from '../core/model/loraFile/modelSpec';
import { encodeRgbaJpeg } from '../core/io/jpeg';
import { sampleWith } from './evalJobs';
import { checkSampleArgs } from './pairJobs';
import type { JobContext } from './jobContext';
import { freshAdapter, KEEP_CHECKPOINTS, loraStatus, replaceAdapter, restoreCheckpoint, setReference, UNET_PREFIX, type Session } from './session';
import { trainConfigLimits } from './trainConfig';

/** What an imported LoRA must satisfy here: the ranks and alphas the Advanced drawer allows, and the core's weight bound. */
export const studioLoraImportLimits: LoraImportLimits = { ...defaultLoraImportLimits, rank: trainConfigLimits.rank, alpha: trainConfigLimits.alpha };

/** The compare slider's largest multiplier (handleScale); an imported adapter must give a finite output up to it. */
const MAX_SCALE = 4;

export async function handleRollback(s: Session, req: RollbackRequest, ctx: JobContext): Promise<void> {
  const ckpt = await loadCheckpoint(req.checkpointId);
  if (ckpt == null) throw new Error(`Checkpoint ${req.checkpointId} no longer exists; refresh the checkpoint list and pick another.`);
  const restored = restoreCheckpoint(s.model, ckpt);
  if (restored == null) throw new Error(`Checkpoint ${req.checkpointId} belongs to another base model; load that model (?model=) to use it.`);
  const hadReference = s.reference != null;
  replaceAdapter(s, restored, 'checkpoint');
  s.checkpointId = ckpt.id;
  s.checkpointStep = ckpt.step;
  if (hadReference) setReference(s, true, true);
  // The curve continues from the checkpoint: steps after it belong to the abandoned branch.
  const rows = await getMetrics(req.runId);
  const kept = rows.filter((r) => r.step <= ckpt.step);
  if (kept.length !== rows.length) {
    await clearRun(req.runId);
    if (kept.length > 0) await appendMetrics(req.runId, kept);
  }
  ctx.post({ type: 'lora', id: req.id, lora: loraStatus(s) });
}

export async function handleNewAdapter(s: Session, req: NewAdapterRequest, ctx: JobContext): Promise<void> {
  const [rlo, rhi] = trainConfigLimits.rank;
  const [alo, ahi] = trainConfigLimits.alpha;
  if (!Number.isInteger(req.rank) || req.rank < rlo || req.rank > rhi) throw new Error(`LoRA rank must be an integer from ${rlo} to ${rhi}, got ${req.rank}.`);
  if (!(req.alpha >= alo && req.alpha <= ahi)) throw new Error(`LoRA alpha must be from ${alo} to ${ahi}, got ${req.alpha}.`);
  const hadReference = s.reference != null;
  replaceAdapter(s, freshAdapter(s.model, req), 'new');
  if (hadReference) setReference(s, true, true);
  await clearRun(req.runId);
  ctx.post({ type: 'lora', id: req.id, lora: loraStatus(s) });
}

/** A standalone ArrayBuffer holding exactly `bytes` (transferable without sending unrelated memory). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
}

/** The ModelSpec thumbnail: the gallery's prompts at its first seed, sampled with the adapter, tiled 2 × 2, as JPEG. */
async function thumbnailJpeg(s: Session, t: NonNullable<ExportFacts['thumbnail']>, ctx: JobContext): Promise<Uint8Array> {
  if (!Array.isArray(t.prompts) || t.prompts.length < 1 || t.prompts.length > 4) throw new Error('A LoRA thumbnail needs 1 to 4 prompts.');
  const steps = t.steps ?? s.model.config.sample.steps;
  for (const p of t.prompts) checkSampleArgs(p, t.seed, steps);
  const images = await sampleWith(s, 'current', t.prompts, t.seed, steps, ctx);
  const size = images[0].width;
  const grid = tileImages(images.map((im) => new Uint8Array(im.rgba)), size, Math.min(2, images.length));
  return encodeRgbaJpeg(grid.data, grid.width, grid.height, 90);
}

export async function handleExport(s: Session, req: ExportLoraRequest, ctx: JobContext): Promise<void> {
  if (req.layout !== 'peft' && req.layout !== 'kohya') throw new Error(`Unknown LoRA layout '${String(req.layout)}'; choose peft (diffusers) or kohya (A1111/ComfyUI).`);
  const step = s.optimizer.step;
  const facts = req.facts ?? {};
  const thumbnail = facts.thumbnail ? await thumbnailJpeg(s, facts.thumbnail, ctx) : null;
  const metadata = modelSpecMetadata({
    modelId: s.modelId,
    layout: req.layout,
    resolution: s.model.config.autoencoder.imageSize,
    date: new Date(),
    title: facts.title,
    thumbnail: thumbnail ? { mime: 'image/jpeg', bytes: thumbnail } : undefined,
    training: { method: 'd3po', steps: step, clicks: facts.clicks, beta: facts.beta, recipe: facts.recipe },
  });
  const bytes = await encodeLoraSafetensors(s.lora, { layout: req.layout, baseModel: s.modelId, metadata });
  const written = inspectLoraSafetensors(bytes).metadata; // the header as written (the exporter adds its own keys)
  const buffer = ownBuffer(bytes);
  const fileName = req.layout === 'peft' ? 'pytorch_lora_weights.safetensors' : `${s.modelId}-d3po-step${step}.safetensors`;
  const adapterConfig = req.layout === 'peft' ? adapterConfigJson(s.lora, s.modelId) : null;
  const thumbBuffer = thumbnail ? ownBuffer(thumbnail) : null;
  ctx.post({ type: 'lora-file', id: req.id, bytes: buffer, fileName, adapterConfig, metadata: written, thumbnail: thumbBuffer }, thumbBuffer ? [buffer, thumbBuffer] : [buffer]);
}

/** Saves an adapter that is not (yet) the session's as a checkpoint (as checkpointNow does for the session's own); returns its id. */
async function saveAdapterCheckpoint(modelId: string, lora: LoraAdapter, optimizer: AdamW, note: string): Promise<string> {
  const step = optimizer.step;
  const bytes = await encodeLoraSafetensors(lora, { layout: 'peft', baseModel: modelId, metadata: { studio_method: 'd3po', studio_step: String(step) } });
  const state = await optimizer.getState();
  const id = `ckpt-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  const { rank, alpha, targets } = lora.config;
  await saveCheckpoint({ id, step, createdAt: Date.now(), lora: bytes, optimizer: state, loraConfig: { rank, alpha, targets: [...targets] }, modelId, note });
  return id;
}

/**
 * Imports a LoRA file as the session's adapter. Everything that can fail happens before anything changes: decode and
 * check the file (studio limits), probe the model's output with it, save its checkpoint (so a reload comes back to it)
 * and clear the run's curves; only then is the old adapter swapped out. On any failure the old adapter, its
 * checkpoints and the run's metrics are as they were, and the message says so.
 */
export async function handleImport(s: Session, req: ImportLoraRequest, ctx: JobContext): Promise<void> {
  const unchanged = 'The current adapter, its checkpoints and the training curves are unchanged.';
  let decoded;
  try {
    decoded = decodeLoraSafetensors(req.bytes, s.model.params, UNET_PREFIX, studioLoraImportLimits);
  } catch (e) {
    throw new Error(`Could not import ${req.fileName}: ${errorText(e)} ${unchanged}`);
  }
  const { adapter, info } = decoded;
  const optimizer = new AdamW(adapter.variables, { ...defaultAdamWConfig });
  let savedId: string | null = null;
  try {
    const problem = await loraOutputProblem(s.model, adapter, [1, MAX_SCALE]);
    if (problem) throw new Error(`${problem[0].toUpperCase()}${problem.slice(1)}; the file's weights are too large or damaged. Export it again from an earlier checkpoint.`);
    savedId = await saveAdapterCheckpoint(s.modelId, adapter, optimizer, `imported ${req.fileName}`);
    await clearRun(req.runId);
  } catch (e) {
    optimizer.dispose();
    adapter.dispose();
    let leftover = '';
    if (savedId !== null) {
      try {
        await deleteCheckpoint(savedId);
      } catch {
        leftover = ` (A checkpoint of the imported adapter, ${savedId}, was saved and could not be removed; roll back to another checkpoint if a reload picks it.)`;
      }
    }
    throw new Error(`Could not import ${req.fileName}: ${errorText(e)} ${unchanged}${leftover}`);
  }

  const hadReference = s.reference != null;
  replaceAdapter(s, { lora: adapter, optimizer }, 'imported');
  s.checkpointId = savedId;
  s.checkpointStep = optimizer.step;
  if (info.baseModel != null && info.baseModel !== s.modelId) {
    s.note = `${req.fileName} says it was trained on ${info.baseModel}; its shapes fit ${s.modelId}, so it was loaded anyway.`;
  }
  if (hadReference) setReference(s, true, true);
  try {
    // Storage stays bounded as after any checkpoint; a failed deletion only leaves an extra old checkpoint.
    for (const old of (await listCheckpoints(s.modelId)).slice(KEEP_CHECKPOINTS)) await deleteCheckpoint(old.id);
  } catch {
    // nothing lost
  }
  ctx.post({ type: 'lora', id: req.id, lora: loraStatus(s) });
}

export function handleScale(s: Session, req: SetLoraScaleRequest, ctx: JobContext): void {
  if (!(Number.isFinite(req.scale) && req.scale >= 0 && req.scale <= 4)) throw new Error(`LoRA scale must be from 0 to 4, got ${req.scale}.`);
  s.scale = req.scale;
  ctx.post({ type: 'lora', id: req.id, lora: loraStatus(s) });
}

export function handleReference(s: Session, req: ReferenceRequest, ctx: JobContext): void {
  setReference(s, req.enabled, req.refresh);
  ctx.post({ type: 'lora', id: req.id, lora: loraStatus(s) });
}
