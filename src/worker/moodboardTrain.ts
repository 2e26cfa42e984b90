// Moodboard training in the studio (Diffusion-DPO on liked and disliked images, Wallace et al. 2023): the request and result it adds to the worker protocol, its checks, and the dashboard row of one step.
import type { MoodboardRecipe } from '../core/moodboard/recipe';
import { validateMoodboardRecipe } from '../core/moodboard/recipe';
import type { DiffusionDpoStepResult } from '../core/algorithms/diffusionDpoTrainer';
import type { LoraStatus, MetricRow } from './protocolTypes';

/** Train `recipe.steps` Diffusion-DPO steps on the stored moodboard into the session's LoRA; progress: train-step and checkpoint-saved events; cancel stops between steps. */
export interface MoodboardTrainRequest {
  type: 'moodboard-train';
  id: number;
  recipe: MoodboardRecipe;
  runId: string; // metrics are appended under this run (the dashboard's curves)
  checkpointEvery: number; // optimizer steps between checkpoints (and one at the end)
  seed: number; // the trainer's RNG: pairs, timesteps and noise
  prompts?: string[]; // the person's prompts: shared captions of pairs whose two images have none (recipe.sharedCaption)
}

export interface MoodboardTrainedEvent {
  type: 'moodboard-trained';
  id: number;
  stepsDone: number;
  stopped: boolean; // cancelled between steps
  liked: number; // images trained on
  disliked: number;
  lora: LoraStatus;
}

/** An error sentence for a request the job must refuse before touching anything, or null. */
export function moodboardRequestProblem(req: Pick<MoodboardTrainRequest, 'recipe' | 'checkpointEvery' | 'seed' | 'prompts'>): string | null {
  const problem = validateMoodboardRecipe(req.recipe);
  if (problem) return problem;
  if (req.prompts !== undefined && (!Array.isArray(req.prompts) || req.prompts.length > 1000 || req.prompts.some((p) => typeof p !== 'string' || p.length > 500))) return 'prompts must be at most 1,000 strings of at most 500 characters.';
  if (!Number.isInteger(req.checkpointEvery) || req.checkpointEvery < 1) return `checkpointEvery must be a positive integer, got ${req.checkpointEvery}.`;
  if (!Number.isInteger(req.seed) || req.seed < 0) return `seed must be a non-negative integer, got ${req.seed}.`;
  return null;
}

/** One Diffusion-DPO step as a dashboard row: loss, implicit accuracy and margin (D3PO's trajectory columns are NaN, drawn as gaps). */
export function moodboardRow(r: DiffusionDpoStepResult, step: number, learningRate: number, images: number, pairs: number, ms: number, time: number): MetricRow {
  return {
    step,
    time,
    loss: r.loss,
    accuracy: r.accuracy,
    margin: r.margin,
    chosenReward: NaN,
    rejectedReward: NaN,
    meanLogRatio: NaN,
    approxKl: NaN,
    clipFraction: NaN,
    gradNorm: r.gradNorm,
    learningRate,
    labeled: images,
    pairsUsed: pairs,
    ms,
  };
}
