/** Tests for src/storage on fake-indexeddb: round-trips, ordering, undo, checkpoints newest-first, metric appends, the quota path, pruning, and backup export/import. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Trajectory } from '../../src/core/diffusion/sample';
import { encodeSafetensors } from '../../src/core/io/safetensors';
import { f32Entry } from '../../src/core/io/tensorEntry';
import { readZip, writeZip } from '../../src/core/io/zip';
import { DB, RUN_CHUNK_ROWS, type DbKey } from '../../src/storage/keys';
import { allEntries, clearDb, storeFor } from '../../src/storage/db';
import { deletePairs, getPair, getPairSummary, listPairIds, listPairSummaries, pairBytes, savePair, type StoredPair } from '../../src/storage/pairs';
import { deleteLabel, listLabels, saveLabel, type Label } from '../../src/storage/labels';
import { deleteCheckpoint, latestCheckpoint, listCheckpoints, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../../src/storage/checkpoints';
import { appendMetrics, clearRun, getMetrics, listRuns, type MetricRow } from '../../src/storage/runs';
import { StorageFullError, isQuotaError, requestPersist, storageEstimate } from '../../src/storage/quota';
import { BackupError, exportAll, importAll, lastExportAt, pruneTrajectories } from '../../src/storage/backup';
import { listBlindVotes, saveBlindVote } from '../../src/storage/blindVotes';

const ALL_DBS = Object.keys(DB) as DbKey[];
const LATENT = 8 * 8 * 4;
const T = 4;

function trajectory(seed: number, index: number): Trajectory {
  let s = seed * 7919 + index * 104729 + 1;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 4 - 2;
  return {
    prompt: `prompt ${seed}`,
    seed,
    index,
    timesteps: [751, 501, 251, 1],
    latents: Array.from({ length: T + 1 }, () => Float32Array.from({ length: LATENT }, rnd)),
    logProbs: Float32Array.from({ length: T }, () => rnd() / 3),
    steps: T,
    eta: 1,
    guidanceScale: 3,
  };
}

function image(fill: number): Uint8Array {
  return Uint8Array.from({ length: 32 * 32 * 4 }, (_, i) => (i * 31 + fill) & 255);
}

function pair(id: string, seed: number, createdAt: number, extra: Partial<StoredPair> = {}): StoredPair {
  return {
    id,
    prompt: `prompt ${seed}`,
    seed,
    createdAt,
    modelId: 'emoji-sd',
    loraVersion: null,
    trajectories: [trajectory(seed, 0), trajectory(seed, 1)],
    images: [image(seed), image(seed + 1)],
    ...extra,
  };
}

function label(pairId: string, time: number, vote: Label['vote'] = 0): Label {
  return { pairId, vote, leftIsFirst: time % 2 === 0, prompt: `p ${pairId}`, seed: 1, time, modelId: 'emoji-sd', loraVersion: 'r1' };
}

function loraBytes(scale: number): Uint8Array {
  return encodeSafetensors(
    {
      'base_model.model.unet.mid.attn.to_q.lora_A.weight': f32Entry(Float32Array.from([1, 2, 3, 4].map((x) => x * scale)), [1, 4]),
      'base_model.model.unet.mid.attn.to_q.lora_B.weight': f32Entry(Float32Array.from([0, 0, 0, 0]), [4, 1]),
    },
    { format: 'pt' },
  );
}

function checkpoint(id: string, step: number, createdAt: number, withOptimizer = true): Checkpoint {
  return {
    id,
    step,
    createdAt,
    lora: loraBytes(step + 1),
    optimizer: withOptimizer ? { step, m: [Float32Array.from([step, 1]), Float32Array.from([2])], v: [Float32Array.from([0.5, 0.25]), Float32Array.from([NaN])] } : null,
    loraConfig: { rank: 4, alpha: 4, targets: ['to_q', 'to_v'] },
    note: `step ${step}`,
  };
}

async function snapshot(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const db of ALL_DBS) out[db] = await allEntries(db);
  return out;
}

/** Makes every IDBObjectStore.put (or only the n-th from now) throw a quota DOMException, as a full disk does. */
function failPuts(onlyNth?: number) {
  const original = IDBObjectStore.prototype.put;
  let calls = 0;
  return vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    calls++;
    if (onlyNth === undefined || calls === onlyNth) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return original.apply(this, args);
  });
}

beforeEach(async () => {
  for (const db of ALL_DBS) await clearDb(db);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('pairs', () => {
  it('round-trips a pair: exact images and log-probs, F16 latents, provenance', async () => {
    const p = pair('a', 1, 1000, { group: 'grid-1', loraVersion: 'round3' });
    await savePair(p);
    const back = (await getPair('a'))!;
    expect(back).toBeDefined();
    expect({ ...back, trajectories: undefined }).toEqual({ ...p, trajectories: undefined });
    for (const k of [0, 1] as const) {
      const [a, b] = [p.trajectories[k], back.trajectories[k]];
      expect(b.timesteps).toEqual(a.timesteps);
      expect([b.prompt, b.seed, b.index, b.steps, b.eta, b.guidanceScale]).toEqual([a.prompt, a.seed, a.index, a.steps, a.eta, a.guidanceScale]);
      expect(b.logProbs).toEqual(a.logProbs);
      expect(b.latents).toHaveLength(T + 1);
      const maxErr = Math.max(...b.latents.map((l, i) => Math.max(...l.map((x, j) => Math.abs(x - a.latents[i][j])))));
      expect(maxErr).toBeLessThanOrEqual(2e-3); // F16: |x| < 2 → error ≤ 2^-10
    }
    expect(await getPair('missing')).toBeUndefined();
  });

  it('lists ids, reports its stored size, deletes', async () => {
    await savePair(pair('b', 2, 2000));
    await savePair(pair('a', 1, 3000));
    expect(await listPairIds()).toEqual(['a', 'b']);
    expect((await listPairSummaries()).map((s) => s.id)).toEqual(['b', 'a']); // oldest first
    const bytes = pairBytes(pair('a', 1, 3000));
    expect(bytes).toBeGreaterThan(2 * 32 * 32 * 4 + 2 * (T + 1) * LATENT * 2);
    expect(bytes).toBeLessThan(300_000);
    await deletePairs(['a']);
    expect(await listPairIds()).toEqual(['b']);
    expect(await getPair('a')).toBeUndefined();
  });

  it('stores views of larger buffers tightly and rejects malformed pairs with a helpful error', async () => {
    const big = new Uint8Array(100_000);
    big.set(image(9), 500);
    await savePair(pair('v', 3, 1, { images: [big.subarray(500, 500 + 4096), image(3)] }));
    const back = (await getPair('v'))!;
    expect(back.images[0].buffer.byteLength).toBe(4096);
    await expect(savePair({ ...pair('x', 4, 1), images: [image(1)] as unknown as [Uint8Array, Uint8Array] })).rejects.toThrow(/images must be two/);
    await expect(savePair({ ...pair('y', 4, 1), trajectories: [trajectory(1, 0)] as unknown as [Trajectory, Trajectory] })).rejects.toThrow(/two trajectories/);
  });
});

describe('labels', () => {
  it('lists by time, replaces a re-vote, undoes with deleteLabel', async () => {
    await saveLabel(label('p2', 200, 1));
    await saveLabel(label('p1', 100, 'tie'));
    await saveLabel({ ...label('p3', 300, 'both-bad'), annotator: 'ann', weight: 0.5 });
    expect((await listLabels()).map((l) => [l.pairId, l.vote])).toEqual([['p1', 'tie'], ['p2', 1], ['p3', 'both-bad']]);
    expect((await listLabels())[2]).toEqual({ ...label('p3', 300, 'both-bad'), annotator: 'ann', weight: 0.5 });
    await saveLabel(label('p1', 400, 0)); // re-vote
    expect((await listLabels()).map((l) => [l.pairId, l.vote])).toEqual([['p2', 1], ['p3', 'both-bad'], ['p1', 0]]);
    await deleteLabel('p1'); // undo
    await deleteLabel('never-voted');
    expect((await listLabels()).map((l) => l.pairId)).toEqual(['p2', 'p3']);
    await expect(saveLabel({ ...label('p4', 1), vote: 2 as unknown as 0 })).rejects.toThrow(/vote must be 0, 1, 'tie' or 'both-bad'/);
  });

  it("keeps the oracle's rewards of an oracle vote and rejects malformed ones", async () => {
    await saveLabel({ ...label('o1', 500, 0), annotator: 'oracle:brightness', rewards: [0.61, 0.42] });
    expect((await listLabels()).find((l) => l.pairId === 'o1')).toEqual({ ...label('o1', 500, 0), annotator: 'oracle:brightness', rewards: [0.61, 0.42] });
    await expect(saveLabel({ ...label('o2', 1), rewards: [0.5] as unknown as [number, number] })).rejects.toThrow(/rewards must be two finite numbers/);
    await expect(saveLabel({ ...label('o3', 1), rewards: [0.5, NaN] })).rejects.toThrow(/rewards must be two finite numbers/);
    await deleteLabel('o1');
  });
});

describe('checkpoints', () => {
  it('lists metadata newest first, loads exactly, finds the latest, deletes', async () => {
    await saveCheckpoint(checkpoint('c1', 10, 1000));
    await saveCheckpoint(checkpoint('c3', 30, 3000, false));
    await saveCheckpoint(checkpoint('c2', 20, 2000));
    const list = await listCheckpoints();
    expect(list.map((c) => c.id)).toEqual(['c3', 'c2', 'c1']);
    expect(list[0]).not.toHaveProperty('lora');
    expect(list[0]).not.toHaveProperty('optimizer');
    expect(list[0]).toMatchObject({ step: 30, hasOptimizer: false, loraConfig: { rank: 4, alpha: 4, targets: ['to_q', 'to_v'] }, note: 'step 30' });
    expect(list[1].bytes).toBeGreaterThan(loraBytes(1).length);
    expect(await loadCheckpoint('c2')).toEqual(checkpoint('c2', 20, 2000));
    expect((await latestCheckpoint())?.id).toBe('c3');
    await deleteCheckpoint('c3');
    expect((await latestCheckpoint())?.id).toBe('c2');
    expect(await loadCheckpoint('c3')).toBeUndefined();
  });

  it('rejects bytes that are not a safetensors file', async () => {
    await expect(saveCheckpoint({ ...checkpoint('bad', 1, 1), lora: Uint8Array.from([1, 2, 3]) })).rejects.toThrow(/not a valid safetensors file/);
    expect(await listCheckpoints()).toEqual([]);
  });
});

describe('runs', () => {
  const rows = (from: number, n: number): MetricRow[] => Array.from({ length: n }, (_, i) => ({ step: from + i, time: 1000 + from + i, loss: 0.69 + i * 1e-4, accuracy: i % 2 }));

  it('appends across chunk boundaries in order, keeps NaN, lists and clears runs', async () => {
    await appendMetrics('r1', rows(0, RUN_CHUNK_ROWS - 3));
    await appendMetrics('r1', rows(RUN_CHUNK_ROWS - 3, 10));
    await appendMetrics('r1', [{ step: 9999, time: 99_999, loss: NaN }]);
    await appendMetrics('r2', rows(0, 2));
    const got = await getMetrics('r1');
    expect(got).toHaveLength(RUN_CHUNK_ROWS + 8);
    expect(got.slice(0, -1).map((r) => r.step)).toEqual(Array.from({ length: RUN_CHUNK_ROWS + 7 }, (_, i) => i));
    expect(got[got.length - 1].loss).toBeNaN();
    expect(await getMetrics('r')).toEqual([]); // a prefix of another id is not that run
    const runs = await listRuns();
    expect(runs.map((r) => r.runId)).toEqual(['r1', 'r2']);
    expect(runs[0]).toMatchObject({ rows: RUN_CHUNK_ROWS + 8, lastStep: 9999, updatedAt: 99_999 });
    await clearRun('r1');
    expect(await getMetrics('r1')).toEqual([]);
    expect((await listRuns()).map((r) => r.runId)).toEqual(['r2']);
    expect(await getMetrics('r2')).toHaveLength(2);
  });

  it('keeps every row when two appends race', async () => {
    await Promise.all([appendMetrics('r', rows(0, 300)), appendMetrics('r', rows(300, 300)), appendMetrics('r', rows(600, 5))]);
    expect((await getMetrics('r')).map((r) => r.step).sort((a, b) => a - b)).toEqual(Array.from({ length: 605 }, (_, i) => i));
  });

  it('rejects non-numeric metrics', async () => {
    await expect(appendMetrics('r', [{ step: 1, time: 1, loss: '0.7' as unknown as number }])).rejects.toThrow(/metric "loss" must be a number/);
  });
});

describe('quota', () => {
  it('a full disk throws StorageFullError saying what to do, and loses nothing stored', async () => {
    await savePair(pair('old', 1, 1));
    await saveLabel(label('old', 1));
    await appendMetrics('run', [{ step: 1, time: 1, loss: 0.7 }]);
    const before = await snapshot();
    failPuts();
    const err = await savePair(pair('new', 2, 2)).catch((e) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(err.message).toMatch(/storage is full/i);
    expect(err.message).toMatch(/export/i);
    expect(err.message).toMatch(/prune/i);
    expect(err.message).toMatch(/intact/);
    expect(isQuotaError(err.cause)).toBe(true);
    await expect(saveLabel(label('new', 2))).rejects.toBeInstanceOf(StorageFullError);
    await expect(appendMetrics('run', [{ step: 2, time: 2, loss: 0.6 }])).rejects.toBeInstanceOf(StorageFullError);
    await expect(saveCheckpoint(checkpoint('c', 1, 1))).rejects.toBeInstanceOf(StorageFullError);
    vi.restoreAllMocks();
    expect(await snapshot()).toEqual(before);
    expect((await getPair('old'))?.id).toBe('old');
  });

  it('a failure on the second key of a pair rolls back the first (atomic write)', async () => {
    failPuts(2);
    await expect(savePair(pair('half', 3, 3))).rejects.toBeInstanceOf(StorageFullError);
    vi.restoreAllMocks();
    expect(await allEntries('pairs')).toEqual([]);
    await savePair(pair('half', 3, 3)); // and the store still works
    expect(await listPairIds()).toEqual(['half']);
  });

  it('a quota error raised while the write executes (request error → transaction abort) is handled the same way', async () => {
    await savePair(pair('kept', 1, 1));
    // fake-indexeddb's internal record store: throwing there fails the request asynchronously, as a real full disk does.
    const raw = await storeFor('pairs')('readonly', (os) => Object.getPrototypeOf((os as unknown as { _rawObjectStore: object })._rawObjectStore));
    const original = raw.storeRecord;
    let calls = 0;
    vi.spyOn(raw, 'storeRecord').mockImplementation(function (this: unknown, ...args: unknown[]) {
      if (++calls === 2) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return original.apply(this, args);
    });
    const err = await savePair(pair('late', 2, 2)).catch((e) => e);
    vi.restoreAllMocks();
    expect(err).toBeInstanceOf(StorageFullError);
    expect(await listPairIds()).toEqual(['kept']);
    expect(await getPair('late')).toBeUndefined();
  });

  it('recognises quota errors by name and legacy code, and reads the estimate', async () => {
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true);
    expect(isQuotaError(new Error('other'))).toBe(false);
    vi.stubGlobal('navigator', { storage: { estimate: async () => ({ usage: 5, quota: 50 }), persist: async () => true } });
    expect(await storageEstimate()).toEqual({ usage: 5, quota: 50 });
    expect(await requestPersist()).toBe(true);
    vi.stubGlobal('navigator', {});
    expect(await storageEstimate()).toBeNull();
    expect(await requestPersist()).toBe(false);
  });
});

describe('pruneTrajectories', () => {
  it('frees bytes, keeps labeled pairs when asked, and keeps votes and images of pruned labeled pairs', async () => {
    await savePair(pair('labeled-old', 1, 100));
    await savePair(pair('unlabeled-old', 2, 200));
    await savePair(pair('unlabeled-new', 3, 5000));
    await saveLabel(label('labeled-old', 300));
    const freed = await pruneTrajectories({ keepLabeled: true, olderThan: 1000 });
    expect(freed).toBeGreaterThanOrEqual(pairBytes(pair('unlabeled-old', 2, 200)) - 100);
    expect(await listPairIds()).toEqual(['labeled-old', 'unlabeled-new']);
    expect(await getPair('labeled-old')).toBeDefined();
    expect(await getPair('unlabeled-new')).toBeDefined();

    const freed2 = await pruneTrajectories({ keepLabeled: false, olderThan: 1000 });
    expect(freed2).toBeGreaterThan(2 * (T + 1) * LATENT * 2);
    expect(await getPair('labeled-old')).toBeUndefined();
    const summary = (await getPairSummary('labeled-old'))!;
    expect(summary.hasTrajectories).toBe(false);
    expect(summary.images[0]).toEqual(image(1));
    expect((await listLabels()).map((l) => l.pairId)).toEqual(['labeled-old']);
    expect(await pruneTrajectories({ keepLabeled: false, olderThan: 1000 })).toBe(0);
    expect(await getPair('unlabeled-new')).toBeDefined();
  });
});

describe('pruning on a full disk', () => {
  it('frees space when every put is refused: deletes land, labeled pairs read as pruned, votes and images stay', async () => {
    await savePair(pair('labeled-old', 1, 100));
    await savePair(pair('unlabeled-old', 2, 200));
    await savePair(pair('unlabeled-new', 3, 5000));
    await saveLabel(label('labeled-old', 300));
    const trajKeys = async () => (await allEntries('pairs')).map(([k]) => k as string[]).filter((k) => k[0] === 'traj').map((k) => k[1]);
    expect(await trajKeys()).toEqual(['labeled-old', 'unlabeled-new', 'unlabeled-old']);
    failPuts(); // storage is full: no write that needs room succeeds
    await expect(savePair(pair('more', 4, 6000))).rejects.toThrow(/prune/); // the message that sends people here

    const freed = await pruneTrajectories({ keepLabeled: false, olderThan: 1000 });
    expect(freed).toBeGreaterThan(pairBytes(pair('unlabeled-old', 2, 200)));
    expect(await listPairIds()).toEqual(['labeled-old', 'unlabeled-new']);
    expect(await trajKeys()).toEqual(['unlabeled-new']);
    expect(await getPair('labeled-old')).toBeUndefined();
    const summary = (await getPairSummary('labeled-old'))!;
    expect(summary.hasTrajectories).toBe(false);
    expect(summary.images[1]).toEqual(image(2));
    expect((await listPairSummaries()).map((p) => [p.id, p.hasTrajectories])).toEqual([
      ['labeled-old', false],
      ['unlabeled-new', true],
    ]);
    expect((await listLabels()).map((l) => l.pairId)).toEqual(['labeled-old']);

    // With room again, the next prune finishes the record rewrite and frees nothing twice.
    vi.restoreAllMocks();
    expect(await pruneTrajectories({ keepLabeled: false, olderThan: 1000 })).toBe(0);
    const record = (await allEntries('pairs')).find(([k]) => (k as string[])[0] === 'pair' && (k as string[])[1] === 'labeled-old')![1] as { trajectoryBytes: number };
    expect(record.trajectoryBytes).toBe(0);
    await savePair(pair('more', 4, 6000)); // and there is room to save again
  });
});

describe('backup', () => {
  async function populate() {
    await savePair(pair('p1', 1, 100, { group: 'g' }));
    await savePair(pair('p2', 2, 200, { loraVersion: 'r2' }));
    await saveLabel(label('p1', 300, 0));
    await saveLabel({ ...label('p2', 400, 'tie'), weight: 0.25, annotator: 'a' });
    await saveCheckpoint(checkpoint('c1', 10, 1000));
    await saveCheckpoint(checkpoint('c2', 20, 2000, false));
    await saveBlindVote({ id: 'b1', time: 5, modelId: 'm', prompt: 'red heart', seed: 9, a: { ref: 'base', step: null, label: 'base model' }, b: { ref: 'current', step: 20, label: 'step 20' }, leftIsA: false, winner: 'b' });
    await appendMetrics('run-1', [
      { step: 1, time: 1, loss: 0.69, kl: NaN },
      { step: 2, time: 2, loss: Infinity, kl: -0 },
    ]);
  }

  it('exportAll → clear → importAll restores identical data', async () => {
    await populate();
    const before = await snapshot();
    const zip = await exportAll();
    expect(zip[0]).toBe(0x50); // 'PK'
    expect(await lastExportAt()).toBeGreaterThan(0);
    for (const db of ALL_DBS) await clearDb(db);
    const summary = await importAll(zip);
    expect(summary).toEqual({ pairs: 2, labels: 2, checkpoints: 2, runs: 1, blindVotes: 1, moodboardImages: 0 });
    const after = await snapshot();
    expect(after.pairs).toEqual(before.pairs);
    expect(after.labels).toEqual(before.labels);
    expect(after.checkpoints).toEqual(before.checkpoints);
    expect(after.runs).toEqual(before.runs);
    expect(after.blind).toEqual(before.blind);
    expect((await listBlindVotes()).map((v) => [v.id, v.winner])).toEqual([['b1', 'b']]);
    expect(await loadCheckpoint('c1')).toEqual(checkpoint('c1', 10, 1000));
    expect((await getPair('p2'))?.trajectories[1].logProbs).toEqual(pair('p2', 2, 200).trajectories[1].logProbs);
    const restored = await getMetrics('run-1');
    expect(restored[0].kl).toBeNaN();
    expect(restored[1].loss).toBe(Infinity);
  });

  it('rejects a corrupt or foreign file with a clear error and changes nothing', async () => {
    await populate();
    const zip = await exportAll();
    await saveLabel(label('p1', 999, 1)); // state differs from the backup
    const before = await snapshot();
    const files = readZip(zip);
    const rezip = (edit: (f: Map<string, Uint8Array>) => void) => {
      const f = new Map(files);
      edit(f);
      return writeZip([...f].map(([name, data]) => ({ name, data })));
    };
    const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
    const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));

    const flipped = zip.slice();
    flipped[200] ^= 0xff;
    const badVote = rezip((f) => {
      const labels = dec(f.get('stores/labels.json')!);
      labels[0][1].vote = 'maybe';
      f.set('stores/labels.json', enc(labels));
    });
    const badBin = rezip((f) => f.set('stores/pairs.bin', f.get('stores/pairs.bin')!.slice(0, 100)));
    const newer = rezip((f) => f.set('backup.json', enc({ ...dec(f.get('backup.json')!), version: 2 })));
    const foreign = writeZip([{ name: 'hello.txt', data: enc('hi') }]);
    const cases: [Uint8Array, RegExp][] = [
      [zip.slice(0, zip.length - 30), /not a readable studio backup/],
      [flipped, /not a readable studio backup|damaged/],
      [Uint8Array.from([1, 2, 3]), /not a readable studio backup/],
      [foreign, /not a studio backup/],
      [newer, /version 2/],
      [badVote, /vote must be 0, 1, 'tie' or 'both-bad'/],
      [badBin, /outside the backup's binary data|damaged/],
    ];
    for (const [bytes, message] of cases) {
      const err = await importAll(bytes).catch((e) => e);
      expect(err).toBeInstanceOf(BackupError);
      expect(err.message).toMatch(message);
      expect(err.message).toMatch(/nothing was changed|Export it again/i);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('prototype smuggling and malformed records', () => {
  it('a backup whose record hides its fields behind "__proto__" (or names a field "constructor") is rejected; nothing changes', async () => {
    await savePair(pair('p1', 1, 100));
    await saveCheckpoint(checkpoint('c1', 10, 1000));
    const zip = await exportAll();
    const before = await snapshot();
    const files = readZip(zip);
    const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
    /** The backup with the matching records of one database rewritten as JSON text (so "__proto__" stays a plain key). */
    const smuggle = (db: string, match: (key: unknown[]) => boolean, wrap: (valueJson: string) => string) => {
      const f = new Map(files);
      const entries = dec(f.get(`stores/${db}.json`)!) as [unknown[], unknown][];
      const parts = entries.map(([k, v]) => `[${JSON.stringify(k)},${match(k) ? wrap(JSON.stringify(v)) : JSON.stringify(v)}]`);
      f.set(`stores/${db}.json`, new TextEncoder().encode(`[${parts.join(',')}]`));
      return writeZip([...f].map(([name, data]) => ({ name, data })));
    };
    const cases = [
      smuggle('checkpoints', (k) => k[0] === 'ckpt', (v) => `{"__proto__":${v}}`),
      smuggle('checkpoints', (k) => k[0] === 'ckpt-data', (v) => `{"__proto__":${v}}`),
      smuggle('pairs', (k) => k[0] === 'pair', (v) => `{"__proto__":${v}}`),
      smuggle('pairs', (k) => k[0] === 'pair', (v) => v.replace(/^\{/, '{"constructor":{"x":1},')),
    ];
    expect(JSON.parse(new TextDecoder().decode(readZip(cases[0]).get('stores/checkpoints.json')!))[0][1]).toHaveProperty('__proto__');
    for (const bytes of cases) {
      const err = await importAll(bytes).catch((e) => e);
      expect(err).toBeInstanceOf(BackupError);
      expect(err.message).toMatch(/field named "(__proto__|constructor)", which the studio never writes; the file was altered/);
      expect(err.message).toMatch(/nothing was changed/i);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('readers skip a malformed record ({} as an altered backup stored it) with a note, and list and load everything else', async () => {
    await savePair(pair('good', 1, 100));
    await saveCheckpoint(checkpoint('c-good', 3, 300));
    const raw = (db: DbKey, key: IDBValidKey, value: unknown) => storeFor(db)('readwrite', (os) => os.put(value, key));
    await raw('checkpoints', ['ckpt', 'c-bad'], {});
    await raw('checkpoints', ['ckpt-data', 'c-bad'], {});
    await raw('checkpoints', ['ckpt', 'c-half'], (await allEntries('checkpoints')).find(([k]) => (k as string[])[1] === 'c-good' && (k as string[])[0] === 'ckpt')![1]);
    await raw('pairs', ['pair', 'bad'], {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const stored = await snapshot();

    expect((await listCheckpoints()).map((c) => c.id)).toEqual(['c-good']);
    expect(await loadCheckpoint('c-bad')).toBeUndefined();
    expect(await loadCheckpoint('c-half')).toBeUndefined(); // record under the wrong id, no data
    expect(await loadCheckpoint(undefined as unknown as string)).toBeUndefined();
    expect((await loadCheckpoint('c-good'))?.step).toBe(3);
    expect((await latestCheckpoint())?.id).toBe('c-good');
    expect((await listPairSummaries()).map((p) => p.id)).toEqual(['good']);
    expect(await getPairSummary('bad')).toBeUndefined();
    expect(await getPair('bad')).toBeUndefined();
    expect((await getPair('good'))?.id).toBe('good');
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/Skipped a damaged record in the checkpoints database .*c-bad/);
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/Skipped a damaged record in the pairs database .*bad/);
    expect(await snapshot()).toEqual(stored); // nothing deleted
  });
});

describe('backup zip bombs', () => {
  it('a backup whose .bin would unpack far past its packed size is refused before inflating; nothing changes', async () => {
    await savePair(pair('p1', 1, 100));
    const files = readZip(await exportAll());
    const before = await snapshot();
    // 100 MB of zeros deflate to ~100 KB: the 1,000-fold expansion of a zip bomb (exportAll stores .bin files uncompressed).
    files.set('stores/pairs.bin', new Uint8Array(100_000_000));
    const bomb = writeZip([...files].map(([name, data]) => ({ name, data })), { deflate: (n) => n.endsWith('.bin') });
    expect(bomb.length).toBeLessThan(1_000_000);
    const err = await importAll(bomb).catch((e) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect(err.message).toMatch(/"stores\/pairs\.bin" would unpack to 100\.0 MB, more than the 67\.1 MB this studio reads per file; nothing was unpacked/);
    expect(err.message).toMatch(/Nothing was changed/);
    expect(await snapshot()).toEqual(before);
  });
});

describe('checkpoints per base model', () => {
  it('lists a model’s own checkpoints plus legacy ones without a model id', async () => {
    const { saveCheckpoint, listCheckpoints } = await import('../../src/storage/checkpoints');
    const { encodeSafetensors } = await import('../../src/core/io/safetensors');
    const { f32Entry } = await import('../../src/core/io/tensorEntry');
    const lora = encodeSafetensors(new Map([['unet.a.lora_A.weight', f32Entry(new Float32Array([1, 2]), [1, 2])]]));
    const base = { step: 1, createdAt: 1, lora, optimizer: null, loraConfig: { rank: 1, alpha: 1, targets: ['to_q'] } };
    await saveCheckpoint({ ...base, id: 'pm-a', modelId: 'model-a', createdAt: 10 });
    await saveCheckpoint({ ...base, id: 'pm-b', modelId: 'model-b', createdAt: 20 });
    await saveCheckpoint({ ...base, id: 'pm-legacy', createdAt: 30 });
    const ids = (await listCheckpoints('model-a')).map((c) => c.id).filter((id) => id.startsWith('pm-'));
    expect(ids).toEqual(['pm-legacy', 'pm-a']);
    expect((await listCheckpoints()).map((c) => c.id).filter((id) => id.startsWith('pm-'))).toEqual(['pm-legacy', 'pm-b', 'pm-a']);
    expect((await listCheckpoints('model-a')).find((c) => c.id === 'pm-a')?.modelId).toBe('model-a');
  });
});
