// Offline support (studio issue): a network-first service worker for same-origin GETs. Every successful response is
// cached (headers included, so COOP/COEP survive and wasm threads still work offline); the cache answers only when the
// network fails. Registered by src/offline.ts in production builds.
const CACHE = 'd3po-studio-offline-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      try {
        const response = await fetch(request);
        if (response.ok && response.type === 'basic') {
          const cache = await caches.open(CACHE);
          await cache.put(request, response.clone());
        }
        return response;
      } catch (error) {
        // Match by URL, ignoring Vary: the document was cached from a fetch() while the reload is a navigation request.
        const hit = (await caches.match(request.url, { ignoreVary: true })) ?? (request.mode === 'navigate' ? await caches.match('/', { ignoreSearch: true, ignoreVary: true }) : undefined);
        if (hit) return hit;
        throw error;
      }
    })(),
  );
});
