// Tests for src/platform/node.ts: threaded wasm in Node, numerical parity with cpu, fallbacks, re-init, clean exit.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/platform/node';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CORES = os.cpus().length;

/** Deterministic N(0,1)-ish values (no dependence on a backend's RNG). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let k = 0; k < 4; k++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      acc += s / 2 ** 32;
    }
    out[i] = (acc - 2) * Math.sqrt(3);
  }
  return out;
}

/** Ops big enough that XNNPACK splits them across threads. */
function compute(): { mm: Float32Array; conv: Float32Array } {
  return tf.tidy(() => {
    const a = tf.tensor2d(values(128 * 256, 1), [128, 256]);
    const b = tf.tensor2d(values(256 * 96, 2), [256, 96]);
    const x = tf.tensor4d(values(2 * 16 * 16 * 32, 3), [2, 16, 16, 32]);
    const w = tf.tensor4d(values(3 * 3 * 32 * 48, 4), [3, 3, 32, 48]);
    return {
      mm: tf.matMul(a, b).dataSync() as Float32Array,
      conv: tf.conv2d(x, w, 1, 'same').dataSync() as Float32Array,
    };
  });
}

/** max|got-want| / max|want| */
function relErr(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

async function cpuReference(): Promise<{ mm: Float32Array; conv: Float32Array }> {
  const info = await initNodeBackend({ backend: 'cpu' });
  expect(info).toEqual({ name: 'cpu', threads: 1, simd: false });
  expect(tf.getBackend()).toBe('cpu');
  return compute();
}

describe('initNodeBackend', () => {
  it('defaults to multithreaded SIMD wasm, matching cpu results', async () => {
    const info = await initNodeBackend();
    expect(tf.getBackend()).toBe('wasm');
    expect(info.name).toBe('wasm');
    expect(info.simd).toBe(true);
    if (CORES >= 2) {
      expect(info.threads).toBe(Math.min(CORES, 8)); // backend.cc caps XNNPACK at 8 threads
      expect(info.reason).toBeUndefined();
    } else {
      expect(info.threads).toBe(1);
    }
    const got = compute();
    const want = await cpuReference();
    expect(relErr(got.mm, want.mm)).toBeLessThanOrEqual(1e-4);
    expect(relErr(got.conv, want.conv)).toBeLessThanOrEqual(1e-4);
  });

  it('can be called again, and tf.setBackend("wasm") still works afterwards', async () => {
    const first = await initNodeBackend();
    await tf.setBackend('cpu');
    const again = await initNodeBackend();
    expect(again).toEqual(first);
    expect(tf.getBackend()).toBe('wasm');
    await tf.setBackend('cpu');
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(tf.getBackend()).toBe('wasm');
    expect(relErr(compute().mm, (await cpuReference()).mm)).toBeLessThanOrEqual(1e-4);
  });

  it('threads: 1 falls back to single-threaded wasm with a reason, still matching cpu', async () => {
    const info = await initNodeBackend({ threads: 1 });
    expect(tf.getBackend()).toBe('wasm');
    expect(info).toMatchObject({ name: 'wasm', threads: 1 });
    expect(info.reason).toMatch(/threads: 1/);
    const got = compute();
    const want = await cpuReference();
    expect(relErr(got.mm, want.mm)).toBeLessThanOrEqual(1e-4);
    expect(relErr(got.conv, want.conv)).toBeLessThanOrEqual(1e-4);

    // Switching back re-creates the threaded backend.
    const back = await initNodeBackend({ threads: 2 });
    expect(back.threads).toBe(CORES >= 2 ? 2 : 1);
    expect(relErr(compute().conv, want.conv)).toBeLessThanOrEqual(1e-4);
  });

  it('rejects invalid options with an actionable message', async () => {
    await expect(initNodeBackend({ threads: 0 })).rejects.toThrow(/integer >= 1/);
    await expect(initNodeBackend({ backend: 'gpu' as never })).rejects.toThrow(/'wasm' or 'cpu'/);
  });

  it('a script that inits threaded wasm and runs a matmul exits by itself', () => {
    const script = [
      `import * as tf from '@tensorflow/tfjs';`,
      `import { initNodeBackend } from ${JSON.stringify(path.join(ROOT, 'src/platform/node.ts'))};`,
      `const info = await initNodeBackend();`,
      `const a = tf.ones([256, 256]);`,
      `console.log(JSON.stringify({ info, v: tf.matMul(a, a).dataSync()[0] }));`,
    ].join('\n');
    // The timeout only guards against a hang (a live pthread worker would keep Node running forever).
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module'], {
      input: script,
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(r.error).toBeUndefined();
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    expect(out.v).toBe(256);
    expect(out.info.name).toBe('wasm');
    if (CORES >= 2) expect(out.info.threads).toBeGreaterThanOrEqual(2);
  });
});
