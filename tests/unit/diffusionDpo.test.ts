// Diffusion-DPO (Wallace et al. 2024): the loss against the official formula written out, its gradient sign, and the trainer step on a tiny model — after a few steps the adapter denoises the winners better than the losers relative to the reference (measured on fixed t and ε), without tensor growth.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffusionDpoLoss } from '../../src/core/algorithms/diffusionDpo';
import { diffusionDpoTrainStep, type ImagePreference } from '../../src/core/algorithms/diffusionDpoTrainer';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter, type LoraAdapter } from '../../src/core/model/lora';
import { alphasCumprod } from '../../src/core/diffusion/schedule';
import { AdamW } from '../../src/core/train/adamw';
import { createRng } from '../../src/core/rng';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

/** The official code: inside = −0.5·β·((mw − rw) − (ml − rl)); loss = −logσ(inside). */
const official = (mw: number, ml: number, rw: number, rl: number, beta: number) => {
  const inside = -0.5 * beta * (mw - rw - (ml - rl));
  return -Math.log(1 / (1 + Math.exp(-inside)));
};

describe('diffusionDpoLoss', () => {
  it('equals −log σ(−½β((m_w − r_w) − (m_l − r_l))) and pushes the winner’s error down, the loser’s up', async () => {
    const rows = [
      [0.3, 0.5, 0.31, 0.49],
      [0.2, 0.2, 0.2, 0.2],
      [0.7, 0.1, 0.6, 0.15],
    ];
    const col = (j: number) => tf.tensor1d(rows.map((r) => r[j]));
    const [mw, ml, rw, rl] = [0, 1, 2, 3].map(col);
    const got = await diffusionDpoLoss(mw, ml, rw, rl, { beta: 50 }).data();
    rows.forEach((r, i) => expect(got[i]).toBeCloseTo(official(r[0], r[1], r[2], r[3], 50), 5));
    expect(got[1]).toBeCloseTo(Math.log(2), 6); // policy = reference: log 2
    const [gw, gl] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(diffusionDpoLoss(a as tf.Tensor1D, b as tf.Tensor1D, rw, rl, { beta: 50 })))([mw, ml]);
    expect(Array.from(await gw.data()).every((g) => g > 0)).toBe(true); // lowering the winner's error lowers the loss
    expect(Array.from(await gl.data()).every((g) => g < 0)).toBe(true);
    tf.dispose([mw, ml, rw, rl, gw, gl]);
  });
});

/** Mean ε-error of winners minus losers, policy minus reference, at fixed t and ε (independent of the trainer's draws). */
function preferenceGap(model: MiniSD, lora: LoraAdapter, pairs: ImagePreference[]): number {
  return tf.tidy(() => {
    const acp = alphasCumprod(model.config.scheduler);
    const rng = createRng(999);
    let gap = 0;
    for (const p of pairs) {
      for (const t of [100, 400, 700]) {
        const eps = tf.tensor4d(rng.normals(256), [1, 8, 8, 4]);
        const err = (x: Float32Array, scale?: number) => {
          const xt = tf.add(tf.mul(Math.sqrt(acp[t]), tf.tensor4d(x, [1, 8, 8, 4])), tf.mul(Math.sqrt(1 - acp[t]), eps)) as tf.Tensor4D;
          return tf.mean(tf.square(tf.sub(model.predict(xt, [t], model.encodeText([p.prompt]), lora, scale), eps))).dataSync()[0];
        };
        gap += err(p.winner) - err(p.winner, 0) - (err(p.loser) - err(p.loser, 0));
      }
    }
    return gap;
  });
}

describe('diffusionDpoTrainStep', () => {
  it('moves the adapter towards the winners and does not leak tensors', async () => {
    const model = MiniSD.create(tinyModelConfig(), 31);
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 4, alpha: 4, targets: ['to_q', 'to_v', 'conv1', 'conv2'], seed: 1 });
    const opt = new AdamW(lora.variables, { learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const rng = createRng(5);
    // Winners: bright flat latents; losers: dark flat latents — an attribute the adapter can learn.
    const pairs: ImagePreference[] = ['dog', 'pizza', 'red heart'].map((prompt, i) => ({
      prompt,
      winner: Float32Array.from({ length: 256 }, (_, k) => 1 + 0.1 * Math.sin(k + i)),
      loser: Float32Array.from({ length: 256 }, (_, k) => -1 + 0.1 * Math.cos(k + i)),
    }));
    expect(preferenceGap(model, lora, pairs)).toBe(0); // B = 0: the policy is the reference
    const first = await diffusionDpoTrainStep(model, lora, opt, pairs, { beta: 500, learningRate: 3e-3, maxGradNorm: 1 }, rng);
    expect(first.loss).toBeCloseTo(Math.log(2), 5);
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 8; i++) last = await diffusionDpoTrainStep(model, lora, opt, pairs, { beta: 500, learningRate: 3e-3, maxGradNorm: 1 }, rng);
    expect(tf.memory().numTensors).toBe(before);
    expect(last.loss).toBeLessThan(Math.log(2));
    expect(preferenceGap(model, lora, pairs)).toBeLessThan(0); // winners now denoise better than losers, relative to the reference
    opt.dispose();
    lora.dispose();
    model.dispose();
  });
});
