/**
 * The adapter's own preference between two images it sampled, before anyone votes: D3PO's implicit reward
 * r(x) = β Σ_t log π_θ(x_{t−1}|x_t)/π_ref(x_{t−1}|x_t) (Yang et al. 2024 §4.2: Q* = β·log(π* ÷ π_ref) per step; summed over
 * the trajectory's segments). β only scales it, so the prediction uses Σ_t Δ_t. Steps whose noise σ_t is tiny (the final
 * t = 51 → 1 step of the cosine schedule, σ ≈ 0.009) have log-ratios ~100× the others that say little about the image,
 * so they can be left out (`skipFinal`).
 */

/** Predicted votes the studio's meter headline covers (the newest ones). */
export const METER_WINDOW = 30;

/** Final steps the studio's meter leaves out (README, "Taste meter": agreement with and without the final step). */
export const METER_SKIP_FINAL = 1;

/** Σ_t (policy − ref) over the first T − skipFinal steps. */
export function implicitReward(policyLogProbs: ArrayLike<number>, refLogProbs: ArrayLike<number>, skipFinal = 0): number {
  if (policyLogProbs.length !== refLogProbs.length) throw new Error(`implicitReward: ${policyLogProbs.length} policy vs ${refLogProbs.length} reference log-probs`);
  let s = 0;
  for (let t = 0; t < policyLogProbs.length - skipFinal; t++) s += policyLogProbs[t] - refLogProbs[t];
  return s;
}

/** 0 when image 0 has the higher implicit reward, 1 when image 1 has, null on an exact tie (e.g. an untrained adapter: Δ = 0). */
export function predictedPreference(r0: number, r1: number): 0 | 1 | null {
  if (!Number.isFinite(r0) || !Number.isFinite(r1) || r0 === r1) return null;
  return r0 > r1 ? 0 : 1;
}
