// The headers a static deploy ships (public/_headers for Netlify/Cloudflare Pages, vercel.json, the README's nginx
// snippet) are exactly the ones vite.config.ts sends in dev and preview, and the build puts the CSP into index.html as
// a <meta> tag (without frame-ancestors, which a meta policy cannot carry).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Plugin, UserConfig } from 'vite';
import config, { contentSecurityPolicy, metaContentSecurityPolicy, securityHeaders } from '../../vite.config';

const root = path.join(__dirname, '../..');
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');

/** The header blocks of a Netlify/Cloudflare `_headers` file: path -> { name: value }. */
function parseHeadersFile(text: string): Map<string, Record<string, string>> {
  const blocks = new Map<string, Record<string, string>>();
  let current: Record<string, string> | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      current = {};
      blocks.set(line.trim(), current);
      continue;
    }
    const colon = line.indexOf(':');
    expect(current, `header line outside a path block: ${line}`).not.toBeNull();
    current![line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return blocks;
}

describe('static deploy headers', () => {
  const expected = securityHeaders();

  it('public/_headers sends the dev/preview headers on every path, and no-cache for sw.js', () => {
    const blocks = parseHeadersFile(read('public/_headers'));
    expect(blocks.get('/*')).toEqual(expected);
    expect(blocks.get('/sw.js')).toEqual({ 'Cache-Control': 'no-cache' });
  });

  it('vercel.json sends the same headers', () => {
    const v = JSON.parse(read('vercel.json')) as { headers: { source: string; headers: { key: string; value: string }[] }[] };
    const all = v.headers.find((h) => h.source === '/(.*)')!;
    expect(Object.fromEntries(all.headers.map((h) => [h.key, h.value]))).toEqual(expected);
    expect(v.headers.find((h) => h.source === '/sw.js')?.headers).toEqual([{ key: 'Cache-Control', value: 'no-cache' }]);
  });

  it("the README's nginx snippet sends the same headers", () => {
    const lines = [...read('README.md').matchAll(/^add_header (\S+) "([^"]*)" always;$/gm)];
    expect(Object.fromEntries(lines.map((m) => [m[1], m[2]]))).toEqual(expected);
  });

  it('the build puts the CSP into index.html right after <meta charset>, minus frame-ancestors; dev and preview do not', () => {
    const csp = contentSecurityPolicy();
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(metaContentSecurityPolicy()).toBe(csp.replace(/; frame-ancestors 'none'/, ''));
    const resolved = (config as (e: { command: string; mode: string }) => UserConfig)({ command: 'build', mode: 'production' });
    const meta = ((resolved.plugins ?? []).flat() as Plugin[]).find((p) => p?.name === 'd3po-meta-csp')!;
    expect(meta.apply).toBe('build'); // the dev server sends its nonce'd policy as a header only

    const html = read('index.html');
    const out = (meta.transformIndexHtml as (h: string) => string)(html);
    const tag = /<meta http-equiv="Content-Security-Policy" content="([^"]*)" \/>/.exec(out);
    expect(tag?.[1]).toBe(metaContentSecurityPolicy());
    expect(out.indexOf(tag![0])).toBeGreaterThan(out.indexOf('<meta charset'));
    expect(out.indexOf(tag![0])).toBeLessThan(out.indexOf('<script'));
    expect(new TextEncoder().encode(out.slice(0, out.indexOf('<meta charset') + 30)).length).toBeLessThan(1024);
    expect(out.replace(`\n    ${tag![0]}`, '')).toBe(html); // nothing else changed
  });
});
