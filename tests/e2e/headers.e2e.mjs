// Browser test: every response carries COOP/COEP and a self-only CSP, nothing is refused by it, and no request leaves localhost.
import { assert, cspViolations, openStudio, test, waitForPhase } from './harness.mjs';

/** Sources a directive may list without naming a remote origin. */
const LOCAL_SOURCES = new Set(["'self'", "'none'", "'wasm-unsafe-eval'", 'blob:', 'data:']);

test('headers: COOP/COEP + self-only CSP on every response; no non-localhost request', async (ctx) => {
  const s = await openStudio(ctx, '/?backend=wasm&model=tiny-test');
  await waitForPhase(s.page, 'ready'); // page, worker, wasm binary and model have all been fetched by now

  const doc = await s.documentResponse.allHeaders();
  assert.equal(doc['cross-origin-opener-policy'], 'same-origin');
  assert.equal(doc['cross-origin-embedder-policy'], 'require-corp');
  const csp = doc['content-security-policy'];
  assert.ok(csp, 'no Content-Security-Policy header on the document');
  const directives = Object.fromEntries(
    csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => { const [name, ...sources] = d.split(/\s+/); return [name, sources]; }),
  );
  assert.deepEqual(directives['default-src'], ["'self'"]);
  assert.ok(directives['script-src'].includes("'wasm-unsafe-eval'"), 'script-src must allow wasm compilation');
  assert.deepEqual(directives['worker-src'], ["'self'", 'blob:']);
  for (const [name, sources] of Object.entries(directives)) {
    for (const src of sources) {
      assert.ok(LOCAL_SOURCES.has(src) || /^'nonce-[A-Za-z0-9+/=]+'$/.test(src), `CSP ${name} allows a non-local source: ${src}`);
    }
  }
  assert.equal(await s.page.evaluate(() => globalThis.crossOriginIsolated), true);

  // The worker must be isolated too (it runs the threaded wasm): the browser only does that if its script had COEP.
  assert.equal(await s.page.$eval('[data-testid=backend-name]', (el) => el.dataset.workerIsolated), 'true', 'the studio worker is not cross-origin isolated');
  // The worker script, the .wasm binary and the model are served with the same headers. (Playwright doesn't report
  // full headers for worker-script responses, so re-fetch the URLs the page actually requested, from Node.)
  const urls = {
    worker: s.requests.find((u) => u.includes('studio.worker')),
    wasm: s.requests.find((u) => /tfjs-backend-wasm-threaded-simd\.wasm$/.test(u)),
    model: s.requests.find((u) => u.endsWith('/models/tiny-test/model.safetensors')),
  };
  for (const [kind, url] of Object.entries(urls)) {
    assert.ok(url, `the page never requested the ${kind}`);
    const r = await fetch(url);
    await r.arrayBuffer();
    assert.equal(r.status, 200, `${kind} ${url}`);
    assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin', `${kind} response lacks COOP`);
    assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp', `${kind} response lacks COEP`);
    assert.equal(r.headers.get('content-security-policy'), csp, `${kind} response has a different CSP`);
  }

  const origin = new URL(ctx.baseURL).origin;
  const remote = [...s.requests, ...s.websockets].filter((u) => {
    const url = new URL(u);
    if (url.protocol === 'blob:' || url.protocol === 'data:') return false;
    return !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || (url.protocol.startsWith('http') && url.origin !== origin);
  });
  assert.deepEqual(remote, [], 'requests left the local origin');
  assert.deepEqual(cspViolations(s.consoleLines), [], 'the CSP refused something');
  assert.equal(s.navigations.length, 1, `the page reloaded during start-up (dev-server dependency re-optimisation?): ${s.navigations.join(', ')}`);
  ctx.log(`${s.requests.length} requests, all to ${origin}; CSP: ${csp}`);
});
