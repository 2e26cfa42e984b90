/**
 * Taste profiles (as Midjourney's personalization keeps several): each profile is its own set of databases — pairs,
 * labels, checkpoints, metric runs, blind votes, moodboard — named by storage/keys.ts databaseName; the list and which
 * profile is open live in the shared meta database. The first profile is the data the studio had before profiles, so
 * nothing moves. A list that is missing or damaged reads as the first profile alone; nothing is deleted by reading.
 */
import { DB, DEFAULT_PROFILE_ID, KEY, RECORD_VERSION, SHARED_DBS, databaseName, type DbKey } from './keys';
import { closeProfileStores, getValues, writeEntries } from './db';

export interface Profile {
  id: string; // DEFAULT_PROFILE_ID or 'p-…' (part of its database names: never changes)
  name: string; // shown in the profile menu; renaming changes only this
  createdAt: number; // epoch ms
}

interface ProfileListRecord {
  v: number;
  profiles: Profile[];
  active: string;
}

export const MAX_PROFILE_NAME = 40;
export const MAX_PROFILES = 20;
export const DEFAULT_PROFILE_NAME = 'My taste';

const firstProfile = (): Profile => ({ id: DEFAULT_PROFILE_ID, name: DEFAULT_PROFILE_NAME, createdAt: 0 });

/** Why a profile name cannot be used (with what to do), or null. */
export function profileNameProblem(name: string, others: Profile[]): string | null {
  const n = name.trim();
  if (n.length === 0) return 'A profile needs a name; type one (e.g. "cute animals").';
  if (n.length > MAX_PROFILE_NAME) return `A profile name has at most ${MAX_PROFILE_NAME} characters; this one has ${n.length}.`;
  if (others.some((p) => p.name.toLowerCase() === n.toLowerCase())) return `There is already a profile called "${n}"; pick another name.`;
  return null;
}

function isProfile(p: unknown): p is Profile {
  if (typeof p !== 'object' || p === null) return false;
  const r = p as Partial<Profile>;
  return typeof r.id === 'string' && /^(default|p-[a-z0-9-]{4,40})$/.test(r.id) && typeof r.name === 'string' && r.name.length > 0 && typeof r.createdAt === 'number';
}

/** The stored list, validated: the first profile is always there; unknown or malformed entries are dropped (with a console note). */
export function parseProfileList(value: unknown): { profiles: Profile[]; active: string } {
  const fallback = { profiles: [firstProfile()], active: DEFAULT_PROFILE_ID };
  if (value === undefined) return fallback;
  const r = value as Partial<ProfileListRecord>;
  if (typeof value !== 'object' || value === null || r.v !== RECORD_VERSION || !Array.isArray(r.profiles)) {
    console.warn('The list of taste profiles is damaged; showing the first profile only (the other profiles’ data is untouched).');
    return fallback;
  }
  const profiles = r.profiles.filter(isProfile);
  const seen = new Set<string>();
  const unique = profiles.filter((p) => !seen.has(p.id) && (seen.add(p.id), true));
  if (!unique.some((p) => p.id === DEFAULT_PROFILE_ID)) unique.unshift(firstProfile());
  const active = typeof r.active === 'string' && unique.some((p) => p.id === r.active) ? r.active : DEFAULT_PROFILE_ID;
  return { profiles: unique, active };
}

export async function loadProfiles(): Promise<{ profiles: Profile[]; active: string }> {
  const [value] = await getValues<unknown>('meta', [KEY.profiles]);
  return parseProfileList(value);
}

async function saveProfiles(profiles: Profile[], active: string): Promise<void> {
  const record: ProfileListRecord = { v: RECORD_VERSION, profiles, active };
  await writeEntries('meta', 'the profile list', [[KEY.profiles, record]]);
}

/** Adds a profile (empty: a new adapter, no labels) and returns it; the open profile stays open. */
export async function createProfile(name: string, now = Date.now()): Promise<Profile> {
  const { profiles, active } = await loadProfiles();
  const problem = profileNameProblem(name, profiles);
  if (problem) throw new Error(problem);
  if (profiles.length >= MAX_PROFILES) throw new Error(`The studio keeps at most ${MAX_PROFILES} profiles; delete one first.`);
  const profile: Profile = { id: `p-${now.toString(36)}-${crypto.randomUUID().slice(0, 8)}`, name: name.trim(), createdAt: now };
  await saveProfiles([...profiles, profile], active);
  return profile;
}

export async function renameProfile(id: string, name: string): Promise<void> {
  const { profiles, active } = await loadProfiles();
  if (!profiles.some((p) => p.id === id)) throw new Error('That profile no longer exists; reload the page.');
  const problem = profileNameProblem(name, profiles.filter((p) => p.id !== id));
  if (problem) throw new Error(problem);
  await saveProfiles(profiles.map((p) => (p.id === id ? { ...p, name: name.trim() } : p)), active);
}

/** Remembers which profile is open (the next load opens it). */
export async function setActiveProfile(id: string): Promise<void> {
  const { profiles } = await loadProfiles();
  if (!profiles.some((p) => p.id === id)) throw new Error('That profile no longer exists; reload the page.');
  await saveProfiles(profiles, id);
}

/** The per-profile databases of a profile, by IndexedDB name. */
export function profileDatabaseNames(id: string): string[] {
  return (Object.keys(DB) as DbKey[]).filter((db) => !SHARED_DBS.includes(db)).map((db) => databaseName(db, id));
}

/**
 * Deletes a profile and all its data (pairs, labels, checkpoints, curves, blind votes, moodboard). Refuses the first
 * profile and the open one. The list is updated first, so a failure half-way leaves unreachable data, never a listed
 * profile without its data.
 */
export async function deleteProfile(id: string, idb: IDBFactory = indexedDB): Promise<void> {
  if (id === DEFAULT_PROFILE_ID) throw new Error('The first profile cannot be deleted; clear its data in the Data tab instead.');
  const { profiles, active } = await loadProfiles();
  if (id === active) throw new Error('Switch to another profile before deleting this one.');
  if (!profiles.some((p) => p.id === id)) return;
  await saveProfiles(profiles.filter((p) => p.id !== id), active);
  await closeProfileStores(id);
  await Promise.all(
    profileDatabaseNames(id).map(
      (name) =>
        new Promise<void>((resolve, reject) => {
          const r = idb.deleteDatabase(name);
          r.onsuccess = () => resolve();
          r.onerror = () => reject(r.error ?? new Error(`Could not delete ${name}.`));
          r.onblocked = () => resolve(); // another tab still has it open: deleted once that connection closes
        }),
    ),
  );
}
