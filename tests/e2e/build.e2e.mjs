// Browser test: the production build (vite build + vite preview) keeps isolation and the strict CSP (no dev nonce), runs threaded wasm, generation is reproducible per seed, and the app works offline once loaded (server stopped, page reloaded).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, preview } from 'vite';
import { freePort } from './ports.mjs';
import { assert, assertRealImages, cspViolations, generate, openStudio, readCanvases, test, waitForPhase } from './harness.mjs';

test('build: production bundle under vite preview, threaded wasm, same seed gives the same image', async (ctx) => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'd3po-e2e-dist-'));
  const configFile = path.join(ctx.root, 'vite.config.ts');
  let server;
  try {
    // pluginTimings off: on a busy CI machine rolldown would print a (harmless) slow-plugin report.
    // The runner's dev server set NODE_ENV=development in this process; a production build must not bundle React's dev build.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ root: ctx.root, configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true, rolldownOptions: { checks: { pluginTimings: false } } } });
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    }
    const port = await freePort();
    server = await preview({ root: ctx.root, configFile, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
    const s = await openStudio(ctx, '/?backend=wasm&model=tiny-test&view=generate', `http://127.0.0.1:${port}`);

    const headers = await s.documentResponse.allHeaders();
    assert.equal(headers['cross-origin-embedder-policy'], 'require-corp');
    assert.equal(headers['cross-origin-opener-policy'], 'same-origin');
    assert.doesNotMatch(headers['content-security-policy'], /nonce-|unsafe-inline/, 'the production CSP needs no nonce or unsafe-inline');

    await waitForPhase(s.page, 'ready');
    assert.equal(await s.page.textContent('[data-testid=backend-name]'), 'wasm');
    // The minified worker must still start the pthread workers (see worker.rolldownOptions in vite.config.ts).
    assert.equal(await s.page.$eval('[data-testid=wasm-info]', (el) => el.dataset.binary), 'tfjs-backend-wasm-threaded-simd.wasm');

    await generate(s.page, { prompt: 'grinning face', count: 1, seed: 11 });
    const first = await readCanvases(s.page);
    assertRealImages(first, { count: 1, size: 32 });
    await generate(s.page, { prompt: 'grinning face', count: 1, seed: 11 });
    assert.deepEqual(await readCanvases(s.page), first, 'the same prompt and seed must give the same pixels');

    // Offline once loaded: the service worker controls the page; stop the server (a real network failure), reload, generate again.
    assert.ok(await s.page.evaluate(() => navigator.serviceWorker.controller != null), 'the offline service worker must control the page');
    await server.close();
    server = undefined;
    await s.page.reload();
    await waitForPhase(s.page, 'ready');
    assert.equal(await s.page.textContent('[data-testid=backend-name]'), 'wasm');
    await generate(s.page, { prompt: 'grinning face', count: 1, seed: 11 });
    assert.deepEqual(await readCanvases(s.page), first, 'offline, the cached app must give the same pixels');
    assert.ok(await s.page.evaluate(() => crossOriginIsolated), 'cached responses keep COOP/COEP');

    assert.deepEqual(cspViolations(s.consoleLines), [], 'the CSP refused something in the production build');
    ctx.log(`preview on :${port}; CSP: ${headers['content-security-policy']}`);
  } finally {
    await server?.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
});
