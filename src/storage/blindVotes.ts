/** Blind-test votes in IndexedDB under ['blind', id]: which two models were compared on which prompt and seed, which side each was shown on, and the person's choice. Kept apart from the labels: they are a test, never training data. */
import { KEY, KIND, RECORD_VERSION } from './keys';
import { valuesWithPrefix, writeEntries } from './db';

/** A model as the blind test names it: 'base', 'current' at a step, or a checkpoint at a step. */
export interface BlindModel {
  ref: 'base' | 'current' | 'checkpoint';
  checkpointId?: string;
  step: number | null; // adapter step (null for base)
  label: string; // shown after the vote, e.g. "step 40"
}

export interface BlindVote {
  id: string;
  time: number; // epoch ms
  modelId: string; // base model name
  prompt: string;
  seed: number;
  a: BlindModel;
  b: BlindModel;
  leftIsA: boolean; // model a's image was on the left
  winner: 'a' | 'b' | 'tie';
}

type BlindRecord = BlindVote & { v: number };

const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function modelProblem(m: unknown): string | null {
  if (typeof m !== 'object' || m === null) return 'a model must be a record';
  const r = m as Partial<BlindModel>;
  if (r.ref !== 'base' && r.ref !== 'current' && r.ref !== 'checkpoint') return `model ref must be base, current or checkpoint, got ${JSON.stringify(r.ref)}`;
  if (r.checkpointId !== undefined && !isStr(r.checkpointId)) return 'checkpointId must be a string';
  if (r.step !== null && !isNum(r.step)) return 'step must be a number or null';
  if (!isStr(r.label)) return 'label must be a string';
  return null;
}

/** Why a blind vote is malformed, or null. */
export function blindVoteProblem(v: Partial<BlindVote>): string | null {
  if (!isStr(v.id) || v.id === '') return 'id must be a non-empty string';
  if (!isNum(v.time) || !isStr(v.modelId) || !isStr(v.prompt) || !isNum(v.seed)) return 'time, modelId, prompt and seed are required';
  const p = modelProblem(v.a) ?? modelProblem(v.b);
  if (p) return p;
  if (typeof v.leftIsA !== 'boolean') return 'leftIsA must be a boolean';
  if (v.winner !== 'a' && v.winner !== 'b' && v.winner !== 'tie') return `winner must be a, b or tie, got ${JSON.stringify(v.winner)}`;
  return null;
}

/** Why a backed-up entry of the blind-test database is invalid, or null (own fields only: a backup is untrusted JSON). */
export function blindEntryProblem(key: unknown, value: unknown): string | null {
  if (!Array.isArray(key) || key.length !== 2 || key[0] !== KIND.blindVote || !isStr(key[1])) return `unexpected key ${JSON.stringify(key)}`;
  if (typeof value !== 'object' || value === null) return `blind vote ${key[1]} is not a record`;
  const r = value as Partial<BlindRecord>;
  if (!Object.hasOwn(r, 'v') || r.v !== RECORD_VERSION) return `blind vote ${key[1]} has record version ${JSON.stringify(r.v)}, expected ${RECORD_VERSION}`;
  if (!Object.hasOwn(r, 'id') || r.id !== key[1]) return `blind vote ${key[1]} is stored under the wrong key`;
  const problem = blindVoteProblem(r);
  return problem ? `blind vote ${key[1]}: ${problem}` : null;
}

export async function saveBlindVote(v: BlindVote): Promise<void> {
  const problem = blindVoteProblem(v);
  if (problem) throw new Error(`Cannot save the blind-test vote: ${problem}.`);
  const record: BlindRecord = { v: RECORD_VERSION, ...v, a: { ...v.a }, b: { ...v.b } };
  await writeEntries('blind', 'the blind-test vote', [[KEY.blindVote(v.id), record]]);
}

/** Every blind-test vote, oldest first (malformed records are skipped). */
export async function listBlindVotes(): Promise<BlindVote[]> {
  const records = await valuesWithPrefix<BlindRecord>('blind', [KIND.blindVote]);
  return records
    .filter((r) => r?.v === RECORD_VERSION && blindVoteProblem(r) === null)
    .map(({ v: _v, ...vote }) => vote)
    .sort((x, y) => x.time - y.time);
}

export async function deleteBlindVotes(ids: string[]): Promise<void> {
  await writeEntries('blind', 'the deletion', [], ids.map((id) => KEY.blindVote(id)));
}
