/** DDIM step with eta > 0 that returns log p(x_{t-1} | x_t) (mean over C·H·W), copied in spirit from kvablack/ddpo-pytorch diffusers_patch/ddim_with_logprob.py (identical in yk7333/d3po); used for sampling and for re-scoring stored transitions. */
import * as tf from '@tensorflow/tfjs';
import type { PredictionType, SchedulerConfig } from '../config';
import { ddimCoefficients, prevTimestep } from './schedule';

export interface DdimStepInput {
  modelOutput: tf.Tensor4D; // CFG-combined eps (or v) prediction [B,H,W,C]
  timesteps: number[]; // t per batch row (rows may sit at different steps when training)
  sample: tf.Tensor4D; // x_t [B,H,W,C]
  eta: number; // must be > 0 for a log-prob
  prevSample?: tf.Tensor4D; // stored x_{t-1} to re-score; sampled when absent
  noise?: tf.Tensor4D; // z ~ N(0, I) used when sampling [B,H,W,C]
}

export interface DdimStepOutput {
  prevSample: tf.Tensor4D; // x_{t-1} [B,H,W,C]
  logProb: tf.Tensor1D; // mean over H·W·C of the Gaussian log-density [B]
  mean: tf.Tensor4D; // mu_theta(x_t) [B,H,W,C]
}

const col = (xs: number[]) => tf.tensor4d(Float32Array.from(xs), [xs.length, 1, 1, 1]);

/** Converts the model output to (eps, x0) given the prediction type. */
export function epsAndX0(pred: PredictionType, out: tf.Tensor4D, x: tf.Tensor4D, sqrtAlpha: tf.Tensor4D, sqrtOneMinus: tf.Tensor4D): { eps: tf.Tensor4D; x0: tf.Tensor4D } {
  if (pred === 'epsilon') return { eps: out, x0: tf.div(tf.sub(x, tf.mul(sqrtOneMinus, out)), sqrtAlpha) };
  return { eps: tf.add(tf.mul(sqrtAlpha, out), tf.mul(sqrtOneMinus, x)), x0: tf.sub(tf.mul(sqrtAlpha, x), tf.mul(sqrtOneMinus, out)) };
}

/**
 * One DDIM step (Song et al. 2021, eq. 12) with the Gaussian log-prob of the result:
 *   x0 = (x_t − sqrt(1−ᾱ_t)·eps)/sqrt(ᾱ_t);  mu = sqrt(ᾱ_prev)·x0 + sqrt(1−ᾱ_prev−σ²)·eps
 *   log p = mean( −(x_{t−1} − mu)²/(2σ²) − log σ − log sqrt(2π) )
 */
export function ddimStepWithLogProb(cfg: SchedulerConfig, alphasCumprod: Float64Array, steps: number, input: DdimStepInput): DdimStepOutput {
  const { modelOutput, timesteps, sample, eta, prevSample, noise } = input;
  if (!(eta > 0)) throw new Error(`ddimStepWithLogProb needs eta > 0 (got ${eta}): at eta = 0 the step is deterministic and its log-prob is undefined. Sample with eta = 1 as D3PO/DDPO do.`);
  if (timesteps.length !== sample.shape[0]) throw new Error(`Got ${timesteps.length} timesteps for a batch of ${sample.shape[0]}`);
  const co = timesteps.map((t) => ddimCoefficients(alphasCumprod, t, prevTimestep(cfg, t, steps), eta));
  return tf.tidy(() => {
    const sqrtA = col(co.map((c) => Math.sqrt(c.alphaProdT)));
    const sqrt1mA = col(co.map((c) => Math.sqrt(1 - c.alphaProdT)));
    const sqrtAPrev = col(co.map((c) => Math.sqrt(c.alphaProdPrev)));
    const dirCoef = col(co.map((c) => Math.sqrt(Math.max(1 - c.alphaProdPrev - c.sigma ** 2, 0))));
    const sigma = col(co.map((c) => c.sigma));
    const { eps, x0 } = epsAndX0(cfg.predictionType, modelOutput, sample, sqrtA, sqrt1mA);
    const mean = tf.add(tf.mul(sqrtAPrev, x0), tf.mul(dirCoef, eps)) as tf.Tensor4D;
    let prev: tf.Tensor4D;
    if (prevSample) prev = prevSample;
    else {
      if (!noise) throw new Error('ddimStepWithLogProb: pass `noise` to sample, or `prevSample` to re-score');
      prev = tf.add(mean, tf.mul(sigma, noise)) as tf.Tensor4D;
    }
    // x_{t-1} is data here (ddpo's prev_sample.detach()): when re-scoring it is a stored input; when sampling no gradient is taken.
    const logProb = gaussianLogProbMean(prev, mean, co.map((c) => c.sigma));
    return { prevSample: prevSample ? prevSample.clone() : prev, logProb, mean };
  });
}

/** mean over all but the batch axis of log N(x; mu, σ²). x, mu [B,...]; sigmas per row -> [B] */
export function gaussianLogProbMean(x: tf.Tensor, mu: tf.Tensor, sigmas: number[]): tf.Tensor1D {
  return tf.tidy(() => {
    const b = x.shape[0];
    const shape = [b, ...x.shape.slice(1).map(() => 1)];
    const s = tf.tensor(Float32Array.from(sigmas), shape);
    const logS = tf.tensor(Float32Array.from(sigmas.map((v) => Math.log(v))), shape);
    const lp = tf.sub(tf.sub(tf.neg(tf.div(tf.square(tf.sub(x, mu)), tf.mul(2, tf.square(s)))), logS), Math.log(Math.sqrt(2 * Math.PI)));
    return tf.mean(lp.reshape([b, -1]), 1) as tf.Tensor1D;
  });
}
