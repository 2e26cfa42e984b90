// Offline support (studio issue): a network-first service worker for the GETs under its scope (the app's base URL,
// so a build with Vite's `base` works from a sub-path). Every successful response is cached (headers included, so
// COOP/COEP survive and wasm threads still work offline); the cache answers only when the network fails. A network
// response is always what the page gets when there is one: a refused cache.put (a full quota) frees room in the cache
// and is otherwise ignored. The cache is pruned: entries not fetched for MAX_AGE_MS (their Date header) and the
// least recently stored ones past MAX_ENTRIES go, and caches of older versions of this worker are deleted.
// Registered by src/offline.ts in production builds. Service Worker spec: https://w3c.github.io/ServiceWorker/
const CACHE_PREFIX = 'd3po-studio-offline-';
const CACHE = `${CACHE_PREFIX}v1`;
/** One build is ~20 files (page, bundles, worker, wasm binaries, models); this keeps a few deploys' worth. */
const MAX_ENTRIES = 64;
/** Entries not re-fetched for this long are dropped (network-first re-stores every file the app still loads). */
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** The scope URL (the app's base, ending in '/'). */
const scope = () => self.registration.scope;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(Promise.all([self.clients.claim(), dropOldCaches(), pruneByAge()])));

/** Deletes this worker's caches from older versions (other apps' caches on the origin are left alone). */
async function dropOldCaches() {
  for (const name of await caches.keys()) if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
}

/** Drops the entries past MAX_ENTRIES, least recently stored first (Cache.keys() is in insertion order, and put() re-appends). */
async function pruneByCount(cache, keep = MAX_ENTRIES) {
  const keys = await cache.keys();
  for (const request of keys.slice(0, Math.max(0, keys.length - keep))) await cache.delete(request);
}

/** Drops entries whose response is older than MAX_AGE_MS by its Date header (entries without one stay). */
async function pruneByAge() {
  const cache = await caches.open(CACHE);
  const now = Date.now();
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    const date = Date.parse(response?.headers.get('date') ?? '');
    if (Number.isFinite(date) && now - date > MAX_AGE_MS) await cache.delete(request);
  }
}

/** Caches a response; never throws. When the put is refused (quota), half of the older entries make room for next time. */
async function store(request, response) {
  let cache;
  try {
    cache = await caches.open(CACHE);
    await cache.put(request, response);
    await pruneByCount(cache);
  } catch {
    try {
      if (cache) await pruneByCount(cache, Math.floor((await cache.keys()).length / 2));
    } catch {
      // nothing more to do: the page already has its network response
    }
  }
}

/** The cached answer for a request, or undefined. */
async function cached(request) {
  // Match by URL, ignoring Vary: the document was cached from a fetch() while the reload is a navigation request.
  const hit = await caches.match(request.url, { ignoreVary: true });
  if (hit || request.mode !== 'navigate') return hit;
  // A navigation to a URL never cached (other query string): the app's page at the scope URL.
  return (await caches.match(scope(), { ignoreSearch: true, ignoreVary: true })) ?? (await caches.match(`${scope()}index.html`, { ignoreSearch: true, ignoreVary: true }));
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || !request.url.startsWith(scope())) return;
  event.respondWith(
    (async () => {
      let response;
      try {
        response = await fetch(request);
      } catch (error) {
        const hit = await cached(request);
        if (hit) return hit;
        throw error;
      }
      // Stored before the page gets the response, so whatever the page has loaded is also there offline.
      if (response.ok && response.type === 'basic') await store(request, response.clone());
      if (request.mode === 'navigate') event.waitUntil(pruneByAge());
      return response;
    })(),
  );
});
