/** Scripted preference oracle: turns any reward into D3PO clicks (D3PO's reward-model script uses the order of rewards only), with optional Bradley–Terry noise and a tie margin to mimic people. */
import type { Rng } from '../rng';
import type { Vote } from './d3po';

export interface OracleConfig {
  tieMargin: number; // |rA − rB| ≤ tieMargin → 'tie' (0: only exact ties)
  temperature: number; // 0: always prefer the higher reward; > 0: P(A) = σ((rA − rB)/temperature)
}

export const defaultOracleConfig: OracleConfig = { tieMargin: 0, temperature: 0 };

/** Vote for a pair given the two images' rewards (0 = first image better, 1 = second). */
export function oracleVote(rewardA: number, rewardB: number, cfg: OracleConfig, rng: Rng): Vote {
  const d = rewardA - rewardB;
  if (Math.abs(d) <= cfg.tieMargin) return 'tie';
  if (cfg.temperature <= 0) return d > 0 ? 0 : 1;
  const pA = 1 / (1 + Math.exp(-d / cfg.temperature));
  return rng.next() < pA ? 0 : 1;
}
