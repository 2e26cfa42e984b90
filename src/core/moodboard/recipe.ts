/**
 * The moodboard recipe: how the studio and `npm run cli -- moodboard` train the adapter on liked and disliked images
 * with Diffusion-DPO (Wallace et al. 2023; SalesforceAIResearch/DiffusionDPO train.py: β = `beta_dpo`, AdamW, grad-norm
 * clip 1). One object shared by the Moodboard view's Advanced fields and the CLI; the defaults were chosen by the oracle
 * benchmark (`npm run cli -- moodboard`, README "Moodboard": 40 liked + 40 disliked of 100 emoji, 3 seeds, brightness):
 * - captionDropout 1 (every pair trained without captions): captions tie the preference to what they name, and it did
 *   not carry over to other prompts — held-out win rate 79 ± 22 % with captions always, 72 ± 3 % at upstream's 0.2,
 *   84 ± 6 % at 0.5, 89 ± 6 % without captions (lr 1e-3).
 * - learningRate 5e-4: without captions it won 92 ± 3 % (0.75 σ) at less than half of 1e-3's denoising-loss drift
 *   (+0.0016 vs +0.0039) and a smaller classifier drift (−2.2 vs −2.8 points).
 * - 120 steps of 8 pairs: each of the 80 images is used 12 times; β 5000 as upstream (the implicit accuracy is 70–95 %
 *   after 20 steps and 91–99 % at the end of every benchmark run).
 */

export interface MoodboardRecipe {
  steps: number; // optimizer steps per Train click
  pairsPerStep: number; // (liked, disliked) pairs per step, each noised to its own t
  learningRate: number; // AdamW step size, constant
  beta: number; // Diffusion-DPO β (upstream: 5000 for SD 1.5, 2500 in diffusers' LoRA example)
  captionDropout: number; // probability that a pair trains unconditionally (both captions ''); upstream --proportion_empty_prompts (its default 0.2); 1 = captions unused
  weightDecay: number; // decoupled AdamW weight decay
  maxGradNorm: number; // global-norm gradient clip
}

export const defaultMoodboardRecipe: MoodboardRecipe = {
  steps: 120,
  pairsPerStep: 8,
  learningRate: 5e-4,
  beta: 5000,
  captionDropout: 1,
  weightDecay: 1e-4,
  maxGradNorm: 1,
};

/** [min, max] per field; integer fields are steps and pairsPerStep. */
export const moodboardRecipeLimits: Record<keyof MoodboardRecipe, [number, number]> = {
  steps: [1, 10_000],
  pairsPerStep: [1, 64],
  learningRate: [1e-7, 1e-1],
  beta: [1, 1e6],
  captionDropout: [0, 1],
  weightDecay: [0, 1],
  maxGradNorm: [1e-6, 1e6],
};

const INTEGER_FIELDS: readonly (keyof MoodboardRecipe)[] = ['steps', 'pairsPerStep'];

/** An error sentence naming the first bad field and its range, or null. */
export function validateMoodboardRecipe(r: MoodboardRecipe): string | null {
  for (const key of Object.keys(moodboardRecipeLimits) as (keyof MoodboardRecipe)[]) {
    const v = r[key];
    const [lo, hi] = moodboardRecipeLimits[key];
    const integer = INTEGER_FIELDS.includes(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      return `Moodboard setting ${key} = ${String(v)} is out of range; use ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}.`;
    }
  }
  return null;
}
