/** Labeled pairs ⇄ Pick-a-Pic v2 rows (the yuvalkirstain/pickapic_v2 dataset's columns) as JSONL or a zip (metadata.jsonl + images/), D3PO's annotator averaging (yk7333/d3po scripts/utils.py load_data_from_json), and the small zip reader/writer they use. Pure: no DOM. */
import { encodeRgbaJpeg } from '../io/jpeg';
import type { Vote } from '../algorithms/d3po';
import { decodeUtf8Strict, encodeUtf8 } from '../io/utf8';
import { decodeBase64, encodeBase64 } from '../io/base64';
import { bytesEqual, readZip, writeZip } from '../io/zip';


/** How the studio recorded the vote; Pick-a-Pic has only label_0/label_1, where 'both-bad' and 'tie' are both 0.5/0.5. */
export type StudioVote = 'image_0' | 'image_1' | 'tie' | 'both-bad';

/** One compared pair in Pick-a-Pic v2 columns (yuvalkirstain/pickapic_v2), plus the studio's `studio_vote`. */
export interface PickapicRow {
  caption: string;
  jpg_0: Uint8Array; // JPEG bytes
  jpg_1: Uint8Array;
  label_0: number; // 1 = jpg_0 preferred, 0 = jpg_1 preferred, 0.5 = tie
  label_1: number; // 1 − label_0
  model_0: string;
  model_1: string;
  image_0_uid: string;
  image_1_uid: string;
  best_image_uid: string; // the winner's uid, '' on a tie
  are_different: boolean;
  has_label: boolean;
  ranking_id: number; // int64: pairs from one best-of-k grid share it
  user_id: number; // int64
  created_at: string; // ISO 8601 time of the vote
  num_example_per_prompt: number; // int64: rows with this caption in the file
  studio_vote?: StudioVote; // absent in files not written by the studio
}

/** The parts of a stored pair the export reads (storage's StoredPair and PairSummary fit). */
export interface PickapicPairInput {
  id: string;
  prompt: string;
  modelId: string;
  loraVersion: string | null;
  images: [Uint8Array, Uint8Array]; // raw RGBA (square), JPEG, or anything `decodeImage` turns into RGBA
  group?: string;
}

/** The parts of a vote the export reads (storage's Label fits). `vote` is in trajectory/image order. */
export interface PickapicLabelInput {
  pairId: string;
  vote: Vote;
  time: number; // epoch ms
}

export interface PickapicExportOptions {
  userId?: number; // user_id column (int64), default 0
  modelNames?: Record<string, string>; // display names keyed by "modelId@loraVersion" or "modelId"; default that key itself
  jpegQuality?: number; // 1..100, default 95
  decodeImage?: (bytes: Uint8Array) => { data: Uint8Array; width: number; height: number }; // for PNG images
}

/** A file or row set that is not valid Pick-a-Pic data; the message says where and what to do. Nothing is returned partially. */
export class PickapicError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PickapicError';
  }
}


// ---------------------------------------------------------------- export: pairs + labels -> rows

const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const isPng = (b: Uint8Array) => b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;

function imageToJpeg(bytes: Uint8Array, where: string, opts: PickapicExportOptions): Uint8Array {
  if (isJpeg(bytes)) return bytes.slice();
  let rgba: { data: Uint8Array; width: number; height: number };
  if (opts.decodeImage) rgba = opts.decodeImage(bytes);
  else {
    if (isPng(bytes)) throw new PickapicError(`${where} is PNG; pass decodeImage (PNG → RGBA) in the export options, or store raw RGBA images.`);
    const side = Math.round(Math.sqrt(bytes.length / 4));
    if (bytes.length === 0 || side * side * 4 !== bytes.length) {
      throw new PickapicError(`${where} has ${bytes.length} bytes, which is not a square RGBA image (side² × 4); pass decodeImage for other formats.`);
    }
    rgba = { data: bytes, width: side, height: side };
  }
  return encodeRgbaJpeg(rgba.data, rgba.width, rgba.height, opts.jpegQuality ?? 95);
}

/** The studio's image uid: `<pairId>-<0|1>` (trajectory order). */
export const imageUid = (pairId: string, k: 0 | 1) => `${pairId}-${k}`;

/** The pair id when both uids are studio uids of one pair, else null. */
export function pairIdFromUids(uid0: string, uid1: string): string | null {
  const m0 = /^(.*)-([01])$/.exec(uid0);
  const m1 = /^(.*)-([01])$/.exec(uid1);
  return m0 && m1 && m0[1] === m1[1] && m0[2] !== m1[2] && m0[1] !== '' ? m0[1] : null;
}

const LABELS: Record<string, [number, number, StudioVote]> = {
  '0': [1, 0, 'image_0'],
  '1': [0, 1, 'image_1'],
  tie: [0.5, 0.5, 'tie'],
  'both-bad': [0.5, 0.5, 'both-bad'],
};

/**
 * One Pick-a-Pic row per labeled pair, in label order; pairs without a label and labels whose pair is absent are
 * left out. jpg_0/image_0 is the pair's trajectory 0, so label_0 = 1 means the vote was 0.
 */
export function pairsToPickapicRows(pairs: PickapicPairInput[], labels: PickapicLabelInput[], opts: PickapicExportOptions = {}): PickapicRow[] {
  const userId = opts.userId ?? 0;
  if (!Number.isSafeInteger(userId)) throw new PickapicError(`userId must be an integer (Pick-a-Pic's user_id is int64), got ${userId}.`);
  const byId = new Map(pairs.map((p) => [p.id, p]));
  const rankingIds = new Map<string, number>();
  let nextRanking = 0;
  const rows: PickapicRow[] = [];
  for (const l of labels) {
    const p = byId.get(l.pairId);
    if (!p) continue;
    const lab = Object.hasOwn(LABELS, String(l.vote)) ? LABELS[String(l.vote)] : undefined;
    if (!Number.isFinite(l.time)) throw new PickapicError(`The vote on pair ${p.id} has time ${l.time}; it must be epoch ms.`);
    if (!lab) throw new PickapicError(`The vote on pair ${p.id} is ${JSON.stringify(l.vote)}; votes are 0, 1, 'tie' or 'both-bad'.`);
    const key = p.loraVersion === null ? p.modelId : `${p.modelId}@${p.loraVersion}`;
    const names = opts.modelNames ?? {};
    const model = Object.hasOwn(names, key) ? names[key] : Object.hasOwn(names, p.modelId) ? names[p.modelId] : key;
    const [uid0, uid1] = [imageUid(p.id, 0), imageUid(p.id, 1)];
    let ranking: number;
    if (p.group === undefined) ranking = nextRanking++;
    else {
      if (!rankingIds.has(p.group)) rankingIds.set(p.group, nextRanking++);
      ranking = rankingIds.get(p.group)!;
    }
    rows.push({
      caption: p.prompt,
      jpg_0: imageToJpeg(p.images[0], `Image 0 of pair ${p.id}`, opts),
      jpg_1: imageToJpeg(p.images[1], `Image 1 of pair ${p.id}`, opts),
      label_0: lab[0],
      label_1: lab[1],
      model_0: model,
      model_1: model,
      image_0_uid: uid0,
      image_1_uid: uid1,
      best_image_uid: lab[0] === 1 ? uid0 : lab[1] === 1 ? uid1 : '',
      are_different: uid0 !== uid1,
      has_label: true,
      ranking_id: ranking,
      user_id: userId,
      created_at: new Date(l.time).toISOString(),
      num_example_per_prompt: 0,
      studio_vote: lab[2],
    });
  }
  const perCaption = new Map<string, number>();
  for (const r of rows) perCaption.set(r.caption, (perCaption.get(r.caption) ?? 0) + 1);
  for (const r of rows) r.num_example_per_prompt = perCaption.get(r.caption)!;
  return rows;
}

// ---------------------------------------------------------------- rows <-> JSON objects (validated)

const COLUMNS = [
  'caption', 'jpg_0', 'jpg_1', 'label_0', 'label_1', 'model_0', 'model_1', 'image_0_uid', 'image_1_uid', 'best_image_uid',
  'are_different', 'has_label', 'ranking_id', 'user_id', 'created_at', 'num_example_per_prompt',
] as const;
const STRING_COLS = ['caption', 'model_0', 'model_1', 'image_0_uid', 'image_1_uid', 'best_image_uid', 'created_at'] as const;
const BOOL_COLS = ['are_different', 'has_label'] as const;
const INT_COLS = ['ranking_id', 'user_id', 'num_example_per_prompt'] as const;
const STUDIO_VOTES: readonly string[] = ['image_0', 'image_1', 'tie', 'both-bad'];

function rowToObject(r: PickapicRow, images: (r: PickapicRow) => Record<string, string>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of COLUMNS) {
    if (c === 'jpg_0') Object.assign(o, images(r)); // both image columns, in place
    else if (c !== 'jpg_1') o[c] = r[c];
  }
  if (r.studio_vote !== undefined) o.studio_vote = r.studio_vote;
  return o;
}

/**
 * A validated row from a parsed JSON object; `image(col)` resolves jpg_0/jpg_1 (base64 in JSONL, a file in a zip).
 * Throws PickapicError naming the line and column.
 */
function objectToRow(o: unknown, where: string, image: (o: Record<string, unknown>, col: 'jpg_0' | 'jpg_1') => Uint8Array): PickapicRow {
  const fail = (msg: string): never => {
    throw new PickapicError(`${where}: ${msg}. Fix the file or export it again.`);
  };
  if (typeof o !== 'object' || o === null || Array.isArray(o)) fail('a row must be a JSON object');
  const obj = o as Record<string, unknown>;
  for (const c of STRING_COLS) if (typeof obj[c] !== 'string') fail(`column "${c}" must be a string, got ${describe(obj[c])}`);
  for (const c of BOOL_COLS) if (typeof obj[c] !== 'boolean') fail(`column "${c}" must be true or false, got ${describe(obj[c])}`);
  for (const c of INT_COLS) if (!Number.isSafeInteger(obj[c])) fail(`column "${c}" must be an integer, got ${describe(obj[c])}`);
  for (const c of ['label_0', 'label_1'] as const) {
    const v = obj[c];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(`column "${c}" must be a number in [0, 1], got ${describe(v)}`);
  }
  const row = obj as unknown as PickapicRow;
  if (row.has_label && Math.abs(row.label_0 + row.label_1 - 1) > 1e-6) fail(`label_0 + label_1 must be 1, got ${row.label_0} + ${row.label_1}`);
  if (row.image_0_uid === '' || row.image_1_uid === '') fail('image_0_uid and image_1_uid must not be empty');
  if (row.best_image_uid !== '' && row.best_image_uid !== row.image_0_uid && row.best_image_uid !== row.image_1_uid) {
    fail(`best_image_uid ${JSON.stringify(row.best_image_uid)} is neither image_0_uid nor image_1_uid`);
  }
  if (Number.isNaN(Date.parse(row.created_at))) fail(`created_at ${JSON.stringify(row.created_at)} is not a date`);
  const sv = obj.studio_vote;
  if (sv !== undefined) {
    if (typeof sv !== 'string' || !STUDIO_VOTES.includes(sv)) fail(`studio_vote must be one of ${STUDIO_VOTES.join(', ')}, got ${describe(sv)}`);
    const expect = sv === 'image_0' ? 1 : sv === 'image_1' ? 0 : 0.5;
    if (row.label_0 !== expect) fail(`studio_vote "${sv}" contradicts label_0 = ${row.label_0}`);
  }
  const out: PickapicRow = {
    caption: row.caption,
    jpg_0: image(obj, 'jpg_0'),
    jpg_1: image(obj, 'jpg_1'),
    label_0: row.label_0,
    label_1: row.label_1,
    model_0: row.model_0,
    model_1: row.model_1,
    image_0_uid: row.image_0_uid,
    image_1_uid: row.image_1_uid,
    best_image_uid: row.best_image_uid,
    are_different: row.are_different,
    has_label: row.has_label,
    ranking_id: row.ranking_id,
    user_id: row.user_id,
    created_at: row.created_at,
    num_example_per_prompt: row.num_example_per_prompt,
  };
  if (sv !== undefined) out.studio_vote = sv as StudioVote;
  return out;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the column is missing)';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function checkJpeg(bytes: Uint8Array, where: string, col: string): Uint8Array {
  if (!isJpeg(bytes)) throw new PickapicError(`${where}: ${col} is not JPEG data (no FF D8 FF start marker). Fix the file or export it again.`);
  return bytes;
}

/**
 * Most lines a JSON Lines file may have, blank ones included. The studio writes one line per labeled pair; a file
 * past this is not a label export (a 252 KB zip can hold 256 MB of bare newlines), so it is refused before any work.
 */
export const MAX_JSONL_LINES = 1_000_000;

/**
 * Lines of JSON from text or UTF-8 bytes (blank lines skipped), each with its 1-based line number. Reads line by line
 * (bytes are decoded one line at a time), never splitting the whole input into an array of lines.
 */
function jsonLines(input: string | Uint8Array, name: string): { line: number; value: unknown }[] {
  const out: { line: number; value: unknown }[] = [];
  const parse = (s: string, line: number) => {
    try {
      out.push({ line, value: JSON.parse(s) });
    } catch {
      throw new PickapicError(`${name}, line ${line}: not valid JSON. Each line must be one JSON object (JSON Lines); fix the file or export it again.`);
    }
  };
  const tooMany = () =>
    new PickapicError(`${name} has more than ${MAX_JSONL_LINES.toLocaleString('en')} lines; a label export has one line per labeled pair. Split it into smaller files, or check that this is the file you meant.`);
  let line = 0;
  if (typeof input === 'string') {
    for (let start = 0; start <= input.length; line++) {
      if (line === MAX_JSONL_LINES) {
        if (start === input.length) break; // the last line's newline
        throw tooMany();
      }
      const nl = input.indexOf('\n', start);
      const end = nl < 0 ? input.length : nl;
      const s = input.slice(start, end).trim();
      if (s !== '') parse(line === 0 && s.charCodeAt(0) === 0xfeff ? s.slice(1) : s, line + 1);
      if (nl < 0) break;
      start = nl + 1;
    }
    return out;
  }
  const bom = input.length >= 3 && input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  for (let start = bom; start <= input.length; line++) {
    if (line === MAX_JSONL_LINES) {
      if (start === input.length) break; // the last line's newline
      throw tooMany();
    }
    const nl = input.indexOf(0x0a, start);
    const end = nl < 0 ? input.length : nl;
    const bytes = input.subarray(start, end);
    if (!bytes.every(isJsonSpace)) {
      const d = decodeUtf8Strict(bytes);
      if ('badByte' in d) throw new PickapicError(`${name} is not UTF-8 text (bad byte at offset ${start + d.badByte}); is it the right file?`);
      const text = d.text.trim();
      if (text !== '') parse(text, line + 1);
    }
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
}

/** JSON whitespace (RFC 8259 §2): space, tab, line feed, carriage return. */
const isJsonSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

// ---------------------------------------------------------------- JSONL

/** Rows as JSON Lines, images as base64 JPEG in jpg_0/jpg_1. */
export function rowsToJsonl(rows: PickapicRow[]): string {
  return rows.map((r) => JSON.stringify(rowToObject(r, (x) => ({ jpg_0: encodeBase64(x.jpg_0), jpg_1: encodeBase64(x.jpg_1) })))).join('\n') + (rows.length ? '\n' : '');
}

/** Rows from JSON Lines (text or UTF-8 bytes). Throws PickapicError on the first bad line; returns nothing partially. */
export function jsonlToRows(input: string | Uint8Array, name = 'The JSONL file'): PickapicRow[] {
  return jsonLines(input, name).map(({ line, value }) => {
    const where = `${name}, line ${line}`;
    return objectToRow(value, where, (o, col) => {
      const v = o[col];
      if (typeof v !== 'string') throw new PickapicError(`${where}: column "${col}" must be base64 JPEG text, got ${describe(v)}. Fix the file or export it again.`);
      const bytes = decodeBase64(v);
      if (!bytes) throw new PickapicError(`${where}: column "${col}" is not valid base64. Fix the file or export it again.`);
      return checkJpeg(bytes, where, col);
    });
  });
}

// ---------------------------------------------------------------- zip (metadata.jsonl + images/<uid>.jpg)

const safeName = (uid: string) => uid.replace(/[^A-Za-z0-9._-]/g, '_') || 'image';

/** A zip with metadata.jsonl (jpg_0/jpg_1 replaced by jpg_0_file_name/jpg_1_file_name, the HF imagefolder convention) and images/<uid>.jpg. */
export function rowsToZip(rows: PickapicRow[], opts: { mtime?: number } = {}): Uint8Array {
  const files = new Map<string, Uint8Array>();
  const nameOf = new Map<string, string>(); // uid -> file name
  const fileFor = (uid: string, bytes: Uint8Array) => {
    const known = nameOf.get(uid);
    if (known !== undefined && bytesEqual(files.get(known)!, bytes)) return known;
    let name = `images/${safeName(uid)}.jpg`;
    for (let k = 1; files.has(name); k++) name = `images/${safeName(uid)}~${k}.jpg`;
    files.set(name, bytes);
    nameOf.set(uid, name);
    return name;
  };
  const lines = rows.map((r) =>
    JSON.stringify(rowToObject(r, (x) => ({ jpg_0_file_name: fileFor(x.image_0_uid, x.jpg_0), jpg_1_file_name: fileFor(x.image_1_uid, x.jpg_1) }))),
  );
  const entries = [{ name: 'metadata.jsonl', data: encodeUtf8(lines.join('\n') + (lines.length ? '\n' : '')) }, ...[...files].map(([name, data]) => ({ name, data }))];
  return writeZip(entries, { mtime: opts.mtime, deflate: (name) => name.endsWith('.jsonl') });
}

/** Rows from a zip written by rowsToZip (or any zip with a metadata.jsonl whose rows have jpg_*_file_name or base64 jpg_*). */
export function zipToRows(bytes: Uint8Array): PickapicRow[] {
  let files: Map<string, Uint8Array>;
  try {
    files = readZip(bytes);
  } catch (e) {
    throw new PickapicError(`The Pick-a-Pic zip cannot be read: ${(e as Error).message}`, { cause: e });
  }
  const metas = [...files.keys()].filter((n) => n === 'metadata.jsonl' || n.endsWith('/metadata.jsonl')).sort((a, b) => a.split('/').length - b.split('/').length);
  if (metas.length === 0) throw new PickapicError('The zip has no metadata.jsonl; export it again from the studio, or add the rows as metadata.jsonl next to an images/ folder.');
  const meta = metas[0];
  const dir = meta.slice(0, meta.length - 'metadata.jsonl'.length);
  const name = `metadata.jsonl in the zip`;
  return jsonLines(files.get(meta)!, name).map(({ line, value }) => {
    const where = `${name}, line ${line}`;
    return objectToRow(value, where, (o, col) => {
      if (typeof o[col] === 'string') {
        const b = decodeBase64(o[col] as string);
        if (!b) throw new PickapicError(`${where}: column "${col}" is not valid base64. Fix the file or export it again.`);
        return checkJpeg(b, where, col);
      }
      const ref = o[`${col}_file_name`];
      if (typeof ref !== 'string') throw new PickapicError(`${where}: column "${col}_file_name" (or "${col}") is missing. Fix the file or export it again.`);
      const data = files.get(dir + ref) ?? files.get(ref);
      if (!data) throw new PickapicError(`${where}: ${col}_file_name points at ${JSON.stringify(ref)}, which is not in the zip. Add the image or export it again.`);
      return checkJpeg(data.slice(), where, col);
    });
  });
}
