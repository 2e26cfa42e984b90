// The bench's D3PO rows: one update on one pair (20 timesteps, CFG, policy + reference), and a pass over labeled pairs as it ran before the frozen-filter and reference-cache savings, as it runs now (equal result), and as the studio trains (10-step pairs, the recipe's timestep share).
import { defaultTasteRecipe } from '../../src/core/taste/recipe';
import { createLoraAdapter, defaultLoraConfig } from '../../src/core/model/lora';
import { sampleWithTrajectory } from '../../src/core/diffusion/sample';
import { AdamW, d3poTrainStep, defaultD3poTrainConfig, type PreferencePair } from '../../src/core/algorithms/d3poTrainer';
import { ReferenceCache } from '../../src/core/algorithms/referenceCache';
import { createRng } from '../../src/core/rng';
import type { BenchRow } from './benchTable';
import { fmtS, isSkipped, measure, repsText } from './benchTiming';
import { gf, PAIR_STEPS, probeRatio, probeShare, PROMPT, reps, TARGETS, type BenchContext } from './benchContext';

/** FLOPs of one D3PO update on one pair: reference forward + forward + backward (≈ 2× forward) over k timesteps × 2 images × CFG. */
export function d3poFlops(flops: { unet: number; textEncoder: number }, timesteps: number): number {
  const latents = timesteps * 2 * 2;
  return 4 * latents * flops.unet + 2 * (2 * timesteps + 1) * flops.textEncoder;
}

export async function benchD3po(c: BenchContext): Promise<BenchRow> {
  const label = `D3PO update, 1 pair: ${PAIR_STEPS} timesteps, CFG, LoRA r${defaultLoraConfig.rank} on ${defaultLoraConfig.targets.join('/')}`;
  const pair = c.pair;
  if (!pair) return { key: 'd3poUpdate', label, value: null, unit: 's', detail: 'skipped: needs the pair from pair generation (skipped)' };
  const T = pair[0].timesteps.length;
  const rowsMs = (k: number) => k * 4 * (c.unetMsPerLatent ?? Infinity) * (1 + (c.convRatio ?? 3));
  // Full mode trains all T timesteps or skips; --quick trains as many as fit the limit and extrapolates to 20.
  let k = T;
  if (c.quick) while (k > 1 && rowsMs(k) > c.limitMs) k--;
  const estimate = rowsMs(k);
  if (estimate > c.limitMs) return { key: 'd3poUpdate', label, value: null, unit: 's', detail: `skipped: estimated ${fmtS(estimate)} > ${fmtS(c.limitMs)} limit; ${(d3poFlops(c.flops, PAIR_STEPS) / 1e9).toFixed(1)} GFLOP` };
  const lora = createLoraAdapter(c.model.params, 'unet.');
  const opt = new AdamW(lora.variables);
  const rng = createRng(0);
  const step = (fraction: number) => d3poTrainStep(c.model, lora, opt, [{ trajectories: pair, vote: 0 }], { ...defaultD3poTrainConfig, timestepFraction: fraction }, rng);
  try {
    await step(k / T); // warm-up with the measured shapes (XNNPACK builds operators per new shape)
    const m = await measure(() => step(k / T), { reps: reps(c, 2, 1), estimateMs: estimate, limitMs: c.limitMs, warmup: false });
    if (isSkipped(m)) return { key: 'd3poUpdate', label, value: null, unit: 's', detail: m.skipped };
    const ms = (m.ms * PAIR_STEPS) / k;
    const total = d3poFlops(c.flops, PAIR_STEPS);
    const est = k !== PAIR_STEPS ? `≈ measured on ${k} timesteps × ${+(PAIR_STEPS / k).toFixed(2)}; ` : '';
    return {
      key: 'd3poUpdate',
      label,
      value: ms / 1000,
      unit: 's',
      detail: `${est}≈ ${(total / 1e9).toFixed(1)} GFLOP (ref fwd + fwd + bwd≈2×fwd) → ${gf(total, ms).toFixed(2)} GFLOP/s${probeShare(c, gf(total, ms))}; target ≤ ${TARGETS.d3poVsPytorch}× PyTorch on the same CPU (README, Benchmarks); ${repsText(m)}`,
      extra: { gflop: total / 1e9, measuredTimesteps: k, probeRatio: probeRatio(c, gf(total, ms)) },
    };
  } finally {
    opt.dispose();
    lora.dispose();
  }
}

/** Pairs in the "D3PO pass" row: sampled from the base model (F32), one optimizer step per pair at half the timesteps. */
export const PASS_PAIRS = 6;

/**
 * One D3PO pass over labeled pairs as this session's code runs it (frozen base weights get no weight gradients; the
 * reference log-probs of base-sampled pairs come from the sampling pass, ReferenceCache) against the same pass as it
 * ran before (every base weight's gradient computed, the reference forward at every step): the speed-up at equal result
 * (same pairs, timesteps and initial LoRA; the largest difference of the trained LoRA weights is printed).
 */
export async function benchD3poPass(c: BenchContext): Promise<BenchRow[]> {
  const label = `D3PO pass over ${PASS_PAIRS} labeled pairs (1 step per pair, 10 of 20 timesteps): before / now`;
  const studioSteps = defaultTasteRecipe.sampleSteps;
  const studioLabel = `D3PO pass as the studio trains (${studioSteps}-step pairs, the recipe's timestep share, now) against the row above's before: before / studio`;
  if (c.cpu) return [{ key: 'd3poPass', label, value: null, unit: '×', detail: 'skipped on cpu (minutes)' }];
  const samplePairs = async (steps: number | undefined, tag: string): Promise<PreferencePair[]> => {
    const out: PreferencePair[] = [];
    for (let i = 0; i < PASS_PAIRS; i++) {
      const r = await sampleWithTrajectory(c.model, { prompts: [PROMPT, PROMPT], seed: 1000 + i, sharedInitialNoise: true, ...(steps ? { sample: { steps } } : {}) });
      r.final.dispose();
      out.push({ id: `${tag}-${i}`, trajectories: [r.trajectories[0], r.trajectories[1]], vote: i % 2 === 0 ? 0 : 1 });
    }
    return out;
  };
  const pairs = await samplePairs(undefined, 'pass'); // the model file's 20 steps
  const base = [...c.model.params.tensors.values()];
  const cfg = { ...defaultD3poTrainConfig, learningRate: 1e-3, timestepFraction: 0.5 };
  /** A fresh adapter (same seed every time) trained one step per pair; `before` = the old gradient and reference paths. */
  const pass = async (before: boolean, list: PreferencePair[], stepCfg = cfg) => {
    base.forEach((v) => (v.trainable = before)); // trainable base weights: the fused/custom gradients compute dW too
    const lora = createLoraAdapter(c.model.params, 'unet.', { ...defaultLoraConfig, seed: 3 });
    const opt = new AdamW(lora.variables, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 });
    const cache = new ReferenceCache('base');
    if (!before) for (const p of list) p.trajectories.forEach((t, k) => cache.seed(`${p.id}#${k}`, t.logProbs));
    const rng = createRng(5);
    try {
      const t0 = performance.now();
      for (const p of list) await d3poTrainStep(c.model, lora, opt, [p], stepCfg, rng, undefined, before ? undefined : cache);
      const ms = performance.now() - t0;
      return { ms, weights: await Promise.all(lora.variables.map(async (v) => Float32Array.from(await v.data()))) };
    } finally {
      opt.dispose();
      lora.dispose();
      base.forEach((v) => (v.trainable = false));
    }
  };
  const run = async (before: boolean) => {
    await pass(before, pairs.slice(0, 1)); // warm-up: XNNPACK builds operators per new shape
    return pass(before, pairs);
  };
  const before = await run(true);
  const now = await run(false);
  let diff = 0;
  before.weights.forEach((w, i) => w.forEach((x, j) => (diff = Math.max(diff, Math.abs(x - now.weights[i][j])))));
  // Items 2 + 3 together: the studio's shorter trajectories halve the timesteps trained per pair (not an equal result:
  // other pairs; the taste sweep measures that learning holds at 10 steps).
  const studioPairs = await samplePairs(studioSteps, 'studio');
  const studioCfg = { ...cfg, timestepFraction: defaultTasteRecipe.timestepFraction, skipFinalSteps: defaultTasteRecipe.skipFinalSteps };
  await pass(false, studioPairs.slice(0, 1), studioCfg);
  const studio = await pass(false, studioPairs, studioCfg);
  const studioRow: BenchRow = {
    key: 'd3poPassStudio',
    label: studioLabel,
    value: before.ms / studio.ms,
    unit: '×',
    detail: `before ${fmtS(before.ms / PASS_PAIRS)}/pair (20-step pairs, 10 timesteps), studio ${fmtS(studio.ms / PASS_PAIRS)}/pair (${studioSteps}-step pairs, fraction ${defaultTasteRecipe.timestepFraction}, last ${defaultTasteRecipe.skipFinalSteps} skipped)`,
    extra: { studioMsPerPair: studio.ms / PASS_PAIRS, studioSteps },
  };
  return [studioRow, {
    key: 'd3poPass',
    label,
    value: before.ms / now.ms,
    unit: '×',
    detail: `before ${fmtS(before.ms / PASS_PAIRS)}/pair, now ${fmtS(now.ms / PASS_PAIRS)}/pair; largest LoRA weight difference ${diff.toExponential(1)} (equal result)`,
    extra: { beforeMsPerPair: before.ms / PASS_PAIRS, nowMsPerPair: now.ms / PASS_PAIRS, maxWeightDiff: diff },
  }];
}
