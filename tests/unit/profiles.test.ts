// Taste profiles on fake-indexeddb: the list (validation, damaged record, delete rules), each profile's own databases (the first profile keeps the pre-profile names), and the worker's jobs — opening a profile restores its own checkpoint, a blend samples with Σ w·ΔW of the profiles (an image from a blend of one profile at weight 1 equals that profile's own), without tensor growth.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { DB, DEFAULT_PROFILE_ID, KEY, databaseName } from '../../src/storage/keys';
import { setStorageProfile, storageProfile, writeEntries } from '../../src/storage/db';
import { createProfile, deleteProfile, loadProfiles, parseProfileList, profileDatabaseNames, renameProfile, setActiveProfile } from '../../src/storage/profiles';
import { listLabels, saveLabel } from '../../src/storage/labels';
import { checkpointNow, openSession, type Session } from '../../src/worker/session';
import { handleBlend, handleProfile } from '../../src/worker/profileJobs';
import { handleCompare } from '../../src/worker/pairJobs';
import type { BlendEvent, ComparedEvent, StudioEvent } from '../../src/worker/protocol';
import { createRng } from '../../src/core/rng';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

const label = (pairId: string) => ({ pairId, vote: 0 as const, leftIsFirst: true, prompt: 'dog', seed: 1, time: Date.now(), modelId: 'tiny-test', loraVersion: null });

async function databases(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name!).sort();
}

describe('profile list', () => {
  it('starts as the first profile alone; creates, renames and refuses bad names; keeps the open one', async () => {
    expect(await loadProfiles()).toEqual({ profiles: [{ id: DEFAULT_PROFILE_ID, name: 'My taste', createdAt: 0 }], active: DEFAULT_PROFILE_ID });
    const cute = await createProfile('  cute animals ', 1000);
    expect(cute.name).toBe('cute animals');
    expect(cute.id).toMatch(/^p-rs-[0-9a-f]{8}$/); // 1000 in base 36
    await expect(createProfile('Cute Animals')).rejects.toThrow(/already a profile called "Cute Animals"/);
    await expect(createProfile('   ')).rejects.toThrow(/needs a name/);
    await expect(createProfile('x'.repeat(41))).rejects.toThrow(/at most 40 characters; this one has 41/);
    await renameProfile(cute.id, 'dark');
    await setActiveProfile(cute.id);
    const got = await loadProfiles();
    expect(got.active).toBe(cute.id);
    expect(got.profiles.map((p) => p.name)).toEqual(['My taste', 'dark']);
    await expect(deleteProfile(DEFAULT_PROFILE_ID)).rejects.toThrow(/first profile cannot be deleted/);
    await expect(deleteProfile(cute.id)).rejects.toThrow(/Switch to another profile/);
    await setActiveProfile(DEFAULT_PROFILE_ID);
  });

  it('reads a damaged list as the first profile alone and drops malformed entries, without deleting anything', () => {
    expect(parseProfileList({ v: 99, profiles: [] }).profiles.map((p) => p.id)).toEqual([DEFAULT_PROFILE_ID]);
    const mixed = parseProfileList({
      v: 1,
      active: 'p-gone-1234',
      profiles: [{ id: 'p-ok-12345', name: 'ok', createdAt: 1 }, { id: '../evil', name: 'x', createdAt: 1 }, { id: 'p-ok-12345', name: 'dup', createdAt: 2 }, null],
    });
    expect(mixed.profiles.map((p) => p.id)).toEqual([DEFAULT_PROFILE_ID, 'p-ok-12345']); // the first profile is always there
    expect(mixed.active).toBe(DEFAULT_PROFILE_ID); // an unknown open profile falls back to the first
  });

  it('keeps each profile in its own databases (the first under the pre-profile names) and deletes them with the profile', async () => {
    const p = await createProfile('isolated');
    setStorageProfile(DEFAULT_PROFILE_ID);
    await saveLabel(label('pair-first'));
    setStorageProfile(p.id);
    expect(await listLabels()).toEqual([]);
    await saveLabel(label('pair-second'));
    expect((await listLabels()).map((l) => l.pairId)).toEqual(['pair-second']);
    setStorageProfile(DEFAULT_PROFILE_ID);
    expect((await listLabels()).map((l) => l.pairId)).toEqual(['pair-first']);
    expect(databaseName('labels', DEFAULT_PROFILE_ID)).toBe(DB.labels);
    expect(await databases()).toContain(`${DB.labels}~${p.id}`);
    expect(profileDatabaseNames(p.id)).not.toContain(DB.meta); // the list itself is shared
    await deleteProfile(p.id);
    expect((await databases()).filter((n) => n.endsWith(p.id))).toEqual([]);
    expect((await loadProfiles()).profiles.some((x) => x.id === p.id)).toBe(false);
    expect((await listLabels()).map((l) => l.pairId)).toEqual(['pair-first']); // the first profile is untouched
    await writeEntries('meta', 'test', [[KEY.profiles, 'garbage']]);
    expect((await loadProfiles()).profiles.map((x) => x.id)).toEqual([DEFAULT_PROFILE_ID]);
  });
});

describe('profile worker jobs', () => {
  /** Gives the adapter non-zero B, as training would. */
  function train(s: Session, seed: number): void {
    const rng = createRng(seed);
    for (const m of s.lora.modules.values()) m.B.assign(tf.tensor(rng.normals(m.B.size).map((v) => 0.2 * v), m.B.shape));
    s.optimizer.step = 7;
  }
  const tuned = async (s: Session, events: StudioEvent[], id: number) => {
    await handleCompare(s, { type: 'compare', id, prompt: 'dog', seed: 4, steps: 4 }, { post: (e) => events.push(e), cancelled: () => false });
    const e = events.filter((x): x is ComparedEvent => x.type === 'compared').at(-1)!;
    return new Uint8Array(e.tuned.rgba);
  };

  it('opening a profile restores its own checkpoint; a blend samples with the profiles’ weights; nothing leaks', async () => {
    const cfg = tinyModelConfig();
    const model = MiniSD.create(cfg, 3);
    const shape = { rank: 2, alpha: 2, targets: ['to_q', 'to_v'] };
    const events: StudioEvent[] = [];
    const ctx = { post: (e: StudioEvent) => events.push(e), cancelled: () => false };
    const other = await createProfile('other');
    setStorageProfile(DEFAULT_PROFILE_ID);
    let s = await openSession(model, shape);
    train(s, 1);
    await checkpointNow(s);
    const mineImage = await tuned(s, events, 1);

    s = await handleProfile(s, { type: 'profile', id: 2, profile: other.id, lora: shape }, ctx);
    expect(storageProfile()).toBe(other.id);
    expect([s.source, s.optimizer.step]).toEqual(['new', 0]); // an empty profile: a new adapter
    train(s, 2);
    await checkpointNow(s);
    const otherImage = await tuned(s, events, 3);
    expect(otherImage).not.toEqual(mineImage);

    s = await handleProfile(s, { type: 'profile', id: 4, profile: DEFAULT_PROFILE_ID, lora: shape }, ctx);
    expect([s.source, s.optimizer.step]).toEqual(['checkpoint', 7]);
    expect(await tuned(s, events, 5)).toEqual(mineImage); // its own adapter came back

    const before = tf.memory().numTensors;
    // The open profile at 0 and the other at 1 draws exactly the other profile's image (same x_T and noise).
    await handleBlend(s, { type: 'blend', id: 6, parts: [{ profile: DEFAULT_PROFILE_ID, weight: 0 }, { profile: other.id, weight: 1 }] }, ctx);
    const blendEvent = events.filter((x): x is BlendEvent => x.type === 'blend').at(-1)!;
    expect(blendEvent.parts).toEqual([{ profile: DEFAULT_PROFILE_ID, weight: 0, step: null }, { profile: other.id, weight: 1, step: 7 }]);
    const blended = await tuned(s, events, 7);
    const differing = blended.reduce((n, v, i) => n + (Math.abs(v - otherImage[i]) > 1 ? 1 : 0), 0);
    expect(differing).toBe(0);
    // A negative weight moves away from the other profile.
    await handleBlend(s, { type: 'blend', id: 8, parts: [{ profile: DEFAULT_PROFILE_ID, weight: 1 }, { profile: other.id, weight: -1 }] }, ctx);
    expect(await tuned(s, events, 9)).not.toEqual(mineImage);
    await handleBlend(s, { type: 'blend', id: 10, parts: [] }, ctx);
    expect(s.blend).toBeNull();
    expect(await tuned(s, events, 11)).toEqual(mineImage);
    expect(tf.memory().numTensors).toBe(before);

    await expect(handleBlend(s, { type: 'blend', id: 12, parts: [{ profile: other.id, weight: 5 }] }, ctx)).rejects.toThrow(/from −2 to 2, got 5/);
    await expect(handleProfile(s, { type: 'profile', id: 13, profile: '../x', lora: shape }, ctx)).rejects.toThrow(/Unknown profile id/);
    expect(storageProfile()).toBe(DEFAULT_PROFILE_ID);
    s.optimizer.dispose();
    s.lora.dispose();
    model.dispose();
  });
});
