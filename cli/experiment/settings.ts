// Options of an unattended RL/preference run (`experiment`, `experiment-table`): method, rewards (tasks), budget in sampled images, the online loop's group sizes, and defaults taken from each method's trainer (D3PO, DDPO, PRDP).
import path from 'node:path';
import type { Method } from '../../src/core/algorithms/onlineLoop';
import { defaultD3poTrainConfig } from '../../src/core/algorithms/d3poTrainer';
import { defaultDdpoTrainConfig } from '../../src/core/algorithms/ddpoTrainer';
import { defaultPrdpTrainConfig } from '../../src/core/algorithms/prdpTrainer';
import { defaultOracleConfig, type OracleConfig } from '../../src/core/algorithms/oracle';
import { rewardsByNames } from '../../src/core/rewards/registry';
import { registerPromptAlignment } from './classifierReward';
import { flag, num, str, type Args } from '../args';
import { readPrompts } from './prompts';

export const METHODS: readonly Method[] = ['d3po', 'ddpo', 'prdp'];

export interface ExperimentSettings {
  method: Method;
  rewards: string[]; // one task per reward (several: multi-task, cycled each round)
  promptsFile: string | null; // null = built-in emoji prompts
  prompts: string[];
  budget: number; // sampled images (training samples; evaluation not counted)
  seed: number; // seeds sampling, oracle noise and timestep order
  normalization: 'batch' | 'per-prompt'; // DDPO advantages: large-scale RL batch-wise or DDPO's per-prompt tracker
  pretrainLoss: number; // W of the large-scale RL pretraining-loss step after each round (0 = off)
  pretrainBatch: number; // latents per pretraining-loss step
  learningRate: number; // AdamW step size for the chosen method
  timestepFraction: number; // D3PO and DDPO: share of the T denoising steps trained per sample (PRDP always uses all T)
  promptsPerRound: number; // prompts sampled per round and task
  imagesPerPrompt: number; // K per prompt (D3PO: C(K,2) clicks from one shared x_T)
  updatesPerRound: number; // optimizer steps on each round's samples
  rank: number; // LoRA rank (alpha = rank, attention projections)
  evalPrompts: number; // first N prompts used for the held-out evaluation and sheets
  evalSeeds: number; // held-out seeds per prompt
  oracle: OracleConfig; // D3PO: how rewards become clicks
  dataDir: string; // emoji dataset (pretraining loss, quality proxy)
  proxy: boolean; // compute the denoising-loss quality proxy when the dataset exists
  out: string; // run folder
}

export const experimentHelpOptions = `[--normalization batch|per-prompt] [--pretrain-loss W] [--lr LR] [--prompts-per-round 2] [--images-per-prompt 4]
       [--updates 1] [--timestep-fraction 1] [--rank 4] [--eval-prompts 8] [--eval-seeds 4] [--tie-margin 0] [--oracle-temperature 0] [--data data] [--no-proxy]`;

export function defaultLearningRate(method: Method): number {
  return method === 'd3po' ? defaultD3poTrainConfig.learningRate : method === 'ddpo' ? defaultDdpoTrainConfig.learningRate : defaultPrdpTrainConfig.learningRate;
}

function intIn(args: Args, key: string, fallback: number, min: number, max = 1e9): number {
  const v = num(args, key, fallback);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${key} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

function fraction(v: number): number {
  if (!(v > 0 && v <= 1)) throw new Error(`--timestep-fraction must be in (0, 1] (share of the denoising steps D3PO/DDPO train on), got ${v}`);
  return v;
}

export function parseMethod(text: string): Method {
  if (!(METHODS as readonly string[]).includes(text)) throw new Error(`--method must be one of ${METHODS.join(', ')}, got ${JSON.stringify(text)}`);
  return text as Method;
}

/** Reads and validates the options (the reward names are checked against the registry here). */
export function experimentSettings(args: Args): ExperimentSettings {
  const method = parseMethod(str(args, 'method', ''));
  if (str(args, 'reward', '').includes('prompt_alignment')) {
    const r = registerPromptAlignment(str(args, 'data', 'data'));
    if (!r.ok) throw new Error(`prompt_alignment needs the classifier and the dataset index: ${r.why}`);
  }
  const rewards = rewardsByNames(str(args, 'reward', '')).map((r) => r.name);
  const promptsFile = str(args, 'prompts', '') || null;
  const normalization = str(args, 'normalization', 'batch');
  if (normalization !== 'batch' && normalization !== 'per-prompt') throw new Error(`--normalization must be batch or per-prompt, got ${JSON.stringify(normalization)}`);
  const pretrainLoss = num(args, 'pretrain-loss', 0);
  if (!(pretrainLoss >= 0)) throw new Error(`--pretrain-loss is the weight W of the denoising-loss step (≥ 0; 0 = off), got ${pretrainLoss}`);
  const learningRate = num(args, 'lr', defaultLearningRate(method));
  if (!(learningRate > 0)) throw new Error(`--lr must be positive, got ${learningRate}`);
  const seed = intIn(args, 'seed', 0, 0, 2 ** 31 - 1);
  const imagesPerPrompt = intIn(args, 'images-per-prompt', 4, method === 'ddpo' ? 1 : 2, 64);
  const tieMargin = num(args, 'tie-margin', defaultOracleConfig.tieMargin);
  const temperature = num(args, 'oracle-temperature', defaultOracleConfig.temperature);
  if (tieMargin < 0 || temperature < 0) throw new Error('--tie-margin and --oracle-temperature must be ≥ 0');
  return {
    method,
    rewards,
    promptsFile,
    prompts: readPrompts(promptsFile ?? undefined),
    budget: intIn(args, 'budget', 64, 1),
    seed,
    normalization,
    pretrainLoss,
    pretrainBatch: intIn(args, 'pretrain-batch', 16, 1, 1024),
    learningRate,
    timestepFraction: fraction(num(args, 'timestep-fraction', 1)),
    promptsPerRound: intIn(args, 'prompts-per-round', 2, 1, 1024),
    imagesPerPrompt,
    updatesPerRound: intIn(args, 'updates', 1, 1, 1000),
    rank: intIn(args, 'rank', 4, 1, 256),
    evalPrompts: intIn(args, 'eval-prompts', 8, 1, 1000),
    evalSeeds: intIn(args, 'eval-seeds', 4, 1, 1000),
    oracle: { tieMargin, temperature },
    dataDir: str(args, 'data', 'data'),
    proxy: !flag(args, 'no-proxy'),
    out: str(args, 'out', path.join('runs', `${method}-${rewards.join('+')}-seed${seed}`)),
  };
}
