// A pairs folder on disk (D3PO's human-feedback workflow: scripts/sample.py output + annotators' JSON files + scripts/train.py input): pairs.json, trajectories.safetensors, images/, labels.json.
import fs from 'node:fs';
import path from 'node:path';
import type { Vote } from '../../src/core/algorithms/d3po';
import { decodePairs, type LabeledPair, type LatentDtype } from '../../src/core/algorithms/trajectoryCodec';

export const PAIRS_FILE = 'pairs.json';
export const TRAJECTORIES_FILE = 'trajectories.safetensors';
export const LABELS_FILE = 'labels.json';
export const IMAGES_DIR = 'images';
export const PAIRS_FORMAT = 'd3po-studio-pairs';

/** What an annotator answers for a pair: A or B better, no difference, or both unusable. */
export type LabelVote = 'A' | 'B' | 'tie' | 'both-bad';
export const LABEL_VOTES: readonly LabelVote[] = ['A', 'B', 'tie', 'both-bad'];

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
  vote: LabelVote;
  mean?: number; // average preference for A over the annotators (+1 = all A, −1 = all B)
  annotators?: number; // how many annotators labeled the pair
}

export const LABEL_FORMAT = '[{"pair": "pair-0000", "vote": "A" | "B" | "tie" | "both-bad"}, ...] — one file per annotator';

export function readPairsManifest(dir: string): PairsManifest {
  const file = path.join(dir, PAIRS_FILE);
  if (!fs.existsSync(file)) throw new Error(`No ${PAIRS_FILE} in ${dir}; create the pairs first with \`pairs --out ${dir}\`.`);
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as PairsManifest;
  if (m.format !== PAIRS_FORMAT || !Array.isArray(m.pairs)) throw new Error(`${file} is not a d3po-studio pairs manifest (format ${JSON.stringify(m.format)}); regenerate it with \`pairs\`.`);
  return m;
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

export function readLabels(dir: string): LabelEntry[] {
  const file = path.join(dir, LABELS_FILE);
  if (!fs.existsSync(file)) throw new Error(`No ${LABELS_FILE} in ${dir}; import annotations first: \`label --pairs ${dir} --labels votes.json\`.`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as LabelEntry[];
}

/** 'A' → image 0 preferred, 'B' → image 1; ties and both-bad carry no preference (skipped by the trainer). */
export function voteOf(v: LabelVote): Vote {
  return v === 'A' ? 0 : v === 'B' ? 1 : v;
}
