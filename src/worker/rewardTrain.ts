// Reward-driven training in the studio (PRDP, Deng et al.; DDPO with the large-scale RL paper's batch-wise normalisation): its settings, their limits, the rewards that run in a browser, the request/events it adds to the worker protocol, and the dashboard row of one round.
import { defaultDdpoTrainConfig } from '../core/algorithms/ddpoTrainer';
import { defaultPrdpTrainConfig } from '../core/algorithms/prdpTrainer';
import type { RoundMetrics } from '../core/algorithms/onlineLoop';
import { HUMAN_RATING_REWARD, type Rating } from '../core/rewards/humanRating';
import type { GeneratedImage, LoraStatus, MetricRow } from './protocolTypes';

export type RewardMethod = 'prdp' | 'ddpo';
export const REWARD_METHODS: readonly RewardMethod[] = ['prdp', 'ddpo'];

/** Rewards computed from pixels alone, so they run in the worker (prompt_alignment needs the CLI's dataset index). */
export const BROWSER_REWARDS = ['brightness', 'jpeg_compressibility', 'jpeg_incompressibility', 'colourfulness', 'diversity'] as const;

/** The main reward may also be the person's own ratings (thumbs up / down / skip on each image, core/rewards/humanRating.ts). */
export const MAIN_REWARDS: readonly string[] = [...BROWSER_REWARDS, HUMAN_RATING_REWARD];

export interface RewardTrainSettings {
  method: RewardMethod;
  reward: string; // one of MAIN_REWARDS: a pixel reward, or HUMAN_RATING_REWARD (the person rates each round's images)
  jointReward: string; // '' or a second BROWSER_REWARDS entry: multi-task joint training (large-scale RL paper) — each round runs both tasks on the active prompts
  rounds: number; // sample → score → update rounds per Start click
  promptsPerRound: number; // prompts taken from the active list each round
  imagesPerPrompt: number; // K per prompt (PRDP: C(K,2) reward differences from one shared x_T; DDPO: iid, batch-normalised)
  updatesPerRound: number; // optimizer steps on each round's samples (PRDP's K gradient steps)
  learningRate: number; // AdamW step size
  pretrainLoss: number; // W of the large-scale RL paper's pretraining-loss step after each round (0 = off): one AdamW step on W·L_pre over the model's shipped training latents
}

/** Latents per pretraining-loss step (the CLI's --pretrain-batch default). */
export const PRETRAIN_LOSS_BATCH = 8;

export const defaultRewardTrainSettings: RewardTrainSettings = {
  method: 'prdp',
  reward: 'brightness',
  jointReward: '',
  rounds: 10,
  promptsPerRound: 1,
  imagesPerPrompt: 4,
  updatesPerRound: 1,
  learningRate: defaultPrdpTrainConfig.learningRate,
  pretrainLoss: 0,
};

const LIMITS: Record<Exclude<keyof RewardTrainSettings, 'method' | 'reward' | 'jointReward'>, [number, number]> = {
  rounds: [1, 10_000],
  promptsPerRound: [1, 16],
  imagesPerPrompt: [2, 16],
  updatesPerRound: [1, 16],
  learningRate: [1e-7, 1e-1],
  pretrainLoss: [0, 100],
};

/** An error sentence saying what to change, or null when the settings are usable. */
export function validateRewardTrainSettings(s: RewardTrainSettings): string | null {
  if (!REWARD_METHODS.includes(s.method)) return `Reward-driven training runs PRDP or DDPO; got method ${JSON.stringify(s.method)}.`;
  if (!MAIN_REWARDS.includes(s.reward)) return `Reward ${JSON.stringify(s.reward)} does not run in the browser; pick one of ${MAIN_REWARDS.join(', ')}.`;
  const joint = s.jointReward ?? '';
  if (joint !== '' && !(BROWSER_REWARDS as readonly string[]).includes(joint)) return `Joint-task reward ${JSON.stringify(joint)} does not run in the browser; pick none or one of ${BROWSER_REWARDS.join(', ')}.`;
  if (joint !== '' && s.reward === HUMAN_RATING_REWARD) return 'Human ratings run alone: set the joint task reward to none (a person rates one task at a time).';
  if (joint === s.reward) return `The joint task needs a different reward than the main one (both are ${s.reward}); pick another or none.`;
  for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const v = key === 'pretrainLoss' ? (s.pretrainLoss ?? 0) : s[key]; // settings saved before the field existed
    const [lo, hi] = LIMITS[key];
    const integer = key !== 'learningRate' && key !== 'pretrainLoss';
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
      return `Reward training setting ${key} = ${String(v)} is out of range; use ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}.`;
    }
  }
  return null;
}

/** The trainer configs the online loop gets: each method's defaults with the studio's learning rate. */
export function methodConfigs(s: RewardTrainSettings) {
  return {
    ddpo: { ...defaultDdpoTrainConfig, learningRate: s.learningRate },
    prdp: { ...defaultPrdpTrainConfig, learningRate: s.learningRate },
  };
}

/**
 * One round as a dashboard row: the reward's mean/std over the round's samples and the last update's metrics
 * (with a joint task, `joint` is its part of the round: its reward statistics, and its update came last;
 * `pretrainLoss` is L_pre of the round's pretraining-loss step, when it has one).
 * D3PO-only columns (accuracy, margin, chosen/rejected) are NaN, which the charts draw as gaps.
 */
export function rewardRoundRow(main: RoundMetrics, step: number, ms: number, time: number, joint?: RoundMetrics, pretrainLoss?: number): MetricRow {
  const m = joint ?? main;
  const u = (k: string) => (typeof m.update[k] === 'number' ? m.update[k] : NaN);
  return {
    step,
    time,
    loss: u('loss'),
    accuracy: NaN,
    margin: NaN,
    chosenReward: NaN,
    rejectedReward: NaN,
    meanLogRatio: u('meanLogRatio'),
    approxKl: u('approxKl'),
    clipFraction: u('clipFraction'),
    gradNorm: u('gradNorm'),
    learningRate: u('learningRate'),
    labeled: NaN,
    pairsUsed: NaN,
    ms,
    rewardMean: main.rewardMean,
    rewardStd: main.rewardStd,
    imagesSampled: m.imagesSampled,
    ...(joint ? { jointRewardMean: joint.rewardMean, jointRewardStd: joint.rewardStd } : {}),
    ...(pretrainLoss != null ? { pretrainLoss } : {}),
  };
}

// ---------- protocol additions ----------

/** Run `settings.rounds` rounds of PRDP or DDPO on the active prompts with a pixel reward; cancel stops after the current round. */
export interface RewardTrainRequest {
  type: 'reward-train';
  id: number;
  settings: RewardTrainSettings;
  prompts: string[];
  runId: string; // metrics are appended under this run (same curves as D3PO steps)
  checkpointEvery: number; // optimizer steps between checkpoints (and one at the end)
  seed: number;
}

/** K images of one prompt with their rewards. */
export interface ScoredGroup {
  prompt: string;
  images: GeneratedImage[];
  rewards: number[];
}

/** One finished round: its dashboard row and the first prompt's K images with their rewards (and the joint task's). */
export interface RewardRoundEvent {
  type: 'reward-round';
  id: number;
  row: MetricRow;
  round: number; // 1..rounds
  total: number;
  prompt: string;
  images: GeneratedImage[];
  rewards: number[];
  joint?: ScoredGroup; // the joint task's first group, when the run has one
}

/**
 * Human-rating runs: the worker asks the page to rate one prompt's K images (`request` counts the asks of job `id`);
 * the job waits until a RatingsRequest with the same job and request number answers it (or the run is stopped).
 */
export interface RateRequestEvent {
  type: 'rate-request';
  id: number; // the reward-train job
  request: number; // 1, 2, … within the job
  round: number; // 1..rounds
  total: number; // rounds of the run
  prompt: string;
  images: GeneratedImage[];
}

/** The page's answer to a RateRequestEvent; it bypasses the job queue (the job is waiting for it), like cancel. */
export interface RatingsRequest {
  type: 'ratings';
  id: number;
  target: number; // the reward-train job's id
  request: number; // the RateRequestEvent's number
  ratings: Rating[]; // one per image, in order
}

export interface RewardTrainedEvent {
  type: 'reward-trained';
  id: number;
  rounds: number; // rounds finished
  imagesSampled: number;
  stopped: boolean;
  lora: LoraStatus;
}
