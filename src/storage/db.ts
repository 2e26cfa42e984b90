/** The one way storage modules touch IndexedDB: lazily created idb-keyval stores, atomic write transactions, key-range reads, and quota errors mapped to StorageFullError. */
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { DB, DEFAULT_PROFILE_ID, SHARED_DBS, STORE_NAME, databaseName, type DbKey } from './keys';
import { StorageFullError, isQuotaError } from './quota';

export type Key = IDBValidKey;

const stores = new Map<string, UseStore>();

/** The taste profile whose databases the studio reads and writes (storage/profiles.ts); the page and the worker each set it. */
let activeProfile: string = DEFAULT_PROFILE_ID;

/** Switches every later read and write to `profile`'s databases (open connections of the old profile stay cached for reuse). */
export function setStorageProfile(profile: string): void {
  activeProfile = profile;
}

export function storageProfile(): string {
  return activeProfile;
}

/** The idb-keyval store of one database of a profile (created on first use, so importing this module never opens a database). */
export function storeFor(db: DbKey, profile: string = activeProfile): UseStore {
  const name = databaseName(db, profile);
  let s = stores.get(name);
  if (!s) {
    const raw = createStore(name, STORE_NAME);
    const hooked = new WeakSet<IDBDatabase>();
    // Every connection closes when another context deletes (or upgrades) its database, e.g. a profile deleted in another
    // tab, or from the page while the worker still holds it; the next use reopens it (inTx retries on InvalidStateError).
    s = (mode, callback) =>
      raw(mode, (os) => {
        const db = os.transaction.db;
        if (!hooked.has(db)) {
          hooked.add(db);
          db.onversionchange = () => db.close();
        }
        return callback(os);
      });
    stores.set(name, s);
  }
  return s;
}

/** Drops the cached connection so the next call reopens it (Firefox may throw InvalidStateError after a quota abort until then). */
function reopen(db: DbKey, profile: string): void {
  stores.delete(databaseName(db, profile));
}

/** Closes and forgets this context's connections to a profile's databases (after a switch, and before they are deleted: an open connection blocks deleteDatabase). */
export async function closeProfileStores(profile: string): Promise<void> {
  for (const db of Object.keys(DB) as DbKey[]) {
    if (SHARED_DBS.includes(db)) continue;
    const name = databaseName(db, profile);
    const store = stores.get(name);
    if (!store) continue;
    stores.delete(name);
    await store('readonly', (os) => os.transaction.db.close()).catch(() => undefined); // close() waits for running transactions
  }
}

function isInvalidState(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'InvalidStateError';
}

/**
 * Resolves when the transaction commits; rejects with the reason it aborted. A failed request's error (e.g. Firefox's
 * QuotaExceededError on a put) bubbles to the transaction before `tx.error` is set, so it is kept for the abort.
 */
function settled(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    let requestError: unknown = null;
    tx.addEventListener('complete', () => resolve());
    tx.addEventListener('error', (ev) => {
      requestError ??= (ev.target as IDBRequest | null)?.error ?? null;
    });
    tx.addEventListener('abort', () => reject(tx.error ?? requestError ?? new Error('The IndexedDB transaction was aborted; try again.')));
  });
}

/**
 * Runs `body` in one transaction of `db` and resolves when it has committed. A throw or rejection inside `body`
 * aborts the transaction, so a readwrite body either writes everything or nothing. `what` names the data for
 * StorageFullError ("the pair", "the checkpoint"). `body` may await only IDB requests (e.g. `req(os.get(k))`).
 */
export async function inTx<T>(db: DbKey, mode: IDBTransactionMode, what: string, body: (os: IDBObjectStore) => T | Promise<T>, profile: string = activeProfile): Promise<T> {
  const attempt = () =>
    storeFor(db, profile)(mode, async (os) => {
      const tx = os.transaction;
      const done = settled(tx);
      try {
        const result = await body(os);
        await done;
        return result;
      } catch (e) {
        try {
          tx.abort();
        } catch {
          // already committed or aborted
        }
        await done.catch(() => undefined);
        throw e;
      }
    });
  try {
    return await attempt();
  } catch (e) {
    if (isQuotaError(e)) throw e instanceof StorageFullError ? e : new StorageFullError(what, { cause: e });
    if (!isInvalidState(e)) throw e;
    reopen(db, profile);
    try {
      return await attempt();
    } catch (e2) {
      if (isQuotaError(e2)) throw e2 instanceof StorageFullError ? e2 : new StorageFullError(what, { cause: e2 });
      throw e2;
    }
  }
}

/** Puts and deletes in one transaction: all of it lands, or none (setMany plus deletes; aborts if any put throws, e.g. DataCloneError). */
export async function writeEntries(db: DbKey, what: string, puts: [Key, unknown][], dels: Key[] = []): Promise<void> {
  if (puts.length === 0 && dels.length === 0) return;
  await inTx(db, 'readwrite', what, (os) => {
    for (const [k, v] of puts) os.put(v, k);
    for (const k of dels) os.delete(k);
  });
}

/** Promise of one IDB request (re-exported from idb-keyval for bodies of inTx). */
export const req = promisifyRequest;

/** Key range of every array key starting with `prefix` (e.g. ['pair'] → all ['pair', id]). */
export function prefixRange(prefix: (string | number)[]): IDBKeyRange {
  // An array key sorts after every shorter array it extends, and [] sorts after every string and number.
  return IDBKeyRange.bound(prefix, [...prefix, []]);
}

/** Keys under a prefix, in key order. */
export async function keysWithPrefix(db: DbKey, prefix: (string | number)[]): Promise<Key[]> {
  return inTx(db, 'readonly', 'the keys', (os) => req(os.getAllKeys(prefixRange(prefix))));
}

/** Values under a prefix, in key order. */
export async function valuesWithPrefix<T>(db: DbKey, prefix: (string | number)[]): Promise<T[]> {
  return inTx(db, 'readonly', 'the values', (os) => req(os.getAll(prefixRange(prefix))) as Promise<T[]>);
}

/** [key, value] of every entry under a prefix, in key order. */
export async function entriesWithPrefix<T>(db: DbKey, prefix: (string | number)[], profile: string = activeProfile): Promise<[Key, T][]> {
  return inTx(
    db,
    'readonly',
    'the values',
    async (os) => {
      const range = prefixRange(prefix);
      const [ks, vs] = await Promise.all([req(os.getAllKeys(range)), req(os.getAll(range))]);
      return ks.map((k, i) => [k, vs[i] as T] as [Key, T]);
    },
    profile,
  );
}

const skippedNotes = new Set<string>();

/**
 * Reports (once per record and problem, on the console) a stored record a reader skipped because it is malformed, e.g.
 * `{}` left by an altered backup. Readers skip such records instead of throwing, so one bad record cannot stop the
 * studio from listing or loading everything else; nothing is deleted.
 */
export function noteSkippedRecord(db: DbKey, key: Key, problem: string): void {
  const note = `${db} ${JSON.stringify(key)}: ${problem}`;
  if (skippedNotes.has(note)) return;
  skippedNotes.add(note);
  console.warn(`Skipped a damaged record in the ${db} database (${note}); everything else loads as usual. Restoring a good backup replaces it.`);
}

/** Every [key, value] of a database, in key order (backups). */
export async function allEntries(db: DbKey): Promise<[Key, unknown][]> {
  return inTx(db, 'readonly', 'the values', async (os) => {
    const [ks, vs] = await Promise.all([req(os.getAllKeys()), req(os.getAll())]);
    return ks.map((k, i) => [k, vs[i]] as [Key, unknown]);
  });
}

/** Values of exact keys (undefined where absent). */
export async function getValues<T>(db: DbKey, ks: Key[], profile: string = activeProfile): Promise<(T | undefined)[]> {
  if (ks.length === 0) return [];
  return inTx(db, 'readonly', 'the values', (os) => Promise.all(ks.map((k) => req(os.get(k)) as Promise<T | undefined>)), profile);
}

/** Empties one database (tests, and a future "delete everything" action after an export). */
export async function clearDb(db: DbKey): Promise<void> {
  await inTx(db, 'readwrite', 'the cleared store', (os) => {
    os.clear();
  });
}

/** A typed array as a standalone copy when it is a view into a larger buffer (IndexedDB would store the whole buffer). */
export function tight<T extends Uint8Array | Float32Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

/** Approximate stored bytes of a string (UTF-16 in most engines' IndexedDB). */
export function stringBytes(s: string | null | undefined): number {
  return s ? s.length * 2 : 0;
}
