// Oracle labeling mode: once a pair is shown (markShown, which the UI calls in either mode), the scripted preference oracle scores its two images with a pixel reward on the main thread and votes through the human vote path (labels, counter, undo, online training).
import { defaultOracleConfig, oracleVote } from '../core/algorithms/oracle';
import { rewardByName } from '../core/rewards/registry';
import { createRng } from '../core/rng';
import { letterFromVote } from '../core/preferences/votes';
import type { GeneratedImage } from '../worker/protocol';
import { errorMessage } from './client';
import { patch, useStudioStore } from './index';
import { vote } from './labelingActions';
import { setLabelingActive } from './pairQueue';
import type { SettingsState } from './settingsSlice';

/** Per-image pixel rewards the oracle can use (diversity is set-level and prompt_alignment needs Node-only data). */
export const ORACLE_REWARDS = ['jpeg_compressibility', 'jpeg_incompressibility', 'brightness', 'colourfulness'] as const;

let scoring: string | null = null; // pair id being scored, so one pair gets one oracle vote

/** Switches between human and oracle clicks; switching to the oracle labels the pair already on screen. */
export function setLabelMode(mode: SettingsState['labelMode']): void {
  patch('settings', { labelMode: mode });
  patch('labeling', { oracleLast: null });
  setLabelingActive(mode !== 'reward'); // reward-driven training samples its own images: no pairs queued meanwhile
  if (mode === 'oracle') void oracleLabelShown();
}

/** Chooses the oracle's reward (one of ORACLE_REWARDS). */
export function setOracleReward(name: string): void {
  patch('settings', { oracleReward: name });
}

/** The UI calls this once both images of `pairId` are drawn; only then are votes accepted (in oracle mode the oracle votes now). */
export function markShown(pairId: string): void {
  if (useStudioStore.getState().labeling.current?.pairId !== pairId) return;
  patch('labeling', { shown: true });
  void oracleLabelShown();
}

/** In oracle mode, scores the shown pair and votes for the side with the higher reward; does nothing in human mode. */
export async function oracleLabelShown(): Promise<void> {
  const s = useStudioStore.getState();
  const pair = s.labeling.current;
  if (s.settings.labelMode !== 'oracle' || s.settings.gridMode || pair == null || !s.labeling.shown || scoring === pair.pairId) return;
  const name = s.settings.oracleReward;
  if (!(ORACLE_REWARDS as readonly string[]).includes(name)) {
    patch('labeling', { error: `The oracle cannot use reward ${JSON.stringify(name)}; pick one of ${ORACLE_REWARDS.join(', ')} in the Label view.` });
    return;
  }
  scoring = pair.pairId;
  try {
    const [left, right] = pair.leftIsFirst ? pair.images : [pair.images[1], pair.images[0]];
    const rgba = (img: GeneratedImage) => new Uint8ClampedArray(img.rgba);
    const [rLeft, rRight] = await rewardByName(name).score([rgba(left), rgba(right)], [pair.prompt, pair.prompt]);
    // Rewards by screen side: 0 = left (A) better, 1 = right (B) better.
    const v = oracleVote(rLeft, rRight, defaultOracleConfig, createRng(pair.seed));
    const choice = letterFromVote(v);
    const now = useStudioStore.getState();
    if (now.settings.labelMode !== 'oracle' || now.labeling.current?.pairId !== pair.pairId) return; // switched to human or the pair changed meanwhile
    patch('labeling', { oracleLast: { pairId: pair.pairId, reward: name, left: rLeft, right: rRight, choice } });
    await vote(choice, `oracle:${name}`, pair.leftIsFirst ? [rLeft, rRight] : [rRight, rLeft]);
  } catch (e) {
    patch('labeling', { error: `The oracle could not score the pair (${errorMessage(e)}); switch to Human clicks or pick another reward.` });
  } finally {
    if (scoring === pair.pairId) scoring = null;
  }
}
