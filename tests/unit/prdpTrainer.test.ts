// PRDP's chunked gradient (src/core/algorithms/prdpTrainer.ts) against the one-tape computation of the same loss on a tiny model: equal for any chunk size, and a train step leaves no tensors behind.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter } from '../../src/core/model/lora';
import { AdamW } from '../../src/core/train/adamw';
import { sampleWithTrajectory } from '../../src/core/diffusion/sample';
import { prdpLoss } from '../../src/core/algorithms/prdp';
import { defaultPrdpTrainConfig, prdpGradients, prdpTrainStep, referenceLogProbs, type PrdpGroup } from '../../src/core/algorithms/prdpTrainer';
import { disposeTransitions, transitionLogProb, transitionTensors } from '../../src/core/algorithms/transitions';
import { relErr, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

async function setup() {
  const cfg = tinyModelConfig();
  cfg.sample.steps = 4;
  const model = MiniSD.create(cfg, 2);
  const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q', 'to_k', 'to_v', 'to_out.0'], seed: 3 });
  // Non-zero B so the adapter changes log-probs (a fresh adapter is the reference exactly).
  lora.variables.forEach((v, i) => v.assign(tf.mul(tf.randomNormal(v.shape, 0, 0.05, 'float32', 10 + i), 1)));
  const groups: PrdpGroup[] = [];
  for (const [prompt, seed] of [['red heart', 1], ['dog', 2]] as const) {
    const r = await sampleWithTrajectory(model, { prompts: [prompt, prompt, prompt], seed, sharedInitialNoise: true, lora });
    r.final.dispose();
    groups.push({ trajectories: r.trajectories, rewards: [0.3, -0.2, 0.5].map((x) => x * seed), refLogProbs: await referenceLogProbs(model, r.trajectories) });
  }
  return { model, lora, groups };
}

/** The same objective on one tape: all K·T transitions of each group at once (what the trainer avoids for memory). */
function oneTapeLoss(model: MiniSD, lora: ReturnType<typeof createLoraAdapter>, groups: PrdpGroup[]): tf.Scalar {
  const losses = groups.map((g) => {
    const K = g.trajectories.length;
    const T = g.trajectories[0].timesteps.length;
    const tt = transitionTensors(model, { trajectories: g.trajectories.flatMap((tr) => new Array(T).fill(tr)), steps: g.trajectories.flatMap(() => [...Array(T).keys()]) });
    const ref = tf.tensor2d(g.refLogProbs.flatMap((r) => Array.from(r)), [K, T]);
    const old = tf.tensor2d(g.trajectories.flatMap((tr, k) => Array.from(tr.logProbs, (lp, t) => lp - g.refLogProbs[k][t])), [K, T]);
    const l = prdpLoss(tf.sub(transitionLogProb(model, tt, lora).reshape([K, T]), ref) as tf.Tensor2D, old, g.rewards, defaultPrdpTrainConfig);
    disposeTransitions(tt);
    return l;
  });
  return tf.div(tf.addN(losses), groups.length) as tf.Scalar;
}

const oneTapeGrads = (model: MiniSD, lora: ReturnType<typeof createLoraAdapter>, groups: PrdpGroup[]): tf.NamedTensorMap =>
  tf.variableGrads(() => oneTapeLoss(model, lora, groups), lora.variables).grads;

describe('PRDP chunked gradient', () => {
  it('equals the one-tape gradient for chunks of 5 (crossing trajectories) and all 12 transitions', async () => {
    const { model, lora, groups } = await setup();
    const want = oneTapeGrads(model, lora, groups);
    const wantFlat = tf.concat(Object.values(want).map((g) => g.flatten()));
    expect((await tf.max(tf.abs(wantFlat)).data())[0]).toBeGreaterThan(0); // a real, non-zero gradient
    for (const chunk of [5, 12]) {
      const { grads } = await prdpGradients(model, lora, groups, { ...defaultPrdpTrainConfig, stepsPerChunk: chunk });
      const got = tf.concat(Object.keys(want).map((k) => grads[k].flatten()));
      expect(relErr(await got.data(), await wantFlat.data())).toBeLessThan(1e-4);
      tf.dispose([got, ...Object.values(grads)]);
    }
    tf.dispose([wantFlat, ...Object.values(want)]);
    lora.dispose();
    model.dispose();
  });

  it('a train step reports the loss of the one-tape objective and leaks no tensors', async () => {
    const { model, lora, groups } = await setup();
    const opt = new AdamW(lora.variables, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const cfg = { ...defaultPrdpTrainConfig, stepsPerChunk: 5 };
    const oneTape = tf.tidy(() => oneTapeLoss(model, lora, groups));
    const expected = (await oneTape.data())[0];
    oneTape.dispose();
    const first = await prdpTrainStep(model, lora, opt, groups, cfg);
    expect(first.loss).toBeCloseTo(expected, 5);
    const before = tf.memory().numTensors;
    await prdpTrainStep(model, lora, opt, groups, cfg);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    lora.dispose();
    model.dispose();
  });
});
