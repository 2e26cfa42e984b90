import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { brightness, colourfulness, jpegCompressibility, jpegIncompressibility, jpegSizeKb } from '../../src/core/rewards/imageRewards';
import { diversityReward, rmsDistance, setDiversity } from '../../src/core/rewards/diversity';
import { oracleVote } from '../../src/core/algorithms/oracle';
import { batchNormalizedAdvantages, PerPromptStatTracker } from '../../src/core/algorithms/advantages';
import { ddpoLoss, ddpoMetricTensor } from '../../src/core/algorithms/ddpo';
import { allPairs, prdpLoss } from '../../src/core/algorithms/prdp';
import { createRng } from '../../src/core/rng';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

const solid = (r: number, g: number, b: number) => {
  const img = new Uint8ClampedArray(32 * 32 * 4);
  for (let i = 0; i < img.length; i += 4) [img[i], img[i + 1], img[i + 2], img[i + 3]] = [r, g, b, 255];
  return img;
};
const noise = (seed: number) => {
  const rng = createRng(seed);
  const img = new Uint8ClampedArray(32 * 32 * 4);
  for (let i = 0; i < img.length; i++) img[i] = i % 4 === 3 ? 255 : Math.floor(rng.next() * 256);
  return img;
};

describe('image rewards', () => {
  it('JPEG size: noise is incompressible, a flat image compresses; compressibility is its negation', async () => {
    const flat = solid(200, 30, 30);
    const busy = noise(1);
    expect(jpegSizeKb(busy)).toBeGreaterThan(3 * jpegSizeKb(flat));
    const [a, b] = await jpegIncompressibility.score([flat, busy], ['x', 'x']);
    const [c, d] = await jpegCompressibility.score([flat, busy], ['x', 'x']);
    expect(b).toBeGreaterThan(a);
    expect(c).toBe(-a);
    expect(d).toBe(-b);
    expect(jpegSizeKb(flat)).toBeGreaterThan(0.1); // a real JPEG has headers and tables
  });

  it('brightness and colourfulness match hand-computed values', () => {
    expect(brightness(solid(255, 255, 255))).toBe(1);
    expect(brightness(solid(51, 102, 153))).toBeCloseTo((51 + 102 + 153) / (3 * 255), 10);
    // constant image: no spread, M = 0.3·sqrt(μ_rg² + μ_yb²) with rg = R−G, yb = (R+G)/2 − B
    expect(colourfulness(solid(200, 50, 10))).toBeCloseTo(0.3 * Math.sqrt(150 ** 2 + 115 ** 2), 8);
    expect(colourfulness(solid(128, 128, 128))).toBe(0);
  });
});

describe('diversity reward (set-level, per-image credit)', () => {
  it('gives each image its mean distance to the rest of its prompt’s set: the odd one out scores highest, the set’s mean is its diversity', async () => {
    const black = solid(0, 0, 0);
    const white = solid(255, 255, 255);
    expect(rmsDistance(black, white)).toBe(1);
    expect(setDiversity([noise(1), noise(1), noise(1)])).toBe(0);
    // {black, black, white}: distances 0 (black–black), 1, 1 → mean distance to the others ½, ½, 1; set diversity ⅔
    const [b1, b2, w] = await diversityReward.score([black, black, white], ['x', 'x', 'x']);
    expect([b1, b2, w]).toEqual([0.5, 0.5, 1]);
    expect((b1 + b2 + w) / 3).toBeCloseTo(setDiversity([black, black, white]), 12);
    // The same ordering as the leave-one-out contribution D(S) − D(S∖{i}): dropping white leaves 0 diversity, dropping a black leaves 1.
    expect(setDiversity([black, black, white]) - setDiversity([black, black])).toBeGreaterThan(setDiversity([black, black, white]) - setDiversity([black, white]));
    // identical images: nothing to contribute
    expect(await diversityReward.score([noise(4), noise(4)], ['y', 'y'])).toEqual([0, 0]);
  });

  it('scores each prompt’s set on its own, in the images’ order, with a set of one well defined (0)', async () => {
    const imgs = [noise(2), solid(0, 0, 0), noise(3), solid(255, 0, 0), solid(0, 0, 0), noise(5)];
    const prompts = ['a', 'b', 'a', 'b', 'a', 'c'];
    const scores = await diversityReward.score(imgs, prompts);
    const meanDistanceToOthers = (i: number) => {
      const others = prompts.flatMap((p, j) => (p === prompts[i] && j !== i ? [j] : []));
      return others.length === 0 ? 0 : others.reduce((s, j) => s + rmsDistance(imgs[i], imgs[j]), 0) / others.length;
    };
    scores.forEach((v, i) => expect(v).toBeCloseTo(meanDistanceToOthers(i), 12));
    expect(scores[5]).toBe(0); // prompt 'c' has one image
    // for a set of n = 3 the leave-one-out contribution D(S) − D(S∖{i}) is a constant + 2/(n−2)·(mean distance)
    const setA = [imgs[0], imgs[2], imgs[4]];
    const loo = setA.map((_, i) => setDiversity(setA) - setDiversity(setA.filter((__, j) => j !== i)));
    expect(loo[0] - loo[1]).toBeCloseTo(2 * (scores[0] - scores[2]), 12);
    expect(loo[1] - loo[2]).toBeCloseTo(2 * (scores[2] - scores[4]), 12);
    // images of one set get different rewards, so PRDP's reward differences, D3PO's oracle and DDPO's advantages see a signal
    expect(new Set([scores[0], scores[2], scores[4]]).size).toBe(3);
    expect(batchNormalizedAdvantages([scores[0], scores[2], scores[4]]).some((a) => Math.abs(a) > 0.5)).toBe(true);
  });
});

describe('scripted oracle', () => {
  it('prefers the higher reward, ties within the margin, and follows Bradley–Terry with noise', () => {
    const rng = createRng(0);
    expect(oracleVote(2, 1, { tieMargin: 0, temperature: 0 }, rng)).toBe(0);
    expect(oracleVote(1, 2, { tieMargin: 0, temperature: 0 }, rng)).toBe(1);
    expect(oracleVote(1, 1.05, { tieMargin: 0.1, temperature: 0 }, rng)).toBe('tie');
    let a = 0;
    for (let i = 0; i < 4000; i++) if (oracleVote(1, 0, { tieMargin: 0, temperature: 1 }, rng) === 0) a++;
    expect(a / 4000).toBeCloseTo(1 / (1 + Math.exp(-1)), 1);
  });
});

describe('advantages', () => {
  it('batch-wise normalisation has zero mean and unit std', () => {
    const a = batchNormalizedAdvantages([1, 2, 3, 4]);
    expect(a.reduce((x, y) => x + y)).toBeCloseTo(0, 10);
    expect(a[3]).toBeCloseTo(1.5 / Math.sqrt(1.25), 6);
  });

  it('per-prompt tracker uses the batch until min_count, then each prompt’s own buffer', () => {
    const t = new PerPromptStatTracker(4, 2);
    // first call: one reward per prompt < min_count → batch stats over [0, 10]
    const first = t.update(['a', 'b'], [0, 10]);
    expect(first[0]).toBeCloseTo(-5 / (5 + 1e-6), 6);
    // second call: each prompt has 2 rewards → its own mean/std
    const second = t.update(['a', 'b'], [2, 20]);
    expect(second[0]).toBeCloseTo((2 - 1) / (1 + 1e-6), 6); // a: [0, 2]
    expect(second[1]).toBeCloseTo((20 - 15) / (5 + 1e-6), 6); // b: [10, 20]
    // batch-wise would mix the prompts instead
    const bw = batchNormalizedAdvantages([2, 20]);
    expect(bw[0]).toBeCloseTo(-1, 6);
    expect(t.stats().a.count).toBe(2);
  });
});

describe('DDPO clipped surrogate', () => {
  const lossOf = async (logp: number, old: number, adv: number) => (await ddpoLoss(tf.tensor1d([logp]), tf.tensor1d([old]), tf.tensor1d([adv]), { clipRange: 0.1, advClipMax: 5 }).data())[0];

  it('equals −A·ρ inside the clip range and the pessimistic clipped value outside, with A clamped to ±5', async () => {
    expect(await lossOf(Math.log(1.05), 0, 2)).toBeCloseTo(-2 * 1.05, 6);
    expect(await lossOf(Math.log(1.5), 0, 2)).toBeCloseTo(-2 * 1.1, 6); // A>0, ratio above range: clipped (max picks −A·1.1)
    expect(await lossOf(Math.log(0.5), 0, 2)).toBeCloseTo(-2 * 0.5, 6); // A>0, ratio below: unclipped is larger
    expect(await lossOf(Math.log(0.5), 0, -2)).toBeCloseTo(2 * 0.9, 6); // A<0, ratio below: clipped
    expect(await lossOf(0, 0, 100)).toBeCloseTo(-5, 6); // advantage clamp
  });

  it('has zero gradient once the ratio is clipped in the advantage direction', async () => {
    const g = tf.grad((lp: tf.Tensor) => tf.sum(ddpoLoss(lp as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D, tf.tensor1d([1, 1]), { clipRange: 0.1, advClipMax: 5 })));
    const grads = await g(tf.tensor1d([Math.log(1.05), Math.log(1.3)])).data();
    expect(grads[0]).toBeCloseTo(-1.05, 5);
    expect(grads[1]).toBe(0);
    const m = await ddpoMetricTensor(tf.tensor1d([Math.log(1.05), Math.log(1.3)]), tf.zeros([2]) as tf.Tensor1D, 0.1).data();
    expect(m[1]).toBe(0.5);
    expect(m[0]).toBeCloseTo(0.5 * (Math.log(1.05) ** 2 + Math.log(1.3) ** 2) / 2, 6);
  });
});

describe('PRDP loss', () => {
  it('is zero when the log-ratio differences equal Δr/β (the optimum)', async () => {
    const beta = 2;
    const rewards = [1, 3, -1];
    // per-trajectory sums r̂ = r/β + c: split over T = 4 steps
    const lr = tf.tensor2d(rewards.map((r) => [r / beta / 4 + 0.1, r / beta / 4 - 0.1, r / beta / 4, r / beta / 4]));
    const loss = await prdpLoss(lr as tf.Tensor2D, lr as tf.Tensor2D, rewards, { beta, clipEps: 1 }).data();
    expect(loss[0]).toBeCloseTo(0, 10);
  });

  it('matches a hand computation, and the proximal clip takes the max of clipped and unclipped', async () => {
    expect(allPairs(3)).toEqual([[0, 1], [0, 2], [1, 2]]);
    const lr = tf.tensor2d([[0.5, 0], [0, 0]]);
    const old = tf.tensor2d([[0, 0], [0, 0]]);
    // unclipped: sums [0.5, 0], Δ = 0.5, target (1 − 0)/1 = 1 → (0.5 − 1)² = 0.25; clipped (ϵ=0.1): Δ = 0.1 → 0.81
    const loss = await prdpLoss(lr as tf.Tensor2D, old as tf.Tensor2D, [1, 0], { beta: 1, clipEps: 0.1 }).data();
    expect(loss[0]).toBeCloseTo(0.81, 6);
    const loose = await prdpLoss(lr as tf.Tensor2D, old as tf.Tensor2D, [1, 0], { beta: 1, clipEps: 10 }).data();
    expect(loose[0]).toBeCloseTo(0.25, 6);
    expect(() => prdpLoss(lr as tf.Tensor2D, old as tf.Tensor2D, [1], { beta: 1, clipEps: 1 })).toThrow(/2 trajectories|rewards/);
    // gradient w.r.t. the log-ratios: unclipped branch active with a wide clip: d/dr̂_0,t (Δ − 1)² = 2(Δ − 1) = −1
    const g = await tf.grad((x: tf.Tensor) => prdpLoss(x as tf.Tensor2D, old as tf.Tensor2D, [1, 0], { beta: 1, clipEps: 10 }))(lr).data();
    expect(Array.from(g).map((v) => +v.toFixed(6))).toEqual([-1, -1, 1, 1]);
  });
});
