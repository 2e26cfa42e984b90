/** Makes the built app work offline after one visit: registers public/sw.js, waits until it controls the page (so the worker's model and wasm requests are cached), and re-requests what the page itself loaded before that. */

export const OFFLINE_CACHE = 'd3po-studio-offline-v1';

/** Resolves when the page is controlled by the service worker (or at once when service workers are unavailable). */
export async function enableOffline(): Promise<void> {
  const sw = globalThis.navigator?.serviceWorker;
  if (!sw) return;
  try {
    // Under the app's base path (Vite's BASE_URL), so a deploy below the site root works offline too.
    const base = import.meta.env.BASE_URL;
    await sw.register(`${base}sw.js`, { scope: base });
    if (!sw.controller) await new Promise<void>((resolve) => sw.addEventListener('controllerchange', () => resolve(), { once: true }));
    // Resources fetched before the worker took control (the document and its bundles) are fetched once more through it.
    const urls = new Set([location.href, ...performance.getEntriesByType('resource').map((e) => e.name)]);
    await Promise.all([...urls].filter((u) => new URL(u).origin === location.origin).map((u) => fetch(u).catch(() => undefined)));
  } catch (e) {
    console.warn(`Offline support is off: the service worker could not be registered (${e instanceof Error ? e.message : String(e)}). The studio works online as usual.`);
  }
}
