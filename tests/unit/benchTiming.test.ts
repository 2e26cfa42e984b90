// The bench's measurement helper refuses a benchmarked call that leaks tensors (its time would measure the leak: an
// untidied UNet forward was ≈ 4× slower per latent on wasm), allows state created once on the first run (optimizer
// moments), and skips by the estimate before running anything.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertNoLeak, isSkipped, measure } from '../../cli/commands/benchTiming';
import { useBackend } from './backend';

beforeAll(() => useBackend('cpu'));

describe('measure', () => {
  const x = () => tf.ones([4, 4]);

  it('times a tidy call and leaves no tensor behind', async () => {
    const input = x();
    const before = tf.memory().numTensors;
    const m = await measure(() => tf.tidy(() => tf.matMul(tf.add(input, 1), input)), { reps: 3, estimateMs: 1, limitMs: 10_000, warmup: true });
    expect(isSkipped(m)).toBe(false);
    if (!isSkipped(m)) expect(m.reps).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
  });

  it('refuses a call whose intermediates stay allocated', async () => {
    const input = x();
    const before = tf.memory().numTensors;
    // tf.add's result is never disposed: one leaked tensor per run.
    await expect(measure(() => tf.matMul(tf.add(input, 1), input), { reps: 3, estimateMs: 1, limitMs: 10_000, warmup: false })).rejects.toThrow(/leaked 1 tensors in one run/);
    tf.disposeVariables();
    const leaked = tf.memory().numTensors - before;
    expect(leaked).toBe(3); // the three runs' intermediates: the guard saw them, it did not cause them
    input.dispose();
  });

  it('allows tensors created once by the first run', async () => {
    let state: tf.Variable | null = null;
    const m = await measure(
      () => {
        state ??= tf.variable(tf.zeros([2]));
        tf.tidy(() => state!.assign(tf.add(state!, 1)));
      },
      { reps: 3, estimateMs: 1, limitMs: 10_000, warmup: false },
    );
    expect(isSkipped(m)).toBe(false);
    expect(Array.from(await state!.data())).toEqual([3, 3]);
    state!.dispose();
  });

  it('skips by the estimate without running the call', async () => {
    let ran = 0;
    const m = await measure(() => void ran++, { reps: 3, estimateMs: 5_000, limitMs: 1_000, warmup: true });
    expect(isSkipped(m)).toBe(true);
    expect(ran).toBe(0);
  });
});

describe('assertNoLeak', () => {
  it('compares each run with the one before, not with the first', () => {
    expect(() => assertNoLeak([10, 10, 10])).not.toThrow();
    expect(() => assertNoLeak([10, 10, 9])).not.toThrow();
    expect(() => assertNoLeak([10, 12, 12])).toThrow(/leaked 2 tensors/);
    expect(() => assertNoLeak([10])).not.toThrow();
  });
});
