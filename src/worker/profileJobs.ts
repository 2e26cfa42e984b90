// Worker jobs for taste profiles: open another profile (its databases, its newest checkpoint) and blend profiles for sampling — the other profiles' newest checkpoints are loaded frozen, and each sampling job stacks them with the open adapter's live weights (core/model/loraBlend.ts).
import { blendAdapters, MAX_BLEND_WEIGHT } from '../core/model/loraBlend';
import type { LoraAdapter } from '../core/model/lora';
import { decodeLoraSafetensors } from '../core/model/loraFile/loraFile';
import { closeProfileStores, setStorageProfile, storageProfile } from '../storage/db';
import { listCheckpoints, loadCheckpoint } from '../storage/checkpoints';
import { errorText } from '../platform/browser';
import type { BlendRequest, ProfileRequest } from './protocol';
import { disposeSessionState, loraStatus, openSession, UNET_PREFIX, type Session } from './session';
import type { JobContext } from './jobContext';

export const MAX_BLEND_PARTS = 8;

/** Profile ids as storage/profiles.ts makes them. */
const PROFILE_ID = /^(default|p-[a-z0-9-]{4,40})$/;

/** Switches the session to another profile; returns the new session (the old one's tensors are disposed). */
export async function handleProfile(s: Session, req: ProfileRequest, ctx: JobContext): Promise<Session> {
  if (typeof req.profile !== 'string' || !PROFILE_ID.test(req.profile)) throw new Error(`Unknown profile id ${JSON.stringify(req.profile)}; pick a profile from the list.`);
  const previous = storageProfile();
  setStorageProfile(req.profile);
  let next: Session;
  try {
    next = await openSession(s.model, req.lora);
  } catch (e) {
    setStorageProfile(previous);
    throw new Error(`Could not open the profile: ${errorText(e)} The open profile is unchanged.`);
  }
  next.latentSubset = s.latentSubset;
  next.pretrainPool = s.pretrainPool;
  disposeSessionState(s);
  if (previous !== req.profile) await closeProfileStores(previous); // so the old profile can be deleted from the page
  ctx.post({ type: 'lora', id: req.id, lora: loraStatus(next) });
  return next;
}

/** Validates the parts, loads the other profiles' newest checkpoints (frozen) and keeps them as the session's blend. */
export async function handleBlend(s: Session, req: BlendRequest, ctx: JobContext): Promise<void> {
  if (!Array.isArray(req.parts) || req.parts.length > MAX_BLEND_PARTS) throw new Error(`A blend has at most ${MAX_BLEND_PARTS} profiles.`);
  for (const p of req.parts) {
    if (typeof p?.profile !== 'string' || !PROFILE_ID.test(p.profile)) throw new Error(`Unknown profile id ${JSON.stringify(p?.profile)} in the blend.`);
    if (!Number.isFinite(p.weight) || Math.abs(p.weight) > MAX_BLEND_WEIGHT) throw new Error(`A blend weight must be a number from −${MAX_BLEND_WEIGHT} to ${MAX_BLEND_WEIGHT}, got ${p.weight}.`);
  }
  const open = storageProfile();
  const loaded: { profile: string; weight: number; adapter: LoraAdapter; step: number }[] = [];
  try {
    for (const p of req.parts) {
      if (p.profile === open || p.weight === 0) continue;
      const [newest] = await listCheckpoints(s.modelId, p.profile);
      const ckpt = newest ? await loadCheckpoint(newest.id, p.profile) : undefined;
      if (ckpt == null) continue; // a profile that has not trained yet adds nothing
      const { adapter } = decodeLoraSafetensors(ckpt.lora, s.model.params, UNET_PREFIX);
      for (const v of adapter.variables) v.trainable = false;
      loaded.push({ profile: p.profile, weight: p.weight, adapter, step: ckpt.step });
    }
  } catch (e) {
    for (const l of loaded) l.adapter.dispose();
    throw new Error(`Could not load a profile for the blend: ${errorText(e)} The blend is unchanged.`);
  }
  clearBlend(s);
  const self = req.parts.find((p) => p.profile === open)?.weight ?? 1;
  if (loaded.length > 0 || self !== 1) s.blend = { self, others: loaded.map((l) => ({ profile: l.profile, adapter: l.adapter, weight: l.weight })) };
  ctx.post({
    type: 'blend',
    id: req.id,
    parts: [{ profile: open, weight: self, step: null }, ...loaded.map((l) => ({ profile: l.profile, weight: l.weight, step: l.step }))],
  });
}

export function clearBlend(s: Session): void {
  for (const o of s.blend?.others ?? []) o.adapter.dispose();
  s.blend = null;
}

/**
 * Runs `fn` with the adapter Generate, Compare and A/B pairs sample with: the open adapter alone, or the blend stacked
 * from its current weights (rebuilt per job, so training between jobs is always included) and disposed afterwards.
 */
export async function withSamplingAdapter<T>(s: Session, fn: (lora: LoraAdapter) => Promise<T>): Promise<T> {
  if (s.blend == null) return fn(s.lora);
  const blended = blendAdapters([{ adapter: s.lora, weight: s.blend.self }, ...s.blend.others]);
  try {
    return await fn(blended);
  } finally {
    blended.dispose();
  }
}
