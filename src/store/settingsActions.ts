// Settings actions: prompt list edits, training config fields, dashboard and export options (all persisted through the settings slice).
import { defaultStudioTrainConfig, type StudioTrainConfig } from '../worker/trainConfig';
import { defaultRewardTrainSettings, type RewardTrainSettings } from '../worker/rewardTrain';
import { patch, useStudioStore } from './index';
import { DEFAULT_PROMPTS, type SettingsState } from './settingsSlice';
import { retryGeneration } from './pairQueue';

/** Adds prompts (trimmed, deduplicated, blank lines skipped); `focus` switches every other prompt off. Returns how many were new. */
export function addPrompts(lines: string[], focus: boolean): number {
  const { prompts, disabledPrompts } = useStudioStore.getState().settings;
  const clean = [...new Set(lines.map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l !== '' && !l.startsWith('#')))];
  const fresh = clean.filter((l) => !prompts.includes(l));
  const nextPrompts = [...prompts, ...fresh];
  const disabled = focus ? nextPrompts.filter((p) => !clean.includes(p)) : disabledPrompts.filter((p) => !clean.includes(p));
  patch('settings', { prompts: nextPrompts, disabledPrompts: disabled });
  patch('labeling', { promptCursor: 0 });
  retryGeneration();
  return fresh.length;
}

export function togglePrompt(prompt: string): void {
  const { disabledPrompts } = useStudioStore.getState().settings;
  patch('settings', { disabledPrompts: disabledPrompts.includes(prompt) ? disabledPrompts.filter((p) => p !== prompt) : [...disabledPrompts, prompt] });
  retryGeneration();
}

export function resetPrompts(): void {
  patch('settings', { prompts: [...DEFAULT_PROMPTS], disabledPrompts: [] });
  patch('labeling', { promptCursor: 0 });
  retryGeneration();
}

export function setTrainField<K extends keyof StudioTrainConfig>(key: K, value: StudioTrainConfig[K]): void {
  patch('settings', { train: { ...useStudioStore.getState().settings.train, [key]: value } });
}

/** One reward-driven setting; switching method resets the learning rate to that method's default. */
export function setRewardTrainField<K extends keyof RewardTrainSettings>(key: K, value: RewardTrainSettings[K]): void {
  patch('settings', { rewardTrain: { ...useStudioStore.getState().settings.rewardTrain, [key]: value } });
}

export function resetRewardTrainSettings(): void {
  patch('settings', { rewardTrain: { ...defaultRewardTrainSettings } });
}

export function resetTrainConfig(): void {
  patch('settings', { train: { ...defaultStudioTrainConfig } });
}

export function setSetting<K extends keyof SettingsState>(key: K, value: SettingsState[K]): void {
  patch('settings', { [key]: value } as Partial<SettingsState>);
}
