// Blind-test actions: pick two models (base, the current adapter, any checkpoint), sample both from one prompt and seed, show them on random sides with their names hidden, store the vote apart from the labels (never trained on), reveal, next.
import { listBlindVotes, saveBlindVote, type BlindModel, type BlindVote } from '../storage/blindVotes';
import type { ModelRef } from '../worker/protocol';
import { errorMessage, getClient, isAbort } from './client';
import { patch, useStudioStore } from './index';
import { activePrompts } from './settingsSlice';

const MAX_SEED = 2 ** 31 - 1;
let random: () => number = Math.random;
let abort: AbortController | null = null;

/** Tests make sides, prompts and seeds reproducible. */
export function setBlindRandom(r: () => number): void {
  random = r;
}

/** The worker's name for a model. */
export function refOf(m: BlindModel): ModelRef {
  return m.ref === 'checkpoint' ? { checkpoint: m.checkpointId! } : m.ref;
}

/** 'current' is stamped with its step when a vote is stored, so later votes against a newer adapter are not mixed with it. */
function stamped(m: BlindModel): BlindModel {
  if (m.ref !== 'current') return m;
  const step = useStudioStore.getState().session.lora?.step ?? 0;
  return { ...m, step, label: `current adapter (step ${step})` };
}

export async function loadBlindVotes(): Promise<void> {
  try {
    patch('blind', { votes: await listBlindVotes() });
  } catch (e) {
    patch('blind', { error: errorMessage(e) });
  }
}

/** Changes the two models; the pair on screen is dropped. */
export function setBlindModels(a: BlindModel, b: BlindModel): void {
  abort?.abort();
  patch('blind', { a, b, round: null, revealed: null, error: null });
  void nextBlind();
}

/** Samples the next pair: a random active prompt and seed, both models from the same x_T and step noise. */
export async function nextBlind(): Promise<void> {
  const s = useStudioStore.getState();
  if (s.session.model == null) return;
  const prompts = activePrompts(s.settings);
  if (prompts.length === 0) {
    patch('blind', { error: 'Every prompt is switched off; switch one on in the Label view.' });
    return;
  }
  abort?.abort();
  abort = new AbortController();
  const prompt = prompts[Math.floor(random() * prompts.length)];
  const seed = Math.floor(random() * MAX_SEED);
  const { a, b } = s.blind;
  patch('blind', { loading: true, revealed: null, round: null, error: null });
  try {
    const e = await getClient().blind({ prompt, seed, a: refOf(a), b: refOf(b), steps: s.settings.train.sampleSteps }, { signal: abort.signal });
    patch('blind', { round: { prompt, seed, images: e.images, leftIsA: random() < 0.5 }, loading: false });
  } catch (e) {
    if (!isAbort(e)) patch('blind', { error: errorMessage(e), loading: false });
  }
}

/** The person's choice by screen side; stored (apart from the labels), then both names are revealed. */
export async function blindVote(choice: 'left' | 'right' | 'tie'): Promise<void> {
  const s = useStudioStore.getState();
  const round = s.blind.round;
  if (round == null || s.blind.revealed != null || s.session.model == null) return;
  const winner: BlindVote['winner'] = choice === 'tie' ? 'tie' : (choice === 'left') === round.leftIsA ? 'a' : 'b';
  const vote: BlindVote = {
    id: `blind-${Date.now().toString(36)}-${Math.floor(random() * 1e9).toString(36)}`,
    time: Date.now(),
    modelId: s.session.model.name,
    prompt: round.prompt,
    seed: round.seed,
    a: stamped(s.blind.a),
    b: stamped(s.blind.b),
    leftIsA: round.leftIsA,
    winner,
  };
  try {
    await saveBlindVote(vote);
  } catch (e) {
    patch('blind', { error: errorMessage(e) });
    return;
  }
  patch('blind', { revealed: vote, votes: [...useStudioStore.getState().blind.votes, vote] });
}
