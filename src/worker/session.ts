// The worker's training session: the loaded model, the LoRA adapter being tuned, its AdamW optimizer, the optional D3PO reference copy, and checkpoint save/restore through src/storage (the LoRA and Adam state are checkpointed so they survive a reload or a WebGPU device loss).
import type { MiniSD } from '../core/model/pipeline';
import { copyLoraValues, createLoraAdapter, defaultLoraConfig, loraIsFinite, type LoraAdapter } from '../core/model/lora';
import { AdamW, defaultAdamWConfig } from '../core/train/adamw';
import { decodeLoraSafetensors, encodeLoraSafetensors } from '../core/model/loraFile/loraFile';
import { deleteCheckpoint, listCheckpoints, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../storage/checkpoints';
import { errorText } from '../platform/browser';
import type { LoraStatus } from './protocol';
import type { LatentPool } from '../core/pretrain/latentSubset';
import { ReferenceCache } from '../core/algorithms/referenceCache';
import { LORA_TARGET_CHOICES } from '../core/taste/recipe';

export interface Session {
  model: MiniSD;
  modelId: string; // model.config.name, stamped on pairs, labels and LoRA files
  lora: LoraAdapter; // multiplier stays 1: training and pair sampling use the adapter's own alpha / r
  optimizer: AdamW;
  reference: LoraAdapter | null; // D3PO's reference π_ref when "refresh reference each round" is on; else the base model
  baseCache?: ReferenceCache; // log π_ref of stored steps under the base model (valid for the whole session)
  refCache?: ReferenceCache; // ... under `reference` (replaced at each refresh)
  scale: number; // user multiplier for compare sampling only
  source: LoraStatus['source'];
  checkpointId: string | null;
  checkpointStep: number | null;
  note?: string;
  latentSubset?: () => Promise<Uint8Array>; // the model's pretrain-latents.safetensors (set by the worker's load), for the pretraining-loss term
  pretrainPool?: LatentPool; // ... decoded once per session
  blend?: SessionBlend | null; // other profiles mixed into Generate, Compare and A/B pairs (profileJobs.ts); null = the open adapter alone
}

/** A blend of taste profiles: the open adapter's weight and the other profiles' newest checkpoints (frozen) with theirs. */
export interface SessionBlend {
  self: number;
  others: { profile: string; adapter: LoraAdapter; weight: number }[];
}

/** Disposes everything the session owns on the backend (adapter, optimizer, reference, blend); the model stays. */
export function disposeSessionState(s: Session): void {
  s.optimizer.dispose();
  s.lora.dispose();
  s.reference?.dispose();
  for (const o of s.blend?.others ?? []) o.adapter.dispose();
  s.blend = null;
}

export const UNET_PREFIX = 'unet.';
/** Checkpoints kept (newest first); older ones are deleted after each save so storage stays bounded. */
export const KEEP_CHECKPOINTS = 30;

/** The shape of a new adapter (targets default to the attention projections). */
export interface AdapterShape {
  rank: number;
  alpha: number;
  targets?: string[];
}

/** A fresh adapter (B = 0, so it samples exactly like the base model) and its optimizer. */
export function freshAdapter(model: MiniSD, shape: AdapterShape): { lora: LoraAdapter; optimizer: AdamW } {
  const unknown = (shape.targets ?? []).filter((t) => !(LORA_TARGET_CHOICES as readonly string[]).includes(t));
  if (unknown.length > 0) throw new Error(`Unknown LoRA target ${unknown.join(', ')}; pick from ${LORA_TARGET_CHOICES.join(', ')}.`);
  const lora = createLoraAdapter(model.params, UNET_PREFIX, { ...defaultLoraConfig, rank: shape.rank, alpha: shape.alpha, ...(shape.targets?.length ? { targets: [...shape.targets] } : {}) });
  return { lora, optimizer: new AdamW(lora.variables, { ...defaultAdamWConfig }) };
}

/**
 * Restores the newest checkpoint that belongs to this model (its LoRA file's studio_base_model), else builds a new adapter.
 * A checkpoint that fails to decode is skipped and reported in `note`; nothing stored is modified.
 */
export async function openSession(model: MiniSD, shape: AdapterShape): Promise<Session> {
  const modelId = model.config.name;
  const notes: string[] = [];
  for (const meta of await listCheckpoints(modelId)) {
    const ckpt = await loadCheckpoint(meta.id); // newest first
    if (ckpt == null) continue;
    try {
      const restored = restoreCheckpoint(model, ckpt);
      if (restored == null) continue; // another model's checkpoint
      return { model, modelId, ...restored, reference: null, scale: 1, source: 'checkpoint', checkpointId: ckpt.id, checkpointStep: ckpt.step, note: notes.join(' ') || undefined };
    } catch (e) {
      notes.push(`Checkpoint at step ${ckpt.step} could not be restored (${errorText(e)}); started from a newer state instead.`);
    }
  }
  const fresh = freshAdapter(model, shape);
  return { model, modelId, ...fresh, reference: null, scale: 1, source: 'new', checkpointId: null, checkpointStep: null, note: notes.join(' ') || undefined };
}

/** Decodes a checkpoint against the model; null when it was saved for another base model. Throws on a damaged checkpoint. */
export function restoreCheckpoint(model: MiniSD, ckpt: Checkpoint): { lora: LoraAdapter; optimizer: AdamW } | null {
  const { adapter, info } = decodeLoraSafetensors(ckpt.lora, model.params, UNET_PREFIX);
  if (info.baseModel != null && info.baseModel !== model.config.name) {
    adapter.dispose();
    return null;
  }
  const optimizer = new AdamW(adapter.variables, { ...defaultAdamWConfig });
  try {
    if (ckpt.optimizer) optimizer.setState(ckpt.optimizer);
    else optimizer.step = ckpt.step;
  } catch (e) {
    optimizer.dispose();
    adapter.dispose();
    throw e;
  }
  return { lora: adapter, optimizer };
}

/** Swaps in a new adapter + optimizer, disposing the old ones (and the reference, which is rebuilt on demand). */
export function replaceAdapter(s: Session, next: { lora: LoraAdapter; optimizer: AdamW }, source: LoraStatus['source']): void {
  s.optimizer.dispose();
  s.lora.dispose();
  s.reference?.dispose();
  s.reference = null;
  s.refCache = undefined;
  s.lora = next.lora;
  s.optimizer = next.optimizer;
  s.source = source;
  s.checkpointId = null;
  s.checkpointStep = null;
  s.note = undefined;
}

/** Thrown instead of saving an adapter with NaN/Inf weights: the last good checkpoint must not be pushed out by a broken one. */
export class NonFiniteAdapterError extends Error {}

/** Saves the LoRA (PEFT safetensors) and AdamW state; returns the new checkpoint id. Refuses non-finite weights. */
export async function checkpointNow(s: Session, note?: string): Promise<{ id: string; step: number }> {
  const step = s.optimizer.step;
  if (!(await loraIsFinite(s.lora))) throw new NonFiniteAdapterError(`The adapter's weights at step ${step} are not finite (NaN or Inf); nothing was saved.`);
  const lora = await encodeLoraSafetensors(s.lora, {
    layout: 'peft',
    baseModel: s.modelId,
    metadata: { studio_method: 'd3po', studio_step: String(step) },
  });
  const optimizer = await s.optimizer.getState();
  const id = `ckpt-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  const { rank, alpha, targets } = s.lora.config;
  await saveCheckpoint({ id, step, createdAt: Date.now(), lora, optimizer, loraConfig: { rank, alpha, targets: [...targets] }, modelId: s.modelId, note: note ?? `${s.modelId} step ${step}` });
  s.checkpointId = id;
  s.checkpointStep = step;
  for (const old of (await listCheckpoints(s.modelId)).slice(KEEP_CHECKPOINTS)) await deleteCheckpoint(old.id);
  return { id, step };
}

/** Turns the separate reference on (a copy of the current adapter) or off (reference = base model). */
export function setReference(s: Session, enabled: boolean, refresh: boolean): void {
  if (!enabled) {
    s.reference?.dispose();
    s.reference = null;
    s.refCache = undefined;
    return;
  }
  if (s.reference == null) {
    s.reference = createLoraAdapter(s.model.params, UNET_PREFIX, { ...s.lora.config });
    refresh = true;
  }
  if (refresh) {
    copyLoraValues(s.reference, s.lora);
    s.refCache = new ReferenceCache(`snapshot@step-${s.optimizer.step}`);
  }
}

/** The reference log-prob cache of the reference in use now (created on first use). */
export function referenceCacheOf(s: Session): ReferenceCache {
  if (s.reference != null) return (s.refCache ??= new ReferenceCache(`snapshot@step-${s.optimizer.step}`));
  return (s.baseCache ??= new ReferenceCache('base'));
}

/** The version stamped on pairs sampled now; null while the adapter is still the base model. */
export function loraVersion(s: Session): string | null {
  const step = s.optimizer.step;
  if (s.source === 'new' && step === 0) return null;
  return s.source === 'imported' ? `imported@${step}` : `step-${step}`;
}

export function loraStatus(s: Session): LoraStatus {
  return {
    step: s.optimizer.step,
    rank: s.lora.config.rank,
    alpha: s.lora.config.alpha,
    targets: [...s.lora.config.targets],
    parameterCount: s.lora.parameterCount,
    scale: s.scale,
    version: loraVersion(s),
    source: s.source,
    checkpointId: s.checkpointId,
    checkpointStep: s.checkpointStep,
    hasReference: s.reference != null,
    ...(s.note ? { note: s.note } : {}),
  };
}
