import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { imagesToRgba, initialNoise, sampleWithTrajectory, SamplingCancelled } from '../../src/core/diffusion/sample';
import { disposeTransitions, transitionLogProb, transitionTensors } from '../../src/core/algorithms/transitions';
import { maxAbsDiff, useBackend } from './backend';

let model: MiniSD;
beforeAll(async () => {
  await useBackend('wasm');
  model = MiniSD.create(tinyModelConfig(), 11);
});
afterAll(() => model.dispose());

describe('sampleWithTrajectory', () => {
  it('records T+1 latents, the timesteps and T log-probs; pairs share x_T but diverge', async () => {
    const r = await sampleWithTrajectory(model, { prompts: ['red heart', 'red heart'], seed: 5, sharedInitialNoise: true, sample: { steps: 5 } });
    const [a, b] = r.trajectories;
    expect(a.latents.length).toBe(6);
    expect(a.timesteps).toEqual([801, 601, 401, 201, 1]);
    expect(a.logProbs.length).toBe(5);
    expect(maxAbsDiff(a.latents[0], b.latents[0])).toBe(0);
    expect(maxAbsDiff(a.latents[1], b.latents[1])).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(a.latents[5], await r.final.slice([0], [1]).data())).toBe(0);
    r.final.dispose();
  });

  it('is deterministic for a seed on one backend, and differs across seeds', async () => {
    const run = async (seed: number) => {
      const r = await sampleWithTrajectory(model, { prompts: ['dog'], seed });
      r.final.dispose();
      return r.trajectories[0];
    };
    const [x, y, z] = [await run(3), await run(3), await run(4)];
    x.latents.forEach((l, k) => expect(maxAbsDiff(l, y.latents[k])).toBe(0));
    expect(maxAbsDiff(x.logProbs, y.logProbs)).toBe(0);
    expect(maxAbsDiff(x.latents[0], z.latents[0])).toBeGreaterThan(0.1);
    expect(maxAbsDiff(x.latents[0], initialNoise([8, 8, 4], 1, 3, false))).toBe(0);
  });

  it('re-scoring a just-sampled trajectory reproduces its log-probs exactly, also in a mixed, shuffled chunk', async () => {
    // Exact (0, not a tolerance): DDPO's ratio π_θ/π_old starts at 1 on-policy and its clip is 1e-4 on mean-over-dims log-probs.
    const r = await sampleWithTrajectory(model, { prompts: ['pizza', 'grinning face'], seed: 9, sample: { steps: 6 } });
    r.final.dispose();
    for (const tr of r.trajectories) {
      const tt = transitionTensors(model, { trajectories: tr.timesteps.map(() => tr), steps: tr.timesteps.map((_, j) => j) });
      const lp = transitionLogProb(model, tt);
      expect(maxAbsDiff(await lp.data(), tr.logProbs)).toBe(0);
      lp.dispose();
      disposeTransitions(tt);
    }
    // rows from both trajectories, out of order, as the trainers' chunks take them
    const rows = [[1, 5], [0, 2], [1, 0], [0, 4], [1, 3]] as const;
    const tt = transitionTensors(model, { trajectories: rows.map(([k]) => r.trajectories[k]), steps: rows.map(([, j]) => j) });
    const lp = transitionLogProb(model, tt);
    expect(maxAbsDiff(await lp.data(), rows.map(([k, j]) => r.trajectories[k].logProbs[j]))).toBe(0);
    lp.dispose();
    disposeTransitions(tt);
  });

  it('decodes to RGBA bytes, cancels between steps, and leaks no tensors', async () => {
    const once = async () => {
      const r = await sampleWithTrajectory(model, { prompts: ['dog'], seed: 1, sample: { steps: 2 } });
      const img = model.decode(r.final);
      const rgba = await imagesToRgba(img);
      tf.dispose([img, r.final]);
      return rgba;
    };
    const rgba = await once();
    expect(rgba[0].length).toBe(32 * 32 * 4);
    expect(rgba[0][3]).toBe(255);
    const before = tf.memory().numTensors;
    await once();
    expect(tf.memory().numTensors).toBe(before);
    await expect(sampleWithTrajectory(model, { prompts: ['dog'], seed: 1 }, { shouldCancel: () => true })).rejects.toBeInstanceOf(SamplingCancelled);
    expect(tf.memory().numTensors).toBe(before);
  });
});
