// The studio's training settings: the shared taste recipe (src/core/taste/recipe.ts, also the CLI's `train` defaults) plus the manual controls of the Advanced drawer (Train N steps, checkpoint cadence), with their limits and one validator.
import { defaultTasteRecipe, recipeLimits, validateRecipe, type TasteRecipe } from '../core/taste/recipe';

export interface StudioTrainConfig extends TasteRecipe {
  steps: number; // optimizer steps per manual "Train N steps" click
  checkpointEvery: number; // save LoRA + AdamW state every this many steps (and always at the end of a run)
}

export const defaultStudioTrainConfig: StudioTrainConfig = { ...defaultTasteRecipe, steps: 10, checkpointEvery: defaultTasteRecipe.stepsPerRound }; // one checkpoint per automatic round (its end)

/** Field limits the drawer enforces and the worker re-checks: [min, max]. */
export const trainConfigLimits = { ...recipeLimits, steps: [1, 10_000] as [number, number], checkpointEvery: [1, 10_000] as [number, number] };

/** Returns an error sentence for the first out-of-range field, or null when the config is valid. */
export function validateTrainConfig(cfg: StudioTrainConfig): string | null {
  for (const key of ['steps', 'checkpointEvery'] as const) {
    const v = cfg[key];
    const [lo, hi] = trainConfigLimits[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) return `Training setting ${key} = ${String(v)} is out of range; use an integer from ${lo} to ${hi}.`;
  }
  const problem = validateRecipe(cfg);
  if (problem) return problem;
  // The worker samples, checkpoints and exports the trained adapter itself; a LoRA EMA (src/core/taste/loraEma.ts) is a CLI option only.
  // The taste sweep found it no better than a lower learning rate (README, "Taste"), so the studio refuses it rather than ignore it.
  if (cfg.emaDecay !== 0) return `Training setting emaDecay = ${cfg.emaDecay}: the studio trains without a LoRA EMA (use the CLI's \`train --ema\`); set it to 0.`;
  return null;
}
