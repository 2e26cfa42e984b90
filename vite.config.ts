// Vite config: React, cross-origin isolation (COOP/COEP, so tfjs-backend-wasm can use threads), a self-only Content-Security-Policy (headers in dev/preview, a meta tag in the build), and ES-module workers.
import { randomBytes } from 'node:crypto';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The CSP allows no remote origin. What needs what:
 *  - 'wasm-unsafe-eval': compiling tfjs-backend-wasm's .wasm (served by the app itself, see platform/browser.ts).
 *  - blob: in script-src and worker-src: the threaded wasm build starts its pthread workers from a Blob URL and
 *    they importScripts() the emscripten main script from another Blob (tfjs-backend-wasm backend_wasm.js init()).
 *  - 'self' in worker-src: the studio worker (src/worker/studio.worker.ts).
 *  - connect-src 'self': model and .wasm downloads, and Vite's HMR websocket (same host and port).
 *  - nonce (dev server only): Vite injects an inline React Fast Refresh preamble and <style> tags for CSS
 *    imports; `html.cspNonce` puts this nonce on them. A production build has no inline script or style.
 */
export function contentSecurityPolicy(nonce?: string): string {
  const n = nonce ? ` 'nonce-${nonce}'` : '';
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval' blob:${n}`,
    "worker-src 'self' blob:",
    `style-src 'self'${n}`,
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers every response needs. Static hosts get the same from public/_headers and vercel.json (a unit test keeps them equal). */
export function securityHeaders(nonce?: string): Record<string, string> {
  return {
    // Cross-origin isolation: enables SharedArrayBuffer, so wasm loads tfjs-backend-wasm-threaded-simd.wasm.
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Content-Security-Policy': contentSecurityPolicy(nonce),
    'X-Content-Type-Options': 'nosniff',
  };
}

/**
 * The CSP as a <meta> tag in the built index.html, for hosts that cannot send headers (GitHub Pages): CSP3 §3.3 lets
 * a page carry its policy this way, without frame-ancestors (ignored there). COOP/COEP have no meta form.
 */
export function metaContentSecurityPolicy(): string {
  return contentSecurityPolicy()
    .split('; ')
    .filter((d) => !d.startsWith('frame-ancestors'))
    .join('; ');
}

/** index.html with the meta CSP right after <meta charset> (which must stay in the first 1024 bytes), before any script. */
export function withMetaCsp(html: string): string {
  const content = metaContentSecurityPolicy().replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  const tag = `<meta http-equiv="Content-Security-Policy" content="${content}" />`;
  const anchor = /<meta charset[^>]*>/i.test(html) ? /<meta charset[^>]*>/i : /<head[^>]*>/i;
  return html.replace(anchor, (m) => `${m}\n    ${tag}`);
}

function metaCspPlugin(): Plugin {
  return { name: 'd3po-meta-csp', apply: 'build', transformIndexHtml: withMetaCsp };
}

export default defineConfig(({ command, isPreview }) => {
  // One random nonce per dev-server start (the dev server is local; a build never needs one).
  const devNonce = command === 'serve' && !isPreview ? randomBytes(16).toString('base64') : undefined;
  return {
    plugins: [react(), metaCspPlugin()],
    html: { cspNonce: devNonce },
    server: { port: 5173, headers: securityHeaders(devNonce) },
    preview: { port: 4173, headers: securityHeaders() },
    worker: {
      format: 'es',
      // tfjs-backend-wasm starts its pthread workers from `factory.toString()`. The minifier's compress pass drops the
      // factory's `typeof _scriptDir !== "undefined"` guard (the name is bound in the bundle, not in the pthread
      // worker), which breaks the threaded build with "ReferenceError: e is not defined". Mangle and strip only.
      rolldownOptions: { output: { minify: { compress: false, mangle: true } } },
    },
    // The dependency scanner starts from index.html and doesn't follow `new Worker(new URL(...))`; without the worker
    // as an entry, tfjs is discovered only when the worker loads, and the dev server reloads the page mid-start.
    optimizeDeps: { entries: ['index.html', 'src/worker/studio.worker.ts'] },
    build: { target: 'es2022' },
  };
});
