/** Unattended online fine-tuning loop shared by the methods: sample a group per prompt, score it with a reward, update with D3PO (oracle clicks, Yang et al.), DDPO (Black et al.; batch-wise normalisation and multi-task cycling of the large-scale RL paper, Alg. 1) or PRDP (Deng et al., Alg. 1). */
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import { sampleWithTrajectory, imagesToRgba, type Trajectory } from '../diffusion/sample';
import { createRng, type Rng } from '../rng';
import type { AdamW } from '../train/adamw';
import type { RewardFunction } from '../rewards/types';
import { allPairs } from './prdp';
import { oracleVote, type OracleConfig } from './oracle';
import { d3poTrainStep, type D3poTrainConfig, type PreferencePair } from './d3poTrainer';
import { ddpoTrainStep, type DdpoTrainConfig } from './ddpoTrainer';
import { prdpTrainStep, referenceLogProbs, type PrdpTrainConfig } from './prdpTrainer';
import { batchNormalizedAdvantages, PerPromptStatTracker } from './advantages';

export type Method = 'd3po' | 'ddpo' | 'prdp';

/** One (prompt set, reward) task; DDPO with several tasks cycles through them each round (multi-task joint training). */
export interface Task {
  name: string;
  prompts: string[];
  reward: RewardFunction;
}

export interface OnlineConfig {
  method: Method;
  tasks: Task[]; // one task for single-reward runs
  promptsPerRound: number; // prompts sampled per round (per task)
  imagesPerPrompt: number; // K: group size per prompt (D3PO: shared x_T, all C(K,2) pairs clicked; PRDP: C(K,2) pairs; DDPO: iid)
  updatesPerRound: number; // optimizer steps on each round's samples (PRDP's K gradient steps)
  normalization: 'batch' | 'per-prompt'; // DDPO advantages: large-scale RL batch-wise or DDPO's per-prompt tracker
  oracle: OracleConfig; // D3PO: how rewards become clicks
  d3po: D3poTrainConfig;
  ddpo: DdpoTrainConfig;
  prdp: PrdpTrainConfig;
  seed: number;
}

export interface RoundMetrics {
  round: number;
  task: string;
  imagesSampled: number; // cumulative sampled images (the budget unit)
  clicks: number; // cumulative oracle votes (D3PO)
  rewardMean: number; // of this round's samples
  rewardStd: number;
  update: Record<string, number>; // last optimizer step's metrics
}

export interface LoopHooks {
  onRound?: (m: RoundMetrics) => void;
  /** Extra step after each round, e.g. the large-scale RL pretraining-loss step. */
  afterRound?: () => Promise<void>;
  shouldStop?: () => boolean;
  /** Each prompt's group as soon as it is scored (the studio shows the round's images): K RGBA images, their rewards and trajectories (sampled before this round's update). */
  onScored?: (prompt: string, images: Uint8ClampedArray[], rewards: number[], trajectories: Trajectory[]) => void;
}

/** Samples K images for each prompt, decodes them and scores them. */
async function sampleAndScore(model: MiniSD, lora: LoraAdapter, prompts: string[], k: number, shared: boolean, reward: RewardFunction, rng: Rng, onScored?: LoopHooks['onScored']): Promise<{ groups: Trajectory[][]; rewards: number[][] }> {
  const groups: Trajectory[][] = [];
  const rewards: number[][] = [];
  for (const prompt of prompts) {
    const r = await sampleWithTrajectory(model, { prompts: new Array(k).fill(prompt), seed: rng.int(2 ** 31), sharedInitialNoise: shared, lora });
    const img = model.decode(r.final);
    const rgba = await imagesToRgba(img);
    tf.dispose([img, r.final]);
    groups.push(r.trajectories);
    rewards.push(await reward.score(rgba, new Array(k).fill(prompt)));
    onScored?.(prompt, rgba, rewards[rewards.length - 1], r.trajectories);
  }
  return { groups, rewards };
}

/**
 * The per-prompt stat tracker's key for a prompt of a task. DDPO's tracker (kvablack/ddpo-pytorch
 * ddpo_pytorch/stat_tracking.py) keys by prompt within one reward; with several tasks (rewards on different scales) a
 * shared buffer would let the task, not the image, decide the advantage, so each (task, prompt) keeps its own.
 */
const trackerKey = (task: string, prompt: string): string => JSON.stringify([task, prompt]);

const meanStd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, std: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length) };
};

/** Runs rounds until `budget` images have been sampled; returns every round's metrics. */
export async function runOnline(model: MiniSD, lora: LoraAdapter, optimizer: AdamW, cfg: OnlineConfig, budget: number, hooks: LoopHooks = {}): Promise<RoundMetrics[]> {
  const rng = createRng(cfg.seed);
  const tracker = new PerPromptStatTracker(16, 16);
  const out: RoundMetrics[] = [];
  let imagesSampled = 0;
  let clicks = 0;
  let round = 0;
  const cursor = new Map<string, number>();
  while (imagesSampled < budget && !hooks.shouldStop?.()) {
    for (const task of cfg.tasks) {
      const start = cursor.get(task.name) ?? 0;
      const prompts = Array.from({ length: cfg.promptsPerRound }, (_, i) => task.prompts[(start + i) % task.prompts.length]);
      cursor.set(task.name, start + cfg.promptsPerRound);
      const { groups, rewards } = await sampleAndScore(model, lora, prompts, cfg.imagesPerPrompt, cfg.method !== 'ddpo', task.reward, rng, hooks.onScored);
      imagesSampled += prompts.length * cfg.imagesPerPrompt;
      let update: Record<string, number> = {};
      if (cfg.method === 'd3po') {
        const pairs: PreferencePair[] = [];
        groups.forEach((g, p) =>
          allPairs(g.length).forEach(([a, b]) => pairs.push({ trajectories: [g[a], g[b]], vote: oracleVote(rewards[p][a], rewards[p][b], cfg.oracle, rng) })),
        );
        clicks += pairs.length;
        for (let u = 0; u < cfg.updatesPerRound; u++) update = { ...((await d3poTrainStep(model, lora, optimizer, pairs, cfg.d3po, rng)) ?? {}) };
      } else if (cfg.method === 'ddpo') {
        const flatR = rewards.flat();
        const adv = cfg.normalization === 'batch' ? batchNormalizedAdvantages(flatR) : tracker.update(prompts.flatMap((p) => new Array(cfg.imagesPerPrompt).fill(trackerKey(task.name, p))), flatR);
        const samples = groups.flat().map((trajectory, i) => ({ trajectory, advantage: adv[i] }));
        for (let u = 0; u < cfg.updatesPerRound; u++) update = { ...(await ddpoTrainStep(model, lora, optimizer, samples, cfg.ddpo, rng)) };
      } else {
        const prdpGroups = [];
        for (let p = 0; p < groups.length; p++) prdpGroups.push({ trajectories: groups[p], rewards: rewards[p], refLogProbs: await referenceLogProbs(model, groups[p]) });
        for (let u = 0; u < cfg.updatesPerRound; u++) update = { ...(await prdpTrainStep(model, lora, optimizer, prdpGroups, cfg.prdp)) };
      }
      const { mean, std } = meanStd(rewards.flat());
      const m: RoundMetrics = { round, task: task.name, imagesSampled, clicks, rewardMean: mean, rewardStd: std, update };
      out.push(m);
      hooks.onRound?.(m);
    }
    await hooks.afterRound?.();
    round++;
  }
  return out;
}

/** Rewards of the model (at LoRA scale `scale`) on fixed prompts × seeds, in prompt-major order; set-level rewards see each prompt's seeds as one set. */
export async function evaluateReward(model: MiniSD, lora: LoraAdapter | undefined, scale: number, prompts: string[], seeds: number[], reward: RewardFunction): Promise<number[]> {
  const scores: number[] = [];
  for (const prompt of prompts) {
    const images = [];
    for (const seed of seeds) {
      const r = await sampleWithTrajectory(model, { prompts: [prompt], seed, lora, loraScale: lora ? scale : undefined });
      const img = model.decode(r.final);
      images.push(...(await imagesToRgba(img)));
      tf.dispose([img, r.final]);
    }
    scores.push(...(await reward.score(images, new Array(images.length).fill(prompt))));
  }
  return scores;
}

/** Share of paired evaluations where the tuned image beats the base image from the same prompt and seed (ties count ½). */
export function winRate(tuned: number[], base: number[]): number {
  if (tuned.length !== base.length || tuned.length === 0) throw new Error('winRate needs two equal, non-empty score lists');
  return tuned.reduce((s, t, i) => s + (t > base[i] ? 1 : t === base[i] ? 0.5 : 0), 0) / tuned.length;
}
