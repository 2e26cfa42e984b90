// Browser test: ?backend=webgpu really runs tfjs on WebGPU (SwiftShader adapter) in the worker and renders an image from the tiny model.
import { assert, assertRealImages, generate, openStudio, readCanvases, test, waitForPhase } from './harness.mjs';

test('webgpu: SwiftShader adapter in the worker, tiny-test generates 1 image', async (ctx) => {
  const s = await openStudio(ctx, '/?backend=webgpu&model=tiny-test&view=generate');
  await s.page.waitForSelector('[data-testid=backend-name]', { timeout: 60_000 });
  const fallbacks = await s.page.$$eval('[data-testid=backend-fallbacks] li', (lis) => lis.map((li) => li.textContent));
  assert.deepEqual(fallbacks, [], 'webgpu should not have fallen back');
  // The name is tf.getBackend() inside the worker after setBackend('webgpu') returned true.
  assert.equal(await s.page.textContent('[data-testid=backend-name]'), 'webgpu');
  const adapter = await s.page.$eval('[data-testid=adapter-info]', (el) => ({ architecture: el.dataset.architecture, vendor: el.dataset.vendor }));
  assert.equal(adapter.architecture, 'swiftshader', `expected a SwiftShader adapter, got ${JSON.stringify(adapter)}`);
  const maxBinding = Number(await s.page.getAttribute('[data-testid=gpu-capabilities]', 'data-max-storage-binding'));
  assert.ok(maxBinding >= 128 * 2 ** 20, `the capability panel reports the adapter's maxStorageBufferBindingSize (≥ 128 MiB by spec), got ${maxBinding}`);

  await waitForPhase(s.page, 'ready'); // includes the compile-only kernel warm-up
  assert.equal(await s.page.textContent('[data-testid=model-name]'), 'tiny-test');
  await generate(s.page, { prompt: 'red heart', count: 1, seed: 3 });
  const images = await readCanvases(s.page);
  assertRealImages(images, { count: 1, size: 32 });
  assert.equal(await s.page.$('[data-testid=fatal]'), null, 'GPU device lost during the test');
  ctx.log(`adapter ${adapter.vendor}/${adapter.architecture}; ${await s.page.textContent('.gallery-caption')}`);
});
