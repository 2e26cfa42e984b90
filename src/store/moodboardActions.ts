// Moodboard actions: load the stored images, add dropped or picked files (every file checked, decoded and fitted to the model's 32×32 on white before one write; bad files are named with what to do and change nothing), mark liked/disliked, caption, remove, the recipe's fields, and Train (Diffusion-DPO steps in the worker through the shared training lifecycle: Stop, the dashboard and checkpoints work as for D3PO).
import { jsonlToRows, zipToRows, type PickapicRow } from '../core/preferences/pickapic';
import { fitOnWhite, type RgbaPicture } from '../core/moodboard/fitImage';
import { readImageHeader } from '../core/moodboard/imageFile';
import { moodboardProblem } from '../core/moodboard/moodboardPairs';
import { validateMoodboardRecipe, type MoodboardRecipe } from '../core/moodboard/recipe';
import { deleteMoodboardItems, listMoodboardItems, MAX_CAPTION_LENGTH, saveMoodboardItems, updateMoodboardItem, type MoodboardItem } from '../storage/moodboard';
import { decodeImageFile } from '../platform/imageDecode';
import { errorMessage, getClient } from './client';
import { patch, useStudioStore } from './index';
import { moodboardCounts, type MoodboardEntry } from './moodboardSlice';
import { activePrompts } from './settingsSlice';
import { canTrain, onStep, refreshCheckpoints, runTraining } from './trainingActions';

/** Decodes an image file to RGBA (the browser's decoders in the page; tests pass their own). */
export type ImageDecoder = (bytes: Uint8Array, mime: string) => Promise<RgbaPicture>;

/** The model's image side when no model is loaded yet (emoji-sd and tiny-test are both 32 × 32). */
const DEFAULT_IMAGE_SIZE = 32;

const entryOf = (i: MoodboardItem): MoodboardEntry => ({
  id: i.id,
  name: i.name,
  liked: i.liked,
  caption: i.caption,
  image: { width: i.size, height: i.size, rgba: i.rgba.slice().buffer as ArrayBuffer },
  source: { ...i.source },
});

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Reads the stored moodboard into the view. */
export async function loadMoodboard(): Promise<void> {
  try {
    const items = await listMoodboardItems();
    patch('moodboard', { items: items.map(entryOf), loaded: true });
  } catch (e) {
    patch('moodboard', { loaded: true, error: errorMessage(e) });
  }
}

/** A file to add; `liked` and `caption` override the board's "add as" mark and the empty caption (imports). */
export interface MoodboardFile {
  name: string;
  bytes: Uint8Array;
  liked?: boolean;
  caption?: string;
}

/** The mark new images get. */
export function setMoodboardAddAs(addAs: 'liked' | 'disliked'): void {
  patch('moodboard', { addAs });
}

/**
 * Adds image files: each is checked (PNG or JPEG, size limits), decoded and fitted to the model's square on white; the
 * good ones are saved in one write and shown, the others are named in the error with what to do. A full disk saves
 * none of them and changes nothing. Returns how many were added.
 */
export async function addMoodboardFiles(files: MoodboardFile[], decode: ImageDecoder = decodeImageFile, from?: string): Promise<number> {
  const st = useStudioStore.getState();
  if (st.moodboard.busy || files.length === 0) return 0;
  patch('moodboard', { busy: true, error: null, message: null });
  const size = st.session.model?.imageSize ?? DEFAULT_IMAGE_SIZE;
  const addAs = st.moodboard.addAs === 'liked';
  const problems: string[] = [];
  const items: MoodboardItem[] = [];
  const now = Date.now();
  for (const f of files) {
    const header = readImageHeader(f.name, f.bytes);
    if ('problem' in header) {
      problems.push(header.problem);
      continue;
    }
    let picture: RgbaPicture;
    try {
      picture = await decode(f.bytes, header.format === 'png' ? 'image/png' : 'image/jpeg');
    } catch (e) {
      problems.push(`${f.name} could not be decoded as a ${header.format.toUpperCase()} (${errorMessage(e)}); open it in an image editor, save it again as PNG and add the new file.`);
      continue;
    }
    items.push({
      id: `mood-${now.toString(36)}-${crypto.randomUUID().slice(0, 8)}`,
      addedAt: now + items.length,
      name: f.name,
      liked: f.liked ?? addAs,
      caption: (f.caption ?? '').slice(0, MAX_CAPTION_LENGTH),
      size,
      rgba: new Uint8Array(fitOnWhite(picture, size).buffer),
      source: { format: header.format, width: picture.width, height: picture.height },
    });
  }
  const refused = problems.length > 0 ? `${plural(problems.length, 'file')} not added: ${problems.join(' ')}` : null;
  try {
    if (items.length > 0) await saveMoodboardItems(items);
  } catch (e) {
    patch('moodboard', { busy: false, error: [errorMessage(e), refused].filter(Boolean).join(' ') });
    return 0;
  }
  const now2 = useStudioStore.getState().moodboard;
  patch('moodboard', {
    busy: false,
    items: [...now2.items, ...items.map(entryOf)],
    message:
      items.length === 0
        ? null
        : from
          ? `Added ${plural(items.length, 'image')} ${from}: ${items.filter((i) => i.liked).length} liked, ${items.filter((i) => !i.liked).length} disliked.`
          : `Added ${plural(items.length, 'image')} as ${addAs ? 'liked' : 'disliked'}.`,
    error: refused,
  });
  return items.length;
}

/** The most Pick-a-Pic pairs one import adds (two images each; a moodboard trains on every liked × disliked pair). */
export const MAX_IMPORTED_PAIRS = 500;

/**
 * Imports Pick-a-Pic v2 rows (the studio's JSONL or zip export, or any file in those columns) as Diffusion-DPO data:
 * each row's preferred image (label_0 = 1 → jpg_0) becomes a liked image and the other a disliked one, captioned with
 * the row's caption. Ties carry no preference and are skipped. A file that cannot be read changes nothing.
 */
export async function importPickapicToMoodboard(file: { name: string; bytes: Uint8Array }, decode: ImageDecoder = decodeImageFile): Promise<number> {
  let rows: PickapicRow[];
  try {
    rows = /\.zip$/i.test(file.name) ? zipToRows(file.bytes) : jsonlToRows(file.bytes, file.name);
  } catch (e) {
    patch('moodboard', { error: `${file.name}: ${errorMessage(e)} Nothing was added.`, message: null });
    return 0;
  }
  const pairs = rows.filter((r) => r.label_0 === 0 || r.label_0 === 1);
  if (pairs.length === 0) {
    patch('moodboard', { error: `${file.name} has no row with a preference (label_0 = 1 or 0; ${rows.length} rows, all ties); nothing was added.`, message: null });
    return 0;
  }
  if (pairs.length > MAX_IMPORTED_PAIRS) {
    patch('moodboard', { error: `${file.name} has ${pairs.length} preference rows; the moodboard takes at most ${MAX_IMPORTED_PAIRS} per import. Split the file and import the parts; nothing was added.`, message: null });
    return 0;
  }
  const files: MoodboardFile[] = pairs.flatMap((r, k) => [
    { name: `${r.image_0_uid || `row${k}-0`}.jpg`, bytes: r.jpg_0, liked: r.label_0 === 1, caption: r.caption },
    { name: `${r.image_1_uid || `row${k}-1`}.jpg`, bytes: r.jpg_1, liked: r.label_0 === 0, caption: r.caption },
  ]);
  const skipped = rows.length - pairs.length;
  return addMoodboardFiles(files, decode, `from ${plural(pairs.length, 'Pick-a-Pic pair')} of ${file.name}${skipped ? ` (${plural(skipped, 'tie')} skipped)` : ''}`);
}

/** Applies a stored change to one image in the view; when the image is gone, reloads the list and says so. */
async function change(id: string, what: Partial<Pick<MoodboardItem, 'liked' | 'caption'>>): Promise<void> {
  try {
    const ok = await updateMoodboardItem(id, what);
    if (!ok) {
      await loadMoodboard();
      patch('moodboard', { error: 'That image is no longer stored (removed in another tab?); the moodboard was reloaded.' });
      return;
    }
    patch('moodboard', { items: useStudioStore.getState().moodboard.items.map((i) => (i.id === id ? { ...i, ...what } : i)), error: null });
  } catch (e) {
    patch('moodboard', { error: errorMessage(e) });
  }
}

export function setMoodboardMark(id: string, liked: boolean): Promise<void> {
  return change(id, { liked });
}

/** Saves a caption ('' = none); an over-long one is refused with what to do and nothing changes. */
export async function setMoodboardCaption(id: string, caption: string): Promise<boolean> {
  const text = caption.trim();
  if (text.length > MAX_CAPTION_LENGTH) {
    patch('moodboard', { error: `A caption may have at most ${MAX_CAPTION_LENGTH} characters (this one has ${text.length}); shorten it. The old caption was kept.` });
    return false;
  }
  await change(id, { caption: text });
  return true;
}

export async function removeMoodboardItem(id: string): Promise<void> {
  try {
    await deleteMoodboardItems([id]);
    patch('moodboard', { items: useStudioStore.getState().moodboard.items.filter((i) => i.id !== id), error: null });
  } catch (e) {
    patch('moodboard', { error: errorMessage(e) });
  }
}

/** Changes recipe fields (persisted with the settings). */
export function setMoodboardRecipe(change: Partial<MoodboardRecipe>): void {
  patch('settings', { moodboard: { ...useStudioStore.getState().settings.moodboard, ...change } });
}

/** Runs the recipe's Diffusion-DPO steps on the moodboard in the worker; resolves when the run ends (Stop ends it between steps). */
export async function trainMoodboard(): Promise<void> {
  if (!canTrain()) return;
  const s = useStudioStore.getState();
  const problem = moodboardProblem(s.moodboard.items) ?? validateMoodboardRecipe(s.settings.moodboard);
  if (problem) {
    patch('moodboard', { error: problem, message: null });
    return;
  }
  const recipe = { ...s.settings.moodboard };
  const counts = moodboardCounts(s.moodboard.items);
  patch('moodboard', { run: counts, error: null, message: null });
  await runTraining(
    recipe.steps,
    (signal) =>
      getClient().moodboardTrain(
        { recipe, runId: s.training.runId, checkpointEvery: s.settings.train.checkpointEvery, seed: (Date.now() % 2 ** 31) >>> 0, prompts: activePrompts(s.settings) },
        { signal, onProgress: (e) => (e.type === 'train-step' ? onStep(e.row, e.index) : void refreshCheckpoints()) },
      ),
    (r) =>
      r.stopped
        ? `Stopped after ${r.stepsDone} of ${recipe.steps} moodboard steps; now at step ${r.lora.step}.`
        : `Learned from ${r.liked} liked and ${r.disliked} disliked images: ${plural(r.stepsDone, 'step')}; now at step ${r.lora.step}.`,
  );
  const t = useStudioStore.getState().training;
  patch('moodboard', { run: null, message: t.message, error: t.error });
}
