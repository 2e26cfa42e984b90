/**
 * The adapter's own preference between two images it sampled, before anyone votes: D3PO's implicit reward
 * r(x) = β Σ_t log π_θ(x_{t−1}|x_t)/π_ref(x_{t−1}|x_t) (Yang et al. 2024 §4.2: Q* = β·log(π* ÷ π_ref) per step; summed over
 * the trajectory's segments). β only scales it, so the prediction uses Σ_t Δ_t. A step's log-ratio scales with
 * (c_ε/σ_t)², c_ε the DDIM mean's ε coefficient: with 20 steps, offset 1 and the cosine schedule, the second-to-last step
 * (t = 51 → 1, σ ≈ 0.009, c_ε/σ ≈ 9.9 against 0.6–1.8 elsewhere) has a log-ratio ~100× the others' that says little about
 * the image; the last (t = 1 → 0) is ordinary but tiny. `skipFinal` = 2 leaves both out.
 * On pairs whose two images differ only by the sampler's noise this guess agrees with votes barely above chance (README,
 * "Taste"); the studio's meter therefore asks check pairs (checkPairs.ts), and this guess is recorded beside it.
 */

/** Predicted votes on ordinary pairs the sweep's rolling guess covers (the studio's meter before it used check pairs, checkPairs.ts). */
export const GUESS_WINDOW = 30;

/** Final steps the guess leaves out: the outlier t = 51 → 1 and t = 1 → 0 (README, "Taste": agreement with and without them). */
export const GUESS_SKIP_FINAL = 2;

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
