// Store slice for training: run status and progress, the metric rows behind the dashboard charts, and the checkpoint list (fed by worker events; not persisted — rows live in IndexedDB).
import type { StateCreator } from 'zustand';
import type { CheckpointInfo } from '../storage/checkpoints';
import type { GeneratedImage, MetricRow } from '../worker/protocol';
import type { ScoredGroup } from '../worker/rewardTrain';
import type { Rating } from '../core/rewards/humanRating';
import type { StudioState } from './index';

export interface TrainingState {
  status: 'idle' | 'training' | 'stopping';
  runId: string; // metrics run of the loaded model
  target: number; // steps asked for in the current run
  done: number; // steps finished in the current run
  rows: MetricRow[]; // every step of the run, in step order
  checkpoints: CheckpointInfo[]; // newest first
  runKind: 'manual' | 'round' | null; // what the running D3PO run is: a "Train N steps" click or an automatic round
  roundVotes: number; // A/B votes the running run trains on (the status line: "learning from 24 votes…")
  votesSinceRound: number; // A/B votes since the last automatic round started
  message: string | null; // last run's outcome
  error: string | null;
  rewardSamples: { round: number; prompt: string; images: GeneratedImage[]; rewards: number[]; joint?: ScoredGroup } | null; // reward-driven mode: the latest round's group (and the joint task's)
  pausedRows: MetricRow[] | null; // dashboard paused: the rows it keeps showing while training goes on
  rating: RatingAsk | null; // human-rating run: the images the worker waits for the person to rate
}

/** One open rating question of a human-rating run (the worker's rate-request) and the person's answers so far. */
export interface RatingAsk {
  job: number; // the reward-train request's id
  request: number;
  round: number;
  total: number;
  prompt: string;
  images: GeneratedImage[];
  ratings: (Rating | null)[]; // null = not rated yet
  cursor: number; // the image the keys rate
}

export interface TrainingSlice {
  training: TrainingState;
}

export const initialTraining: TrainingState = {
  status: 'idle',
  runId: 'default',
  target: 0,
  done: 0,
  rows: [],
  checkpoints: [],
  runKind: null,
  roundVotes: 0,
  votesSinceRound: 0,
  message: null,
  error: null,
  rewardSamples: null,
  pausedRows: null,
  rating: null,
};

/** The rows the charts draw: the paused snapshot (if any), then only the newest `window` steps (0 = all; auto-scroll). */
export function chartRows(rows: MetricRow[], paused: MetricRow[] | null, window: number): MetricRow[] {
  const shown = paused ?? rows;
  return window > 0 && shown.length > window ? shown.slice(shown.length - window) : shown;
}

/** Rows merged by step (a later row for the same step wins: it belongs to the branch after a rollback), sorted. */
export function mergeRows(rows: MetricRow[], more: MetricRow[]): MetricRow[] {
  const byStep = new Map<number, MetricRow>();
  for (const r of rows) byStep.set(r.step, r);
  for (const r of more) byStep.set(r.step, r);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

export const createTrainingSlice: StateCreator<StudioState, [], [], TrainingSlice> = () => ({ training: { ...initialTraining } });
