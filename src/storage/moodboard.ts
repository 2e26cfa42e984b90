/** Moodboard images in IndexedDB under ['mood', id]: the picture already fitted to the model's square on white (RGBA8), liked or disliked, an optional caption, and where it came from. Validated on save, on read (damaged records are skipped) and by the backup import. */
import { KEY, KIND, RECORD_VERSION } from './keys';
import { entriesWithPrefix, inTx, noteSkippedRecord, req, tight, writeEntries, type Key } from './db';

/** Longest caption kept (the text encoder reads far fewer tokens; this only bounds a record). */
export const MAX_CAPTION_LENGTH = 300;

export interface MoodboardItem {
  id: string;
  addedAt: number; // epoch ms
  name: string; // the file's name, for the person
  liked: boolean;
  caption: string; // '' = no caption (trained unconditionally)
  size: number; // side of the square image (the model's, 32)
  rgba: Uint8Array; // size·size·4 bytes, opaque (composited on white)
  source: { format: 'png' | 'jpeg'; width: number; height: number }; // the original file
}

type MoodboardRecord = MoodboardItem & { v: number };

const isStr = (x: unknown): x is string => typeof x === 'string';
const isPosInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0;

/** Why an item is malformed, or null (shared by save, read and backup import). */
export function moodboardItemProblem(i: Partial<MoodboardItem>): string | null {
  if (!isStr(i.id) || i.id === '') return 'id must be a non-empty string';
  if (typeof i.addedAt !== 'number' || !Number.isFinite(i.addedAt)) return 'addedAt must be epoch ms';
  if (!isStr(i.name)) return 'name must be a string';
  if (typeof i.liked !== 'boolean') return 'liked must be true or false';
  if (!isStr(i.caption) || i.caption.length > MAX_CAPTION_LENGTH) return `caption must be a string of at most ${MAX_CAPTION_LENGTH} characters`;
  if (!isPosInt(i.size) || i.size > 1024) return 'size must be a positive integer (pixels per side)';
  if (!(i.rgba instanceof Uint8Array) || i.rgba.length !== i.size * i.size * 4) return `rgba must hold ${isPosInt(i.size) ? i.size * i.size * 4 : 'size·size·4'} bytes`;
  const s = i.source as Partial<MoodboardItem['source']> | undefined;
  if (typeof s !== 'object' || s === null || (s.format !== 'png' && s.format !== 'jpeg') || !isPosInt(s.width) || !isPosInt(s.height)) return 'source must give the format (png or jpeg) and the original width and height';
  return null;
}

function toRecord(i: MoodboardItem): MoodboardRecord {
  return { v: RECORD_VERSION, id: i.id, addedAt: i.addedAt, name: i.name, liked: i.liked, caption: i.caption, size: i.size, rgba: tight(i.rgba), source: { format: i.source.format, width: i.source.width, height: i.source.height } };
}

function fromRecord(r: MoodboardRecord): MoodboardItem {
  return { id: r.id, addedAt: r.addedAt, name: r.name, liked: r.liked, caption: r.caption, size: r.size, rgba: r.rgba, source: { ...r.source } };
}

/** Why a backed-up entry of the moodboard database is invalid, or null (own fields only: a backup is untrusted JSON). */
export function moodboardEntryProblem(key: Key, value: unknown): string | null {
  if (!Array.isArray(key) || key.length !== 2 || key[0] !== KIND.moodItem || !isStr(key[1])) return `unexpected key ${JSON.stringify(key)}`;
  if (typeof value !== 'object' || value === null) return `moodboard image ${key[1]} is not a record`;
  const r = value as Partial<MoodboardRecord>;
  if (!Object.hasOwn(r, 'v') || r.v !== RECORD_VERSION) return `moodboard image ${key[1]} has record version ${JSON.stringify(r.v)}, expected ${RECORD_VERSION}`;
  if (!Object.hasOwn(r, 'id') || r.id !== key[1]) return `moodboard image ${key[1]} is stored under the wrong key`;
  const problem = moodboardItemProblem(r);
  return problem ? `moodboard image ${key[1]}: ${problem}` : null;
}

/** Saves several images in one transaction: all of them or none (a full disk throws StorageFullError and changes nothing). */
export async function saveMoodboardItems(items: MoodboardItem[]): Promise<void> {
  for (const i of items) {
    const problem = moodboardItemProblem(i);
    if (problem) throw new Error(`Cannot save the moodboard image ${JSON.stringify(i.name)}: ${problem}.`);
  }
  await writeEntries('moodboard', items.length === 1 ? 'the moodboard image' : `the batch of ${items.length} moodboard images`, items.map((i) => [KEY.moodItem(i.id), toRecord(i)]));
}

/** Every moodboard image, oldest first; damaged records are skipped with a console note. */
export async function listMoodboardItems(): Promise<MoodboardItem[]> {
  const entries = await entriesWithPrefix<unknown>('moodboard', [KIND.moodItem]);
  const out: MoodboardItem[] = [];
  for (const [key, value] of entries) {
    const problem = moodboardEntryProblem(key, value);
    if (problem) {
      noteSkippedRecord('moodboard', key, problem);
      continue;
    }
    out.push(fromRecord(value as MoodboardRecord));
  }
  return out.sort((a, b) => a.addedAt - b.addedAt || (a.id < b.id ? -1 : 1));
}

/** Changes an image's mark or caption in one read-modify-write transaction; false when it no longer exists. */
export async function updateMoodboardItem(id: string, change: Partial<Pick<MoodboardItem, 'liked' | 'caption'>>): Promise<boolean> {
  return inTx('moodboard', 'readwrite', 'the moodboard change', async (os) => {
    const current = (await req(os.get(KEY.moodItem(id)))) as MoodboardRecord | undefined;
    if (current == null || moodboardEntryProblem(KEY.moodItem(id), current) !== null) return false;
    const next = { ...fromRecord(current), ...(change.liked !== undefined ? { liked: change.liked } : {}), ...(change.caption !== undefined ? { caption: change.caption } : {}) };
    const problem = moodboardItemProblem(next);
    if (problem) throw new Error(`Cannot change the moodboard image ${JSON.stringify(next.name)}: ${problem}.`);
    await req(os.put(toRecord(next), KEY.moodItem(id)));
    return true;
  });
}

export async function deleteMoodboardItems(ids: string[]): Promise<void> {
  await writeEntries('moodboard', 'the deletion', [], ids.map((id) => KEY.moodItem(id)));
}
