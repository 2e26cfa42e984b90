// One taste run with a scripted oracle: a fresh LoRA trained with a recipe from 100 (or N) oracle-labeled pairs, either offline (the base model's pairs, as `pairs` + `label` + `train`) or online (the studio's loop: every round samples its pairs from the current adapter, the meter predicts each vote first, then the round trains) — then the held-out shift, win rate and quality drift.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { composeGrid, encodePng } from '../png';
import type { MiniSD } from '../../src/core/model/pipeline';
import { createLoraAdapter, type LoraAdapter } from '../../src/core/model/lora';
import { disposeTransitions, transitionLogProb, transitionTensors } from '../../src/core/algorithms/transitions';
import { AdamW } from '../../src/core/train/adamw';
import { createRng, type Rng } from '../../src/core/rng';
import { oracleVote } from '../../src/core/algorithms/oracle';
import type { PreferencePair } from '../../src/core/algorithms/d3poTrainer';
import type { RewardFunction } from '../../src/core/rewards/types';
import { winRate } from '../../src/core/algorithms/onlineLoop';
import { trajectoryRows } from '../../src/core/algorithms/referenceCache';
import { TasteTrainer, UNET_PREFIX } from '../../src/core/taste/tasteTrainer';
import { roundsFor, type TasteRecipe } from '../../src/core/taste/recipe';
import { implicitReward, GUESS_SKIP_FINAL, GUESS_WINDOW, predictedPreference } from '../../src/core/taste/implicitReward';
import { rollingAgreement, type Proportion } from '../../src/core/taste/agreement';
import { sampleCheck, sampleDistinctPair, samplePair, type SampledPair } from './basePairs';
import { CHECK_TUNED, CHECK_WINDOW, isCheckTurn } from '../../src/core/taste/checkPairs';
import { heldOutPrompts, sampleHeldOut, scoreImages, withinPromptStd, type HeldOutSet } from './heldOut';
import { qualityDrift, type ClassifierQuality, type QualityDrift, type QualityProbe } from './quality';

export type Protocol = 'offline' | 'online';

/** What every run of a sweep shares: the model, held-out set, base images and their quality, the base pair pools. */
export interface TasteContext {
  model: MiniSD;
  heldOut: HeldOutSet;
  baseImages: Uint8ClampedArray[];
  baseQuality: ClassifierQuality | null;
  quality: QualityProbe | null;
  prompts: readonly string[]; // training prompts (cycled)
  pool: (seed: number) => Promise<SampledPair[]>; // the base model's pairs of a seed (offline protocol; σ of the attribute)
  checkVotesTrain?: boolean; // online: check votes join the training set (default, as the studio) or are held out like blind-test votes
  distinctPairs?: boolean; // online: ordinary pairs are the two most different of DISTINCT_CANDIDATES images from one x_T (else two images)
}

export interface TasteRunResult {
  protocol: Protocol;
  reward: string;
  seed: number;
  labeled: number; // oracle votes (ties included)
  preferences: number; // votes with a preference
  optimizerSteps: number;
  base: { mean: number }; // held-out reward of the base model
  tuned: { mean: number };
  sigmaWithin: number; // the attribute's within-prompt std on the base model's pair images
  shift: number; // (tuned mean − base mean) / sigmaWithin
  winRate: number; // tuned beats base on the same (prompt, seed), ties ½
  quality: QualityDrift;
  // online: pre-vote agreement. check*: the studio's meter, check pairs (adapter vs reference, same noise; every CHECK_EVERY-th
  // pair once trained), over all of them, the newest CHECK_WINDOW at the last vote, and per check pair (1-based vote index,
  // did the vote pick the adapter's image). The rest: the implicit-reward guess on ordinary pairs (all steps, without the
  // GUESS_SKIP_FINAL final ones, Σ of D3PO-clamped log-ratios; studio = its rolling GUESS_WINDOW, the meter before check pairs).
  meter: {
    check?: Proportion;
    checkStudio?: Proportion;
    checks?: { vote: number; agree: boolean | null }[];
    all: Proportion;
    lastHalf: Proportion;
    skipFinal: Proportion;
    lastHalfSkipFinal: Proportion;
    clamped: Proportion;
    studio: Proportion;
  } | null;
  deltaByStep: number[]; // mean |log π_θ − log π_ref| per denoising step (index 0 = t 951, last = t 1) on 8 base pairs, after training
  seconds: { sampling: number; training: number; eval: number };
}

function oracleLabel(s: SampledPair, scores: [number, number], rng: Rng): PreferencePair {
  return { id: s.pair.id, trajectories: s.pair.trajectories, vote: oracleVote(scores[0], scores[1], { tieMargin: 0, temperature: 0 }, rng) };
}

/** Agreement of pre-vote predictions with votes over all of them (no-prediction cases excluded). */
const agreement = (outcomes: (boolean | null)[]): Proportion => rollingAgreement(outcomes, Infinity);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Writes the held-out images as a sheet: one column per prompt, base rows (one per seed) above the tuned rows. */
function writeSheet(file: string, ctx: TasteContext, tuned: Uint8ClampedArray[]): void {
  const grid = composeGrid([...ctx.baseImages, ...tuned], ctx.heldOut.prompts.length, 2);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodePng(grid.data, grid.width, grid.height));
}

export async function runTaste(ctx: TasteContext, recipe: TasteRecipe, reward: RewardFunction, seed: number, protocol: Protocol, labels: number, log: (s: string) => void, sheetFile?: string): Promise<TasteRunResult> {
  const { model } = ctx;
  const lora = createLoraAdapter(model.params, UNET_PREFIX, { rank: recipe.rank, alpha: recipe.alpha, targets: recipe.targets, seed });
  const optimizer = new AdamW(lora.variables, { learningRate: recipe.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: recipe.weightDecay });
  const trainer = new TasteTrainer(model, lora, optimizer, recipe);
  const rng = createRng(seed * 7919 + 17);
  const seconds = { sampling: 0, training: 0, eval: 0 };
  const basePool = await ctx.pool(seed);
  const poolScores = await scoreImages(reward, basePool.flatMap((s) => s.images), basePool.flatMap((s) => [s.pair.trajectories[0].prompt, s.pair.trajectories[1].prompt]));
  const sigmaWithin = withinPromptStd(poolScores, basePool.flatMap((s) => [s.pair.trajectories[0].prompt, s.pair.trajectories[1].prompt]));
  const labeled: PreferencePair[] = [];
  const outcomes: { all: (boolean | null)[]; skip: (boolean | null)[]; clamped: (boolean | null)[] } = { all: [], skip: [], clamped: [] };
  const checks: { vote: number; agree: boolean | null }[] = [];
  const clampedSum = (pol: ArrayLike<number>, ref: ArrayLike<number>) => {
    let s = 0;
    for (let t = 0; t < pol.length; t++) s += Math.min(Math.log(1 + recipe.eps), Math.max(Math.log(1 - recipe.eps), pol[t] - ref[t]));
    return s;
  };
  let steps = 0;
  try {
    if (protocol === 'offline') {
      const pool = basePool.slice(0, labels);
      pool.forEach((s, i) => labeled.push(oracleLabel(s, [poolScores[2 * i], poolScores[2 * i + 1]], rng)));
      // Sampled by the base model in F32: its sampling log-probs are the base reference's (exact; valid until a refresh).
      for (const s of pool) s.pair.trajectories.forEach((t, k) => trainer.cache.seed(`${s.pair.id}#${k}`, t.logProbs));
      const t0 = performance.now();
      const rounds = roundsFor(recipe, labeled.length);
      for (let r = 0; r < rounds; r++) steps += (await trainer.round(labeled, rng)).length;
      seconds.training = (performance.now() - t0) / 1000;
    } else {
      const pairRng = createRng(seed ^ 0x0a11e);
      let votes = 0; // votes cast (check votes held out of training included)
      while (votes < labels) {
        const n = Math.min(recipe.votesPerRound, labels - votes);
        const t0 = performance.now();
        const fresh: { s: SampledPair; check: boolean }[] = [];
        for (let i = 0; i < n; i++) {
          const k = votes + i;
          const prompt = ctx.prompts[k % ctx.prompts.length];
          const pairSeed = pairRng.int(2 ** 31);
          // As the studio: once the adapter has trained, every CHECK_EVERY-th pair is a check pair (adapter vs reference).
          const check = steps > 0 && isCheckTurn(k);
          fresh.push({ check, s: check ? await sampleCheck(model, trainer.samplingAdapter, `s${seed}-check${k}`, prompt, pairSeed) : ctx.distinctPairs ? await sampleDistinctPair(model, trainer.samplingAdapter, `s${seed}-on${k}`, prompt, pairSeed) : await samplePair(model, trainer.samplingAdapter, `s${seed}-on${k}`, prompt, pairSeed) });
        }
        const t1 = performance.now();
        seconds.sampling += (t1 - t0) / 1000;
        const scores = await scoreImages(reward, fresh.flatMap(({ s }) => s.images), fresh.flatMap(({ s }) => [s.pair.trajectories[0].prompt, s.pair.trajectories[1].prompt]));
        for (const [i, { s, check }] of fresh.entries()) {
          const pair = oracleLabel(s, [scores[2 * i], scores[2 * i + 1]], rng);
          const judge = (p: 0 | 1 | null) => (p === null || (pair.vote !== 0 && pair.vote !== 1) ? null : p === pair.vote);
          if (check) {
            checks.push({ vote: votes + 1, agree: judge(CHECK_TUNED) });
          } else if (steps > 0) {
            // The implicit-reward guess: the adapter that sampled the pair predicts the vote (before training on it).
            const refs = await Promise.all(s.pair.trajectories.map((t, k) => trainer.cache.resolve(model, trajectoryRows(`${s.pair.id}#${k}`, t), trainer.reference ?? undefined)));
            const [t0r, t1r] = s.pair.trajectories;
            for (const [key, skip] of [['all', 0], ['skip', GUESS_SKIP_FINAL]] as const) outcomes[key].push(judge(predictedPreference(implicitReward(t0r.logProbs, refs[0], skip), implicitReward(t1r.logProbs, refs[1], skip))));
            outcomes.clamped.push(judge(predictedPreference(clampedSum(t0r.logProbs, refs[0]), clampedSum(t1r.logProbs, refs[1]))));
          } else {
            outcomes.all.push(null);
            outcomes.skip.push(null);
            outcomes.clamped.push(null);
          }
          votes++;
          if (!check || ctx.checkVotesTrain !== false) labeled.push(pair);
        }
        steps += (await trainer.round(labeled, rng)).length;
        seconds.training += (performance.now() - t1) / 1000;
      }
    }
    const t2 = performance.now();
    const tunedImages = await sampleHeldOut(model, trainer.samplingAdapter, ctx.heldOut);
    if (sheetFile) writeSheet(sheetFile, ctx, tunedImages);
    const prompts = heldOutPrompts(ctx.heldOut);
    const baseScores = await scoreImages(reward, ctx.baseImages, prompts);
    const tunedScores = await scoreImages(reward, tunedImages, prompts);
    const tunedQuality = ctx.quality ? await ctx.quality.classify(tunedImages, prompts) : null;
    const deltaByStep = await meanAbsLogRatioByStep(model, trainer.samplingAdapter, basePool.slice(0, 8));
    const denoisingTuned = ctx.quality ? await ctx.quality.denoisingLoss(trainer.samplingAdapter) : null;
    seconds.eval = (performance.now() - t2) / 1000;
    const half = Math.floor(outcomes.all.length / 2);
    const result: TasteRunResult = {
      protocol,
      reward: reward.name,
      seed,
      labeled: labeled.length,
      preferences: labeled.filter((p) => p.vote === 0 || p.vote === 1).length,
      optimizerSteps: steps,
      base: { mean: mean(baseScores) },
      tuned: { mean: mean(tunedScores) },
      sigmaWithin,
      shift: (mean(tunedScores) - mean(baseScores)) / sigmaWithin,
      winRate: winRate(tunedScores, baseScores),
      quality: qualityDrift(ctx.baseQuality, tunedQuality, ctx.quality?.proxyBase ?? null, denoisingTuned),
      meter:
        protocol === 'online'
          ? {
              check: agreement(checks.map((c) => c.agree)),
              checkStudio: rollingAgreement(checks.map((c) => c.agree), CHECK_WINDOW), // what the studio's meter shows at the last vote
              checks,
              all: agreement(outcomes.all),
              lastHalf: agreement(outcomes.all.slice(half)),
              skipFinal: agreement(outcomes.skip),
              lastHalfSkipFinal: agreement(outcomes.skip.slice(half)),
              clamped: agreement(outcomes.clamped),
              studio: rollingAgreement(GUESS_SKIP_FINAL ? outcomes.skip : outcomes.all, GUESS_WINDOW), // the implicit-reward meter the studio showed before check pairs
            }
          : null,
      deltaByStep,
      seconds,
    };
    log(
      `  ${protocol} ${reward.name} seed ${seed}: shift ${result.shift.toFixed(2)} σ, win ${(100 * result.winRate).toFixed(0)} %, ` +
        `accuracy drift ${result.quality.accuracyDrift === null ? 'n/a' : (100 * result.quality.accuracyDrift).toFixed(1) + ' pts'}, ` +
        `denoising ${denoisingTuned?.toFixed(4) ?? 'n/a'} (base ${ctx.quality?.proxyBase?.toFixed(4) ?? 'n/a'}), ${steps} steps, train ${seconds.training.toFixed(0)} s` +
        (result.meter
          ? `, meter (check pairs) ${(100 * (result.meter.checkStudio?.rate ?? NaN)).toFixed(0)} % of the last ${result.meter.checkStudio?.n ?? 0} (all ${result.meter.check?.n ?? 0}: ${(100 * (result.meter.check?.rate ?? NaN)).toFixed(0)} %), implicit-reward guess ${(100 * result.meter.all.rate).toFixed(0)} % (w/o final ${GUESS_SKIP_FINAL} steps ${(100 * result.meter.skipFinal.rate).toFixed(0)} %)`
          : ''),
    );
    return result;
  } finally {
    trainer.dispose();
    optimizer.dispose();
    lora.dispose();
  }
}

/** Mean |Δ_t| per step index over the pairs' trajectories: how the log-ratios of the steps compare (the second-to-last step, t = 51 → 1, has σ ≈ 0.009). */
async function meanAbsLogRatioByStep(model: MiniSD, lora: LoraAdapter, pool: SampledPair[]): Promise<number[]> {
  const sums: number[] = [];
  let n = 0;
  for (const s of pool) {
    for (const t of s.pair.trajectories) {
      const rows = { trajectories: t.timesteps.map(() => t), steps: t.timesteps.map((_, j) => j) };
      const tt = transitionTensors(model, rows);
      const d = tf.tidy(() => tf.abs(tf.sub(transitionLogProb(model, tt, lora), transitionLogProb(model, tt, lora, 0))));
      const v = await d.data();
      tf.dispose(d);
      disposeTransitions(tt);
      v.forEach((x, j) => (sums[j] = (sums[j] ?? 0) + x));
      n++;
    }
  }
  return sums.map((x) => x / n);
}

