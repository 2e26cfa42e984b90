// Multi-task DDPO with DDPO's per-prompt stat tracker (src/core/algorithms/onlineLoop.ts): each (task, prompt) keeps its own reward buffer, so two tasks on the same prompt with rewards on different scales each get advantages normalised by their own statistics (kvablack/ddpo-pytorch ddpo_pytorch/stat_tracking.py keys by prompt within one reward).
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter } from '../../src/core/model/lora';
import { AdamW } from '../../src/core/train/adamw';
import type { RewardFunction } from '../../src/core/rewards/types';
import type { AdvantageSample } from '../../src/core/algorithms/ddpoTrainer';
import { useBackend } from './backend';

// Record the advantages runOnline hands to the DDPO step instead of training (the sampling and scoring are real).
const seen: number[][] = [];
vi.mock('../../src/core/algorithms/ddpoTrainer', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/core/algorithms/ddpoTrainer')>()),
  ddpoTrainStep: async (_m: unknown, _l: unknown, _o: unknown, samples: AdvantageSample[]) => {
    seen.push(samples.map((s) => s.advantage));
    return { loss: 0, approxKl: 0, clipFraction: 0, gradNorm: 0, learningRate: 0, transitions: 0 };
  },
}));
const { runOnline } = await import('../../src/core/algorithms/onlineLoop');
const { defaultD3poTrainConfig } = await import('../../src/core/algorithms/d3poTrainer');
const { defaultDdpoTrainConfig } = await import('../../src/core/algorithms/ddpoTrainer');
const { defaultPrdpTrainConfig } = await import('../../src/core/algorithms/prdpTrainer');

beforeAll(() => useBackend('wasm'));

/** A reward that ignores the pixels and scores the k-th image of each call `values[k]`. */
const fixed = (name: string, values: number[]): RewardFunction => ({ name, description: name, kind: 'sample', score: async (images) => images.map((_, k) => values[k]) });

describe('multi-task DDPO, per-prompt normalisation', () => {
  it('keeps one stat tracker buffer per (task, prompt): a second task on the same prompt is normalised by its own rewards', async () => {
    const cfg = tinyModelConfig();
    cfg.sample.steps = 2;
    const model = MiniSD.create(cfg, 1);
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q'], seed: 1 });
    const opt = new AdamW(lora.variables);
    const high = [10, 11, 12, 13];
    const low = [0, 1, 2, 3];
    const rounds = await runOnline(
      model,
      lora,
      opt,
      {
        method: 'ddpo',
        tasks: [{ name: 'high', prompts: ['dog'], reward: fixed('high', high) }, { name: 'low', prompts: ['dog'], reward: fixed('low', low) }],
        promptsPerRound: 1,
        imagesPerPrompt: 4,
        updatesPerRound: 1,
        normalization: 'per-prompt',
        oracle: { tieMargin: 0, temperature: 0 },
        d3po: defaultD3poTrainConfig,
        ddpo: defaultDdpoTrainConfig,
        prdp: defaultPrdpTrainConfig,
        seed: 0,
      },
      32, // 4 rounds × 2 tasks × 4 images: each (task, prompt) buffer reaches DDPO's min_count of 16 in the last round
    );
    expect(rounds.map((r) => r.task)).toEqual(['high', 'low', 'high', 'low', 'high', 'low', 'high', 'low']);
    // Each task's own statistics (population std + 1e-6, as stat_tracking.py): the same values whether the batch or the 16-value buffer supplies them.
    const standardised = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const s = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
      return xs.map((x) => (x - m) / (s + 1e-6));
    };
    expect(seen.length).toBe(8);
    seen.forEach((adv, i) => adv.forEach((a, k) => expect(a).toBeCloseTo(standardised(i % 2 === 0 ? high : low)[k], 6)));
    [opt, lora, model].forEach((x) => x.dispose());
  });
});
