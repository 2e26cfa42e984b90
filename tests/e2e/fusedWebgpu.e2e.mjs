// Browser test: on WebGPU (SwiftShader adapter) the fused GroupNorm(+SiLU) and LayerNorm shaders equal their definitions computed in float64, their registered gradients equal autodiff of the plain formula, and a tiny UNet forward runs them with fewer kernels and the same output (tests/e2e/pages/fusedNormCheck.ts runs in the page).
import { assert, test } from './harness.mjs';

test('fused-webgpu: GroupNorm/LayerNorm shaders match their definitions and gradients; fewer UNet kernels', async (ctx) => {
  const page = await ctx.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${ctx.baseURL}/tests/e2e/pages/kernels.html`);
  const r = await page.evaluate(async () => (await import('/tests/e2e/pages/fusedNormCheck.ts')).runFusedNormCheck());
  assert.deepEqual(errors.filter((e) => /WGSL|shader|pipeline|GPU/i.test(e)), [], 'WebGPU errors in the page');
  assert.equal(r.backend, 'webgpu');
  assert.ok(r.registered, 'both fused kernels are registered for webgpu');
  for (const f of r.forward) assert.ok(f.maxDiff <= 1e-5 * Math.max(1, f.maxAbs), `${f.name}: max |fused − definition| ${f.maxDiff} (largest value ${f.maxAbs})`);
  for (const g of r.gradients) assert.ok(g.maxDiff <= 1e-4 * Math.max(1, g.maxAbs), `${g.name}: max |registered − autodiff| ${g.maxDiff} (largest ${g.maxAbs})`);
  assert.ok(r.model.fusedCalls > 0, 'the UNet forward used the fused kernels');
  assert.ok(r.model.fusedKernels < 0.8 * r.model.plainKernels, `kernels per forward: fused ${r.model.fusedKernels} vs plain ${r.model.plainKernels}`);
  assert.ok(r.model.maxDiff <= 1e-4 * Math.max(1, r.model.maxAbs), `UNet output fused vs plain: ${r.model.maxDiff}`);
  assert.equal(r.tensorsLeaked, 0, 'no tensors left behind');
  ctx.log(`UNet forward on webgpu: ${r.model.plainKernels} → ${r.model.fusedKernels} kernels (${r.model.fusedCalls} fused norms); worst forward diff ${Math.max(...r.forward.map((f) => f.maxDiff)).toExponential(1)}, worst gradient diff ${Math.max(...r.gradients.map((g) => g.maxDiff)).toExponential(1)}, UNet ${r.model.maxDiff.toExponential(1)}`);
  await page.close();
});
