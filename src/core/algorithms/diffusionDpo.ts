/**
 * Diffusion-DPO loss (Wallace et al., CVPR 2024, arXiv 2311.12908, Eq. 14; SalesforceAIResearch/DiffusionDPO train.py):
 * for a preferred (w) and a dispreferred (l) image of one prompt, noised to the same t with the same ε,
 *   inside = −½·β·((‖ε − ε_θ(x^w_t)‖² − ‖ε − ε_ref(x^w_t)‖²) − (‖ε − ε_θ(x^l_t)‖² − ‖ε − ε_ref(x^l_t)‖²)),
 *   loss = −log σ(inside),
 * with ‖·‖² the mean over C·H·W as the official code computes it. It needs images only, no trajectories.
 */
import * as tf from '@tensorflow/tfjs';

export interface DiffusionDpoLossConfig {
  beta: number; // β of the official code (its default 5000; −½·β scales the error difference)
}

export const defaultDiffusionDpoLossConfig: DiffusionDpoLossConfig = { beta: 5000 };

/** Per-pair loss from the four per-sample denoising MSEs. modelW, modelL, refW, refL [N] -> loss [N] */
export function diffusionDpoLoss(modelW: tf.Tensor1D, modelL: tf.Tensor1D, refW: tf.Tensor1D, refL: tf.Tensor1D, cfg: DiffusionDpoLossConfig = defaultDiffusionDpoLossConfig): tf.Tensor1D {
  return tf.tidy(() => {
    const inside = diffusionDpoInside(modelW, modelL, refW, refL, cfg);
    return tf.softplus(tf.neg(inside)) as tf.Tensor1D; // −log σ(x) = softplus(−x)
  });
}

/** The logit −½·β·((model_w − ref_w) − (model_l − ref_l)); positive when the policy improved the winner more than the loser. [N] */
export function diffusionDpoInside(modelW: tf.Tensor1D, modelL: tf.Tensor1D, refW: tf.Tensor1D, refL: tf.Tensor1D, cfg: DiffusionDpoLossConfig): tf.Tensor1D {
  return tf.tidy(() => tf.mul(-0.5 * cfg.beta, tf.sub(tf.sub(modelW, refW), tf.sub(modelL, refL))) as tf.Tensor1D);
}
