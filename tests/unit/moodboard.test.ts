// The moodboard's core: pairs dealt from liked × disliked (every image used equally often, captions carried per image,
// reproducible from the trainer's RNG), the recipe's limits, encoding equals the autoencoder's posterior mean, a
// Diffusion-DPO step whose loser is conditioned on its own caption (loss re-computed by hand from the same draws), and
// the trainer moving the adapter without tensor growth.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { moodboardPairSampler, moodboardProblem, type MoodboardImage } from '../../src/core/moodboard/moodboardPairs';
import { defaultMoodboardRecipe, validateMoodboardRecipe } from '../../src/core/moodboard/recipe';
import { encodeMoodboardImages, MoodboardTrainer } from '../../src/core/moodboard/moodboardTrainer';
import { diffusionDpoTrainStep, type ImagePreference } from '../../src/core/algorithms/diffusionDpoTrainer';
import { MiniSD, COMPONENTS } from '../../src/core/model/pipeline';
import { encoderForward } from '../../src/core/model/autoencoder';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter } from '../../src/core/model/lora';
import { alphasCumprod } from '../../src/core/diffusion/schedule';
import { AdamW } from '../../src/core/train/adamw';
import { createRng } from '../../src/core/rng';
import { useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

const latent = (k: number) => Float32Array.from({ length: 256 }, (_, i) => Math.sin(k * 7 + i));
const board = (liked: number, disliked: number): MoodboardImage[] => [
  ...Array.from({ length: liked }, (_, i) => ({ latent: latent(i), caption: `liked ${i}`, liked: true })),
  ...Array.from({ length: disliked }, (_, i) => ({ latent: latent(100 + i), caption: i === 0 ? '' : `disliked ${i}`, liked: false })),
];

describe('moodboardPairSampler', () => {
  it('pairs a liked winner with a disliked loser, each with its own caption, using every image equally often', () => {
    const images = board(3, 2);
    const next = moodboardPairSampler(images, 1, createRng(4));
    const uses = new Map<Float32Array, number>();
    for (let step = 0; step < 6; step++) {
      const [p] = next();
      const w = images.find((i) => i.latent === p.winner)!;
      const l = images.find((i) => i.latent === p.loser)!;
      expect(w.liked).toBe(true);
      expect(l.liked).toBe(false);
      expect(p.prompt).toBe(w.caption);
      expect(p.loserPrompt).toBe(l.caption); // '' stays '' (unconditional), not the winner's caption
      uses.set(w.latent, (uses.get(w.latent) ?? 0) + 1);
      uses.set(l.latent, (uses.get(l.latent) ?? 0) + 1);
    }
    // 6 draws: 2 passes over the 3 liked, 3 passes over the 2 disliked
    for (const img of images) expect(uses.get(img.latent)).toBe(img.liked ? 2 : 3);
  });

  it('is reproducible from the seed and varies the partners between seeds', () => {
    const images = board(5, 5);
    const run = (seed: number) => {
      const next = moodboardPairSampler(images, 4, createRng(seed));
      return Array.from({ length: 5 }, () => next().map((p) => `${p.prompt}>${p.loserPrompt}`)).flat();
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
    expect(run(1)).toHaveLength(20);
  });

  it('caption dropout trains a pair unconditionally (both captions empty) with the given probability', () => {
    const images = board(4, 4).map((i) => ({ ...i, caption: i.caption || 'x' }));
    const draw = (p: number | undefined, n: number) => {
      const next = p === undefined ? moodboardPairSampler(images, 10, createRng(6)) : moodboardPairSampler(images, 10, createRng(6), p);
      return Array.from({ length: n }, () => next()).flat();
    };
    expect(draw(0, 3)).toEqual(draw(undefined, 3)); // 0 = no dropout, and no extra RNG draws
    expect(draw(1, 3).every((p) => p.prompt === '' && p.loserPrompt === '')).toBe(true);
    const half = draw(0.5, 40);
    expect(half.every((p) => (p.prompt === '') === (p.loserPrompt === ''))).toBe(true); // both or neither
    const dropped = half.filter((p) => p.prompt === '').length / half.length;
    expect(dropped).toBeGreaterThan(0.42); // 400 pairs: 0.5 ± 4 standard errors (0.025)
    expect(dropped).toBeLessThan(0.58);
    expect(() => moodboardPairSampler(images, 1, createRng(0), 1.5)).toThrow(/captionDropout must be a probability/);
  });

  it('shared captions condition both images on one of their two captions, each about half the time', () => {
    const images = board(4, 4).map((i) => ({ ...i, caption: i.caption || 'x' }));
    const next = moodboardPairSampler(images, 10, createRng(8), 0, true);
    const pairs = Array.from({ length: 40 }, () => next()).flat();
    let winners = 0;
    for (const p of pairs) {
      const w = images.find((i) => i.latent === p.winner)!;
      const l = images.find((i) => i.latent === p.loser)!;
      expect(p.loserPrompt).toBe(p.prompt);
      expect([w.caption, l.caption]).toContain(p.prompt);
      if (p.prompt === w.caption) winners++;
    }
    expect(winners / pairs.length).toBeGreaterThan(0.42); // 400 coin flips: 0.5 ± 4 standard errors
    expect(winners / pairs.length).toBeLessThan(0.58);
    const dropped = moodboardPairSampler(images, 10, createRng(8), 1, true)();
    expect(dropped.every((p) => p.prompt === '' && p.loserPrompt === '')).toBe(true); // dropout still wins
  });

  it('shared captions of two uncaptioned images come from the fallback prompts, uniformly; none given: unconditional', () => {
    const images = board(3, 3).map((i) => ({ ...i, caption: '' }));
    const prompts = ['red heart', 'dog face', 'pizza'];
    const next = moodboardPairSampler(images, 10, createRng(9), 0, true, prompts);
    const pairs = Array.from({ length: 30 }, () => next()).flat();
    const counts = prompts.map((p) => pairs.filter((x) => x.prompt === p && x.loserPrompt === p).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(pairs.length); // every pair under one of them, both images alike
    for (const c of counts) expect(Math.abs(c / pairs.length - 1 / 3)).toBeLessThan(0.1); // 300 draws: ±4 standard errors ≈ 0.11
    const plain = moodboardPairSampler(images, 10, createRng(9), 0, true)();
    expect(plain.every((p) => p.prompt === '' && p.loserPrompt === '')).toBe(true);
    const mixed = moodboardPairSampler([{ ...images[0], caption: 'yellow' }, images[3]], 20, createRng(3), 0, true, prompts)();
    expect(mixed.every((p) => p.prompt === 'yellow' && p.loserPrompt === 'yellow')).toBe(true); // an image's own caption comes first
  });

  it('needs a liked and a disliked image, and says so', () => {
    expect(moodboardProblem([{ liked: true }, { liked: true }])).toMatch(/at least one liked and one disliked image.*2 liked and 0 disliked/);
    expect(moodboardProblem([])).toMatch(/0 liked and 0 disliked/);
    expect(moodboardProblem([{ liked: true }, { liked: false }])).toBeNull();
    expect(() => moodboardPairSampler(board(2, 0), 2, createRng(0))).toThrow(/add images or switch a mark/);
    expect(() => moodboardPairSampler(board(2, 2), 0, createRng(0))).toThrow(/pairsPerStep/);
  });
});

describe('validateMoodboardRecipe', () => {
  it('accepts the defaults and names a bad field with its range', () => {
    expect(validateMoodboardRecipe(defaultMoodboardRecipe)).toBeNull();
    expect(validateMoodboardRecipe({ ...defaultMoodboardRecipe, steps: 2.5 })).toBe('Moodboard setting steps = 2.5 is out of range; use an integer from 1 to 10000.');
    expect(validateMoodboardRecipe({ ...defaultMoodboardRecipe, learningRate: 0 })).toMatch(/learningRate = 0 is out of range; use a number/);
    expect(validateMoodboardRecipe({ ...defaultMoodboardRecipe, beta: Number.NaN })).toMatch(/beta = NaN/);
    expect(validateMoodboardRecipe({ ...defaultMoodboardRecipe, captionDropout: 1.2 })).toMatch(/captionDropout = 1.2 is out of range; use a number from 0 to 1/);
  });
});

describe('encodeMoodboardImages', () => {
  it('gives the scaled posterior mean of each image (chunked, one read per chunk), without tensor growth', async () => {
    const model = MiniSD.create(tinyModelConfig(), 3);
    const rng = createRng(9);
    const images = Array.from({ length: 5 }, () => Uint8ClampedArray.from({ length: 32 * 32 * 4 }, (_, i) => (i % 4 === 3 ? 255 : Math.floor(rng.next() * 256))));
    await encodeMoodboardImages(model, images.slice(0, 1)); // warm-up
    const before = tf.memory().numTensors;
    const got = await encodeMoodboardImages(model, images, 2);
    expect(tf.memory().numTensors).toBe(before);
    // Independently: RGB in [−1, 1] through the encoder, the mean times the scaling factor.
    const x = tf.tensor4d(Float32Array.from(images.flatMap((img) => Array.from(img).filter((_, i) => i % 4 !== 3).map((v) => (v / 255) * 2 - 1))), [5, 32, 32, 3]);
    const want = tf.tidy(() => tf.mul(encoderForward(model.ctx(COMPONENTS.vae), model.config.autoencoder, x).mean, model.config.autoencoder.scalingFactor));
    const w = await want.data();
    expect(got).toHaveLength(5);
    got.forEach((z, i) => z.forEach((v, j) => expect(v).toBeCloseTo(w[i * 256 + j], 4)));
    tf.dispose([x, want]);
    await expect(encodeMoodboardImages(model, [new Uint8ClampedArray(16)])).rejects.toThrow(/32 × 32 RGBA/);
    model.dispose();
  });
});

describe('Diffusion-DPO with a caption per image', () => {
  it('conditions the loser on loserPrompt: the step loss equals −log σ(−½β(Δw − Δl)) with each image under its own caption', async () => {
    const model = MiniSD.create(tinyModelConfig(), 5);
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q', 'to_k', 'to_v'], seed: 2 });
    // Move the adapter away from the reference so the policy's errors differ from the reference's.
    const r0 = createRng(77);
    for (const v of lora.variables) v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => 0.3 * r0.normal()), v.shape));
    const pairs: ImagePreference[] = [
      { prompt: 'dog', winner: latent(1), loser: latent(2), loserPrompt: 'pizza' },
      { prompt: 'red heart', winner: latent(3), loser: latent(4), loserPrompt: '' },
    ];
    const beta = 50;
    // The trainer's draws, replayed: one t per pair, then one ε per pair (shared by winner and loser).
    const replay = createRng(123);
    const ts = [replay.int(1000), replay.int(1000)];
    const eps = replay.normals(2 * 256);
    const acp = alphasCumprod(model.config.scheduler);
    const err = (x: Float32Array, i: number, caption: string, scale?: number) =>
      tf.tidy(() => {
        const e = tf.tensor4d(eps.subarray(i * 256, (i + 1) * 256), [1, 8, 8, 4]);
        const xt = tf.add(tf.mul(Math.sqrt(acp[ts[i]]), tf.tensor4d(x, [1, 8, 8, 4])), tf.mul(Math.sqrt(1 - acp[ts[i]]), e)) as tf.Tensor4D;
        return tf.mean(tf.square(tf.sub(model.predict(xt, [ts[i]], model.encodeText([caption]), lora, scale), e))).dataSync()[0];
      });
    const lossWith = (loserCaption: (p: ImagePreference) => string) =>
      pairs
        .map((p, i) => {
          const inside = -0.5 * beta * (err(p.winner, i, p.prompt) - err(p.winner, i, p.prompt, 0) - (err(p.loser, i, loserCaption(p)) - err(p.loser, i, loserCaption(p), 0)));
          return Math.log(1 + Math.exp(-inside));
        })
        .reduce((a, b) => a + b, 0) / pairs.length;
    const own = lossWith((p) => p.loserPrompt!);
    const shared = lossWith((p) => p.prompt); // what the step would give if both images used the winner's caption
    const opt = new AdamW(lora.variables, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const r = await diffusionDpoTrainStep(model, lora, opt, pairs, { beta, learningRate: 1e-3, maxGradNorm: 1 }, createRng(123));
    expect(Math.abs(own - shared)).toBeGreaterThan(1e-3); // the captions matter here
    expect(r.loss).toBeCloseTo(own, 4);
    opt.dispose();
    lora.dispose();
    model.dispose();
  });
});

describe('MoodboardTrainer', () => {
  it('learns to denoise liked images better than disliked ones, relative to the reference, without tensor growth', async () => {
    const model = MiniSD.create(tinyModelConfig(), 31);
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 4, alpha: 4, targets: ['to_q', 'to_v', 'conv1', 'conv2'], seed: 1 });
    const opt = new AdamW(lora.variables, { learningRate: 3e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const bright = (k: number) => Float32Array.from({ length: 256 }, (_, i) => 1 + 0.1 * Math.sin(i + k));
    const dark = (k: number) => Float32Array.from({ length: 256 }, (_, i) => -1 + 0.1 * Math.cos(i + k));
    const images: MoodboardImage[] = [
      ...[0, 1, 2].map((k) => ({ latent: bright(k), caption: ['dog', 'sun', ''][k], liked: true })),
      ...[0, 1, 2].map((k) => ({ latent: dark(k), caption: ['pizza', '', 'fire'][k], liked: false })),
    ];
    const trainer = new MoodboardTrainer(model, lora, opt, { ...defaultMoodboardRecipe, pairsPerStep: 3, learningRate: 3e-3, beta: 500, weightDecay: 0 }, images, createRng(8));
    const first = await trainer.step();
    expect(first.loss).toBeCloseTo(Math.log(2), 5); // B = 0: policy = reference
    expect(first.margin).toBeCloseTo(0, 6);
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 8; i++) last = await trainer.step();
    expect(tf.memory().numTensors).toBe(before);
    expect(opt.step).toBe(9);
    expect(last.loss).toBeLessThan(Math.log(2));
    expect(last.margin).toBeGreaterThan(0);
    opt.dispose();
    lora.dispose();
    model.dispose();
  });
});
