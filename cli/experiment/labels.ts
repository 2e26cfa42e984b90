// Annotator label files → one vote per pair, averaged over annotators as D3PO's load_data_from_json (yk7333/d3po scripts/utils.py) averages per-image scores: the loser scores −1, ties 0/0, both-bad −1/−1; equal means = no preference.
import { annotatorLabelOf, mergeVotes } from '../../src/core/preferences/annotators';
import { letterFromVote, voteFromLetter, VOTE_LETTERS, type VoteLetter } from '../../src/core/preferences/votes';
import type { LabelEntry } from './pairFolder';

/** One annotator's votes, keyed by pair id. */
export type AnnotatorVotes = Map<string, VoteLetter>;

function listIds(ids: readonly string[]): string {
  return ids.length <= 4 ? ids.join(', ') : `${ids.slice(0, 2).join(', ')} … ${ids[ids.length - 1]} (${ids.length} pairs)`;
}

function normalizeVote(v: unknown): VoteLetter | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  const upper = t.toUpperCase();
  if (upper === 'A' || upper === 'B') return upper;
  const lower = t.toLowerCase();
  return (VOTE_LETTERS as readonly string[]).includes(lower) ? (lower as VoteLetter) : null;
}

/** Validates one file's JSON against the folder's pair ids; every error names the file, the entry and the fix. */
export function parseAnnotatorFile(name: string, json: unknown, ids: readonly string[]): AnnotatorVotes {
  if (!Array.isArray(json)) throw new Error(`${name}: expected a JSON array like [{"pair": "${ids[0] ?? 'pair-0000'}", "vote": "A"}], got ${json === null ? 'null' : typeof json}.`);
  const known = new Set(ids);
  const out: AnnotatorVotes = new Map();
  json.forEach((e: unknown, i) => {
    const entry = e as { pair?: unknown; vote?: unknown } | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.pair !== 'string') {
      throw new Error(`${name}: entry ${i} must be an object with a string "pair" id, got ${JSON.stringify(e)}.`);
    }
    if (!known.has(entry.pair)) {
      throw new Error(`${name}: entry ${i} names pair ${JSON.stringify(entry.pair)}, which is not in this folder's pairs.json (ids: ${listIds(ids)}); fix the id or pass the matching --pairs folder.`);
    }
    const vote = normalizeVote(entry.vote);
    if (vote === null) throw new Error(`${name}: pair ${entry.pair} has vote ${JSON.stringify(entry.vote)}; use "A", "B", "tie" or "both-bad".`);
    if (out.has(entry.pair)) throw new Error(`${name}: pair ${entry.pair} is labeled twice; keep one vote per pair per file (one file per annotator).`);
    out.set(entry.pair, vote);
  });
  return out;
}

export interface AggregatedLabels {
  labels: LabelEntry[]; // in folder order, labeled pairs only
  ties: string[]; // no preference after averaging (kept in labels.json as tie/both-bad; the trainer skips them)
  unlabeled: string[]; // no annotator voted
}

/** Averages the annotators' votes per pair with core mergeVotes (annotators who skipped a pair do not count for it). */
export function aggregateLabels(annotators: AnnotatorVotes[], ids: readonly string[]): AggregatedLabels {
  const labels: LabelEntry[] = [];
  const ties: string[] = [];
  const unlabeled: string[] = [];
  for (const id of ids) {
    const votes = annotators.flatMap((a) => (a.has(id) ? [a.get(id)!] : []));
    if (votes.length === 0) {
      unlabeled.push(id);
      continue;
    }
    const merged = mergeVotes(votes.map((v) => annotatorLabelOf(voteFromLetter(v))));
    if (merged.vote === 'tie' || merged.vote === 'both-bad') ties.push(id);
    labels.push({ pair: id, vote: letterFromVote(merged.vote), mean: merged.preference, annotators: votes.length });
  }
  return { labels, ties, unlabeled };
}
