/**
 * Check pairs: the taste meter's held-out question. Once the adapter has trained, every CHECK_EVERY-th pair a person is
 * shown puts the current adapter's image beside the reference (base) model's image from the same prompt, the same x_T
 * and the same per-step noise — only the LoRA differs, as in D3PO's appendix A comparisons and the blind test — with
 * the sides randomised by the page and the models hidden. The adapter's prediction on such a pair is its own image
 * (trajectory CHECK_TUNED): whatever it changed, it changed towards what it learned the person prefers. The vote was
 * not trained on before it was cast, so the share of check votes that pick the adapter's image is a held-out agreement.
 *
 * Why not the implicit reward Σ_t log π_θ/π_ref on ordinary pairs (both images from the adapter, one x_T): their two
 * images differ only by the sampler's per-step noise, and for a sample of π_θ the log-ratio of a step is
 * |Δμ|²/2σ² + Δμ·z/σ (Δμ the adapter's change of the DDIM mean, z that step's noise), so the prediction ranks the pair by
 * how well the noise lines up with Δμ. After 100 votes Δμ is mostly estimation noise in its direction, so that ranking
 * agrees with the votes barely above chance (53 ± 5 % on emoji-sd, README "Taste") while the adapter's systematic change
 * wins 91–99 % of held-out comparisons. A check pair asks about exactly that systematic change.
 * The check votes also train (they are ordinary preference pairs of two stored trajectories).
 */
import * as tf from '@tensorflow/tfjs';
import type { SampleConfig } from '../config';
import type { MiniSD } from '../model/pipeline';
import type { LoraAdapter } from '../model/lora';
import { sampleWithTrajectory, type SampleHooks, type Trajectory } from '../diffusion/sample';

/** Every CHECK_EVERY-th pair request (once the adapter has trained) is a check pair. */
export const CHECK_EVERY = 3;

/** Check votes the meter's headline covers (the newest ones). */
export const CHECK_WINDOW = 20;

/** Trajectory index of the adapter's image in a check pair (the other is the reference model's). */
export const CHECK_TUNED = 0;

/** Whether the pair request with 0-based index `requestIndex` is a check turn (the 3rd, 6th, … request for every = 3). */
export function isCheckTurn(requestIndex: number, every = CHECK_EVERY): boolean {
  if (!Number.isInteger(requestIndex) || requestIndex < 0) throw new Error(`isCheckTurn: request index must be a non-negative integer, got ${requestIndex}`);
  return every > 0 && requestIndex % every === every - 1;
}

export interface CheckPairSample {
  trajectories: [Trajectory, Trajectory]; // [the adapter's, the reference's]
  final: tf.Tensor4D; // x_0 of both [2,H,W,C] (caller disposes)
}

/**
 * Samples the adapter's image (at its own scale) and the reference's (LoRA scale 0) from one prompt and seed: same x_T
 * and same per-step noise, so the two differ only by what the adapter changed.
 */
export async function sampleCheckPair(
  model: MiniSD,
  lora: LoraAdapter,
  prompt: string,
  seed: number,
  sample: Partial<SampleConfig> = {},
  hooks: SampleHooks = {},
): Promise<CheckPairSample> {
  const rows: Trajectory[] = [];
  const finals: tf.Tensor4D[] = [];
  try {
    for (const [k, scale] of [undefined, 0].entries()) {
      const r = await sampleWithTrajectory(
        model,
        { prompts: [prompt], seed, sample, lora, loraScale: scale },
        { shouldCancel: hooks.shouldCancel, onStep: (step, total) => hooks.onStep?.(k * total + step, 2 * total) },
      );
      rows.push({ ...r.trajectories[0], index: k });
      finals.push(r.final);
    }
    return { trajectories: [rows[0], rows[1]], final: tf.concat(finals) as tf.Tensor4D };
  } finally {
    tf.dispose(finals);
  }
}
