// Browser test (opt-in: E2E_WEBGPU_TRAIN=1): the studio trains on WebGPU too (SwiftShader adapter in the worker): one labeled pair, one D3PO step, the chart shows it, no device loss. SwiftShader needs ~1–3 min for this on 2 busy cores, so the default suite leaves it out (heavy paths run on wasm; SwiftShader WebGPU is for correctness only).
import { assert, openStudio, openTab, test, trainByHand, WAIT_MS, waitForPhase } from './harness.mjs';

const opts = { timeout: WAIT_MS, polling: 100 };

if (process.env.E2E_WEBGPU_TRAIN) test('studio-webgpu: label a pair and train 1 D3PO step on WebGPU (tiny-test)', async (ctx) => {
  const t0 = Date.now();
  const s = await openStudio(ctx, '/?backend=webgpu&model=tiny-test');
  const { page } = s;
  await waitForPhase(page, 'ready');
  assert.equal(await page.textContent('[data-testid=backend-name]'), 'webgpu');
  assert.equal(await page.$eval('[data-testid=adapter-info]', (el) => el.dataset.architecture), 'swiftshader');

  await page.waitForFunction(() => document.querySelector('[data-testid=pair-panel]')?.dataset.shown === 'true' || document.querySelector('[data-testid=labeling-error], [data-testid=fatal]'), null, opts);
  assert.equal(await page.$('[data-testid=labeling-error], [data-testid=fatal]'), null, 'pair generation failed on WebGPU');
  await page.click('[data-testid=vote-b]');
  await page.waitForFunction(() => document.querySelector('[data-testid=label-counter]')?.dataset.labeled === '1', null, opts);

  // Leaving the labeling screen cancels the pairs still queued in the worker, so the train step runs next.
  await openTab(page, 'train');
  await trainByHand(page, 1);
  await page.waitForFunction(
    () => {
      const c = document.querySelector('[data-testid=training-controls]');
      return (c?.dataset.status === 'idle' && c.dataset.step === '1') || document.querySelector('[data-testid=train-error], [data-testid=fatal]');
    },
    null,
    opts,
  );
  const err = await page.evaluate(() => document.querySelector('[data-testid=train-error], [data-testid=fatal]')?.textContent ?? null);
  assert.equal(err, null, `training on WebGPU failed: ${err}`);
  await page.waitForFunction(() => document.querySelector('[data-testid=chart-accuracy]')?.dataset.points === '1', null, opts);
  const loss = await page.$eval('[data-testid=dashboard]', (el) => el.textContent);
  assert.match(loss, /loss 0\.6\d{3}/, 'the D3PO loss is near log 2');
  ctx.log(`webgpu pair + 1 train step in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
