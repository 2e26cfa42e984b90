// `train`: D3PO on a labeled pairs folder with the studio's taste recipe (yk7333/d3po scripts/train.py: per-step clamped log-ratio preference loss against a frozen reference — the base model, the resumed LoRA, or the adapter at each round's start as in the paper's per-epoch reference refresh) → LoRA safetensors + adapter_config.json.
import fs from 'node:fs';
import path from 'node:path';
import type { D3poStepResult, PreferencePair } from '../../src/core/algorithms/d3poTrainer';
import { latentShape } from '../../src/core/config';
import { createLoraAdapter, type LoraAdapter } from '../../src/core/model/lora';
import type { MiniSD } from '../../src/core/model/pipeline';
import { decodeLoraSafetensors } from '../../src/core/model/loraFile/loraFile';
import { AdamW } from '../../src/core/train/adamw';
import { createRng } from '../../src/core/rng';
import { defaultTasteRecipe, roundsFor, validateRecipe, type TasteRecipe } from '../../src/core/taste/recipe';
import { preferencePairs, TasteTrainer, UNET_PREFIX } from '../../src/core/taste/tasteTrainer';
import { DEFAULT_MODEL_PATH } from '../modelLoader';
import { flag, num, str, type Args } from '../args';
import { openModel, type ModelHandle } from '../experiment/modelSource';
import { readLabels, readPairsManifest, readStoredPairs, type PairsManifest } from '../experiment/pairFolder';
import { voteFromLetter } from '../../src/core/preferences/votes';
import { writeLoraFiles } from '../experiment/loraOut';

export const trainHelp = `train --pairs DIR [--out DIR/lora.safetensors] [--resume-lora FILE] [--model FILE] [--seed 0]
      [--lr ${defaultTasteRecipe.learningRate}] [--rounds N] [--steps-per-round ${defaultTasteRecipe.stepsPerRound}] [--batch ${defaultTasteRecipe.pairsPerStep}] [--timestep-fraction ${defaultTasteRecipe.timestepFraction}]
      [--beta ${defaultTasteRecipe.beta}] [--eps ${defaultTasteRecipe.eps}] [--rank ${defaultTasteRecipe.rank}] [--targets ${defaultTasteRecipe.targets.join('+')}] [--skip-final ${defaultTasteRecipe.skipFinalSteps}]
      [--refresh-reference] [--ema DECAY] [--steps N]
  D3PO on the labeled pairs of DIR (after \`pairs\` and \`label\`) with the studio's taste recipe (src/core/taste/recipe.ts):
  n labels train as ceil(n / ${defaultTasteRecipe.votesPerRound}) rounds of --steps-per-round optimizer steps of --batch pairs (ties skipped)
  over --timestep-fraction of their denoising steps — the same amount the studio trains while a person labels n pairs.
  --steps N overrides the total. Prints loss, implicit accuracy, margin, clip fraction and gradient norm per step. The
  reference is the base model, or the --resume-lora adapter (continued training; the optimizer starts fresh);
  --refresh-reference refreshes it at each round (D3PO's human-feedback protocol). --model defaults to the model the
  pairs were sampled with.`;

interface TrainSettings {
  dir: string;
  steps: number | null; // null = the recipe's rounds × steps per round
  out: string;
  resume: string | null;
  seed: number;
  recipe: TasteRecipe;
}

function positiveInt(args: Args, key: string, fallback: number): number {
  const v = num(args, key, fallback);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${key} must be a positive integer, got ${v}`);
  return v;
}

/** The recipe with the command line's overrides, validated by the same rules as the studio's Advanced drawer. */
export function trainRecipe(args: Args): TasteRecipe {
  const d = defaultTasteRecipe;
  const targets = str(args, 'targets', '');
  const rank = num(args, 'rank', d.rank);
  const recipe: TasteRecipe = {
    ...d,
    learningRate: num(args, 'lr', d.learningRate),
    beta: num(args, 'beta', d.beta),
    eps: num(args, 'eps', d.eps),
    timestepFraction: num(args, 'timestep-fraction', d.timestepFraction),
    skipFinalSteps: num(args, 'skip-final', d.skipFinalSteps),
    maxGradNorm: num(args, 'max-grad-norm', d.maxGradNorm),
    pairsPerStep: num(args, 'batch', d.pairsPerStep),
    stepsPerRound: num(args, 'steps-per-round', d.stepsPerRound),
    refreshReference: flag(args, 'refresh-reference') || d.refreshReference,
    emaDecay: num(args, 'ema', d.emaDecay),
    rank,
    alpha: args.rank === undefined ? d.alpha : rank,
    targets: targets ? targets.split('+').map((t) => t.trim()) : d.targets,
  };
  const problem = validateRecipe(recipe);
  if (problem) throw new Error(`${problem.replace(/^Training setting (\w+)/, (_, k: string) => `--${OPTION_OF[k] ?? k}`)} (see \`npm run cli -- train\` for the options)`);
  return recipe;
}

/** Command-line option of each recipe field (for error messages). */
const OPTION_OF: Record<string, string> = {
  learningRate: 'lr',
  timestepFraction: 'timestep-fraction',
  skipFinalSteps: 'skip-final',
  maxGradNorm: 'max-grad-norm',
  pairsPerStep: 'batch',
  stepsPerRound: 'steps-per-round',
  emaDecay: 'ema',
};

function trainSettings(args: Args): TrainSettings {
  const dir = str(args, 'pairs', '');
  if (!dir) throw new Error(`train needs a labeled pairs folder: --pairs DIR\n${trainHelp}`);
  return {
    dir,
    steps: args.steps === undefined ? null : positiveInt(args, 'steps', 1),
    out: str(args, 'out', path.join(dir, 'lora.safetensors')),
    resume: str(args, 'resume-lora', '') || null,
    seed: num(args, 'seed', 0),
    recipe: trainRecipe(args),
  };
}

/** The labeled pairs with a vote, in folder order (ties included: the trainer skips them). */
function labeledPairs(dir: string, manifest: PairsManifest): PreferencePair[] {
  const labels = new Map(readLabels(dir).map((l) => [l.pair, l.vote]));
  const pairs = readStoredPairs(dir, manifest).flatMap((p) => (labels.has(p.id) ? [{ id: p.id, trajectories: p.trajectories, vote: voteFromLetter(labels.get(p.id)!) }] : []));
  const unknown = [...labels.keys()].filter((id) => !manifest.pairs.some((p) => p.id === id));
  if (unknown.length > 0) throw new Error(`labels.json names pairs that are not in ${dir} (${unknown.slice(0, 3).join(', ')}); re-run \`label --pairs ${dir}\`.`);
  return pairs;
}

function openPairsModel(args: Args, manifest: PairsManifest, log: (s: string) => void): ModelHandle {
  const file = str(args, 'model', '') || (manifest.model.file && fs.existsSync(manifest.model.file) ? manifest.model.file : DEFAULT_MODEL_PATH);
  const handle = openModel(file);
  if (manifest.model.sha256 && handle.sha256 !== manifest.model.sha256) {
    log(`warning: the pairs were sampled with ${manifest.model.id}, training on ${handle.id}; D3PO re-scores the stored steps, but the preferences were about the other model's images.`);
  }
  return handle;
}

function checkLatentSize(model: MiniSD, pairs: PreferencePair[]): void {
  const n = latentShape(model.config).reduce((a, b) => a * b, 1);
  const got = pairs[0]?.trajectories[0].latents[0].length;
  if (got !== undefined && got !== n) throw new Error(`The pairs' latents have ${got} values but ${model.config.name} uses ${n}; pass the --model the pairs were sampled with.`);
}

function stepLine(step: number, steps: number, m: D3poStepResult, seconds: number): string {
  return (
    `step ${step}/${steps} loss ${m.loss.toFixed(5)} acc ${m.accuracy.toFixed(3)} margin ${m.margin.toExponential(3)} ` +
    `clip ${m.clipFraction.toFixed(3)} |g| ${m.gradNorm.toExponential(3)} logratio ${m.meanLogRatio.toExponential(2)} pairs ${m.pairsUsed} (${seconds.toFixed(1)} s)`
  );
}

function adapters(model: MiniSD, s: TrainSettings): { lora: LoraAdapter; ref?: LoraAdapter } {
  const { rank, alpha, targets } = s.recipe;
  if (!s.resume) return { lora: createLoraAdapter(model.params, UNET_PREFIX, { rank, alpha, targets, seed: s.seed }) };
  if (!fs.existsSync(s.resume)) throw new Error(`--resume-lora file not found: ${s.resume}; pass a LoRA written by \`train\` or \`experiment\`.`);
  const bytes = new Uint8Array(fs.readFileSync(s.resume));
  return { lora: decodeLoraSafetensors(bytes, model.params).adapter, ref: decodeLoraSafetensors(bytes, model.params).adapter };
}

export async function trainCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const s = trainSettings(args);
  const manifest = readPairsManifest(s.dir);
  const pairs = labeledPairs(s.dir, manifest);
  const usable = preferencePairs(pairs);
  if (usable.length === 0) throw new Error(`${s.dir} has no pair with a preference (${pairs.length} labeled, all ties or both-bad); label some pairs A or B.`);
  const handle = openPairsModel(args, manifest, log);
  const { model } = handle;
  const { lora, ref } = adapters(model, s);
  const r = s.recipe;
  const optimizer = new AdamW(lora.variables, { learningRate: r.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: r.weightDecay });
  const trainer = new TasteTrainer(model, lora, optimizer, r);
  if (ref) trainer.reference = ref;
  try {
    checkLatentSize(model, usable);
    const rounds = roundsFor(r, pairs.length);
    const steps = s.steps ?? rounds * r.stepsPerRound;
    const T = usable[0].trajectories[0].timesteps.length;
    log(
      `D3PO on ${usable.length} preference pairs (${pairs.length - usable.length} ties skipped) with ${handle.id}: ${steps} steps (${s.steps ? 'set by --steps' : `${rounds} rounds × ${r.stepsPerRound}`}) × ` +
        `${Math.min(r.pairsPerStep, usable.length)} pairs × ${Math.max(1, Math.round((T - r.skipFinalSteps) * r.timestepFraction))}/${T} timesteps, lr ${r.learningRate}, β ${r.beta}, ε ${r.eps}, ` +
        `LoRA r${r.rank} on ${r.targets.join('+')}, reference ${ref ? s.resume : 'base model'}${r.refreshReference ? ' (refreshed each round)' : ''}${r.emaDecay > 0 ? `, EMA ${r.emaDecay}` : ''}`,
    );
    // Pairs sampled by the base model (F32 latents) carry the base reference's log-probs already: no reference forward needed.
    if (!ref && !r.refreshReference && manifest.latentDtype === 'F32') for (const p of usable) p.trajectories.forEach((t, k) => p.id && trainer.cache.seed(`${p.id}#${k}`, t.logProbs));
    const rng = createRng(s.seed);
    const t0 = performance.now();
    let done = 0;
    while (done < steps) {
      const n = Math.min(r.stepsPerRound, steps - done);
      await trainer.round(usable, rng, { onStep: (m, i) => log(stepLine(done + i, steps, m, (performance.now() - t0) / 1000)) }, n);
      done += n;
    }
    const files = await writeLoraFiles(s.out, trainer.samplingAdapter, model.config.name, {
      studio_method: 'd3po',
      studio_pairs: String(usable.length),
      studio_beta: String(r.beta),
      studio_steps: String(steps),
      studio_recipe: JSON.stringify(r),
    });
    log(`wrote ${files.lora} and ${files.config} (${((performance.now() - t0) / 1000).toFixed(1)} s of training)`);
  } finally {
    trainer.dispose();
    optimizer.dispose();
    lora.dispose();
    model.dispose();
  }
}
