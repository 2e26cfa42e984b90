// Store slice for the labeling screen: the pair on screen (sides randomised), the pre-generated queue, label counts and the undo stack (blind, randomised sides as in Chatbot Arena, lm-sys/FastChat gradio_block_arena_anony.py).
import type { Recheck } from '../storage/rechecks';
import type { StateCreator } from 'zustand';
import type { VoteLetter } from '../core/preferences/votes';
import type { Label } from '../storage/labels';
import type { GeneratedImage, GridReadyEvent } from '../worker/protocol';
import type { StudioState } from './index';

/** A stored pair as the page sees it: id, images in trajectory order, and which one is shown on the left. */
export interface PairView {
  pairId: string;
  prompt: string;
  seed: number;
  loraVersion: string | null;
  images: [GeneratedImage, GeneratedImage];
  leftIsFirst: boolean; // images[0] on the left (A) when true
  predicted?: 0 | 1 | null; // the image (trajectory order) the sampling adapter preferred before the vote
  check?: boolean; // a check pair (the taste meter's question): image 0 the adapter's, image 1 the reference's; sides still randomised
  recheck?: { first: 0 | 1 }; // a pair voted on before, shown again with its sides swapped; the vote is stored as a re-show, not a label
}

/** A best-of-k grid on screen: k images from one x_T; pairIds[`${i}-${j}`] (i < j) is the stored pair of images i and j. */
export type GridView = Omit<GridReadyEvent, 'type' | 'id' | 'ms'>;

/** The oracle's last vote: both rewards by screen side and the side it chose. */
export interface OracleResult {
  pairId: string;
  reward: string;
  left: number;
  right: number;
  choice: VoteLetter; // A = left (oracleVote never says both-bad)
}

export interface LabelCounts {
  labeled: number; // every vote of this model (A, B, tie, both bad)
  ties: number;
  bothBad: number;
}

export interface LabelingState {
  active: boolean; // the labeling view is open: keep the queue filled
  current: PairView | null;
  shown: boolean; // both images of `current` are drawn: votes are allowed
  queue: PairView[]; // ready pairs after `current`
  grid: GridView | null; // best-of-k mode: the grid on screen
  gridQueue: GridView[];
  gridShown: boolean; // every image of `grid` is drawn
  gridBest: number | null; // picked best, waiting for the worst (when "also pick the worst" is on)
  inFlight: number; // pair requests the worker is still generating
  counts: LabelCounts;
  undo: Label[]; // votes of this model, oldest first; Backspace removes the last
  saving: boolean; // a vote is being written
  promptCursor: number; // round-robin position in the active prompts
  error: string | null; // generation stopped on this error (a retry restarts it)
  oracleLast: OracleResult | null; // shown under the pair in oracle mode
  rechecks: Recheck[]; // second votes on re-shown pairs (self-consistency), oldest first
}

export interface LabelingSlice {
  labeling: LabelingState;
}

export const AHEAD = 2; // pairs (or grids) pre-generated beyond the one on screen
export const GRID_SIZE = 4; // images per best-of-k grid

export const initialLabeling: LabelingState = {
  active: false,
  current: null,
  shown: false,
  queue: [],
  grid: null,
  gridQueue: [],
  gridShown: false,
  gridBest: null,
  inFlight: 0,
  counts: { labeled: 0, ties: 0, bothBad: 0 },
  undo: [],
  saving: false,
  promptCursor: 0,
  error: null,
  oracleLast: null,
  rechecks: [],
};

export function countLabels(labels: Label[]): LabelCounts {
  return {
    labeled: labels.length,
    ties: labels.filter((l) => l.vote === 'tie').length,
    bothBad: labels.filter((l) => l.vote === 'both-bad').length,
  };
}

export const createLabelingSlice: StateCreator<StudioState, [], [], LabelingSlice> = () => ({ labeling: { ...initialLabeling } });
