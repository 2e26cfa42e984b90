/**
 * Reference log-probs log π_ref(x_{t−1} | x_t) of stored transitions, computed once per (trajectory, step) while the
 * reference stays the same. D3PO's reference is frozen for a whole round (yk7333/d3po scripts/train.py deep-copies the
 * UNet once; the human-feedback protocol replaces it only between rounds), so re-running it at every pass over the
 * labeled set repeats identical work. The cache is keyed by the caller's trajectory keys and belongs to one reference.
 */
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import type { Trajectory } from '../diffusion/sample';
import { chunkRanges } from './policyStep';
import { disposeTransitions, groupBySampler, transitionLogProb, transitionTensors } from './transitions';

/** One transition to score under the reference: step `step` of `trajectory`, cached under `key` (null = no caching). */
export interface ReferenceRow {
  key: string | null;
  trajectory: Trajectory;
  step: number;
}

/** Rows per no-tape reference batch (CFG doubles the UNet batch). */
export const REFERENCE_CHUNK = 40;

export class ReferenceCache {
  private readonly values = new Map<string, Float32Array>(); // key -> [T], NaN where not computed yet
  /** @param reference identity of the reference the values belong to ('base', or a snapshot's version) */
  constructor(readonly reference: string) {}

  get size(): number {
    return this.values.size;
  }

  /** The cached value of one step, or undefined. */
  lookup(key: string | null, step: number): number | undefined {
    if (key == null) return undefined;
    const v = this.values.get(key)?.[step];
    return v === undefined || Number.isNaN(v) ? undefined : v;
  }

  /** Stores known reference log-probs of a whole trajectory (e.g. sampled by the reference itself, or computed at generation). */
  seed(key: string, logProbs: ArrayLike<number>): void {
    this.values.set(key, Float32Array.from(logProbs));
  }

  store(key: string | null, steps: number, step: number, value: number): void {
    if (key == null) return;
    let arr = this.values.get(key);
    if (!arr || arr.length !== steps) {
      arr = new Float32Array(steps).fill(NaN);
      this.values.set(key, arr);
    }
    arr[step] = value;
  }

  /** Every step of `key`, when all are known. */
  full(key: string): Float32Array | undefined {
    const v = this.values.get(key);
    return v && !v.some(Number.isNaN) ? v : undefined;
  }

  delete(key: string): void {
    this.values.delete(key);
  }

  /**
   * log π_ref of every row: cached values where known, the rest computed without a gradient tape in chunks of
   * REFERENCE_CHUNK rows of equal sampler settings, and stored. refLora undefined = the base model (LoRA off).
   */
  async resolve(model: MiniSD, rows: ReferenceRow[], refLora?: LoraAdapter): Promise<Float32Array> {
    const out = new Float32Array(rows.length);
    const missing: number[] = [];
    rows.forEach((r, i) => {
      const v = this.lookup(r.key, r.step);
      if (v === undefined) missing.push(i);
      else out[i] = v;
    });
    for (const group of groupBySampler(missing, (i) => rows[i].trajectory)) {
      for (const [s, e] of chunkRanges(group.length, REFERENCE_CHUNK)) {
        const idx = group.slice(s, e);
        const tt = transitionTensors(model, { trajectories: idx.map((i) => rows[i].trajectory), steps: idx.map((i) => rows[i].step) });
        const lp = transitionLogProb(model, tt, refLora, refLora ? undefined : 0);
        const vals = await lp.data(); // async: WebGPU-safe
        lp.dispose();
        disposeTransitions(tt);
        idx.forEach((i, k) => {
          out[i] = vals[k];
          this.store(rows[i].key, rows[i].trajectory.timesteps.length, rows[i].step, vals[k]);
        });
      }
    }
    return out;
  }
}

/** All T steps of a trajectory as reference rows under one key. */
export function trajectoryRows(key: string | null, trajectory: Trajectory): ReferenceRow[] {
  return trajectory.timesteps.map((_, step) => ({ key, trajectory, step }));
}
