// Moodboard images in IndexedDB (fake-indexeddb): exact read-back, mark and caption changes, deletion, damaged records
// skipped with a note while the rest loads, malformed items refused before any write, a full disk refused whole with
// nothing lost, and the backup round trip.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearDb, storeFor } from '../../src/storage/db';
import { DB, KEY } from '../../src/storage/keys';
import { deleteMoodboardItems, listMoodboardItems, saveMoodboardItems, updateMoodboardItem, type MoodboardItem } from '../../src/storage/moodboard';
import { StorageFullError } from '../../src/storage/quota';
import { exportAll, importAll } from '../../src/storage/backup';
import { set } from 'idb-keyval';

const item = (id: string, addedAt: number, liked = true, caption = ''): MoodboardItem => ({
  id,
  addedAt,
  name: `${id}.png`,
  liked,
  caption,
  size: 32,
  rgba: Uint8Array.from({ length: 32 * 32 * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 7 + addedAt) % 256)),
  source: { format: 'png', width: 640, height: 480 },
});

beforeEach(async () => {
  for (const db of Object.keys(DB) as (keyof typeof DB)[]) await clearDb(db);
});
afterEach(() => vi.restoreAllMocks());

describe('moodboard storage', () => {
  it('reads back exactly, oldest first; changes a mark and a caption; deletes', async () => {
    await saveMoodboardItems([item('b', 20, false, 'dog face'), item('a', 10)]);
    const listed = await listMoodboardItems();
    expect(listed.map((i) => i.id)).toEqual(['a', 'b']);
    expect(listed[1]).toEqual(item('b', 20, false, 'dog face'));
    expect(listed[0].rgba).toBeInstanceOf(Uint8Array);
    expect(await updateMoodboardItem('a', { liked: false })).toBe(true);
    expect(await updateMoodboardItem('b', { caption: 'sun' })).toBe(true);
    expect(await updateMoodboardItem('gone', { liked: true })).toBe(false);
    const changed = await listMoodboardItems();
    expect(changed.map((i) => [i.id, i.liked, i.caption])).toEqual([
      ['a', false, ''],
      ['b', false, 'sun'],
    ]);
    expect(changed[0].rgba).toEqual(item('a', 10).rgba); // the picture is untouched by a change
    await deleteMoodboardItems(['a']);
    expect((await listMoodboardItems()).map((i) => i.id)).toEqual(['b']);
  });

  it('refuses a malformed item before writing anything (the good one in the same call is not saved either)', async () => {
    const bad = { ...item('bad', 2), rgba: new Uint8Array(10) };
    await expect(saveMoodboardItems([item('ok', 1), bad])).rejects.toThrow(/Cannot save the moodboard image "bad.png": rgba must hold 4096 bytes/);
    expect(await listMoodboardItems()).toEqual([]);
    await expect(updateMoodboardItem('x', { caption: 'y' })).resolves.toBe(false);
    await saveMoodboardItems([item('c', 3)]);
    await expect(updateMoodboardItem('c', { caption: 'x'.repeat(301) })).rejects.toThrow(/at most 300 characters/);
    expect((await listMoodboardItems())[0].caption).toBe(''); // the failed change left the record as it was
  });

  it('skips damaged records with a console note and lists the rest', async () => {
    await saveMoodboardItems([item('good', 1)]);
    const store = storeFor('moodboard');
    await set(KEY.moodItem('empty'), {}, store);
    await set(KEY.moodItem('short'), { ...item('short', 2), v: 1, rgba: new Uint8Array(3) }, store);
    await set(KEY.moodItem('moved'), { ...item('elsewhere', 3), v: 1 }, store);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect((await listMoodboardItems()).map((i) => i.id)).toEqual(['good']);
    const notes = warn.mock.calls.map((c) => String(c[0])).join('\n');
    expect(notes).toMatch(/Skipped a damaged record in the moodboard database .*empty.*record version/);
    expect(notes).toMatch(/short.*rgba must hold 4096 bytes/);
    expect(notes).toMatch(/moved.*stored under the wrong key/);
    expect(await updateMoodboardItem('short', { liked: false })).toBe(false); // a damaged record is not "repaired" by a change
  });

  it('a full disk refuses the whole batch with the storage-full message and keeps everything stored', async () => {
    await saveMoodboardItems([item('kept', 1)]);
    const original = IDBObjectStore.prototype.put;
    let calls = 0;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (++calls === 2) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return original.apply(this, args);
    });
    const err = await saveMoodboardItems([item('n1', 2), item('n2', 3)]).catch((e) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(err.message).toMatch(/the batch of 2 moodboard images was not saved; everything saved before is intact/);
    vi.restoreAllMocks();
    expect((await listMoodboardItems()).map((i) => i.id)).toEqual(['kept']); // n1 was rolled back with n2
  });

  it('goes into the backup and comes back from it', async () => {
    await saveMoodboardItems([item('m1', 1, true, 'red heart'), item('m2', 2, false)]);
    const zip = await exportAll();
    await clearDb('moodboard');
    const summary = await importAll(zip);
    expect(summary.moodboardImages).toBe(2);
    expect(await listMoodboardItems()).toEqual([item('m1', 1, true, 'red heart'), item('m2', 2, false)]);
  });
});
