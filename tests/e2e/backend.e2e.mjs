// Browser test: without ?backend the worker picks its backend by measurement. Chromium here exposes only software GPU paths (SwiftShader for WebGPU and WebGL), which are never timed, so wasm wins at once and the first pair shows in seconds; the choice is remembered (a reload says so), and ?backend still forces one.
import { assert, openStudio, test, WAIT_MS, waitForPhase } from './harness.mjs';

const opts = { timeout: WAIT_MS, polling: 100 };

test('backend: chosen by measurement (software adapters skipped, wasm timed), remembered across a reload', async (ctx) => {
  const t0 = Date.now();
  const s = await openStudio(ctx, '/?model=tiny-test');
  const { page } = s;
  await page.waitForSelector('[data-testid=backend-name]', { timeout: 60_000 });
  assert.equal(await page.textContent('[data-testid=backend-name]'), 'wasm');
  assert.equal(await page.getAttribute('[data-testid=backend-timings]', 'data-selection'), 'measured');
  const timings = await page.$$eval('[data-testid=backend-timing]', (lis) => lis.map((li) => ({ name: li.dataset.name, score: li.dataset.score, text: li.textContent })));
  const by = new Map(timings.map((t) => [t.name, t]));
  assert.match(by.get('webgpu').text, /software adapter/, `WebGPU on SwiftShader is skipped: ${by.get('webgpu').text}`);
  assert.equal(by.get('webgpu').score, '');
  assert.ok(Number(by.get('wasm').score) > 0, `wasm was timed: ${by.get('wasm').text}`);
  for (const t of timings) if (t.name !== 'wasm') assert.ok(t.score === '' || Number(t.score) > Number(by.get('wasm').score), `wasm has the lowest score: ${JSON.stringify(timings)}`);
  await waitForPhase(page, 'ready');
  await page.waitForFunction(() => document.querySelector('[data-testid=pair-panel]')?.dataset.shown === 'true' || document.querySelector('[data-testid=labeling-error], [data-testid=fatal]'), null, opts);
  assert.equal(await page.$('[data-testid=labeling-error], [data-testid=fatal]'), null);
  ctx.log(`first pair on ${timings.map((t) => `${t.name}: ${t.text}`).join(' | ')} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  await page.reload();
  await page.waitForSelector('[data-testid=backend-timings]', { timeout: 60_000 });
  assert.equal(await page.getAttribute('[data-testid=backend-timings]', 'data-selection'), 'cached', 'the choice is remembered for this device');
  assert.equal(await page.textContent('[data-testid=backend-name]'), 'wasm');
  await waitForPhase(page, 'ready');
});
