// Taste-profile actions: create, rename, delete, open another profile (the worker opens its newest checkpoint; labels, curves, checkpoints, blind votes and the moodboard are read from its databases), and blend profiles with weights for Generate, Compare and A/B pairs.
import { closeProfileStores, setStorageProfile, storageProfile } from '../storage/db';
import { createProfile, deleteProfile, loadProfiles, renameProfile, setActiveProfile } from '../storage/profiles';
import { MAX_BLEND_WEIGHT } from '../core/model/loraBlend';
import { errorMessage, getClient } from './client';
import { patch, useStudioStore } from './index';
import { restoreFromStorage } from './actions';
import { dropPairs, fillQueue } from './pairQueue';
import { initialBlind } from './blindSlice';
import { initialGallery } from './gallerySlice';
import { initialMoodboard } from './moodboardSlice';
import { initialLabeling } from './labelingSlice';
import { blendParts } from './profilesSlice';

function busyProblem(): string | null {
  const s = useStudioStore.getState();
  if (s.session.model == null) return 'Wait for the model to finish loading.';
  if (s.training.status !== 'idle') return 'Training is running; stop it or let the round finish, then switch.';
  if (s.profiles.busy) return 'A profile change is already running.';
  return null;
}

async function refreshList(): Promise<void> {
  const { profiles } = await loadProfiles();
  patch('profiles', { list: profiles });
}

/** Adds an empty profile; with `open`, switches to it right away. */
export async function addProfile(name: string, open = true): Promise<void> {
  patch('profiles', { error: null, message: null });
  try {
    const p = await createProfile(name);
    await refreshList();
    if (open) await switchProfile(p.id);
    else patch('profiles', { message: `Created the profile "${p.name}".` });
  } catch (e) {
    patch('profiles', { error: errorMessage(e) });
  }
}

export async function renameOpenProfile(name: string): Promise<void> {
  patch('profiles', { error: null, message: null });
  try {
    await renameProfile(useStudioStore.getState().profiles.active, name);
    await refreshList();
  } catch (e) {
    patch('profiles', { error: errorMessage(e) });
  }
}

/** Deletes a profile that is not open, with everything it holds. */
export async function removeProfile(id: string): Promise<void> {
  patch('profiles', { error: null, message: null });
  const name = useStudioStore.getState().profiles.list.find((p) => p.id === id)?.name ?? id;
  try {
    await deleteProfile(id);
    const weights = { ...useStudioStore.getState().profiles.weights };
    delete weights[id];
    patch('profiles', { weights });
    await refreshList();
    if (useStudioStore.getState().profiles.applied.some((p) => p.profile === id)) await applyBlend();
    patch('profiles', { message: `Deleted the profile "${name}" and its labels, pairs and checkpoints.` });
  } catch (e) {
    patch('profiles', { error: errorMessage(e) });
  }
}

/**
 * Opens another profile. Pairs on screen or being generated belong to the old profile and are dropped; the worker opens
 * the profile's newest checkpoint (or a new adapter); everything shown is read again from its databases. If the worker
 * refuses, the page stays on the old profile.
 */
export async function switchProfile(id: string): Promise<void> {
  const s = useStudioStore.getState();
  if (id === s.profiles.active) return;
  const problem = busyProblem();
  if (problem) {
    patch('profiles', { error: problem });
    return;
  }
  if (!s.profiles.list.some((p) => p.id === id)) {
    patch('profiles', { error: 'That profile no longer exists; reload the page.' });
    return;
  }
  patch('profiles', { busy: true, error: null, message: null });
  dropPairs();
  const previous = storageProfile();
  try {
    const { rank, alpha, targets } = s.settings.train;
    const { lora } = await getClient().profile(id, { rank, alpha, targets });
    setStorageProfile(id);
    await closeProfileStores(previous);
    await setActiveProfile(id);
    const active = useStudioStore.getState().labeling.active;
    patch('labeling', { ...initialLabeling, active });
    patch('training', { rows: [], checkpoints: [], pausedRows: null, votesSinceRound: 0, message: null, error: null, rewardSamples: null });
    useStudioStore.setState({ blind: { ...initialBlind }, gallery: { ...initialGallery }, moodboard: { ...initialMoodboard } });
    patch('session', { lora });
    patch('profiles', { active: id, weights: {}, applied: [] });
    await restoreFromStorage(s.session.model!.name, lora.step);
    const name = useStudioStore.getState().profiles.list.find((p) => p.id === id)?.name ?? id;
    patch('profiles', { message: `Opened "${name}": ${lora.step > 0 ? `its adapter at step ${lora.step}` : 'a new adapter'}.` });
  } catch (e) {
    setStorageProfile(previous);
    patch('profiles', { error: errorMessage(e) });
  } finally {
    patch('profiles', { busy: false });
    fillQueue();
  }
}

export function setBlendWeight(id: string, weight: number): void {
  const w = Math.max(-MAX_BLEND_WEIGHT, Math.min(MAX_BLEND_WEIGHT, weight));
  patch('profiles', { weights: { ...useStudioStore.getState().profiles.weights, [id]: w } });
}

/** Sends the sliders' blend to the worker; later Generate, Compare and A/B pairs use it (queued pairs are redrawn). */
export async function applyBlend(): Promise<void> {
  patch('profiles', { busy: true, error: null, message: null });
  try {
    const e = await getClient().blend(blendParts(useStudioStore.getState().profiles));
    const applied = e.parts.length === 1 && e.parts[0].weight === 1 ? [] : e.parts;
    patch('profiles', { applied });
    const names = new Map(useStudioStore.getState().profiles.list.map((p) => [p.id, p.name]));
    patch('profiles', { message: applied.length === 0 ? 'Sampling with the open profile alone.' : `Sampling with ${applied.map((p) => `${names.get(p.profile) ?? p.profile} × ${p.weight}`).join(' + ')}.` });
    dropPairs();
  } catch (e) {
    patch('profiles', { error: errorMessage(e) });
  } finally {
    patch('profiles', { busy: false });
    fillQueue();
  }
}
