// Tiny browser-test harness for tests/e2e/*.e2e.mjs: a test registry, page helpers that record requests, navigations and console output, and pixel assertions (on 2D canvases: WebGPU canvases screenshot black in headless Chromium).
import assert from 'node:assert/strict';

/** @typedef {{ name: string, fn: (ctx: TestContext) => Promise<void> }} TestCase */
/** @typedef {{ context: import('playwright-core').BrowserContext, baseURL: string, root: string, log: (msg: string) => void, diagnostics: string[] }} TestContext */

/** @type {TestCase[]} */
export const registry = [];

/** Registers a browser test; tests run one at a time, each in a fresh browser context. */
export function test(name, fn) {
  registry.push({ name, fn });
}

export { assert };

/** Long enough for the slowest real step (emoji-sd on 2 busy cores, or SwiftShader); a hang guard, not a speed assertion. */
export const WAIT_MS = 170_000;

/**
 * Opens the studio at `query` (e.g. '/?backend=wasm') and records everything the tests assert on:
 * requests (page + its workers), websockets, main-frame navigations, console messages of the page and its workers.
 */
export async function openStudio(ctx, query, baseURL = ctx.baseURL) {
  const page = await ctx.context.newPage();
  const requests = [];
  const websockets = [];
  const consoleLines = [];
  const navigations = []; // main-frame navigations; more than one means the dev server reloaded the page
  page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
  page.on('request', (r) => requests.push(r.url()));
  // What run.mjs prints when a test fails: the page's and its workers' console, failed and non-2xx requests.
  const diagnostics = ctx.diagnostics ?? [];
  const pending = new Set();
  diagnostics.pending = pending; // requests still without a response when a test fails (a hung dev server shows here)
  page.on('request', (r) => pending.add(r));
  page.on('requestfinished', (r) => pending.delete(r));
  page.on('requestfailed', (r) => {
    pending.delete(r);
    diagnostics.push(`[request failed] ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => r.status() >= 400 && diagnostics.push(`[HTTP ${r.status()}] ${r.url()}`));
  page.on('console', (m) => diagnostics.push(`[page ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => diagnostics.push(`[page error] ${e.message}`));
  page.on('worker', (w) => {
    diagnostics.push(`[worker started] ${w.url()}`);
    w.on('console', (m) => diagnostics.push(`[worker ${m.type()}] ${m.text()}`));
    w.on('close', () => diagnostics.push(`[worker closed] ${w.url()}`));
  });
  page.on('websocket', (ws) => websockets.push(ws.url()));
  page.on('console', (m) => consoleLines.push(`[page ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[page error] ${e.message}`));
  page.on('worker', (w) => w.on('console', (m) => consoleLines.push(`[worker ${m.type()}] ${m.text()}`)));
  const documentResponse = await page.goto(new URL(query, baseURL).href);
  assert.ok(documentResponse, `no response for ${query}`);
  return { page, documentResponse, requests, websockets, consoleLines, navigations };
}

/** Train view → Advanced drawer → "Train N steps now" (the manual control; the drawer opens first). */
export async function trainByHand(page, steps) {
  if (!(await page.$eval('[data-testid=advanced]', (el) => el.open))) await page.click('[data-testid=advanced] > summary');
  await page.fill('[data-testid=cfg-steps]', String(steps));
  await page.click('[data-testid=train-button]');
}

/** Waits until the page reports `phase` (main[data-phase]); fails early with the page's error if loading failed. */
export async function waitForPhase(page, phase) {
  await page.waitForFunction(
    (want) => {
      const p = document.querySelector('main')?.dataset.phase;
      return p === want || p === 'failed' || document.querySelector('[data-testid=fatal]') != null;
    },
    phase,
    { timeout: WAIT_MS, polling: 250 },
  );
  const actual = await page.evaluate(() => document.querySelector('main')?.dataset.phase);
  if (actual !== phase) {
    const message = await page.evaluate(() => document.querySelector('[role=alert]')?.textContent ?? '');
    throw new Error(`page reached phase '${actual}' instead of '${phase}': ${message}`);
  }
}

/** Types a prompt, sets count/seed/steps, clicks Generate and waits for `count` images and the idle state. */
export async function generate(page, { prompt, count, seed, steps }) {
  await openTab(page, 'generate');
  await page.fill('[data-testid=prompt]', prompt);
  await page.fill('[data-testid=count]', String(count));
  await page.fill('[data-testid=seed]', String(seed));
  if (steps != null) await page.fill('[data-testid=steps]', String(steps));
  await page.click('[data-testid=generate]');
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid=generated-image]').length === n || document.querySelector('[data-testid=error]') != null,
    count,
    { timeout: WAIT_MS, polling: 250 },
  );
  const error = await page.evaluate(() => document.querySelector('[data-testid=error]')?.textContent ?? null);
  assert.equal(error, null, `generation failed: ${error}`);
  await waitForPhase(page, 'ready');
}

/** Switches the studio to a screen (label, train, compare, generate, data) by its tab. */
export async function openTab(page, view) {
  await page.click(`[data-testid=tab-${view}]`);
  await page.waitForSelector(`[data-testid=${view}-view]`, { timeout: 10_000 });
}

/** Every record of one idb-keyval database of the studio (store 'kv'), read in the page. */
export function readIdb(page, dbName) {
  return page.evaluate(
    (name) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('kv')) return resolve([]);
          const get = db.transaction('kv').objectStore('kv').getAll();
          get.onsuccess = () => {
            resolve(get.result);
            db.close();
          };
          get.onerror = () => reject(get.error);
        };
      }),
    dbName,
  );
}

/** Reads canvases matching `selector` back through their 2D contexts (same shape as readCanvases). */
export function readCanvasesOf(page, selector) {
  return page.evaluate(
    (sel) =>
      [...document.querySelectorAll(sel)].map((c) => {
        const canvas = /** @type {HTMLCanvasElement} */ (c);
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        return { width: canvas.width, height: canvas.height, rgba: Array.from(data) };
      }),
    selector,
  );
}

/** The safetensors header of a file: { header (JSON object), headerBytes }. Parsed by hand (8-byte little-endian length + JSON). */
export function safetensorsHeader(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  assert.ok(n > 0 && 8 + n <= bytes.length, `bad safetensors header length ${n} for a ${bytes.length}-byte file`);
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), headerBytes: n };
}

/** Reads every generated canvas back through its 2D context: [{ width, height, rgba: number[] }]. */
export function readCanvases(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('canvas[data-testid=generated-image]')].map((c) => {
      const canvas = /** @type {HTMLCanvasElement} */ (c);
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      return { width: canvas.width, height: canvas.height, rgba: Array.from(data) };
    }),
  );
}

/** Per-image pixel statistics used by the assertions. */
export function pixelStats(rgba) {
  let min = 255;
  let max = 0;
  let sum = 0;
  let opaque = true;
  const distinct = new Set();
  for (let p = 0; p < rgba.length; p += 4) {
    const [r, g, b, a] = [rgba[p], rgba[p + 1], rgba[p + 2], rgba[p + 3]];
    if (a !== 255) opaque = false;
    min = Math.min(min, r, g, b);
    max = Math.max(max, r, g, b);
    sum += r + g + b;
    distinct.add((r << 16) | (g << 8) | b);
  }
  return { min, max, mean: sum / ((rgba.length / 4) * 3), distinctColors: distinct.size, opaque };
}

/** Asserts that images are real decoded pictures: right size, opaque, not blank or flat, and not all the same. */
export function assertRealImages(images, { count, size }) {
  assert.equal(images.length, count, `expected ${count} images`);
  for (const [i, img] of images.entries()) {
    assert.equal(img.width, size, `image ${i} width`);
    assert.equal(img.height, size, `image ${i} height`);
    const s = pixelStats(img.rgba);
    assert.ok(s.opaque, `image ${i} has transparent pixels: the canvas was not drawn from model RGBA`);
    assert.ok(s.max > 0, `image ${i} is all black`);
    assert.ok(s.distinctColors > 8, `image ${i} is (nearly) flat: ${s.distinctColors} distinct colours`);
  }
  for (let i = 1; i < images.length; i++) {
    assert.notDeepEqual(images[i].rgba, images[0].rgba, `image ${i} is identical to image 0 (every row gets its own noise)`);
  }
}

/** Console lines where the browser refused something because of the Content-Security-Policy. */
export function cspViolations(consoleLines) {
  return consoleLines.filter((l) => /Content Security Policy|Refused to/i.test(l));
}
