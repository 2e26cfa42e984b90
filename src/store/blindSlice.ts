// Store slice for the blind test: the two models being compared, the image pair on screen (sides randomised, identities hidden until the vote), the reveal after the vote, and the stored votes.
import type { StateCreator } from 'zustand';
import type { BlindModel, BlindVote } from '../storage/blindVotes';
import type { GeneratedImage } from '../worker/protocol';
import type { StudioState } from './index';

export interface BlindRound {
  prompt: string;
  seed: number;
  images: [GeneratedImage, GeneratedImage]; // [model a's, model b's]
  leftIsA: boolean;
}

export interface BlindState {
  a: BlindModel; // default: the base model
  b: BlindModel; // default: the adapter being trained
  round: BlindRound | null;
  loading: boolean;
  revealed: BlindVote | null; // the vote just made, shown with the models' names until Next
  votes: BlindVote[]; // every stored blind vote, oldest first
  error: string | null;
}

export interface BlindSlice {
  blind: BlindState;
}

export const BASE_MODEL: BlindModel = { ref: 'base', step: null, label: 'base model' };
export const CURRENT_MODEL: BlindModel = { ref: 'current', step: null, label: 'current adapter' };

export const initialBlind: BlindState = { a: BASE_MODEL, b: CURRENT_MODEL, round: null, loading: false, revealed: null, votes: [], error: null };

export const createBlindSlice: StateCreator<StudioState, [], [], BlindSlice> = () => ({ blind: { ...initialBlind } });
