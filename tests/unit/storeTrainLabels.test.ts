// Unit tests for what the worker trains on (newest A/B vote per pair of this model; ties and both-bad skipped) and the training config's validation.
import { describe, expect, it } from 'vitest';
import { usableLabels } from '../../src/worker/trainJob';
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

describe('validateTrainConfig', () => {
  it('accepts the defaults and names the first bad field with its range', () => {
    expect(validateTrainConfig(defaultStudioTrainConfig)).toBeNull();
    expect(validateTrainConfig({ ...defaultStudioTrainConfig, rank: 2.5 })).toMatch(/rank = 2.5 .*integer from 1 to 64/);
    expect(validateTrainConfig({ ...defaultStudioTrainConfig, learningRate: Number.NaN })).toMatch(/learningRate/);
    expect(validateTrainConfig({ ...defaultStudioTrainConfig, eps: 1 })).toMatch(/eps = 1 is out of range/);
  });
});
