// Tests for the trajectory codec (trajectories + preference labels <-> safetensors bytes): exact F32 round trip, F16 within half-precision tolerance, the 300 KB bound for a 20-step pair of the shipped model, validation errors; stored log-probs serve DDPO/PRDP as θ_old only with F32 latents (F16 re-scores differently and is refused).
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultModelConfig, latentShape, tinyModelConfig } from '../../src/core/config';
import { sampleWithTrajectory, type Trajectory } from '../../src/core/diffusion/sample';
import { MiniSD } from '../../src/core/model/pipeline';
import { createLoraAdapter } from '../../src/core/model/lora';
import { AdamW } from '../../src/core/train/adamw';
import { disposeTransitions, transitionLogProb, transitionTensors } from '../../src/core/algorithms/transitions';
import { ddpoTrainStep, defaultDdpoTrainConfig } from '../../src/core/algorithms/ddpoTrainer';
import { defaultPrdpTrainConfig, prdpTrainStep, referenceLogProbs } from '../../src/core/algorithms/prdpTrainer';
import { createRng } from '../../src/core/rng';
import { encodeSafetensors } from '../../src/core/io/safetensors';
import { f32Entry } from '../../src/core/io/tensorEntry';
import {
  decodePairs,
  decodeTrajectoryBundle,
  encodePairs,
  encodeTrajectoryBundle,
  MAX_PAIR_BYTES,
  preferencePairs,
  TrajectoryCodecError,
  type LabeledPair,
} from '../../src/core/algorithms/trajectoryCodec';
import { maxAbsDiff, useBackend } from './backend';

/** A fake T-step trajectory with random latents (std ~1.5, like x_T … x_0) and log-probs; x_T shared when `xT` is given. */
function fakeTrajectory(prompt: string, seed: number, index: number, steps: number, size: number, xT?: Float32Array): Trajectory {
  const rng = createRng(seed * 31 + index);
  const latents = Array.from({ length: steps + 1 }, (_, k) => (k === 0 && xT ? xT.slice() : rng.normals(size).map((v) => v * 1.5)));
  return {
    prompt,
    seed,
    index,
    timesteps: Array.from({ length: steps }, (_, k) => 1000 - Math.round(((k + 1) * 1000) / (steps + 1))),
    latents,
    logProbs: rng.normals(steps).map((v) => v - 3),
    steps,
    eta: 1,
    guidanceScale: 5,
  };
}

function fakePair(id: string, prompt: string, seed: number, steps: number, size: number): LabeledPair {
  const xT = createRng(seed).normals(size);
  return { id, trajectories: [fakeTrajectory(prompt, seed, 0, steps, size, xT), fakeTrajectory(prompt, seed, 1, steps, size, xT)] };
}

const realLatentSize = latentShape(defaultModelConfig(['<pad>', '<unk>'])).reduce((a, b) => a * b, 1); // 8·8·4 = 256

describe('trajectoryCodec', () => {
  it('round-trips trajectories, pairs, votes and meta exactly with F32 latents', () => {
    const pairs: LabeledPair[] = [
      { ...fakePair('pair-0000', 'red heart', 7, 4, 32), vote: 0 },
      { ...fakePair('pair-0001', 'dog face', 8, 4, 32), vote: 'both-bad' },
      fakePair('pair-0002', 'pizza', 9, 4, 32), // not labeled yet
    ];
    const bytes = encodePairs(pairs, 'F32', { model: 'tiny-test@abc' });
    const back = decodePairs(bytes);
    expect(back.map((p) => [p.id, p.vote])).toEqual([['pair-0000', 0], ['pair-0001', 'both-bad'], ['pair-0002', undefined]]);
    back.forEach((p, i) =>
      p.trajectories.forEach((t, k) => {
        const orig = pairs[i].trajectories[k];
        expect({ ...t, latents: undefined, logProbs: undefined }).toEqual({ ...orig, latents: undefined, logProbs: undefined, storedLatentDtype: 'F32' });
        expect(t.latents.length).toBe(orig.latents.length);
        t.latents.forEach((l, j) => expect(Array.from(l)).toEqual(Array.from(orig.latents[j])));
        expect(Array.from(t.logProbs)).toEqual(Array.from(orig.logProbs));
      }),
    );
    expect(decodeTrajectoryBundle(bytes).meta).toEqual({ model: 'tiny-test@abc' });
    const prefs = preferencePairs(back);
    expect(prefs.map((p) => [p.id, p.vote])).toEqual([['pair-0000', 0], ['pair-0001', 'both-bad']]);
    // The shared x_T survives, so d3poTrainStep's shared-noise check still passes.
    expect(Array.from(prefs[0].trajectories[0].latents[0])).toEqual(Array.from(prefs[0].trajectories[1].latents[0]));
  });

  it('stores latents as F16 within half-precision rounding (log-probs stay exact) and shares x_T exactly', () => {
    const pair = { ...fakePair('p', 'sun', 3, 5, 64), vote: 1 as const };
    const [a, b] = decodePairs(encodePairs([pair], 'F16'))[0].trajectories;
    pair.trajectories[0].latents.forEach((l, j) => {
      const scale = Math.max(...Array.from(l, Math.abs));
      expect(maxAbsDiff(a.latents[j], l)).toBeLessThanOrEqual(scale * 2 ** -11); // half an F16 ulp at the largest magnitude
    });
    expect(Array.from(a.logProbs)).toEqual(Array.from(pair.trajectories[0].logProbs));
    expect(Array.from(a.latents[0])).toEqual(Array.from(b.latents[0]));
  });

  it('keeps a labeled 20-step pair of the shipped model (8×8×4 latents) under 300 KB, and F16 halves the latents', () => {
    const pair = { ...fakePair('pair-0000', 'face with tears of joy', 1, 20, realLatentSize), vote: 0 as const };
    const f32 = encodePairs([pair], 'F32').length;
    const f16 = encodePairs([pair], 'F16').length;
    expect(f32).toBeLessThanOrEqual(MAX_PAIR_BYTES);
    expect(f16).toBeLessThanOrEqual(MAX_PAIR_BYTES);
    expect(f32 - f16).toBe(2 * 21 * realLatentSize * 2);
  });

  it('stores a trajectory shared by two pairs once', () => {
    const p = fakePair('x', 'ghost', 2, 3, 16);
    const one = encodePairs([p], 'F32').length;
    const shared = encodePairs([p, { id: 'y', trajectories: [p.trajectories[1], p.trajectories[0]], vote: 'tie' }], 'F32');
    expect(decodeTrajectoryBundle(shared).trajectories.length).toBe(2);
    expect(shared.length - one).toBeLessThan(200); // only the extra pair reference in the header
  });

  it('rejects malformed input with errors that say what to do', () => {
    const p = fakePair('x', 'ghost', 2, 3, 16);
    const broken = { ...p.trajectories[0], logProbs: new Float32Array(2) };
    expect(() => encodeTrajectoryBundle({ trajectories: [broken], pairs: [], meta: {} })).toThrow(/needs T\+1 latents and T log-probs/);
    expect(() => encodeTrajectoryBundle({ trajectories: p.trajectories, pairs: [{ id: 'z', a: 0, b: 2 }], meta: {} })).toThrow(TrajectoryCodecError);
    expect(() => encodePairs([{ ...p, vote: 'maybe' as never }])).toThrow(/votes are 0 \(A\), 1 \(B\), 'tie' or 'both-bad'/);
    const notOurs = encodeSafetensors(new Map([['w', f32Entry(new Float32Array(4), [4])]]), {});
    expect(() => decodePairs(notOurs)).toThrow(/Not a trajectory file/);
  });
});

describe('stored log-probs are θ_old only for exact (F32) latents', () => {
  beforeAll(() => useBackend('wasm'));

  /** Largest |re-scored − stored| log-prob over every step of the trajectories. */
  async function rescoreGap(model: MiniSD, trajectories: Trajectory[]): Promise<number> {
    let gap = 0;
    for (const tr of trajectories) {
      const tt = transitionTensors(model, { trajectories: tr.timesteps.map(() => tr), steps: tr.timesteps.map((_, j) => j) });
      const lp = transitionLogProb(model, tt);
      gap = Math.max(gap, maxAbsDiff(await lp.data(), tr.logProbs));
      lp.dispose();
      disposeTransitions(tt);
    }
    return gap;
  }

  it('F32 bundles re-score exactly and train with DDPO/PRDP; F16 bundles drift beyond DDPO’s clip and are refused', async () => {
    const cfg = tinyModelConfig();
    cfg.sample.steps = 4;
    const model = MiniSD.create(cfg, 7);
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q', 'to_v'], seed: 1 });
    const opt = new AdamW(lora.variables, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const r = await sampleWithTrajectory(model, { prompts: ['dog', 'dog'], seed: 3, sharedInitialNoise: true, lora });
    r.final.dispose();
    const pair: LabeledPair = { id: 'p', trajectories: [r.trajectories[0], r.trajectories[1]] };
    const f32 = decodePairs(encodePairs([pair], 'F32'))[0].trajectories;
    const f16 = decodePairs(encodePairs([pair], 'F16'))[0].trajectories;
    expect(await rescoreGap(model, f32)).toBe(0);
    expect(await rescoreGap(model, f16)).toBeGreaterThan(defaultDdpoTrainConfig.clipRange); // 0.03 on this tiny model

    const ddpo = (trs: Trajectory[]) => ddpoTrainStep(model, lora, opt, trs.map((trajectory, i) => ({ trajectory, advantage: i === 0 ? 1 : -1 })), defaultDdpoTrainConfig, createRng(0));
    const prdp = async (trs: Trajectory[]) => prdpTrainStep(model, lora, opt, [{ trajectories: trs, rewards: [1, 0], refLogProbs: await referenceLogProbs(model, trs) }], defaultPrdpTrainConfig);
    await expect(ddpo(f16)).rejects.toThrow(/DDPO needs the sampling-time log-probs.*F16 latents.*D3PO/);
    await expect(prdp(f16)).rejects.toThrow(/PRDP needs the sampling-time log-probs.*F16 latents/);
    await expect(ddpo([f32[0], f16[1]])).rejects.toThrow(TrajectoryCodecError); // one rounded trajectory is enough
    const ok = await ddpo(f32);
    expect(ok.approxKl).toBe(0); // on-policy: ratio exactly 1 before the step
    expect(Number.isFinite((await prdp(f32)).loss)).toBe(true);
    [opt, lora, model].forEach((x) => x.dispose());
  });
});
