// The worker's LoRA import (src/worker/loraJobs.ts handleImport) on a tiny model with fake-indexeddb: a file that fails
// any check, an adapter whose output overflows, a full disk and a failing metrics deletion all leave the old adapter
// (its values read back), its checkpoints and the run's metric rows exactly as they were, with a message that says so;
// a good import swaps the adapter, clears the run and is what a reload (openSession) restores; a malformed stored
// checkpoint record does not stop a reload.
import { setFusedOpsEnabled } from '../../src/core/model/fused/fusedOps';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { allLoraTargets, createLoraAdapter, type LoraAdapter } from '../../src/core/model/lora';
import { encodeLoraSafetensors } from '../../src/core/model/loraFile/loraFile';
import { decodeSafetensors, encodeSafetensors } from '../../src/core/io/safetensors';
import { handleImport } from '../../src/worker/loraJobs';
import { checkpointNow, openSession, type Session } from '../../src/worker/session';
import type { StudioEvent } from '../../src/worker/protocol';
import { DB, type DbKey } from '../../src/storage/keys';
import { clearDb, storeFor } from '../../src/storage/db';
import { listCheckpoints } from '../../src/storage/checkpoints';
import { appendMetrics, getMetrics, type MetricRow } from '../../src/storage/runs';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

const RUN = 'run-import';
const MODEL = 'tiny-import';
let model: MiniSD;

beforeAll(() => {
  const cfg = tinyModelConfig();
  cfg.name = MODEL;
  model = MiniSD.create(cfg, 5);
});

beforeEach(async () => {
  for (const db of Object.keys(DB) as DbKey[]) await clearDb(db);
});
afterEach(() => vi.restoreAllMocks());

async function values(lora: LoraAdapter): Promise<Float32Array[]> {
  return Promise.all(lora.variables.map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
}

/** A session whose adapter has non-zero B (so it differs from a fresh one), one checkpoint and 511 metric rows. */
async function trainedSession(): Promise<{ s: Session; events: StudioEvent[]; ctx: { post: (e: StudioEvent) => void; cancelled: () => boolean } }> {
  const s = await openSession(model, { rank: 2, alpha: 2 });
  let seed = 40;
  for (const v of s.lora.variables) v.assign(tf.randomNormal(v.shape, 0, 0.05, 'float32', seed++));
  s.optimizer.step = 7;
  await checkpointNow(s, 'before the import');
  const rows: MetricRow[] = Array.from({ length: 511 }, (_, i) => ({ step: i + 1, time: 1000 + i, loss: 0.69 - i * 1e-5 }));
  await appendMetrics(RUN, rows);
  const events: StudioEvent[] = [];
  return { s, events, ctx: { post: (e) => events.push(e), cancelled: () => false } };
}

/** Everything an import may change: the adapter object and values, its step and checkpoint, stored checkpoints, metrics. */
async function state(s: Session) {
  return {
    step: s.optimizer.step,
    checkpointId: s.checkpointId,
    source: s.source,
    values: await values(s.lora),
    checkpoints: await listCheckpoints(),
    metrics: await getMetrics(RUN),
  };
}

/** A PEFT file of another adapter for this model (rank 3, alpha 6 unless given), with B set so it differs from a fresh one. */
async function peftFile(edit?: (l: LoraAdapter) => void, shape: { alpha: number; targets: string[] } = { alpha: 6, targets: ['to_q', 'to_k', 'to_v', 'to_out.0'] }): Promise<Uint8Array> {
  const l = createLoraAdapter(model.params, 'unet.', { rank: 3, seed: 9, ...shape });
  let seed = 90;
  for (const m of l.modules.values()) m.B.assign(tf.randomNormal(m.B.shape, 0, 0.05, 'float32', seed++));
  edit?.(l);
  const bytes = await encodeLoraSafetensors(l, { layout: 'peft', baseModel: MODEL });
  l.dispose();
  return bytes;
}

/** Rewrites the packed PEFT config text of a file (e.g. to put a raw `1e999` into it, which JSON.parse reads as Infinity). */
function withConfigText(bytes: Uint8Array, edit: (json: string) => string): Uint8Array {
  const f = decodeSafetensors(bytes);
  return encodeSafetensors(f.tensors, { ...f.metadata, lora_adapter_metadata: edit(f.metadata.lora_adapter_metadata) });
}

const request = (bytes: Uint8Array, fileName = 'other.safetensors') => ({ type: 'import-lora' as const, id: 3, bytes: bytes.slice().buffer, fileName, runId: RUN });

async function expectUnchanged(s: Session, before: { lora: LoraAdapter; state: Awaited<ReturnType<typeof state>> }, err: unknown) {
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(/^Could not import other\.safetensors: /);
  expect((err as Error).message).toMatch(/current adapter, its checkpoints and the training curves are unchanged/);
  expect(s.lora).toBe(before.lora); // the same adapter object, not disposed: its values still read back below
  expect(await state(s)).toEqual(before.state);
}

const snapshot = async (s: Session) => ({ lora: s.lora, state: await state(s) });

describe('LoRA import validates and saves before it swaps', () => {
  it('a config with lora_alpha 1e999 (Infinity) is rejected; adapter, checkpoints and 511 metric rows stay', async () => {
    const { s, ctx } = await trainedSession();
    const before = await snapshot(s);
    const bad = withConfigText(await peftFile(), (j) => j.replace(/"unet\.lora_alpha": 6/, '"unet.lora_alpha": 1e999'));
    const tensors = tf.memory().numTensors;
    const err = await handleImport(s, request(bad), ctx).catch((e) => e);
    expect(err.message).toMatch(/lora_alpha is Infinity; alpha must be from 0\.001 to 1000/);
    await expectUnchanged(s, before, err);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('a rank above the studio limit (1–64) is rejected with a message saying what to do', async () => {
    const { s, ctx } = await trainedSession();
    const before = await snapshot(s);
    const l = createLoraAdapter(model.params, 'unet.', { rank: 65, alpha: 65, targets: ['to_q'], seed: 1 });
    const bytes = await encodeLoraSafetensors(l, { layout: 'kohya', baseModel: MODEL });
    l.dispose();
    const err = await handleImport(s, request(bytes), ctx).catch((e) => e);
    expect(err.message).toMatch(/rank 65; this studio loads ranks from 1 to 64\. Resize the LoRA/);
    await expectUnchanged(s, before, err);
  });

  it('weights within the per-value bound whose product overflows the model are caught by the output probe', async () => {
    const { s, ctx } = await trainedSession();
    const before = await snapshot(s);
    // Every value is 999 (under the ±1000 bound) and alpha 1000 is the studio's largest: each layer multiplies by ~10⁸.
    const huge = await peftFile(
      (l) => {
        for (const v of l.variables) v.assign(tf.fill(v.shape, 999));
      },
      { alpha: 1000, targets: allLoraTargets },
    );
    // Through the plain tfjs norms (WebGPU and WebGL: float32 moments) the activations overflow. The fused wasm/cpu norm
    // kernels take their statistics in float64 and normalise 1e20-sized activations back to order 1, so there the model
    // stays finite with this file (garbage, but nothing breaks).
    setFusedOpsEnabled(false);
    try {
      const err = await handleImport(s, request(huge), ctx).catch((e) => e);
      expect(err.message).toMatch(/output is not finite/);
      await expectUnchanged(s, before, err);
    } finally {
      setFusedOpsEnabled(true);
    }
  });

  it('a valid file on a full disk: StorageFullError text, and nothing is lost (the metric rows stay)', async () => {
    const { s, ctx } = await trainedSession();
    const before = await snapshot(s);
    const good = await peftFile();
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    const err = await handleImport(s, request(good), ctx).catch((e) => e);
    vi.restoreAllMocks();
    expect(err.message).toMatch(/storage is full/i);
    await expectUnchanged(s, before, err);
  });

  it('when clearing the old curves fails, the checkpoint just saved is removed again', async () => {
    const { s, ctx } = await trainedSession();
    const before = await snapshot(s);
    const del = IDBObjectStore.prototype.delete;
    vi.spyOn(IDBObjectStore.prototype, 'delete').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['delete']>) {
      if (this.transaction.db.name === DB.runs) throw new DOMException('The disk is unavailable.', 'UnknownError');
      return del.apply(this, args);
    });
    const err = await handleImport(s, request(await peftFile()), ctx).catch((e) => e);
    vi.restoreAllMocks();
    expect(err.message).toMatch(/disk is unavailable/);
    await expectUnchanged(s, before, err);
  });

  it('a good import swaps the adapter, clears the run, and a reload restores the imported adapter', async () => {
    const { s, events, ctx } = await trainedSession();
    const old = s.lora;
    const bytes = await peftFile();
    await handleImport(s, request(bytes), ctx);
    expect(old.modules.size).toBe(0); // the old adapter was disposed only now
    expect(s.source).toBe('imported');
    expect([s.lora.config.rank, s.lora.config.alpha]).toEqual([3, 6]);
    expect(await getMetrics(RUN)).toEqual([]);
    const list = await listCheckpoints();
    expect(list).toHaveLength(2);
    expect(list[0].id).toBe(s.checkpointId);
    expect(list[0].note).toBe('imported other.safetensors');
    expect(events.at(-1)).toMatchObject({ type: 'lora', id: 3, lora: { source: 'imported', rank: 3, checkpointId: s.checkpointId } });

    const reloaded = await openSession(model, { rank: 2, alpha: 2 });
    expect(reloaded.checkpointId).toBe(s.checkpointId);
    expect(await values(reloaded.lora)).toEqual(await values(s.lora));
    reloaded.optimizer.dispose();
    reloaded.lora.dispose();
  });

  it('a reload is not stopped by a malformed checkpoint record (from an altered backup: newest, but without an id): it restores the good one', async () => {
    const { s } = await trainedSession();
    await storeFor('checkpoints')('readwrite', (os) => {
      os.put({ createdAt: Date.now() + 1e9 }, ['ckpt', 'smuggled']); // sorts first, but has no id
      os.put({}, ['ckpt-data', 'smuggled']);
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const reloaded = await openSession(model, { rank: 2, alpha: 2 });
    expect(reloaded.checkpointId).toBe(s.checkpointId);
    expect(await values(reloaded.lora)).toEqual(await values(s.lora));
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/smuggled/);
    reloaded.optimizer.dispose();
    reloaded.lora.dispose();
  });
});
