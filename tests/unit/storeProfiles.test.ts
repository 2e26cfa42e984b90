// Taste-profile store actions with fake-indexeddb and a fake worker: boot opens the stored profile, switching reads the other profile's labels and curve (pairs of the old one are dropped), a failed switch or a running round leaves everything as it was, a new profile opens empty, and the blend sliders send only what differs from "the open profile alone".
import { describe, expect, it } from 'vitest';
import type { StudioApi } from '../../src/store/client';
import type { LoraStatus } from '../../src/worker/protocol';
import { DEFAULT_PROFILE_ID } from '../../src/storage/keys';
import { setStorageProfile, storageProfile } from '../../src/storage/db';
import { createProfile, loadProfiles, setActiveProfile } from '../../src/storage/profiles';
import { listLabels, saveLabel } from '../../src/storage/labels';
import { appendMetrics } from '../../src/storage/runs';
import { bootCalls, newLora } from './fakeWorker';
import './memoryLocalStorage'; // installs localStorage before the store modules load below

const { useStudioStore, patch } = await import('../../src/store/index');
const { boot, runIdFor } = await import('../../src/store/actions');
const prof = await import('../../src/store/profileActions');

const label = (pairId: string) => ({ pairId, vote: 0 as const, leftIsFirst: true, prompt: 'dog', seed: 1, time: Date.now(), modelId: 'tiny-test', loraVersion: null });
const row = (step: number) => ({ step, loss: 0.69, accuracy: 0.5, margin: 0, chosenReward: 0, rejectedReward: 0, meanLogRatio: 0, approxKl: 0, clipFraction: 0, gradNorm: 0, learningRate: 1e-3, labeled: 1, pairsUsed: 1, ms: 1, time: Date.now() });

function fake(opts: { failProfile?: boolean } = {}) {
  const calls: { profile: string[]; blend: { profile: string; weight: number }[][]; loadProfile: (string | undefined)[] } = { profile: [], blend: [], loadProfile: [] };
  const boot = bootCalls();
  const client = {
    ...boot,
    load: async (_f: string, o: { profile?: string }) => {
      calls.loadProfile.push(o.profile);
      return boot.load();
    },
    profile: async (id: string) => {
      calls.profile.push(id);
      if (opts.failProfile) throw new Error('Could not open the profile: disk error. The open profile is unchanged.');
      const lora: LoraStatus = { ...newLora(), step: id === DEFAULT_PROFILE_ID ? 2 : 0, source: id === DEFAULT_PROFILE_ID ? 'checkpoint' : 'new' };
      return { type: 'lora' as const, id: 1, lora };
    },
    blend: async (parts: { profile: string; weight: number }[]) => {
      calls.blend.push(parts);
      return { type: 'blend' as const, id: 2, parts: parts.length ? parts.map((p) => ({ ...p, step: p.profile === useStudioStore.getState().profiles.active ? null : 5 })) : [{ profile: useStudioStore.getState().profiles.active, weight: 1, step: null }] };
    },
  } as unknown as StudioApi;
  return { client, calls };
}

describe('taste profile actions', () => {
  it('boots into the stored profile, switches with its own labels and curve, opens a new profile empty, refuses while training', async () => {
    const other = await createProfile('other');
    setStorageProfile(DEFAULT_PROFILE_ID);
    await saveLabel(label('pair-a'));
    await saveLabel(label('pair-b'));
    await appendMetrics(runIdFor('tiny-test'), [row(1), row(2)]);
    setStorageProfile(other.id);
    await saveLabel(label('pair-c'));
    await setActiveProfile(other.id);
    setStorageProfile(DEFAULT_PROFILE_ID); // as a fresh page: boot reads the open profile from the list

    const f = fake();
    await boot('?model=tiny-test', () => f.client);
    expect(f.calls.loadProfile).toEqual([other.id]);
    expect(storageProfile()).toBe(other.id);
    expect(useStudioStore.getState().labeling.counts.labeled).toBe(1);

    patch('labeling', { current: { pairId: 'old', prompt: 'dog', seed: 1, loraVersion: null, images: [], leftIsFirst: true, predicted: null, check: false } as never });
    await prof.switchProfile(DEFAULT_PROFILE_ID);
    let s = useStudioStore.getState();
    expect(f.calls.profile).toEqual([DEFAULT_PROFILE_ID]);
    expect([s.profiles.active, storageProfile(), (await loadProfiles()).active]).toEqual([DEFAULT_PROFILE_ID, DEFAULT_PROFILE_ID, DEFAULT_PROFILE_ID]);
    expect(s.labeling.counts.labeled).toBe(2);
    expect(s.labeling.undo.map((l) => l.pairId).sort()).toEqual(['pair-a', 'pair-b']);
    expect(s.labeling.current).toBeNull(); // the old profile's pair is gone
    expect(s.training.rows.map((r) => r.step)).toEqual([1, 2]);
    expect(s.session.lora?.step).toBe(2);
    expect(s.profiles.message).toBe('Opened "My taste": its adapter at step 2.');

    patch('training', { status: 'training' });
    await prof.switchProfile(other.id);
    expect(useStudioStore.getState().profiles.error).toMatch(/Training is running/);
    expect(f.calls.profile).toHaveLength(1);
    patch('training', { status: 'idle' });

    await prof.addProfile('fresh');
    s = useStudioStore.getState();
    expect(s.profiles.list.map((p) => p.name)).toEqual(['My taste', 'other', 'fresh']);
    expect(s.profiles.active).toBe(s.profiles.list[2].id);
    expect([s.labeling.counts.labeled, s.training.rows.length]).toEqual([0, 0]);
    expect(await listLabels()).toEqual([]);
    expect(s.profiles.message).toBe('Opened "fresh": a new adapter.');
  });

  it('a refused switch keeps the open profile, its storage and its labels', async () => {
    const f = fake({ failProfile: true });
    await boot('?model=tiny-test', () => f.client);
    const before = useStudioStore.getState();
    const target = before.profiles.list.find((p) => p.id !== before.profiles.active)!.id;
    await prof.switchProfile(target);
    const s = useStudioStore.getState();
    expect(s.profiles.error).toMatch(/disk error\. The open profile is unchanged\./);
    expect([s.profiles.active, storageProfile()]).toEqual([before.profiles.active, before.profiles.active]);
    expect(s.labeling.counts).toEqual(before.labeling.counts);
  });

  it('blend: nothing is sent for the open profile alone at 1; weights go to the worker; a deleted profile leaves the blend', async () => {
    const f = fake();
    await boot('?model=tiny-test', () => f.client);
    const { active, list } = useStudioStore.getState().profiles;
    const other = list.find((p) => p.id !== active)!;
    prof.setBlendWeight(other.id, -0.5);
    prof.setBlendWeight(active, 7); // clamped to 2
    await prof.applyBlend();
    expect(f.calls.blend.at(-1)).toEqual([
      { profile: list[0].id, weight: list[0].id === active ? 2 : -0.5 },
      ...list.slice(1).filter((p) => p.id === active || p.id === other.id).map((p) => ({ profile: p.id, weight: p.id === active ? 2 : -0.5 })),
    ]);
    expect(useStudioStore.getState().profiles.applied).toHaveLength(2);
    prof.setBlendWeight(other.id, 0);
    prof.setBlendWeight(active, 1);
    await prof.applyBlend();
    expect(f.calls.blend.at(-1)).toEqual([]);
    expect(useStudioStore.getState().profiles.applied).toEqual([]);
    expect(useStudioStore.getState().profiles.message).toBe('Sampling with the open profile alone.');
  });
});
