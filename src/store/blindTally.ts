// The blind test's score: how often model B beat model A in votes where the person did not know which was which (ties count half), with a 95 % Wilson interval; votes between other model pairs are not counted.
import type { BlindModel, BlindVote } from '../storage/blindVotes';
import { wilson, type Proportion } from '../core/taste/agreement';

/** Identity of a model for matching votes: base, or the adapter at a step (a checkpoint and 'current' at the same step are one model). */
export const modelKey = (m: BlindModel): string => (m.ref === 'base' ? 'base' : m.checkpointId ? `ckpt:${m.checkpointId}` : `step:${m.step}`);

export interface BlindTally extends Proportion {
  bWins: number;
  aWins: number;
  ties: number;
}

/** B's win rate against A over the votes that compared exactly these two models (in either slot). */
export function blindTally(votes: readonly BlindVote[], a: BlindModel, b: BlindModel): BlindTally {
  const [ka, kb] = [modelKey(a), modelKey(b)];
  let bWins = 0;
  let aWins = 0;
  let ties = 0;
  for (const v of votes) {
    const [va, vb] = [modelKey(v.a), modelKey(v.b)];
    const swapped = va === kb && vb === ka;
    if (!swapped && !(va === ka && vb === kb)) continue;
    if (v.winner === 'tie') ties++;
    else if ((v.winner === 'b') !== swapped) bWins++;
    else aWins++;
  }
  const n = bWins + aWins + ties;
  return { ...wilson(bWins + ties / 2, n), bWins, aWins, ties };
}
