/**
 * The moodboard recipe: how the studio and `npm run cli -- moodboard` train the adapter on liked and disliked images
 * with Diffusion-DPO (Wallace et al. 2023; SalesforceAIResearch/DiffusionDPO train.py: β = `beta_dpo`, AdamW, grad-norm
 * clip 1). One object shared by the Moodboard view's Advanced fields and the CLI; the defaults were chosen by the oracle
 * benchmark (`npm run cli -- moodboard`, README "Moodboard": 40 liked + 40 disliked of 100 emoji, 3 seeds, brightness):
 * - sharedCaption with captionDropout 0 (session 9): both images of a pair are conditioned on one caption — one of
 *   their two, or, when neither has one, one of the person's prompts. Each image under its own caption ties the
 *   preference to what the captions name (79 ± 22 % held-out win rate, lr 1e-3), and training without captions learns
 *   it in the unconditional branch only, which classifier-free guidance scales by 1 − w (negative at the studio's
 *   w = 2) on top of what carries over to the conditional branch: 92 ± 3 % on brightness but 79 ± 3 % on
 *   colourfulness. Shared captions: 100 % and 91 % (2 seeds; README "Moodboard" has the table).
 * - Before session 9: captionDropout 1 (no captions) was the default; 72 ± 3 % at upstream's 0.2, 84 ± 6 % at 0.5.
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
  sharedCaption?: boolean; // both images of a pair conditioned on one of their two captions (coin flip) instead of each on its own
}

export const defaultMoodboardRecipe: MoodboardRecipe = {
  steps: 120,
  pairsPerStep: 8,
  learningRate: 5e-4,
  beta: 5000,
  captionDropout: 0,
  weightDecay: 1e-4,
  maxGradNorm: 1,
  sharedCaption: true,
};

/** [min, max] per field; integer fields are steps and pairsPerStep. */
/** The numeric fields (every field but the sharedCaption switch). */
export type MoodboardNumberField = Exclude<keyof MoodboardRecipe, 'sharedCaption'>;

export const moodboardRecipeLimits: Record<MoodboardNumberField, [number, number]> = {
  steps: [1, 10_000],
  pairsPerStep: [1, 64],
  learningRate: [1e-7, 1e-1],
  beta: [1, 1e6],
  captionDropout: [0, 1],
  weightDecay: [0, 1],
  maxGradNorm: [1e-6, 1e6],
};

const INTEGER_FIELDS: readonly MoodboardNumberField[] = ['steps', 'pairsPerStep'];

/** An error sentence naming the first bad field and its range, or null. */
export function validateMoodboardRecipe(r: MoodboardRecipe): string | null {
  for (const key of Object.keys(moodboardRecipeLimits) as MoodboardNumberField[]) {
    const v = r[key];
    const [lo, hi] = moodboardRecipeLimits[key];
    const integer = INTEGER_FIELDS.includes(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      return `Moodboard setting ${key} = ${String(v)} is out of range; use ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}.`;
    }
  }
  return null;
}
