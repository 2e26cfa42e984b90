/** Consistency re-shows in IndexedDB (labels database, under ['recheck', id]): a pair the person already voted on, shown again with its sides swapped, and the second vote — how often people agree with themselves (as labeling tools measure annotator consistency). Never trained on. */
import { KEY, KIND, RECORD_VERSION } from './keys';
import { noteSkippedRecord, entriesWithPrefix, writeEntries, type Key } from './db';
import type { Vote } from '../core/algorithms/d3po';

const isVote = (v: unknown): v is Vote => v === 0 || v === 1 || v === 'tie' || v === 'both-bad';

export interface Recheck {
  id: string;
  pairId: string; // the pair shown again
  first: 0 | 1; // the earlier vote (trajectory order)
  again: Vote; // the vote on the re-show (trajectory order)
  time: number; // epoch ms of the second vote
}

type RecheckRecord = Recheck & { v: number };

function recheckProblem(r: Partial<Recheck>): string | null {
  if (typeof r.id !== 'string' || r.id === '') return 'id must be a non-empty string';
  if (typeof r.pairId !== 'string' || r.pairId === '') return 'pairId must be a non-empty string';
  if (r.first !== 0 && r.first !== 1) return 'first must be 0 or 1';
  if (!isVote(r.again)) return `again must be 0, 1, 'tie' or 'both-bad', got ${JSON.stringify(r.again)}`;
  if (typeof r.time !== 'number' || !Number.isFinite(r.time)) return 'time must be epoch ms';
  return null;
}

export async function saveRecheck(r: Recheck): Promise<void> {
  const problem = recheckProblem(r);
  if (problem) throw new Error(`Cannot save the re-shown pair's vote: ${problem}.`);
  const record: RecheckRecord = { v: RECORD_VERSION, id: r.id, pairId: r.pairId, first: r.first, again: r.again, time: r.time };
  await writeEntries('labels', 'the re-shown pair’s vote', [[KEY.recheck(r.id), record]]);
}

/** Every re-show vote, oldest first; a malformed record is skipped with a console note. */
export async function listRechecks(): Promise<Recheck[]> {
  const out: Recheck[] = [];
  for (const [key, value] of await entriesWithPrefix<unknown>('labels', [KIND.recheck])) {
    const problem = recheckEntryProblem(key, value);
    if (problem) noteSkippedRecord('labels', key, problem);
    else {
      const { v: _v, ...r } = value as RecheckRecord;
      out.push(r);
    }
  }
  return out.sort((a, b) => a.time - b.time);
}

/** Why a stored re-show entry is invalid, or null (readers and backup import). */
export function recheckEntryProblem(key: Key, value: unknown): string | null {
  if (!Array.isArray(key) || key.length !== 2 || key[0] !== KIND.recheck || typeof key[1] !== 'string') return `unexpected key ${JSON.stringify(key)}`;
  if (typeof value !== 'object' || value === null) return `the re-show ${key[1]} is not a record`;
  const r = value as Partial<RecheckRecord>;
  if (r.v !== RECORD_VERSION) return `the re-show ${key[1]} has record version ${JSON.stringify(r.v)}, expected ${RECORD_VERSION}`;
  if (r.id !== key[1]) return `the re-show ${key[1]} is stored under the wrong key`;
  return recheckProblem(r);
}

/** Agreement of the second votes with the first: a tie or both-bad on the re-show counts as not agreeing. */
export function consistency(rechecks: Recheck[]): { agreed: number; n: number } {
  return { agreed: rechecks.filter((r) => r.again === r.first).length, n: rechecks.length };
}
