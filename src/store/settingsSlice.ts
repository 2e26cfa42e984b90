// Store slice for user settings — the only persisted state (zustand persist + partialize, versioned; zustand docs persisting-store-data.md): prompts, training config, dashboard and compare options.
import type { StateCreator } from 'zustand';
import { defaultStudioTrainConfig, type StudioTrainConfig } from '../worker/trainConfig';
import { defaultRewardTrainSettings, type RewardTrainSettings } from '../worker/rewardTrain';
import { defaultMoodboardRecipe, type MoodboardRecipe } from '../core/moodboard/recipe';
import type { StudioState } from './index';

/** ~20 emoji prompts the miniature model knows (words from the emoji dataset's captions). */
export const DEFAULT_PROMPTS = [
  'grinning face',
  'red heart',
  'dog face',
  'pizza',
  'flag brazil',
  'cat face',
  'smiling face with sunglasses',
  'thumbs up',
  'fire',
  'star',
  'sun',
  'rainbow',
  'apple',
  'banana',
  'rocket',
  'ghost',
  'party popper',
  'crying face',
  'blue heart',
  'tree',
];

export interface SettingsState {
  prompts: string[]; // the prompt list pairs cycle through
  disabledPrompts: string[]; // prompts in the list that are switched off
  train: StudioTrainConfig;
  autoTrain: boolean; // train one round of the recipe after every `train.votesPerRound` A/B votes, in the background
  smoothing: number; // dashboard EMA weight, 0..0.99
  logY: boolean;
  chartWindow: number; // dashboard: draw only the newest N steps, following new ones (0 = every step)
  compareSeeds: number[];
  compareScale: number; // LoRA multiplier for compare and the playground
  exportLayout: 'peft' | 'kohya';
  annotator: string; // user_id in Pick-a-Pic exports
  gridMode: boolean; // label best-of-4 grids instead of pairs
  distinctPairs: boolean; // each A/B pair is the two most different of DISTINCT_CANDIDATES images from one x_T (core/taste/distinctPairs.ts)
  pickWorst: boolean; // in grid mode, also pick the worst image (2 more pairs per grid)
  labelMode: 'human' | 'oracle' | 'reward'; // who labels pairs (the person, the scripted oracle), or no pairs: reward-driven PRDP/DDPO
  oracleReward: string; // the pixel reward the oracle prefers (one of ORACLE_REWARDS)
  rewardTrain: RewardTrainSettings; // reward-driven mode: method, reward, rounds, group sizes, learning rate
  moodboard: MoodboardRecipe; // the Moodboard's Diffusion-DPO training: steps per click, pairs per step, learning rate, β
}

export interface SettingsSlice {
  settings: SettingsState;
}

/**
 * 2: the taste recipe replaced the old training defaults (one step per vote, lr 3e-4) and `online` became `autoTrain`.
 * 3: pairs are sampled with the recipe's sampleSteps (10) instead of the model's 20, with the learning rate chosen for 10.
 * 4: the moodboard trains with shared captions (captionDropout 0, sharedCaption) instead of without captions (captionDropout 1).
 */
export const SETTINGS_VERSION = 4;

/** Version 3's default moodboard caption dropout (no captions). */
const V3_MOODBOARD_CAPTION_DROPOUT = 1;

/** Version 2's default learning rate, chosen for 20-step pairs. */
const V2_LEARNING_RATE = 5e-4;
/** The step count every pair had before sampleSteps existed (the model's own). */
const V2_SAMPLE_STEPS = 20;

/** Maps settings persisted by an older version onto this one (unknown fields are dropped by mergeSettings' defaults). */
export function migrateSettings(persisted: Partial<SettingsState> & Record<string, unknown>, version: number): Partial<SettingsState> {
  if (version >= SETTINGS_VERSION) return persisted;
  const upToV3 = version <= 3 ? migrateToV3(persisted, version) : persisted;
  // Version 3: the old default (no captions) moves to shared captions; a caption dropout the person chose stays, with each image under its own caption as before.
  const mb = upToV3.moodboard;
  if (mb == null || mb.sharedCaption !== undefined) return upToV3;
  const own = mb.captionDropout !== undefined && mb.captionDropout !== V3_MOODBOARD_CAPTION_DROPOUT;
  return { ...upToV3, moodboard: own ? { ...mb, sharedCaption: false } : { ...mb, captionDropout: defaultMoodboardRecipe.captionDropout, sharedCaption: true } };
}

function migrateToV3(persisted: Partial<SettingsState> & Record<string, unknown>, version: number): Partial<SettingsState> & Record<string, unknown> {
  if (version >= 3) return persisted;
  if (version <= 1) {
    // Version 1's training config was never chosen by measurement: start from the recipe, keep the person's manual fields.
    const old = (persisted.train ?? {}) as Partial<StudioTrainConfig>;
    const { online: _online, refreshReference: _refresh, ...rest } = persisted;
    return { ...rest, train: { ...defaultStudioTrainConfig, ...(old.steps ? { steps: old.steps } : {}), ...(old.checkpointEvery ? { checkpointEvery: old.checkpointEvery } : {}) } };
  }
  // Version 2: the default learning rate moves with the new step count; a learning rate the person chose was chosen for 20-step pairs, so it keeps them.
  const train = persisted.train;
  if (train == null) return persisted;
  const own = train.learningRate !== undefined && train.learningRate !== V2_LEARNING_RATE;
  return { ...persisted, train: own ? { ...train, sampleSteps: V2_SAMPLE_STEPS } : { ...train, learningRate: defaultStudioTrainConfig.learningRate, sampleSteps: defaultStudioTrainConfig.sampleSteps } };
}

export const defaultSettings: SettingsState = {
  prompts: DEFAULT_PROMPTS,
  disabledPrompts: [],
  train: { ...defaultStudioTrainConfig },
  autoTrain: true,
  smoothing: 0.6,
  logY: false,
  chartWindow: 0,
  compareSeeds: [1, 2],
  compareScale: 1,
  exportLayout: 'peft',
  annotator: 'me',
  gridMode: false,
  distinctPairs: true,
  pickWorst: false,
  labelMode: 'human',
  oracleReward: 'brightness',
  rewardTrain: { ...defaultRewardTrainSettings },
  moodboard: { ...defaultMoodboardRecipe },
};

/** Persisted settings merged over the defaults, so fields added later get their default (and train config keys too). */
export function mergeSettings(persisted: Partial<SettingsState> | undefined): SettingsState {
  const p = persisted ?? {};
  const known = Object.fromEntries(Object.entries(p).filter(([k]) => k in defaultSettings)) as Partial<SettingsState>;
  return { ...defaultSettings, ...known, train: { ...defaultSettings.train, ...(p.train ?? {}) }, rewardTrain: { ...defaultSettings.rewardTrain, ...(p.rewardTrain ?? {}) }, moodboard: { ...defaultSettings.moodboard, ...(p.moodboard ?? {}) } };
}

export function activePrompts(s: SettingsState): string[] {
  const off = new Set(s.disabledPrompts);
  return s.prompts.filter((p) => !off.has(p));
}

export const createSettingsSlice: StateCreator<StudioState, [], [], SettingsSlice> = () => ({ settings: { ...defaultSettings } });
