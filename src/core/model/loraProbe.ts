/**
 * Does an adapter keep the UNet's output finite and of sane size? One probe forward pass on fixed noise, at the
 * adapter's own scale and at larger multipliers (the compare slider's maximum), before the adapter replaces a working
 * one. Finite weights within the import limits can still combine into Inf (a huge lora_A row times a huge lora_B
 * column), and a model that outputs Inf or NaN samples nothing but noise and trains only NaN. A finite but huge noise
 * prediction is as bad: the DDIM step divides by √ᾱ_t (≈ 0.03 at t = 999 on the cosine schedule), and the next UNet
 * call's GroupNorm squares the result, so a prediction of 1e20 becomes Inf within one step.
 */
import * as tf from '@tensorflow/tfjs';
import { latentShape } from '../config';
import type { LoraAdapter } from './lora';
import type { MiniSD } from './pipeline';

/** Timesteps of the probe batch: early, middle and late in the 1000-step schedule. */
const PROBE_TIMESTEPS = [999, 500, 1];
const PROBE_PROMPTS = ['', 'red heart', 'dog face'];
const PROBE_SEED = 1234;
/**
 * Largest |prediction| accepted. The UNet predicts the noise ε ~ N(0, I) (or v of the same scale), so a healthy
 * model's output stays of order 1; 1,000 standard deviations is far outside anything a working adapter gives.
 */
export const MAX_ABS_PREDICTION = 1e3;

/**
 * Null when the UNet output with `lora` is finite and within ±MAX_ABS_PREDICTION at every multiplier in `multipliers`
 * (× the adapter's alpha / r), else a sentence saying what went wrong at which multiplier. Reads two numbers per
 * multiplier (async, WebGPU-safe); allocates no lasting tensors.
 */
export async function loraOutputProblem(model: MiniSD, lora: LoraAdapter, multipliers: readonly number[] = [1]): Promise<string | null> {
  for (const m of multipliers) {
    const probe = tf.tidy(() => {
      const [h, w, c] = latentShape(model.config);
      const x = tf.randomNormal([PROBE_TIMESTEPS.length, h, w, c], 0, 1, 'float32', PROBE_SEED) as tf.Tensor4D;
      const out = model.predict(x, PROBE_TIMESTEPS, model.encodeText(PROBE_PROMPTS), lora, lora.scale * m);
      return tf.stack([tf.cast(tf.logicalNot(tf.all(tf.isFinite(out))), 'float32'), tf.max(tf.abs(out))]);
    });
    const [notFinite, maxAbs] = await probe.data();
    probe.dispose();
    const where = `with this adapter${m === 1 ? '' : ` at ${m}× its scale`}`;
    if (notFinite) return `${where} the model's output is not finite (Inf or NaN), so it could only sample noise`;
    if (!(maxAbs <= MAX_ABS_PREDICTION)) {
      return `${where} the model's noise prediction reaches ${maxAbs.toPrecision(3)} (a working model's stays of order 1, here at most ${MAX_ABS_PREDICTION}), so sampling would overflow`;
    }
  }
  return null;
}
