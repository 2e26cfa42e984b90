// The Moodboard's store actions with fake-indexeddb and a fake worker: real PNG/JPEG files (pngjs, jpeg-js) are fitted to
// 32×32 on white and stored, bad files are named with what to do and change nothing, a full disk adds nothing, marks /
// captions / removal persist, and Train sends the recipe, shows "learning from N liked and M disliked images" while
// the worker's steps stream in, and says what happened; a one-sided moodboard is refused without calling the worker.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { StudioApi } from '../../src/store/client';
import type { StudioEvent, TrainStepEvent } from '../../src/worker/protocol';
import type { MoodboardTrainedEvent, MoodboardTrainRequest } from '../../src/worker/moodboardTrain';
import type { RgbaPicture } from '../../src/core/moodboard/fitImage';
import { listMoodboardItems } from '../../src/storage/moodboard';
import { rowsToJsonl, type PickapicRow } from '../../src/core/preferences/pickapic';
import { bootCalls, newLora } from './fakeWorker';
import './memoryLocalStorage'; // installs localStorage before the store modules load below

const { useStudioStore } = await import('../../src/store/index');
const { boot } = await import('../../src/store/actions');
const mood = await import('../../src/store/moodboardActions');
const { moodboardRow } = await import('../../src/worker/moodboardTrain');

afterEach(() => vi.restoreAllMocks());

/** A w×h PNG of one colour (straight alpha), written by pngjs. */
function png(w: number, h: number, rgba: [number, number, number, number]): Uint8Array {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) p.data.set(rgba, i * 4);
  return new Uint8Array(PNG.sync.write(p));
}

/** The test's decoder: pngjs and jpeg-js, as the browser's decoders would give the pixels. */
const decode = async (bytes: Uint8Array, mime: string): Promise<RgbaPicture> => {
  if (mime === 'image/png') {
    const p = PNG.sync.read(Buffer.from(bytes));
    return { width: p.width, height: p.height, data: new Uint8Array(p.data) };
  }
  const j = jpeg.decode(bytes, { useTArray: true });
  return { width: j.width, height: j.height, data: j.data };
};

const pixel = (rgba: ArrayBuffer, x: number, y: number) => Array.from(new Uint8Array(rgba, (y * 32 + x) * 4, 4));
const names = () => useStudioStore.getState().moodboard.items.map((i) => i.name);

describe('moodboard store actions', () => {
  it('adds real PNG and JPEG files fitted to 32×32 on white; refuses text, cut-short and undecodable files with what to do', async () => {
    await mood.loadMoodboard();
    expect(useStudioStore.getState().moodboard).toMatchObject({ items: [], loaded: true });
    const redWide = png(64, 48, [255, 0, 0, 255]); // → 32 × 24 at y = 4: white bars of 4 rows
    const greenJpeg = new Uint8Array(jpeg.encode({ data: Buffer.alloc(40 * 40 * 4, 0).map((_, i) => (i % 4 === 1 || i % 4 === 3 ? 255 : 0)), width: 40, height: 40 }, 95).data);
    const cut = png(8, 8, [0, 0, 0, 255]).slice(0, 20);
    const garbage = png(8, 8, [0, 0, 0, 255]);
    garbage.fill(7, 40); // valid header, body destroyed: the decoder fails
    const added = await mood.addMoodboardFiles(
      [
        { name: 'red.png', bytes: redWide },
        { name: 'notes.txt', bytes: new TextEncoder().encode('just text') },
        { name: 'green.jpg', bytes: greenJpeg },
        { name: 'cut.png', bytes: cut },
        { name: 'broken.png', bytes: garbage },
      ],
      decode,
    );
    expect(added).toBe(2);
    const st = useStudioStore.getState().moodboard;
    expect(names()).toEqual(['red.png', 'green.jpg']);
    expect(st.items.every((i) => i.liked && i.caption === '')).toBe(true);
    expect(st.message).toBe('Added 2 images as liked.');
    expect(st.error).toMatch(/^3 files not added: notes\.txt is not a PNG or JPEG image\. .*cut\.png looks like an image but is cut short or damaged.*broken\.png could not be decoded as a PNG \(.*\); open it in an image editor, save it again as PNG/);
    const red = st.items[0];
    expect(red.source).toEqual({ format: 'png', width: 64, height: 48 });
    expect(pixel(red.image.rgba, 5, 0)).toEqual([255, 255, 255, 255]); // margin
    expect(pixel(red.image.rgba, 5, 3)).toEqual([255, 255, 255, 255]);
    expect(pixel(red.image.rgba, 5, 4)).toEqual([255, 0, 0, 255]); // the picture
    expect(pixel(red.image.rgba, 31, 27)).toEqual([255, 0, 0, 255]);
    expect(pixel(red.image.rgba, 0, 28)).toEqual([255, 255, 255, 255]);
    const green = pixel(st.items[1].image.rgba, 16, 16);
    expect(green[1]).toBeGreaterThan(240); // JPEG is lossy: near pure green
    expect(green[0] + green[2]).toBeLessThan(20);
    expect((await listMoodboardItems()).map((i) => i.name)).toEqual(['red.png', 'green.jpg']);
  });

  it('a full disk adds nothing, says how to make room, and keeps what was there', async () => {
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    mood.setMoodboardAddAs('disliked');
    const added = await mood.addMoodboardFiles([{ name: 'blue.png', bytes: png(10, 10, [0, 0, 255, 255]) }, { name: 'x.txt', bytes: new Uint8Array([1, 2, 3]) }], decode);
    vi.restoreAllMocks();
    expect(added).toBe(0);
    const st = useStudioStore.getState().moodboard;
    expect(st.error).toMatch(/Browser storage is full, so the moodboard image was not saved; everything saved before is intact\. To make room: export a backup first.* 1 file not added: x\.txt is not a PNG or JPEG image/);
    expect(names()).toEqual(['red.png', 'green.jpg']);
    expect((await listMoodboardItems()).map((i) => i.name)).toEqual(['red.png', 'green.jpg']);
    expect(await mood.addMoodboardFiles([{ name: 'blue.png', bytes: png(10, 10, [0, 0, 255, 255]) }], decode)).toBe(1); // the disk has room again
    expect(useStudioStore.getState().moodboard.items.map((i) => [i.name, i.liked])).toEqual([
      ['red.png', true],
      ['green.jpg', true],
      ['blue.png', false],
    ]);
  });

  it('marks, captions and removal are stored; an over-long caption is refused and the old one kept', async () => {
    const [red, green, blue] = useStudioStore.getState().moodboard.items;
    await mood.setMoodboardMark(green.id, false);
    expect(await mood.setMoodboardCaption(red.id, '  red heart ')).toBe(true);
    expect(await mood.setMoodboardCaption(blue.id, 'x'.repeat(301))).toBe(false);
    expect(useStudioStore.getState().moodboard.error).toMatch(/at most 300 characters \(this one has 301\); shorten it\. The old caption was kept\./);
    const stored = await listMoodboardItems();
    expect(stored.map((i) => [i.name, i.liked, i.caption])).toEqual([
      ['red.png', true, 'red heart'],
      ['green.jpg', false, ''],
      ['blue.png', false, ''],
    ]);
    await mood.removeMoodboardItem(blue.id);
    expect(names()).toEqual(['red.png', 'green.jpg']);
    expect((await listMoodboardItems()).map((i) => i.name)).toEqual(['red.png', 'green.jpg']);
  });

  it('Train sends the recipe, shows what it learns from while steps stream in, and reports the outcome; a one-sided board never reaches the worker', async () => {
    const calls: Omit<MoodboardTrainRequest, 'type' | 'id'>[] = [];
    let step: (i: number) => void = () => {};
    let finish: () => void = () => {};
    const lora = newLora();
    const client = {
      ...bootCalls(lora),
      pair: () => new Promise(() => {}),
      moodboardTrain: (params: Omit<MoodboardTrainRequest, 'type' | 'id'>, opts: { onProgress?: (e: StudioEvent) => void }) => {
        calls.push(params);
        step = (i) =>
          opts.onProgress?.({ type: 'train-step', id: 9, index: i, total: params.recipe.steps, row: moodboardRow({ loss: 0.6, accuracy: 0.5, margin: 0.1, gradNorm: 2 }, i, params.recipe.learningRate, 2, 8, 5, i) } satisfies TrainStepEvent);
        return new Promise<MoodboardTrainedEvent>((resolve) => {
          finish = () => resolve({ type: 'moodboard-trained', id: 9, stepsDone: 2, stopped: false, liked: 1, disliked: 1, lora: { ...lora, step: 2 } });
        });
      },
    } as unknown as StudioApi;
    await boot('?model=tiny-test', () => client);
    mood.setMoodboardRecipe({ steps: 2, learningRate: 2e-3 });
    const run = mood.trainMoodboard();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toHaveLength(1);
    expect(calls[0].recipe).toMatchObject({ steps: 2, learningRate: 2e-3, beta: useStudioStore.getState().settings.moodboard.beta });
    expect(useStudioStore.getState().moodboard.run).toEqual({ liked: 1, disliked: 1 });
    expect(useStudioStore.getState().training.status).toBe('training');
    step(1);
    expect(useStudioStore.getState().training.done).toBe(1);
    expect(useStudioStore.getState().session.lora?.step).toBe(1);
    step(2);
    finish();
    await run;
    const st = useStudioStore.getState();
    expect(st.training.status).toBe('idle');
    expect(st.training.rows.map((r) => r.step)).toEqual([1, 2]);
    expect(st.moodboard.run).toBeNull();
    expect(st.moodboard.message).toBe('Learned from 1 liked and 1 disliked images: 2 steps; now at step 2.');

    await mood.setMoodboardMark(st.moodboard.items[1].id, true); // both liked now
    await mood.trainMoodboard();
    expect(calls).toHaveLength(1);
    expect(useStudioStore.getState().moodboard.error).toMatch(/needs at least one liked and one disliked image .*2 liked and 0 disliked/);
  });

  it('imports Pick-a-Pic pairs: the preferred image liked, the other disliked, with the caption; ties skipped; a bad file adds nothing', async () => {
    await mood.loadMoodboard();
    const before = useStudioStore.getState().moodboard.items.map((i) => i.id);
    const jpg = (rgb: [number, number, number]) => new Uint8Array(jpeg.encode({ data: Buffer.alloc(16 * 16 * 4, 0).map((_, i) => (i % 4 === 3 ? 255 : rgb[i % 4])), width: 16, height: 16 }, 95).data);
    const row = (caption: string, label0: number, a: [number, number, number], b: [number, number, number], uid: string): PickapicRow => ({
      caption,
      jpg_0: jpg(a),
      jpg_1: jpg(b),
      label_0: label0,
      label_1: 1 - label0,
      model_0: 'm',
      model_1: 'm',
      image_0_uid: `${uid}-0`,
      image_1_uid: `${uid}-1`,
      best_image_uid: label0 === 1 ? `${uid}-0` : label0 === 0 ? `${uid}-1` : '',
      are_different: true,
      has_label: true,
      ranking_id: 0,
      user_id: 1,
      created_at: '2026-12-07T00:00:00Z',
      num_example_per_prompt: 1,
    });
    const file = new TextEncoder().encode(rowsToJsonl([row('red heart', 1, [250, 0, 0], [0, 0, 250], 'p1'), row('dog', 0.5, [9, 9, 9], [99, 99, 99], 'p2'), row('sun', 0, [0, 0, 250], [250, 250, 0], 'p3')]));
    expect(await mood.importPickapicToMoodboard({ name: 'prefs.jsonl', bytes: file }, decode)).toBe(4);
    const added = useStudioStore.getState().moodboard.items.filter((i) => !before.includes(i.id));
    expect(added.map((i) => [i.name, i.liked, i.caption])).toEqual([
      ['p1-0.jpg', true, 'red heart'],
      ['p1-1.jpg', false, 'red heart'],
      ['p3-0.jpg', false, 'sun'],
      ['p3-1.jpg', true, 'sun'],
    ]);
    expect(pixel(added[0].image.rgba, 0, 0).slice(0, 3).map((v) => v > 200)).toEqual([true, false, false]); // the red winner, fitted to the model's square
    expect(useStudioStore.getState().moodboard.message).toBe('Added 4 images from 2 Pick-a-Pic pairs of prefs.jsonl (1 tie skipped): 2 liked, 2 disliked.');
    const stored = await listMoodboardItems();
    expect(stored.filter((i) => !before.includes(i.id)).map((i) => i.liked)).toEqual([true, false, false, true]);

    const count = useStudioStore.getState().moodboard.items.length;
    expect(await mood.importPickapicToMoodboard({ name: 'broken.jsonl', bytes: new TextEncoder().encode('{"caption": 1}\n') }, decode)).toBe(0);
    expect(useStudioStore.getState().moodboard.error).toMatch(/^broken\.jsonl: .*Nothing was added\.$/);
    const ties = new TextEncoder().encode(rowsToJsonl([row('dog', 0.5, [9, 9, 9], [99, 99, 99], 't')]));
    expect(await mood.importPickapicToMoodboard({ name: 'ties.jsonl', bytes: ties }, decode)).toBe(0);
    expect(useStudioStore.getState().moodboard.error).toMatch(/no row with a preference .*1 rows, all ties/);
    expect(useStudioStore.getState().moodboard.items.length).toBe(count);
  });
});
