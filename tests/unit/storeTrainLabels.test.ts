// Unit tests for what the worker trains on (newest A/B vote per pair of this model; ties and both-bad skipped) and the training config's validation.
import { describe, expect, it } from 'vitest';
import { recentOracleRewards, usableLabels } from '../../src/worker/trainJob';
import { defaultStudioTrainConfig, validateTrainConfig } from '../../src/worker/trainConfig';
import type { Label } from '../../src/storage/labels';

const label = (pairId: string, vote: Label['vote'], time: number, modelId = 'tiny-test'): Label => ({
  pairId,
  vote,
  leftIsFirst: true,
  prompt: 'red heart',
  seed: 1,
  time,
  modelId,
  loraVersion: null,
});

describe('usableLabels', () => {
  it('keeps A/B votes of this model, skips ties, both-bad and other models, newest vote per pair wins', () => {
    const got = usableLabels(
      [label('a', 0, 1), label('b', 'tie', 2), label('c', 'both-bad', 3), label('d', 1, 4, 'emoji-sd-mini'), label('e', 1, 5), label('e', 'tie', 6), label('f', 'tie', 7), label('f', 0, 8)],
      'tiny-test',
    );
    expect(got.map((l) => `${l.pairId}:${l.vote}`).sort()).toEqual(['a:0', 'f:0']);
  });
});

describe('recentOracleRewards', () => {
  it("averages both images' rewards over this model's newest n oracle-scored votes (ties included), null without any", () => {
    const scored = (id: string, time: number, rewards: [number, number], modelId = 'tiny-test'): Label => ({ ...label(id, time === 3 ? 'tie' : 0, time, modelId), rewards });
    const labels = [scored('old', 1, [100, 100]), label('human', 1, 2), scored('a', 3, [0.2, 0.4]), scored('b', 4, [0.6, 0.8]), scored('other', 5, [9, 9], 'emoji-sd-mini')];
    const got = recentOracleRewards(labels, 'tiny-test', 2)!;
    expect(got.mean).toBeCloseTo(0.5, 12); // (0.2 + 0.4 + 0.6 + 0.8) / 4; 'old' is outside the newest 2
    expect(got.std).toBeCloseTo(Math.sqrt((0.09 + 0.01 + 0.01 + 0.09) / 4), 12);
    expect(recentOracleRewards([label('human', 1, 2)], 'tiny-test')).toBeNull();
  });
});

describe('validateTrainConfig', () => {
  it('accepts the defaults and names the first bad field with its range', () => {
    expect(validateTrainConfig(defaultStudioTrainConfig)).toBeNull();
    expect(validateTrainConfig({ ...defaultStudioTrainConfig, rank: 2.5 })).toMatch(/rank = 2.5 .*integer from 1 to 64/);
    expect(validateTrainConfig({ ...defaultStudioTrainConfig, learningRate: Number.NaN })).toMatch(/learningRate/);
    expect(validateTrainConfig({ ...defaultStudioTrainConfig, eps: 1 })).toMatch(/eps = 1 is out of range/);
    // A LoRA EMA is a CLI option; the studio's worker would ignore it, so it is refused with what to do.
    expect(validateTrainConfig({ ...defaultStudioTrainConfig, emaDecay: 0.9 })).toMatch(/emaDecay = 0.9.*train --ema.*set it to 0/);
  });
});
