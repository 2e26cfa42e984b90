/** Votes in IndexedDB, one per pair under ['label', pairId]: what is kept per vote, as Chatbot Arena and Pick-a-Pic keep it: prompt, seed, sides, choice, time, model version. */
import type { Vote } from '../core/algorithms/d3po';
import { KEY, KIND, RECORD_VERSION } from './keys';
import { valuesWithPrefix, writeEntries, type Key } from './db';
import { CHECK_TUNED } from '../core/taste/checkPairs';
import { recheckEntryProblem } from './rechecks';

/** One vote. `vote` is in trajectory order (0 = trajectories[0] preferred); `leftIsFirst` records which one was shown on the left. */
export interface Label {
  pairId: string;
  vote: Vote;
  leftIsFirst: boolean;
  prompt: string;
  seed: number;
  time: number; // epoch ms of the vote
  modelId: string;
  loraVersion: string | null;
  annotator?: string;
  weight?: number; // agreement of averaged imports, 0..1 (|2·mean label_0 − 1|); absent = a single person's vote
  rewards?: [number, number]; // the scripted oracle's reward of trajectories 0 and 1 (oracle votes only)
  predicted?: 0 | 1; // the trajectory the sampling adapter preferred before this vote (absent = no prediction)
  check?: true; // a check pair (the taste meter's question): trajectory 0 the adapter's, 1 the reference's, same x_T and noise
}

type LabelRecord = Label & { v: number };

const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function isVote(v: unknown): v is Vote {
  return v === 0 || v === 1 || v === 'tie' || v === 'both-bad';
}

/** Why a label is malformed, or null (shared by saveLabel and backup import). */
function labelProblem(l: Partial<Label>): string | null {
  if (!isStr(l.pairId) || l.pairId === '') return 'pairId must be a non-empty string';
  if (!isVote(l.vote)) return `vote must be 0, 1, 'tie' or 'both-bad', got ${JSON.stringify(l.vote)}`;
  if (typeof l.leftIsFirst !== 'boolean') return 'leftIsFirst must be a boolean';
  if (!isStr(l.prompt)) return 'prompt must be a string';
  if (!isNum(l.seed)) return 'seed must be a finite number';
  if (!isNum(l.time)) return 'time must be epoch ms';
  if (!isStr(l.modelId)) return 'modelId must be a string';
  if (l.loraVersion !== null && !isStr(l.loraVersion)) return 'loraVersion must be a string or null';
  if (l.annotator !== undefined && !isStr(l.annotator)) return 'annotator must be a string when given';
  if (l.weight !== undefined && !(isNum(l.weight) && l.weight >= 0 && l.weight <= 1)) return 'weight must be a number in [0, 1] when given';
  if (l.rewards !== undefined && !(Array.isArray(l.rewards) && l.rewards.length === 2 && l.rewards.every(isNum))) return 'rewards must be two finite numbers when given';
  if (l.predicted !== undefined && l.predicted !== 0 && l.predicted !== 1) return 'predicted must be 0 or 1 when given';
  if (l.check !== undefined && l.check !== true) return 'check must be true when given';
  if (l.check === true && l.predicted !== CHECK_TUNED) return `a check pair's prediction is the adapter's image (${CHECK_TUNED})`;
  return null;
}

function toRecord(l: Label): LabelRecord {
  const r: LabelRecord = {
    v: RECORD_VERSION,
    pairId: l.pairId,
    vote: l.vote,
    leftIsFirst: l.leftIsFirst,
    prompt: l.prompt,
    seed: l.seed,
    time: l.time,
    modelId: l.modelId,
    loraVersion: l.loraVersion,
  };
  if (l.annotator !== undefined) r.annotator = l.annotator;
  if (l.weight !== undefined) r.weight = l.weight;
  if (l.rewards !== undefined) r.rewards = [l.rewards[0], l.rewards[1]];
  if (l.predicted !== undefined) r.predicted = l.predicted;
  if (l.check !== undefined) r.check = l.check;
  const problem = labelProblem(r);
  if (problem) throw new Error(`Cannot save the vote on pair ${JSON.stringify(l.pairId)}: ${problem}.`);
  return r;
}

function fromRecord({ v: _v, ...label }: LabelRecord): Label {
  return label;
}

/** Saves a vote, replacing an earlier vote on the same pair. Throws StorageFullError when the disk is full. */
export async function saveLabel(l: Label): Promise<void> {
  await writeEntries('labels', 'the vote', [[KEY.label(l.pairId), toRecord(l)]]);
}

/** Removes the vote on a pair (undo). No error if there is none. */
export async function deleteLabel(pairId: string): Promise<void> {
  await writeEntries('labels', 'the undo', [], [KEY.label(pairId)]);
}

/** Every vote, oldest first (ties broken by pair id). */
export async function listLabels(): Promise<Label[]> {
  const records = await valuesWithPrefix<LabelRecord>('labels', [KIND.label]);
  return records.map(fromRecord).sort((a, b) => a.time - b.time || (a.pairId < b.pairId ? -1 : a.pairId > b.pairId ? 1 : 0));
}

/** Saves several votes in one transaction (all or none), e.g. merged annotator files. */
export async function saveLabels(ls: Label[]): Promise<void> {
  await writeEntries('labels', `${ls.length} votes`, ls.map((l) => [KEY.label(l.pairId), toRecord(l)] as [Key, unknown]));
}

/** Why a backed-up entry of the labels database is invalid, or null. */
export function labelsEntryProblem(key: Key, value: unknown): string | null {
  if (Array.isArray(key) && key[0] === KIND.recheck) return recheckEntryProblem(key, value);
  if (!Array.isArray(key) || key.length !== 2 || key[0] !== KIND.label || !isStr(key[1])) return `unexpected key ${JSON.stringify(key)}`;
  if (typeof value !== 'object' || value === null) return `the vote on pair ${key[1]} is not a record`;
  const r = value as Partial<LabelRecord>;
  if (r.v !== RECORD_VERSION) return `the vote on pair ${key[1]} has record version ${JSON.stringify(r.v)}, expected ${RECORD_VERSION}`;
  if (r.pairId !== key[1]) return `the vote on pair ${key[1]} is stored under the wrong key`;
  const problem = labelProblem(r);
  return problem ? `the vote on pair ${key[1]}: ${problem}` : null;
}
