// `npm run test:e2e`: starts the Vite dev server on a free port, launches Debian Chromium (SwiftShader WebGPU) via playwright-core, runs tests/e2e/*.e2e.mjs one at a time, prints "N passed, N failed" last (playwright-core drives the system Chromium; no browser download).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { registry, WAIT_MS } from './harness.mjs';
import { freePort } from './ports.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const filter = process.argv[2]; // optional substring of a test name

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Requests the page, its entry and the worker module once before any test: the first transform waits for Vite's
 * dependency optimizer, so a slow or hung optimizer shows up here with its own timing instead of as a test timeout.
 */
async function warmUp(baseURL) {
  const t0 = Date.now();
  for (const url of ['/', '/src/main.tsx', '/src/worker/studio.worker.ts']) {
    try {
      const r = await fetch(baseURL + url, { signal: AbortSignal.timeout(WAIT_MS) });
      await r.arrayBuffer();
      if (!r.ok) console.log(`dev server warm-up: HTTP ${r.status} for ${url}`);
    } catch (e) {
      console.log(`dev server warm-up: no answer for ${url} after ${seconds(Date.now() - t0)} (${e?.message ?? e}); Vite's dependency optimizer may be stuck`);
      return;
    }
  }
  console.log(`dev server warm-up ${seconds(Date.now() - t0)}`);
}

async function main() {
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`Chromium not found at ${CHROMIUM}; install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH.`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  const files = fs.readdirSync(here).filter((f) => f.endsWith('.e2e.mjs')).sort();
  for (const f of files) await import(pathToFileURL(path.join(here, f)).href);
  const tests = registry.filter((t) => !filter || t.name.includes(filter));

  const t0 = Date.now();
  const port = await freePort();
  const server = await createServer({
    root,
    configFile: path.join(root, 'vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    server: { host: '127.0.0.1', port, strictPort: true, open: false, hmr: { overlay: false } },
  });
  await server.listen();
  const baseURL = `http://127.0.0.1:${port}`;
  await warmUp(baseURL);
  // Playwright gives launch() a fresh temporary profile (--user-data-dir) and deletes it on close.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  console.log(`e2e: ${tests.length} test(s) on ${baseURL} with ${CHROMIUM} ${browser.version()} (setup ${seconds(Date.now() - t0)})`);

  let passed = 0;
  let failed = 0;
  try {
    for (const t of tests) {
      const context = await browser.newContext();
      const started = Date.now();
      const lines = [];
      const diagnostics = [];
      try {
        await t.fn({ context, baseURL, root, log: (m) => lines.push(m), diagnostics });
        passed++;
        console.log(`✓ ${t.name} (${seconds(Date.now() - started)})`);
        for (const l of lines) console.log(`    ${l}`);
      } catch (e) {
        failed++;
        console.log(`✗ ${t.name} (${seconds(Date.now() - started)})`);
        for (const l of lines) console.log(`    ${l}`);
        console.log(`    ${(e?.stack ?? String(e)).split('\n').join('\n    ')}`);
        const page = await context.pages()[0]?.evaluate(() => `phase ${document.querySelector('main')?.dataset.phase}; ${document.body.innerText.slice(0, 300)}`).catch(() => null);
        if (page) console.log(`    page state: ${page.replace(/\s+/g, ' ')}`);
        console.log(`    last ${Math.min(40, diagnostics.length)} of ${diagnostics.length} console/network lines:`);
        for (const l of diagnostics.slice(-40)) console.log(`      ${l.slice(0, 300)}`);
        for (const r of diagnostics.pending ?? []) console.log(`    no response yet: ${r.method()} ${r.url().slice(0, 200)}`);
      } finally {
        await context.close().catch(() => {});
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await server.close().catch(() => {});
  }
  console.log(`e2e total ${seconds(Date.now() - t0)}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e?.stack ?? String(e));
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
