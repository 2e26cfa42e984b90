/** Reward lookup by name for the CLI and the UI (the names of D3PO/DDPO rewards.py: jpeg_compressibility, jpeg_incompressibility; brightness = D3PO light_reward; colourfulness; the large-scale RL paper's set-level diversity). */
import { brightnessReward, colourfulnessReward, jpegCompressibility, jpegIncompressibility } from './imageRewards';
import { diversityReward } from './diversity';
import type { RewardFunction } from './types';

const registry = new Map<string, RewardFunction>(
  [jpegCompressibility, jpegIncompressibility, brightnessReward, colourfulnessReward, diversityReward].map((r) => [r.name, r]),
);

/** Names of every registered reward, in registration order. */
export function rewardNames(): string[] {
  return [...registry.keys()];
}

/** Every registered reward (for a picker in the UI). */
export function allRewards(): RewardFunction[] {
  return [...registry.values()];
}

/** Adds a reward that needs loaded weights (e.g. a classifier-based prompt_alignment); replaces one with the same name. */
export function registerReward(reward: RewardFunction): void {
  if (!/^[a-z][a-z0-9_]*$/.test(reward.name)) throw new Error(`Reward names are lower_snake_case ids (used on the CLI), got ${JSON.stringify(reward.name)}`);
  registry.set(reward.name, reward);
}

/** The reward called `name`; the error lists the names that exist. */
export function rewardByName(name: string): RewardFunction {
  const r = registry.get(name.trim());
  if (!r) throw new Error(`Unknown reward ${JSON.stringify(name)}; use one of: ${rewardNames().join(', ')}.`);
  return r;
}

/** Comma-separated names ('jpeg_compressibility,brightness') -> rewards, in order, without duplicates. */
export function rewardsByNames(list: string): RewardFunction[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new Error(`No reward given; pass one or more of: ${rewardNames().join(', ')} (comma-separated).`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`Reward ${JSON.stringify(dup)} is listed twice; give each task's reward once.`);
  return names.map(rewardByName);
}
