// `taste-sweep`: which recipe makes 100 clicks show? For each recipe variant × reward × seed, a fresh LoRA learns from N scripted-oracle votes (offline: the base model's pairs; online: the studio's loop with on-policy rounds and the meter) and is judged on held-out prompts × seeds: shift of the attribute in within-prompt σ, win rate vs base, classifier-accuracy and denoising-loss drift. Results are cached per run (resumable); writes sweep.md, sweep.json and sweep.svg (shift vs drift).
import fs from 'node:fs';
import path from 'node:path';
import { flag, num, str, type Args } from '../args';
import { DEFAULT_MODEL_PATH } from '../modelLoader';
import { openModel, tinyMemoryModel, type ModelHandle } from '../experiment/modelSource';
import { registerPromptAlignment } from '../experiment/classifierReward';
import { DEFAULT_PROMPTS } from '../experiment/prompts';
import { rewardByName } from '../../src/core/rewards/registry';
import { defaultTasteRecipe, validateRecipe, type TasteRecipe } from '../../src/core/taste/recipe';
import { basePairPool, type SampledPair } from '../taste/basePairs';
import { heldOutPrompts, heldOutSet, sampleHeldOut } from '../taste/heldOut';
import { QualityProbe } from '../taste/quality';
import { runTaste, type Protocol, type TasteContext, type TasteRunResult } from '../taste/simulate';
import { meterSvg } from '../taste/meterPlot';
import { parseVariants, summarize, sweepMarkdown, sweepSvg, sweepWideMarkdown, type Variant, type VariantSummary } from '../taste/sweepReport';

/** Runs sampled with 20 DDIM steps (emoji-sd's own count; every run cached before sampleSteps joined the recipe) keep file names without "-steps20". */
const UNTAGGED_STEPS = 20;

export const DEFAULT_SWEEP_REWARDS = 'brightness,colourfulness,jpeg_compressibility,prompt_alignment';

export const tasteSweepHelp = `taste-sweep [--variants "name:key=value,key=value;name2:…"] [--rewards ${DEFAULT_SWEEP_REWARDS}] [--seeds 0,1,2]
      [--labels 100] [--protocol offline|online] [--eval-seeds 3] [--out runs/taste-sweep] [--model ${DEFAULT_MODEL_PATH}] [--data data] [--steps N] [--check-votes train|hold-out] [--pairs random|distinct] [--no-default] [--quick] [--report]
  For each recipe variant (overrides of the default recipe; "default" too unless --no-default) × reward × seed: a fresh LoRA learns
  from --labels scripted-oracle votes and is judged on the ${DEFAULT_PROMPTS.length} built-in prompts × --eval-seeds held-out seeds:
  attribute shift in within-prompt σ, win rate vs base, classifier accuracy drift and denoising-loss drift (needs
  \`npm run data\`). offline = pairs from the base model (pairs + label + train); online = the studio's loop (each round's
  pairs sampled from the current adapter; the taste meter's pre-vote agreement is recorded). Runs are cached in
  <out>/runs/ by name and recipe (re-running resumes; a cached run keeps the held-out set it was judged on).
  --report: only rebuild the tables and plots from the cached runs (each with the recipe it was trained with; missing
  runs are left out), e.g. after the default recipe changed. Recipe keys: ${Object.keys(defaultTasteRecipe).join(', ')} (targets as to_q+to_v).
  --steps N: every sample with N DDIM steps (sets sampleSteps in every variant; default: the recipe's sampleSteps, which
  variants may set but must share); run files and base pairs of a count other than 20 carry "-stepsN".
  --check-votes hold-out: online check pairs measure the meter but are not trained on (default train, as the studio).
  --pairs distinct: online ordinary pairs are the two most different of 4 images from one x_T (files carry "-distinct").
  --quick: CI smoke run on the random tiny model (2 labels, 1 seed, brightness).`;

function parseList(text: string, what: string): string[] {
  const out = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (out.length === 0) throw new Error(`--${what} needs a comma-separated list, got ${JSON.stringify(text)}`);
  return out;
}

function parseSeeds(text: string): number[] {
  const seeds = parseList(text, 'seeds').map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds must be non-negative integers (e.g. 0,1,2), got ${JSON.stringify(text)}`);
  return seeds;
}

export async function tasteSweepCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const quick = flag(args, 'quick');
  const out = str(args, 'out', quick ? 'runs/taste-sweep-quick' : 'runs/taste-sweep');
  const protocol = str(args, 'protocol', 'offline') as Protocol;
  if (protocol !== 'offline' && protocol !== 'online') throw new Error(`--protocol must be offline or online, got ${JSON.stringify(protocol)}`);
  const labels = num(args, 'labels', quick ? 2 : 100);
  if (!Number.isInteger(labels) || labels < 1) throw new Error(`--labels must be a positive integer, got ${labels}`);
  const seeds = parseSeeds(str(args, 'seeds', quick ? '0' : '0,1,2'));
  const rewardNames = parseList(str(args, 'rewards', quick ? 'brightness' : DEFAULT_SWEEP_REWARDS), 'rewards');
  const dataDir = str(args, 'data', 'data');
  if (rewardNames.includes('prompt_alignment')) {
    const r = registerPromptAlignment(dataDir);
    if (!r.ok) throw new Error(`prompt_alignment needs the classifier and the dataset index: ${r.why}`);
  }
  const rewards = rewardNames.map(rewardByName);
  const listed = parseVariants(str(args, 'variants', ''));
  const variants: Variant[] = flag(args, 'no-default') && listed.length > 0 ? listed : [{ name: 'default', overrides: {} }, ...listed];
  const quickRecipe: Partial<TasteRecipe> = quick ? { votesPerRound: 2, stepsPerRound: 1, pairsPerStep: 1, sampleSteps: 4 } : {};
  // --steps N: every sample of the run (pairs, held-out images, base pool) with N DDIM steps, i.e. sampleSteps = N in every variant.
  if (args.steps !== undefined) {
    const n = num(args, 'steps', defaultTasteRecipe.sampleSteps);
    for (const v of variants) v.overrides = { ...v.overrides, sampleSteps: n };
  }
  for (const v of variants) {
    const problem = validateRecipe({ ...defaultTasteRecipe, ...quickRecipe, ...v.overrides });
    if (problem) throw new Error(`variant ${v.name}: ${problem}`);
  }
  const steps = sweepSampleSteps(variants.map((v) => ({ ...defaultTasteRecipe, ...quickRecipe, ...v.overrides })));
  // --check-votes hold-out: online check votes measure the meter but are not trained on (files carry "-checksheld").
  const checkVotes = str(args, 'check-votes', 'train');
  if (checkVotes !== 'train' && checkVotes !== 'hold-out') throw new Error(`--check-votes must be train or hold-out, got ${JSON.stringify(checkVotes)}`);
  const stepsTag = steps !== UNTAGGED_STEPS ? `-steps${steps}` : '';
  const pairPick = str(args, 'pairs', 'random');
  if (pairPick !== 'random' && pairPick !== 'distinct') throw new Error(`--pairs must be random or distinct, got ${JSON.stringify(pairPick)}`);
  const tag = stepsTag + (checkVotes === 'hold-out' ? '-checksheld' : '') + (pairPick === 'distinct' ? '-distinct' : '');
  if (flag(args, 'report')) {
    const heldOutText = `${quick ? 2 : DEFAULT_PROMPTS.length} prompts × ${num(args, 'eval-seeds', quick ? 1 : 3)} seeds`;
    return reportFromRuns(out, protocol, labels, variants, (v) => ({ ...defaultTasteRecipe, ...quickRecipe, ...v.overrides }), rewardNames, seeds, heldOutText, log, tag, steps);
  }
  const handle: ModelHandle = quick ? tinyMemoryModel(0) : openModel(str(args, 'model', DEFAULT_MODEL_PATH));
  const { model } = handle;
  model.config.sample.steps = steps;
  const prompts = quick ? ['dog', 'pizza'] : DEFAULT_PROMPTS;
  const heldOut = heldOutSet(prompts, num(args, 'eval-seeds', quick ? 1 : 3));
  const probe = quick ? null : await QualityProbe.create(model, dataDir);
  const quality = probe && 'reason' in probe ? null : probe;
  if (probe && 'reason' in probe) log(`quality drift unavailable: ${probe.reason}`);
  try {
    log(`taste sweep (${protocol}, ${labels} labels) on ${handle.id}: ${variants.length} variant(s) × ${rewards.length} reward(s) × ${seeds.length} seed(s); held-out ${heldOut.prompts.length} prompts × ${heldOut.seeds.length} seeds`);
    const baseImages = await sampleHeldOut(model, undefined, heldOut);
    const pools = new Map<number, Promise<SampledPair[]>>();
    const ctx: TasteContext = {
      model,
      heldOut,
      baseImages,
      baseQuality: quality ? await quality.classify(baseImages, heldOutPrompts(heldOut)) : null,
      quality,
      prompts,
      checkVotesTrain: checkVotes === 'train',
      distinctPairs: pairPick === 'distinct',
      pool: (seed) => {
        if (!pools.has(seed)) pools.set(seed, basePairPool(model, path.join(out, `pairs${stepsTag}`), seed, Math.max(labels, quick ? 2 : 100), prompts, log));
        return pools.get(seed)!;
      },
    };
    if (ctx.baseQuality) log(`base model on the held-out images: classifier accuracy ${(100 * ctx.baseQuality.accuracy).toFixed(1)} %, true-class probability ${ctx.baseQuality.trueProb.toFixed(3)}`);
    const results: { variant: Variant; recipe: TasteRecipe; runs: TasteRunResult[] }[] = [];
    for (const v of variants) {
      const recipe: TasteRecipe = { ...defaultTasteRecipe, ...quickRecipe, ...v.overrides };
      const runs: TasteRunResult[] = [];
      for (const reward of rewards) {
        for (const seed of seeds) {
          const file = path.join(out, 'runs', `${v.name}-${protocol}-${labels}${tag}-${reward.name}-s${seed}.json`);
          if (fs.existsSync(file)) {
            const cached = JSON.parse(fs.readFileSync(file, 'utf8')) as { recipe: TasteRecipe; result: TasteRunResult };
            if (recipeDifferences(recipe, withSampleSteps(cached.recipe, steps)).length === 0) {
              runs.push(cached.result);
              continue;
            }
          }
          log(`${v.name}: ${reward.name} seed ${seed}`);
          const r = await runTaste(ctx, recipe, reward, seed, protocol, labels, log, file.replace(/\.json$/, '.png'));
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, JSON.stringify({ recipe, model: handle.id, result: r }, null, 1) + '\n');
          runs.push(r);
        }
      }
      results.push({ variant: v, recipe, runs });
    }
    writeReport(out, protocol, results.map((r) => summarize(r.variant, r.recipe, r.runs)), { protocol, labels, model: handle.id, heldOut: `${heldOut.prompts.length} prompts × ${heldOut.seeds.length} seeds` }, log, results.flatMap((r) => r.runs));
  } finally {
    quality?.dispose();
    model.dispose();
  }
}

function writeReport(out: string, protocol: Protocol, summary: VariantSummary[], info: Parameters<typeof sweepMarkdown>[1], log: (s: string) => void, runs: TasteRunResult[] = []): void {
  fs.mkdirSync(out, { recursive: true });
  const meter = meterSvg(runs, info.labels);
  if (meter) {
    fs.writeFileSync(path.join(out, `sweep-${protocol}-meter.svg`), meter);
    log(`wrote ${path.join(out, `sweep-${protocol}-meter.svg`)} (the taste meter over the votes, one line per run)`);
  }
  const md = sweepMarkdown(summary, info);
  fs.writeFileSync(path.join(out, `sweep-${protocol}.md`), `${md}\nAt a glance (per reward: win % / shift σ / accuracy drift pts, mean ± std over seeds):\n\n${sweepWideMarkdown(summary)}`);
  fs.writeFileSync(path.join(out, `sweep-${protocol}.json`), JSON.stringify(summary, null, 1) + '\n');
  fs.writeFileSync(path.join(out, `sweep-${protocol}.svg`), sweepSvg(summary, 'accuracy'));
  fs.writeFileSync(path.join(out, `sweep-${protocol}-denoising.svg`), sweepSvg(summary, 'denoising'));
  log(md);
  log(`wrote ${path.join(out, `sweep-${protocol}.md`)}, .json, .svg (shift vs accuracy drift), -denoising.svg (shift vs denoising-loss drift)`);
}

/** --report: the tables and plots from the cached runs alone (each with the recipe it was trained with); runs not cached are left out, nothing is trained. */
function reportFromRuns(out: string, protocol: Protocol, labels: number, variants: Variant[], recipeOf: (v: Variant) => TasteRecipe, rewards: string[], seeds: number[], heldOut: string, log: (s: string) => void, tag: string, steps: number): void {
  let model = '';
  const summary: VariantSummary[] = [];
  const all: TasteRunResult[] = [];
  for (const v of variants) {
    const runs: TasteRunResult[] = [];
    const recipe = recipeOf(v);
    for (const reward of rewards) {
      for (const seed of seeds) {
        const file = path.join(out, 'runs', `${v.name}-${protocol}-${labels}${tag}-${reward}-s${seed}.json`);
        if (!fs.existsSync(file)) continue;
        const cached = JSON.parse(fs.readFileSync(file, 'utf8')) as { recipe: TasteRecipe; model: string; result: TasteRunResult };
        cached.recipe = withSampleSteps(cached.recipe, steps);
        const differs = recipeDifferences(recipe, cached.recipe);
        if (differs.length > 0) {
          log(`--report: ${file} was trained with other settings (${differs.map((k) => `${k}=${JSON.stringify(cached.recipe[k])}`).join(', ')}); left out — state them in the variant`);
          continue;
        }
        model ||= cached.model;
        runs.push(cached.result);
      }
    }
    if (runs.length === 0) {
      log(`--report: no cached runs for variant ${v.name} in ${path.join(out, 'runs')}; left out`);
      continue;
    }
    summary.push(summarize(v, recipe, runs));
    all.push(...runs);
  }
  if (summary.length === 0) throw new Error(`--report: no cached runs in ${path.join(out, 'runs')} for these variants; run the sweep without --report first.`);
  writeReport(out, protocol, summary, { protocol, labels, model, heldOut }, log, all);
}

/** The one DDIM step count of a sweep: every variant samples its pairs and held-out images alike, so they must agree. */
export function sweepSampleSteps(recipes: TasteRecipe[]): number {
  const counts = [...new Set(recipes.map((r) => r.sampleSteps))];
  if (counts.length !== 1) throw new Error(`The variants set different sampleSteps (${counts.join(', ')}); a sweep samples every variant's pairs and held-out images with one count — run one sweep per count (--steps N).`);
  return counts[0];
}

/** A cached run's recipe with the sampleSteps it was sampled with: runs cached before the field existed were sampled with the sweep's count (their file name carries it). */
function withSampleSteps(stored: TasteRecipe, steps: number): TasteRecipe {
  return stored.sampleSteps === undefined ? { ...stored, sampleSteps: steps } : stored;
}

/** The recipe keys whose values differ between the variant's recipe and the one a cached run was trained with. */
function recipeDifferences(wanted: TasteRecipe, stored: TasteRecipe): (keyof TasteRecipe)[] {
  const keys = new Set([...Object.keys(wanted), ...Object.keys(stored)]) as Set<keyof TasteRecipe>;
  return [...keys].filter((k) => JSON.stringify(wanted[k]) !== JSON.stringify(stored[k]));
}
