/** Storage quota: usage estimate, persistence request, and StorageFullError, thrown in place of QuotaExceededError (Storage Standard, https://storage.spec.whatwg.org/; QuotaExceededError per WebIDL). */

/** What a full-disk write should tell the person: nothing already saved was lost, and how to make room. */
export class StorageFullError extends Error {
  constructor(what = 'the data', options?: { cause?: unknown }) {
    super(
      `Browser storage is full, so ${what} was not saved; everything saved before is intact. ` +
        'To make room: export a backup first (Export all), then prune old trajectories (unlabeled pairs go first), ' +
        'delete old checkpoints, or free disk space; then try again. Asking the browser to keep storage persistent also helps.',
      options,
    );
    this.name = 'StorageFullError';
  }
}

/** True for a quota failure: DOMException 'QuotaExceededError' (legacy code 22), Firefox's NS_ERROR_DOM_QUOTA_REACHED (1014), or a StorageFullError. */
export function isQuotaError(e: unknown): boolean {
  if (e instanceof StorageFullError) return true;
  if (typeof e !== 'object' || e === null) return false;
  const { name, code } = e as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22 || code === 1014;
}

interface StorageManagerLike {
  estimate?: () => Promise<{ usage?: number; quota?: number }>;
  persist?: () => Promise<boolean>;
  persisted?: () => Promise<boolean>;
}

function storageManager(): StorageManagerLike | undefined {
  return (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator?.storage;
}

/** Bytes used and allowed for this origin (navigator.storage.estimate), or null where the browser has no estimate. */
export async function storageEstimate(): Promise<{ usage: number; quota: number } | null> {
  const sm = storageManager();
  if (!sm?.estimate) return null;
  try {
    const { usage, quota } = await sm.estimate();
    if (typeof usage !== 'number' || typeof quota !== 'number') return null;
    return { usage, quota };
  } catch {
    return null;
  }
}

/** Asks the browser not to evict this origin's data; call it from a click (Safari and Firefox need a user gesture). */
export async function requestPersist(): Promise<boolean> {
  const sm = storageManager();
  if (!sm?.persist) return false;
  try {
    return await sm.persist();
  } catch {
    return false;
  }
}

/** Whether storage is already persistent (false where unknown). */
export async function isPersisted(): Promise<boolean> {
  const sm = storageManager();
  if (!sm?.persisted) return false;
  try {
    return await sm.persisted();
  } catch {
    return false;
  }
}
