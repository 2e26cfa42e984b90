// A pairs folder on disk (D3PO's human-feedback workflow: scripts/sample.py output + annotators' JSON files + scripts/train.py input): pairs.json, trajectories.safetensors, images/, labels.json.
import fs from 'node:fs';
import path from 'node:path';
import { decodePairs, type LabeledPair, type LatentDtype } from '../../src/core/algorithms/trajectoryCodec';
import { VOTE_LETTERS, type VoteLetter } from '../../src/core/preferences/votes';

export const PAIRS_FILE = 'pairs.json';
export const TRAJECTORIES_FILE = 'trajectories.safetensors';
export const LABELS_FILE = 'labels.json';
export const IMAGES_DIR = 'images';
export const PAIRS_FORMAT = 'd3po-studio-pairs';

export interface PairEntry {
  id: string;
  prompt: string;
  seed: number; // seeds the shared x_T and both images' step noise
  images: [string, string]; // A, B (paths relative to the folder)
}

export interface PairsManifest {
  format: typeof PAIRS_FORMAT;
  version: 1;
  model: { id: string; file: string | null; sha256: string | null };
  sample: { steps: number; eta: number; guidance: number };
  seed: number;
  latentDtype: LatentDtype;
  trajectories: string; // file holding every pair's two trajectories
  labelFormat: string; // how to write a labels file for `label`
  pairs: PairEntry[];
}

/** One line of labels.json (also the input format of `label`, plus the aggregation fields). */
export interface LabelEntry {
  pair: string;
  vote: VoteLetter; // A = image 0 better, B = image 1 (core/preferences/votes.ts voteFromLetter)
  mean?: number; // average preference for A over the annotators (+1 = all A, −1 = all B)
  annotators?: number; // how many annotators labeled the pair
}

export const LABEL_FORMAT = '[{"pair": "pair-0000", "vote": "A" | "B" | "tie" | "both-bad"}, ...] — one file per annotator';

/**
 * A JSON file's value; a UTF-8 byte-order mark (which Windows editors add) is skipped, as RFC 8259 §8.1 allows a
 * parser to. Throws an Error naming the file, what is wrong with it and `fix` (what to do).
 */
export function readJsonFile(file: string, fix: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${e instanceof Error ? e.message : String(e)}); ${fix}`);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function readPairsManifest(dir: string): PairsManifest {
  const file = path.join(dir, PAIRS_FILE);
  if (!fs.existsSync(file)) throw new Error(`No ${PAIRS_FILE} in ${dir}; create the pairs first with \`pairs --out ${dir}\`.`);
  const regenerate = `regenerate the folder with \`pairs --out ${dir}\`.`;
  const m = readJsonFile(file, regenerate);
  if (!isObject(m) || m.format !== PAIRS_FORMAT || !Array.isArray(m.pairs)) {
    throw new Error(`${file} is not a d3po-studio pairs manifest (format ${JSON.stringify(isObject(m) ? m.format : m)}); ${regenerate}`);
  }
  return m as unknown as PairsManifest;
}

/** The stored pairs (trajectories, no votes) in manifest order. */
export function readStoredPairs(dir: string, manifest: PairsManifest): LabeledPair[] {
  const file = path.join(dir, manifest.trajectories);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing; the pairs folder is incomplete, regenerate it with \`pairs --out ${dir}\`.`);
  const pairs = decodePairs(new Uint8Array(fs.readFileSync(file)));
  const byId = new Map(pairs.map((p) => [p.id, p]));
  return manifest.pairs.map((e) => {
    const p = byId.get(e.id);
    if (!p) throw new Error(`Pair ${e.id} of ${PAIRS_FILE} has no trajectories in ${manifest.trajectories}; regenerate the folder.`);
    return p;
  });
}

/**
 * The folder's labels.json as `label` writes it, validated: a JSON array of {"pair": id, "vote": "A" | "B" | "tie" |
 * "both-bad"} with one entry per pair. An unknown vote is an error, never read as a tie. Every error names the file and
 * says to re-run `label`.
 */
export function readLabels(dir: string): LabelEntry[] {
  const file = path.join(dir, LABELS_FILE);
  const relabel = `re-run \`label --pairs ${dir} --labels votes.json\`, which writes it as ${LABEL_FORMAT}.`;
  if (!fs.existsSync(file)) throw new Error(`No ${LABELS_FILE} in ${dir}; import annotations first: \`label --pairs ${dir} --labels votes.json\`.`);
  const json = readJsonFile(file, relabel);
  if (!Array.isArray(json)) {
    throw new Error(`${file} must be a JSON array of {"pair", "vote"} entries, but it holds ${json === null ? 'null' : isObject(json) ? 'an object' : `a ${typeof json}`}; ${relabel}`);
  }
  const seen = new Set<string>();
  return json.map((e: unknown, i): LabelEntry => {
    if (!isObject(e) || typeof e.pair !== 'string') throw new Error(`${file}: entry ${i} must be an object with a string "pair" id, got ${JSON.stringify(e)}; ${relabel}`);
    if (typeof e.vote !== 'string' || !(VOTE_LETTERS as readonly string[]).includes(e.vote)) {
      throw new Error(`${file}: pair ${e.pair} has vote ${JSON.stringify(e.vote)}; \`train\` reads "A", "B", "tie" or "both-bad". Fix the vote or ${relabel}`);
    }
    if (seen.has(e.pair)) throw new Error(`${file}: pair ${e.pair} appears twice; ${relabel}`);
    seen.add(e.pair);
    for (const k of ['mean', 'annotators'] as const) {
      if (e[k] !== undefined && (typeof e[k] !== 'number' || !Number.isFinite(e[k]))) throw new Error(`${file}: pair ${e.pair} has ${k} ${JSON.stringify(e[k])}, not a number; ${relabel}`);
    }
    const entry: LabelEntry = { pair: e.pair, vote: e.vote as VoteLetter };
    if (e.mean !== undefined) entry.mean = e.mean as number;
    if (e.annotators !== undefined) entry.annotators = e.annotators as number;
    return entry;
  });
}
