// Tests for public/sw.js, run in a Node vm with an in-memory Cache Storage (insertion-ordered, put re-appends, as the
// Service Worker spec's Batch Cache Operations do) and a scripted network: a refused cache.put never replaces a good
// network response with a stale one, only requests under the registration scope (Vite's BASE_URL) are handled and an
// offline navigation falls back to the scope's page, and the cache is pruned by count, by age and by version.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

const SOURCE = fs.readFileSync(path.join(__dirname, '../../public/sw.js'), 'utf8');

class FakeCache {
  entries: [string, Response][] = [];
  refusePuts = false;
  private static url(r: Request | string): string {
    return typeof r === 'string' ? r : r.url;
  }
  private static same(a: string, b: string, ignoreSearch?: boolean): boolean {
    if (!ignoreSearch) return a === b;
    const [x, y] = [new URL(a), new URL(b)];
    return x.origin + x.pathname === y.origin + y.pathname;
  }
  async put(r: Request | string, response: Response): Promise<void> {
    const body = await response.arrayBuffer(); // a real put reads the body first
    if (this.refusePuts) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const url = FakeCache.url(r);
    this.entries = this.entries.filter(([u]) => u !== url);
    this.entries.push([url, new Response(body, { status: response.status, headers: response.headers })]);
  }
  async match(r: Request | string, opts: { ignoreSearch?: boolean } = {}): Promise<Response | undefined> {
    const url = FakeCache.url(r);
    return this.entries.find(([u]) => FakeCache.same(u, url, opts.ignoreSearch))?.[1].clone(); // a fresh response per match
  }
  async keys(): Promise<Request[]> {
    return this.entries.map(([u]) => new Request(u));
  }
  async delete(r: Request | string): Promise<boolean> {
    const n = this.entries.length;
    this.entries = this.entries.filter(([u]) => u !== FakeCache.url(r));
    return this.entries.length < n;
  }
}

/** Body text of a stored response, without consuming it. */
const text = (r: Response | undefined) => r?.clone().text();

/** Loads sw.js with `scope`, an in-memory Cache Storage and `network` (which may throw for "offline"). */
function loadWorker(scope: string, network: (url: string) => Response) {
  const stores = new Map<string, FakeCache>();
  const caches = {
    open: async (name: string) => stores.get(name) ?? (stores.set(name, new FakeCache()), stores.get(name)!),
    keys: async () => [...stores.keys()],
    delete: async (name: string) => stores.delete(name),
    match: async (r: Request | string, opts?: { ignoreSearch?: boolean }) => {
      for (const c of stores.values()) {
        const hit = await c.match(r, opts);
        if (hit) return hit;
      }
      return undefined;
    },
  };
  const listeners = new Map<string, (e: unknown) => void>();
  const self = {
    registration: { scope },
    location: new URL('sw.js', scope),
    clients: { claim: async () => undefined },
    skipWaiting: () => undefined,
    addEventListener: (type: string, fn: (e: unknown) => void) => listeners.set(type, fn),
  };
  const fetchCalls: string[] = [];
  const fetch = async (r: Request) => {
    fetchCalls.push(r.url);
    const response = network(r.url);
    Object.defineProperty(response, 'type', { value: 'basic' }); // a same-origin response
    return response;
  };
  vm.runInNewContext(SOURCE, { self, caches, fetch, URL, Request, Response, Date, Math, Number, Promise, DOMException, console });

  /** Dispatches a fetch event; resolves to the response the page gets, or 'not handled'. */
  const request = async (url: string, mode: RequestMode | 'navigate' = 'cors'): Promise<Response | 'not handled'> => {
    let answer: Promise<Response> | undefined;
    const pending: Promise<unknown>[] = [];
    const req = new Request(url);
    Object.defineProperty(req, 'mode', { value: mode });
    listeners.get('fetch')!({ request: req, respondWith: (p: Promise<Response>) => (answer = p), waitUntil: (p: Promise<unknown>) => pending.push(p) });
    if (!answer) return 'not handled';
    const response = await answer;
    await Promise.all(pending);
    return response;
  };
  const activate = async () => {
    const pending: Promise<unknown>[] = [];
    listeners.get('activate')!({ waitUntil: (p: Promise<unknown>) => pending.push(p) });
    await Promise.all(pending);
  };
  const cache = async () => (await caches.open('d3po-studio-offline-v1')) as FakeCache;
  return { request, activate, cache, caches, stores, fetchCalls };
}

const ok = (body: string, headers: Record<string, string> = {}) => new Response(body, { status: 200, headers });

describe('public/sw.js', () => {
  it('a refused cache.put (full quota) still hands the page the fresh network response, not the stale cached one', async () => {
    let version = 'old';
    const sw = loadWorker('https://studio.test/app/', () => ok(`bundle ${version}`));
    expect(await text((await sw.request('https://studio.test/app/assets/index.js')) as Response)).toBe('bundle old');
    const cache = await sw.cache();
    expect(await text(await cache.match('https://studio.test/app/assets/index.js'))).toBe('bundle old');
    version = 'new';
    cache.refusePuts = true;
    const got = await sw.request('https://studio.test/app/assets/index.js');
    expect(await (got as Response).text()).toBe('bundle new');
  });

  it('handles only requests under its scope (Vite BASE_URL); offline, a navigation falls back to the scope page, not the origin root', async () => {
    let online = true;
    const sw = loadWorker('https://studio.test/app/', (url) => {
      if (!online) throw new TypeError('Failed to fetch');
      return ok(`page ${new URL(url).pathname}`);
    });
    expect(await sw.request('https://studio.test/other/thing.js')).toBe('not handled');
    expect(await sw.request('https://studio.test/')).toBe('not handled');
    await sw.request('https://studio.test/app/', 'navigate');
    await sw.request('https://studio.test/app/models/tiny-test/model.safetensors');
    online = false;
    const page = await sw.request('https://studio.test/app/?model=tiny-test&view=generate', 'navigate');
    expect(await (page as Response).text()).toBe('page /app/');
    expect(await ((await sw.request('https://studio.test/app/models/tiny-test/model.safetensors')) as Response).text()).toBe('page /app/models/tiny-test/model.safetensors');
    await expect(sw.request('https://studio.test/app/never-seen.js')).rejects.toThrow(/Failed to fetch/);
    expect(sw.fetchCalls.some((u) => u.startsWith('https://studio.test/other'))).toBe(false);
  });

  it('keeps at most 64 entries, dropping the least recently stored; a re-fetched file counts as recent', async () => {
    const sw = loadWorker('https://studio.test/', (url) => ok(url));
    await sw.request('https://studio.test/keep.js');
    for (let i = 0; i < 100; i++) {
      await sw.request(`https://studio.test/assets/chunk-${i}.js`);
      if (i % 10 === 0) await sw.request('https://studio.test/keep.js'); // still in use
    }
    const urls = (await sw.cache()).entries.map(([u]) => u);
    expect(urls).toHaveLength(64);
    expect(urls).toContain('https://studio.test/keep.js');
    expect(urls).toContain('https://studio.test/assets/chunk-99.js');
    expect(urls).not.toContain('https://studio.test/assets/chunk-0.js');
    expect(urls.filter((u) => u.includes('chunk-')).map((u) => Number(/chunk-(\d+)/.exec(u)![1]))).toEqual(Array.from({ length: 63 }, (_, i) => 37 + i));
  });

  it('a refused put also frees room: half of the older entries go', async () => {
    const sw = loadWorker('https://studio.test/', (url) => ok(url));
    for (let i = 0; i < 40; i++) await sw.request(`https://studio.test/f${i}`);
    const cache = await sw.cache();
    cache.refusePuts = true;
    await sw.request('https://studio.test/big.bin');
    expect(cache.entries.map(([u]) => u)).toEqual(Array.from({ length: 20 }, (_, i) => `https://studio.test/f${20 + i}`));
  });

  it('on activation and after a navigation, drops entries not fetched for 30 days and the caches of older versions', async () => {
    const day = 24 * 3600 * 1000;
    const sw = loadWorker('https://studio.test/', (url) => ok(url, { date: new Date(url.includes('stale') ? Date.now() - 31 * day : Date.now() - day).toUTCString() }));
    await sw.request('https://studio.test/assets/stale-abc.js');
    await sw.request('https://studio.test/assets/fresh-def.js');
    const other = await sw.caches.open('someone-else');
    const older = await sw.caches.open('d3po-studio-offline-v0');
    expect([other, older].every((c) => c instanceof FakeCache)).toBe(true);
    await sw.activate();
    expect((await sw.cache()).entries.map(([u]) => u)).toEqual(['https://studio.test/assets/fresh-def.js']);
    expect([...sw.stores.keys()].sort()).toEqual(['d3po-studio-offline-v1', 'someone-else']);
    await sw.request('https://studio.test/assets/stale-xyz.js');
    await sw.request('https://studio.test/', 'navigate');
    expect((await sw.cache()).entries.map(([u]) => u)).toEqual(['https://studio.test/assets/fresh-def.js', 'https://studio.test/']);
  });
});
