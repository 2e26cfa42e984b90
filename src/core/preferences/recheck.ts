/**
 * Consistency re-shows: about one pair in RECHECK_EVERY is one the person already voted on, shown again with its sides
 * swapped, to measure how often they agree with themselves (annotator self-consistency, as labeling tools report it;
 * the ceiling any taste meter can reach). Pure choices; the store shows the pair and storage/rechecks.ts keeps the votes.
 */
export const RECHECK_EVERY = 20;

/** Whether the k-th pair request (0-based) re-shows an earlier pair: k = 19, 39, 59, … (≈ 5 %). */
export function isRecheckTurn(k: number): boolean {
  return k % RECHECK_EVERY === RECHECK_EVERY - 1;
}

/** A voted pair to show again: an A/B vote (not a check pair) not re-shown yet, drawn with `u` ∈ [0, 1); null if none. */
export function pickRecheck<T extends { pairId: string; vote: unknown; check?: true }>(labels: readonly T[], alreadyRechecked: ReadonlySet<string>, u: number): T | null {
  const pool = labels.filter((l) => (l.vote === 0 || l.vote === 1) && l.check !== true && !alreadyRechecked.has(l.pairId));
  return pool.length === 0 ? null : pool[Math.min(pool.length - 1, Math.floor(u * pool.length))];
}
