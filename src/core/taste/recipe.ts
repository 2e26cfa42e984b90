/**
 * The taste recipe: the one training configuration shared by the studio (automatic rounds while a person labels, the
 * Advanced drawer) and the CLI (`train` defaults, `taste-sweep`). D3PO's loss and optimizer settings (Yang et al.,
 * CVPR 2024; yk7333/d3po config/base.py), how much to train per round of votes, the LoRA's shape, the reference
 * protocol and the LoRA EMA. The default values were chosen by `npm run cli -- taste-sweep` (README, "Taste recipe").
 */
import type { D3poTrainConfig } from '../algorithms/d3poTrainer';

export interface TasteRecipe {
  beta: number; // D3PO temperature / KL strength (paper 0.1)
  eps: number; // clamp of π_θ/π_ref to [1−ε, 1+ε] (paper 0.1)
  learningRate: number; // AdamW step size, constant (paper 3e-5 for SD 1.5 LoRA)
  weightDecay: number; // decoupled AdamW weight decay (paper 1e-4)
  maxGradNorm: number; // global-norm gradient clip (paper 1.0)
  timestepFraction: number; // share of each pair's T denoising steps trained per optimizer step (paper 1.0)
  skipFinalSteps: number; // final denoising steps left out of training (paper 0; 2 drops t = 51 → 1, whose log-ratio is ~100× the others', and t = 1 → 0)
  stepsPerChunk: number; // (pair, step) terms per forward/backward chunk; bounds memory on WebGPU, not the result
  pairsPerStep: number; // labeled pairs per optimizer step (drawn without replacement, a new shuffle per pass)
  votesPerRound: number; // the studio trains after this many new votes; `train` treats n labels as ceil(n / votesPerRound) rounds
  stepsPerRound: number; // optimizer steps per round
  refreshReference: boolean; // D3PO's human-feedback protocol: the reference is the adapter as it was at the start of each round
  emaDecay: number; // 0 = off; else pairs, samples and exports use an EMA of the LoRA weights updated after every step
  rank: number; // LoRA rank r (a new adapter)
  alpha: number; // LoRA alpha: the update is scaled by alpha / r (a new adapter)
  targets: string[]; // UNet module-name suffixes the LoRA adapts (a new adapter)
  sampleSteps: number; // DDIM steps of every pair sampled for labeling (and of Compare, the gallery and blind tests, so the images agree); the trajectories D3PO trains on have this many steps
}

/**
 * Chosen by `npm run cli -- taste-sweep` on emoji-sd (README, "Taste": 100 scripted-oracle pairs, 4 rewards, 3 seeds,
 * held-out 20 prompts × 3 seeds): the largest held-out shift whose denoising-loss drift stays ≤ +0.005 on every reward
 * and whose classifier-accuracy drift, pooled over all runs, stays within 2 points.
 * - skipFinalSteps 2: the t = 51 → 1 step's log-ratio is ~100× the others' ((c_ε/σ)² ≈ 98 vs 0.4–3); leaving it (and
 *   t = 1 → 0) out roughly triples how far the other steps move at the same learning rate (mean |Δ| 0.008 → 0.025 at
 *   7e-4) and doubles the shift (lr 7e-4: 0.4–1.2 σ → 1.5–2.4 σ).
 * - learningRate 5e-4 at 20 steps: 7e-4 with the skip shifts more (1.5–2.4 σ) but doubles the denoising-loss drift (+0.008 on
 *   brightness); 5e-4 without the skip moved colourfulness and JPEG size only 0.3–0.4 σ. 2e-3 (the old default) shifted
 *   2–4 σ with −20 points of classifier accuracy and 14× the denoising-loss drift on colourfulness.
 * - timestepFraction 0.25 with 16 steps of 2 pairs per 10 votes: at equal compute, half the timesteps with 8 steps (0.24–0.94 σ)
 *   or 4 pairs with 8 steps (0.47–0.90 σ) learned less than more steps on fewer terms (1.56–1.63 σ) at lr 1e-3.
 * - sampleSteps 10 with learningRate 3.5e-4 (was 20 steps at 5e-4): the base model's samples are as good at 10 DDIM
 *   steps (category accuracy 54.8 vs 53.0 %, Fréchet 5.37 vs 5.57), pairs take half the time, and each pair's 8
 *   trainable steps are trained more often per optimizer step. Offline, 3 seeds: win 99 / 92 / 90 %, shift 1.39 / 0.74 /
 *   0.79 σ (brightness / colourfulness / JPEG), denoising drift +0.0025 / +0.0011 / +0.0016 against 20 steps' 99 / 92 /
 *   94 %, 1.82 / 1.21 / 1.47 σ, +0.0043 / +0.0028 / +0.0031; online 100 / 89 / 88 % at a third of the training time.
 *   5e-4 at 10 steps drifted +0.018 ± 0.015 on colourfulness online; 2.5e-4 moved JPEG size only 0.29 σ.
 * - Reference = the base model: refreshing it each round (D3PO's human protocol) cut the brightness shift from 1.63
 *   to 0.35 σ and lost colourfulness entirely at 1e-3; a LoRA EMA (0.9) was a weaker copy of a lower learning rate; rank 8 or the
 *   feed-forward targets shifted more but drifted more (−13 points on colourfulness).
 */
export const defaultTasteRecipe: TasteRecipe = {
  beta: 0.1,
  eps: 0.1,
  learningRate: 3.5e-4,
  weightDecay: 1e-4,
  maxGradNorm: 1.0,
  timestepFraction: 0.25,
  skipFinalSteps: 2,
  stepsPerChunk: 20,
  pairsPerStep: 2,
  votesPerRound: 10,
  stepsPerRound: 16,
  refreshReference: false,
  emaDecay: 0,
  rank: 4,
  alpha: 4,
  targets: ['to_q', 'to_k', 'to_v', 'to_out.0'],
  sampleSteps: 10,
};

type NumericKey = { [K in keyof TasteRecipe]: TasteRecipe[K] extends number ? K : never }[keyof TasteRecipe];

/** Field limits the studio's drawer enforces, the worker re-checks and the CLI validates: [min, max]. */
export const recipeLimits: Record<NumericKey, [number, number]> = {
  beta: [1e-4, 100],
  eps: [1e-3, 0.99],
  learningRate: [1e-7, 1e-1],
  weightDecay: [0, 1],
  maxGradNorm: [1e-3, 1e3],
  timestepFraction: [0.01, 1],
  skipFinalSteps: [0, 10],
  stepsPerChunk: [1, 1000],
  pairsPerStep: [1, 64],
  votesPerRound: [1, 1000],
  stepsPerRound: [1, 10_000],
  emaDecay: [0, 0.9999],
  rank: [1, 64],
  alpha: [1e-3, 1e3],
  sampleSteps: [2, 200],
};

const INTEGER_FIELDS = new Set<NumericKey>(['skipFinalSteps', 'stepsPerChunk', 'pairsPerStep', 'votesPerRound', 'stepsPerRound', 'rank', 'sampleSteps']);

/** Module suffixes a LoRA may target (the attention projections, feed-forward, resnet convs, time embedding). */
export const LORA_TARGET_CHOICES = ['to_q', 'to_k', 'to_v', 'to_out.0', 'proj_in', 'proj_out', 'ff.net.0.proj', 'ff.net.2', 'conv1', 'conv2', 'time_emb_proj'] as const;

/** An error sentence for the first invalid field (what is wrong and the allowed range), or null when valid. */
export function validateRecipe(r: TasteRecipe): string | null {
  for (const key of Object.keys(recipeLimits) as NumericKey[]) {
    const v = r[key];
    const [lo, hi] = recipeLimits[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (INTEGER_FIELDS.has(key) && !Number.isInteger(v))) {
      return `Training setting ${key} = ${String(v)} is out of range; use ${INTEGER_FIELDS.has(key) ? 'an integer' : 'a number'} from ${lo} to ${hi}.`;
    }
  }
  if (typeof r.refreshReference !== 'boolean') return `Training setting refreshReference must be true or false, got ${String(r.refreshReference)}.`;
  if (!Array.isArray(r.targets) || r.targets.length === 0 || r.targets.some((t) => !(LORA_TARGET_CHOICES as readonly string[]).includes(t))) {
    return `Training setting targets = ${JSON.stringify(r.targets)} is not valid; pick one or more of ${LORA_TARGET_CHOICES.join(', ')}.`;
  }
  return null;
}

/** The D3PO trainer's per-step settings of a recipe. */
export function d3poConfigOf(r: TasteRecipe): D3poTrainConfig {
  return { beta: r.beta, eps: r.eps, learningRate: r.learningRate, maxGradNorm: r.maxGradNorm, timestepFraction: r.timestepFraction, stepsPerChunk: r.stepsPerChunk, skipFinalSteps: r.skipFinalSteps };
}

/** Rounds the recipe trains for `labels` labeled pairs at once (the CLI's offline `train`): one per started batch of votes. */
export function roundsFor(r: TasteRecipe, labels: number): number {
  return Math.max(1, Math.ceil(labels / r.votesPerRound));
}
