// Browser test: ?backend=wasm runs the threaded SIMD wasm build in the worker, the shipped emoji-sd model generates 2 real images, and Cancel stops a run.
import { assert, assertRealImages, generate, openStudio, readCanvases, test, WAIT_MS, waitForPhase } from './harness.mjs';

test('wasm: threaded SIMD backend, emoji-sd generates 2 images (20 steps)', async (ctx) => {
  const s = await openStudio(ctx, '/?backend=wasm&view=generate');
  await s.page.waitForSelector('[data-testid=backend-name]', { timeout: 60_000 });
  assert.equal(await s.page.textContent('[data-testid=backend-name]'), 'wasm');

  // Cross-origin isolated => SharedArrayBuffer => the threaded SIMD binary, fetched from this server.
  assert.equal(await s.page.evaluate(() => globalThis.crossOriginIsolated), true, 'page is not cross-origin isolated (COOP/COEP missing)');
  const wasm = await s.page.$eval('[data-testid=wasm-info]', (el) => ({ binary: el.dataset.binary, threads: Number(el.dataset.threads) }));
  assert.equal(wasm.binary, 'tfjs-backend-wasm-threaded-simd.wasm');
  const cores = await s.page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(wasm.threads, cores, 'XNNPACK thread pool should use navigator.hardwareConcurrency threads');
  await waitForPhase(s.page, 'ready');
  const wasmFetches = s.requests.filter((u) => /\.wasm(\?|$)/.test(u));
  assert.ok(wasmFetches.some((u) => u.includes('tfjs-backend-wasm-threaded-simd')), `threaded-simd .wasm not fetched: ${wasmFetches.join(', ')}`);
  assert.equal(await s.page.textContent('[data-testid=model-name]'), 'emoji-sd-mini');

  await generate(s.page, { prompt: 'red heart', count: 2, seed: 7, steps: 20 });
  const images = await readCanvases(s.page);
  assertRealImages(images, { count: 2, size: 32 });

  // Cancel: a long run stops cooperatively between DDIM steps; the page goes back to idle and keeps the last images.
  await s.page.fill('[data-testid=steps]', '200');
  await s.page.click('[data-testid=generate]');
  await s.page.waitForFunction(() => Number(document.querySelector('[data-testid=generate-progress] progress')?.getAttribute('value')) >= 1, null, { timeout: WAIT_MS, polling: 100 });
  await s.page.click('[data-testid=cancel]');
  await waitForPhase(s.page, 'ready');
  assert.equal(await s.page.$('[data-testid=error]'), null, 'cancelling must not show an error');
  assert.deepEqual(await readCanvases(s.page), images, 'a cancelled run must not replace the previous images');
  ctx.log(`wasm threads=${wasm.threads}; ${await s.page.textContent('.gallery-caption')}`);
});
