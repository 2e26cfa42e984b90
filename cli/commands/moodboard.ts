// `moodboard`: the Diffusion-DPO oracle benchmark. Per reward × seed, the oracle's moodboard — the N highest- and M lowest-scoring of a random pool of real emoji training images, with their captions — trains a fresh LoRA with the studio's moodboard trainer; the tuned model is judged against the base model on held-out prompts × seeds from the same x_T and step noise (win rate, attribute shift in within-prompt σ, classifier-accuracy and denoising-loss drift). Runs are cached per setting, reward and seed; the table accumulates over invocations.
import fs from 'node:fs';
import path from 'node:path';
import { flag, num, str, type Args } from '../args';
import { DEFAULT_MODEL_PATH } from '../modelLoader';
import { openModel, tinyMemoryModel, type ModelHandle } from '../experiment/modelSource';
import { DEFAULT_PROMPTS } from '../experiment/prompts';
import { loadEmojiDataset } from '../pretrain/emojiData';
import { composeGrid, encodePng } from '../png';
import { rewardByName } from '../../src/core/rewards/registry';
import type { RewardFunction } from '../../src/core/rewards/types';
import { createLoraAdapter } from '../../src/core/model/lora';
import { AdamW } from '../../src/core/train/adamw';
import { createRng } from '../../src/core/rng';
import { winRate } from '../../src/core/algorithms/onlineLoop';
import { defaultTasteRecipe } from '../../src/core/taste/recipe';
import { UNET_PREFIX } from '../../src/core/taste/tasteTrainer';
import { defaultMoodboardRecipe, validateMoodboardRecipe, type MoodboardRecipe } from '../../src/core/moodboard/recipe';
import { encodeMoodboardImages, MoodboardTrainer } from '../../src/core/moodboard/moodboardTrainer';
import { basePairPool } from '../taste/basePairs';
import { heldOutPrompts, heldOutSet, sampleHeldOut, scoreImages, withinPromptStd, type HeldOutSet } from '../taste/heldOut';
import { QualityProbe, qualityDrift, type ClassifierQuality, type QualityDrift } from '../taste/quality';
import { stat, type Stat } from '../taste/sweepReport';
import { oracleMoodboard } from '../moodboard/oracleMoodboard';

export const moodboardHelp = `moodboard [--rewards brightness] [--liked 40] [--disliked 40] [--pool 100] [--seeds 0,1,2] [--steps N] [--lr X] [--beta B]
      [--pairs P] [--caption-dropout P] [--own-captions] [--no-captions] [--no-prompt-captions] [--eval-seeds 3] [--out runs/moodboard] [--model ${DEFAULT_MODEL_PATH}] [--data data] [--report] [--quick]
  The Diffusion-DPO oracle benchmark: per reward × seed, --pool random training images of the emoji dataset (\`npm run data\`)
  are scored by the reward; the --liked highest become the liked images, the --disliked lowest the disliked ones (with
  their emoji names as captions unless --no-captions). A fresh LoRA (the taste recipe's shape) trains on them with the
  moodboard recipe (steps ${defaultMoodboardRecipe.steps}, ${defaultMoodboardRecipe.pairsPerStep} pairs per step, lr ${defaultMoodboardRecipe.learningRate}, β ${defaultMoodboardRecipe.beta}, caption dropout
  ${defaultMoodboardRecipe.captionDropout}, shared captions: both images of a pair under one of their two captions; --steps/--pairs/--lr/--beta/
  --caption-dropout override, --own-captions trains each image under its own caption). With --no-captions, shared
  captions come from the built-in prompts (as the studio's come from the person's prompts) unless --no-prompt-captions
  (then every pair trains unconditionally)
  and is judged on the ${DEFAULT_PROMPTS.length} built-in prompts × --eval-seeds held-out seeds against the base model from the same noise:
  win rate, attribute shift in within-prompt σ (of the taste sweep's base pairs), classifier-accuracy drift (points) and
  denoising-loss drift. Runs are cached in <out>/runs/; <out>/moodboard.md lists every setting run so far
  (--report: only rebuild it from the cached runs).
  --quick: CI smoke run on the random tiny model (needs a dataset in --data).`;

/** The oracle's moodboard: how many liked and disliked images from how large a pool, with or without captions. */
export interface BoardSettings {
  liked: number;
  disliked: number;
  pool: number;
  captions: boolean;
  promptCaptions?: boolean; // uncaptioned pairs train under the built-in prompts, as the studio's under the person's (shared captions only)
}

export interface MoodboardRunResult {
  tag: string;
  reward: string;
  seed: number;
  recipe: MoodboardRecipe;
  board: BoardSettings & { likedMean: number; dislikedMean: number; poolMean: number };
  base: { mean: number };
  tuned: { mean: number };
  sigmaWithin: number;
  shift: number;
  winRate: number;
  quality: QualityDrift;
  training: { seconds: number; lastLoss: number; lastAccuracy: number; lastMargin: number }; // last three: means over the final 10 steps
  evalSeconds: number;
}

export interface MoodboardSummary {
  tag: string;
  reward: string;
  recipe: MoodboardRecipe;
  board: BoardSettings;
  seeds: number[];
  winRate: Stat;
  shift: Stat;
  accuracyDrift: Stat; // points
  denoisingDrift: Stat;
  trainSeconds: Stat;
}

function parseList(text: string, what: string): string[] {
  const out = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (out.length === 0) throw new Error(`--${what} needs a comma-separated list, got ${JSON.stringify(text)}`);
  return out;
}

/** The run's settings as a file-name tag, e.g. "l40-d40-p400-s120-pp8-lr0.001-b5000". */
export function moodboardTag(r: MoodboardRecipe, board: BoardSettings): string {
  return `l${board.liked}-d${board.disliked}-p${board.pool}-s${r.steps}-pp${r.pairsPerStep}-lr${r.learningRate}-b${r.beta}${r.captionDropout > 0 && board.captions ? `-cd${r.captionDropout}` : ''}${board.captions ? '' : '-nocap'}${r.sharedCaption && board.captions ? '-shared' : ''}${r.sharedCaption && !board.captions && board.promptCaptions ? '-prompts' : ''}`;
}

export function summarizeMoodboard(runs: MoodboardRunResult[]): MoodboardSummary {
  const [first] = runs;
  return {
    tag: first.tag,
    reward: first.reward,
    recipe: first.recipe,
    board: { liked: first.board.liked, disliked: first.board.disliked, pool: first.board.pool, captions: first.board.captions, promptCaptions: first.board.promptCaptions },
    seeds: runs.map((r) => r.seed),
    winRate: stat(runs.map((r) => r.winRate)),
    shift: stat(runs.map((r) => r.shift)),
    accuracyDrift: stat(runs.map((r) => (r.quality.accuracyDrift === null ? NaN : 100 * r.quality.accuracyDrift))),
    denoisingDrift: stat(runs.map((r) => (r.quality.denoisingTuned === null || r.quality.denoisingBase === null ? NaN : r.quality.denoisingTuned - r.quality.denoisingBase))),
    trainSeconds: stat(runs.map((r) => r.training.seconds)),
  };
}

const pm = (s: Stat, digits: number, scale = 1) => (s.n === 0 ? '—' : s.n === 1 ? (s.mean * scale).toFixed(digits) : `${(s.mean * scale).toFixed(digits)} ± ${(s.std * scale).toFixed(digits)}`);

export function moodboardMarkdown(summaries: MoodboardSummary[]): string {
  const rows = summaries.map(
    (s) =>
      `| ${s.reward} | ${s.board.liked} / ${s.board.disliked} of ${s.board.pool} | ${s.board.captions ? `${s.recipe.captionDropout ?? 0}${s.recipe.sharedCaption ? ', shared' : ''}` : s.recipe.sharedCaption && s.board.promptCaptions ? 'no captions; shared, the prompts' : 'no captions'} | ${s.recipe.steps} × ${s.recipe.pairsPerStep} | ${s.recipe.learningRate} | ${s.recipe.beta} | ${s.seeds.length} | ${pm(s.winRate, 0, 100)} | ${pm(s.shift, 2)} | ${pm(s.accuracyDrift, 1)} | ${pm(s.denoisingDrift, 4)} | ${pm(s.trainSeconds, 0)} |`,
  );
  return [
    'Moodboard (Diffusion-DPO) oracle benchmark: mean ± std over seeds; held-out built-in prompts × seeds, tuned vs base from the same noise.',
    '',
    '| reward | liked / disliked of pool | caption dropout | steps × pairs | lr | β | seeds | win rate vs base (%) | shift (σ) | accuracy drift (pts) | denoising-loss drift | train time (s) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

interface Context {
  model: ModelHandle['model'];
  heldOut: HeldOutSet;
  baseImages: Uint8ClampedArray[];
  baseQuality: ClassifierQuality | null;
  quality: QualityProbe | null;
  sigma: (seed: number, reward: RewardFunction) => Promise<number>;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function runMoodboard(ctx: Context, ds: ReturnType<typeof loadEmojiDataset>, reward: RewardFunction, seed: number, recipe: MoodboardRecipe, board: BoardSettings, tag: string, sheet: string, log: (s: string) => void): Promise<MoodboardRunResult> {
  const { model } = ctx;
  const { images, poolScores } = await oracleMoodboard(ds, reward, { ...board, seed });
  const liked = images.filter((i) => i.liked);
  const disliked = images.filter((i) => !i.liked);
  log(`  moodboard: liked ${reward.name} ${mean(liked.map((i) => i.score)).toFixed(3)} (e.g. ${liked.slice(0, 3).map((i) => i.name).join(', ')}), disliked ${mean(disliked.map((i) => i.score)).toFixed(3)} (e.g. ${disliked.slice(0, 3).map((i) => i.name).join(', ')}), pool ${mean(poolScores).toFixed(3)}`);
  const latents = await encodeMoodboardImages(model, images.map((i) => i.rgba));
  const lora = createLoraAdapter(model.params, UNET_PREFIX, { rank: defaultTasteRecipe.rank, alpha: defaultTasteRecipe.alpha, targets: defaultTasteRecipe.targets, seed });
  const optimizer = new AdamW(lora.variables, { learningRate: recipe.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: recipe.weightDecay });
  try {
    const trainer = new MoodboardTrainer(model, lora, optimizer, recipe, images.map((img, i) => ({ latent: latents[i], caption: img.caption, liked: img.liked })), createRng(seed * 7919 + 31), board.promptCaptions ? DEFAULT_PROMPTS : []);
    const t0 = performance.now();
    const tail: { loss: number; accuracy: number; margin: number }[] = [];
    for (let s = 1; s <= recipe.steps; s++) {
      const r = await trainer.step();
      if (!Number.isFinite(r.loss)) throw new Error(`the loss became ${r.loss} at step ${s}; lower --lr`);
      tail.push(r);
      if (tail.length > 10) tail.shift();
      if (s % 20 === 0 || s === recipe.steps) log(`  step ${s}/${recipe.steps}: loss ${mean(tail.map((x) => x.loss)).toFixed(3)}, implicit accuracy ${(100 * mean(tail.map((x) => x.accuracy))).toFixed(0)} %, margin ${mean(tail.map((x) => x.margin)).toFixed(2)} (last ${tail.length}), ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const seconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const tuned = await sampleHeldOut(model, lora, ctx.heldOut);
    const prompts = heldOutPrompts(ctx.heldOut);
    const baseScores = await scoreImages(reward, ctx.baseImages, prompts);
    const tunedScores = await scoreImages(reward, tuned, prompts);
    const sigma = await ctx.sigma(seed, reward);
    const tunedQuality = ctx.quality ? await ctx.quality.classify(tuned, prompts) : null;
    const denoisingTuned = ctx.quality ? await ctx.quality.denoisingLoss(lora) : null;
    // Sheet: the moodboard (liked row, disliked row), then held-out base rows above tuned rows.
    const cols = ctx.heldOut.prompts.length;
    const boardRows = [liked, disliked].flatMap((row) => Array.from({ length: cols }, (_, i) => row[i]?.rgba ?? new Uint8ClampedArray(32 * 32 * 4)));
    const grid = composeGrid([...boardRows, ...ctx.baseImages, ...tuned], cols, 2);
    fs.mkdirSync(path.dirname(sheet), { recursive: true });
    fs.writeFileSync(sheet, encodePng(grid.data, grid.width, grid.height));
    const result: MoodboardRunResult = {
      tag,
      reward: reward.name,
      seed,
      recipe,
      board: { ...board, likedMean: mean(liked.map((i) => i.score)), dislikedMean: mean(disliked.map((i) => i.score)), poolMean: mean(poolScores) },
      base: { mean: mean(baseScores) },
      tuned: { mean: mean(tunedScores) },
      sigmaWithin: sigma,
      shift: (mean(tunedScores) - mean(baseScores)) / sigma,
      winRate: winRate(tunedScores, baseScores),
      quality: qualityDrift(ctx.baseQuality, tunedQuality, ctx.quality?.proxyBase ?? null, denoisingTuned),
      training: { seconds, lastLoss: mean(tail.map((x) => x.loss)), lastAccuracy: mean(tail.map((x) => x.accuracy)), lastMargin: mean(tail.map((x) => x.margin)) },
      evalSeconds: (performance.now() - t1) / 1000,
    };
    log(
      `  ${reward.name} seed ${seed}: win ${(100 * result.winRate).toFixed(0)} %, shift ${result.shift.toFixed(2)} σ, accuracy drift ${result.quality.accuracyDrift === null ? 'n/a' : (100 * result.quality.accuracyDrift).toFixed(1) + ' pts'}, ` +
        `denoising ${denoisingTuned?.toFixed(4) ?? 'n/a'} (base ${ctx.quality?.proxyBase?.toFixed(4) ?? 'n/a'}), train ${seconds.toFixed(0)} s`,
    );
    return result;
  } finally {
    optimizer.dispose();
    lora.dispose();
  }
}

/** The table: every setting × reward with cached runs in <out>/runs (all their seeds), as moodboard.md and .json. */
function writeMoodboardTable(out: string, log: (s: string) => void): void {
  const dir = path.join(out, 'runs');
  if (!fs.existsSync(dir)) throw new Error(`No cached runs in ${dir}; run the benchmark without --report first.`);
  const all = new Map<string, MoodboardRunResult[]>();
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const r = (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { result: MoodboardRunResult }).result;
    const key = `${r.tag}|${r.reward}`;
    all.set(key, [...(all.get(key) ?? []), r]);
  }
  const summaries = [...all.values()].map(summarizeMoodboard);
  const md = moodboardMarkdown(summaries);
  fs.writeFileSync(path.join(out, 'moodboard.md'), md);
  fs.writeFileSync(path.join(out, 'moodboard.json'), JSON.stringify(summaries, null, 1) + '\n');
  log(md);
  log(`wrote ${path.join(out, 'moodboard.md')} and .json`);
}

export async function moodboardCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const quick = flag(args, 'quick');
  const out = str(args, 'out', quick ? 'runs/moodboard-quick' : 'runs/moodboard');
  const dataDir = str(args, 'data', 'data');
  const rewards = parseList(str(args, 'rewards', str(args, 'reward', 'brightness')), 'rewards').map(rewardByName);
  const seeds = parseList(str(args, 'seeds', quick ? '0' : '0,1,2'), 'seeds').map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds must be non-negative integers (e.g. 0,1,2), got ${JSON.stringify(args.seeds)}`);
  const recipe: MoodboardRecipe = {
    ...defaultMoodboardRecipe,
    ...(quick ? { steps: 2, pairsPerStep: 2 } : {}),
    ...(args.steps !== undefined ? { steps: num(args, 'steps', 0) } : {}),
    ...(args.pairs !== undefined ? { pairsPerStep: num(args, 'pairs', 0) } : {}),
    ...(args.lr !== undefined ? { learningRate: num(args, 'lr', 0) } : {}),
    ...(args.beta !== undefined ? { beta: num(args, 'beta', 0) } : {}),
    ...(args['caption-dropout'] !== undefined ? { captionDropout: num(args, 'caption-dropout', 0) } : {}),
    ...(flag(args, 'own-captions') ? { sharedCaption: false } : {}),
  };
  const problem = validateMoodboardRecipe(recipe);
  if (problem) throw new Error(problem);
  const board: BoardSettings = { liked: num(args, 'liked', quick ? 2 : 40), disliked: num(args, 'disliked', quick ? 2 : 40), pool: num(args, 'pool', quick ? 8 : 100), captions: !flag(args, 'no-captions'), promptCaptions: !flag(args, 'no-prompt-captions') };
  if (!Number.isInteger(board.pool) || board.pool < board.liked + board.disliked) throw new Error(`--pool must be an integer of at least --liked + --disliked (${board.liked + board.disliked}), got ${board.pool}`);
  const tag = moodboardTag(recipe, board);
  const runFile = (reward: string, seed: number) => path.join(out, 'runs', `${tag}-${reward}-s${seed}.json`);
  if (flag(args, 'report') || rewards.every((r) => seeds.every((seed) => fs.existsSync(runFile(r.name, seed))))) return writeMoodboardTable(out, log);
  const ds = loadEmojiDataset(dataDir);

  const handle: ModelHandle = quick ? tinyMemoryModel(0) : openModel(str(args, 'model', DEFAULT_MODEL_PATH));
  const { model } = handle;
  const heldOut = heldOutSet(quick ? ['dog', 'pizza'] : DEFAULT_PROMPTS, num(args, 'eval-seeds', quick ? 2 : 3));
  const probe = quick ? null : await QualityProbe.create(model, dataDir);
  const quality = probe && 'reason' in probe ? null : probe;
  if (probe && 'reason' in probe) log(`quality drift unavailable: ${probe.reason}`);
  try {
    log(`moodboard benchmark on ${handle.id}: ${tag}; ${rewards.map((r) => r.name).join(', ')} × seeds ${seeds.join(',')}; held-out ${heldOut.prompts.length} prompts × ${heldOut.seeds.length} seeds`);
    const baseImages = await sampleHeldOut(model, undefined, heldOut);
    const prompts = heldOutPrompts(heldOut);
    const baseQuality = quality ? await quality.classify(baseImages, prompts) : null;
    if (baseQuality) log(`base model on the held-out images: classifier accuracy ${(100 * baseQuality.accuracy).toFixed(1)} %`);
    // σ: the attribute's within-prompt std on the taste sweep's base-model pairs of the seed (the same σ as its tables);
    // --quick: on the held-out base images.
    const sigma = async (seed: number, reward: RewardFunction) => {
      if (quick) return withinPromptStd(await scoreImages(reward, baseImages, prompts), prompts);
      const pool = await basePairPool(model, path.join(str(args, 'pairs-dir', 'runs/taste-sweep/pairs')), seed, 100, DEFAULT_PROMPTS, log);
      const ps = pool.flatMap((s) => [s.pair.trajectories[0].prompt, s.pair.trajectories[1].prompt]);
      return withinPromptStd(await scoreImages(reward, pool.flatMap((s) => s.images), ps), ps);
    };
    const ctx: Context = { model, heldOut, baseImages, baseQuality, quality, sigma };
    for (const reward of rewards) {
      for (const seed of seeds) {
        const file = runFile(reward.name, seed);
        if (fs.existsSync(file)) {
          log(`${reward.name} seed ${seed}: cached (${file})`);
          continue;
        }
        log(`${reward.name} seed ${seed}`);
        const r = await runMoodboard(ctx, ds, reward, seed, recipe, board, tag, file.replace(/\.json$/, '.png'), log);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify({ model: handle.id, result: r }, null, 1) + '\n');
      }
    }
    writeMoodboardTable(out, log);
  } finally {
    quality?.dispose();
    model.dispose();
  }
}
