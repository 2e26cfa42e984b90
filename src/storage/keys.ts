/** Names of the studio's IndexedDB databases (one idb-keyval store each) and the keys inside them, versioned: a rename needs a migration (tldraw LocalIndexedDb.ts, excalidraw STORAGE_KEYS). */

// DO NOT RENAME WITHOUT A MIGRATION: existing users' data lives here.
export const DB = {
  pairs: 'd3po-studio-pairs-v1', // generated pairs: images + provenance, and their trajectories
  labels: 'd3po-studio-labels-v1', // one vote per pair
  checkpoints: 'd3po-studio-checkpoints-v1', // LoRA adapters + optimizer state
  runs: 'd3po-studio-runs-v1', // training metric rows per run
  meta: 'd3po-studio-meta-v1', // small per-device bookkeeping (last export time)
  blind: 'd3po-studio-blind-v1', // blind-test votes (never trained on)
  moodboard: 'd3po-studio-moodboard-v1', // moodboard images (32×32, liked or disliked, optional caption) for Diffusion-DPO
} as const;

// DO NOT RENAME WITHOUT A MIGRATION: existing users' data lives here.
export const STORE_NAME = 'kv';

/** Databases shared by every taste profile (device bookkeeping, the profile list); the others are one set per profile. */
export const SHARED_DBS: readonly DbKey[] = ['meta'];

// DO NOT CHANGE WITHOUT A MIGRATION: the first profile is the data every studio had before profiles (the unsuffixed names).
export const DEFAULT_PROFILE_ID = 'default';

/** The IndexedDB name of one database of a profile: the first profile and the shared databases keep the names above; another profile's carry "~<id>". */
export function databaseName(db: DbKey, profile: string): string {
  return profile === DEFAULT_PROFILE_ID || SHARED_DBS.includes(db) ? DB[db] : `${DB[db]}~${profile}`;
}

/** Version written into every record (`v`); bump it together with a migration in the owning module. */
export const RECORD_VERSION = 1;

export type DbKey = keyof typeof DB;

// DO NOT RENAME WITHOUT A MIGRATION: existing users' data lives here.
// Keys are IndexedDB array keys [kind, ...ids], so ids may contain any character and a kind is listed by a key range.
export const KEY = {
  pair: (id: string) => ['pair', id] as [string, string], // PairRecord (everything but the trajectories)
  trajectories: (id: string) => ['traj', id] as [string, string], // trajectoryCodec bytes of the pair's two trajectories
  label: (pairId: string) => ['label', pairId] as [string, string], // LabelRecord
  recheck: (id: string) => ['recheck', id] as [string, string], // (labels) RecheckRecord: a re-shown pair's second vote
  checkpoint: (id: string) => ['ckpt', id] as [string, string], // CheckpointRecord (metadata only)
  checkpointData: (id: string) => ['ckpt-data', id] as [string, string], // { lora, optimizer }
  run: (runId: string) => ['run', runId] as [string, string], // RunRecord (run summary)
  runChunk: (runId: string, n: number) => ['run-rows', runId, n] as [string, string, number], // up to RUN_CHUNK_ROWS metric rows
  lastExportAt: ['last-export-at'] as [string], // epoch ms of the last successful exportAll on this device
  backendChoice: ['backend-choice'] as [string], // the measured backend choice of this device (platform/browser.ts CachedChoice)
  blindVote: (id: string) => ['blind', id] as [string, string], // BlindVoteRecord
  moodItem: (id: string) => ['mood', id] as [string, string], // MoodboardItemRecord
  profiles: ['profiles'] as [string], // (meta) ProfileListRecord: the taste profiles and which one is open
} as const;

/** Kinds, for listing by key range. */
export const KIND = {
  pair: 'pair',
  trajectories: 'traj',
  label: 'label',
  recheck: 'recheck',
  checkpoint: 'ckpt',
  checkpointData: 'ckpt-data',
  run: 'run',
  runChunk: 'run-rows',
  blindVote: 'blind',
  moodItem: 'mood',
} as const;

/** Metric rows per stored chunk: appends rewrite at most one chunk. */
export const RUN_CHUNK_ROWS = 512;
