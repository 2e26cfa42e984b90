// `train`: D3PO on a labeled pairs folder (yk7333/d3po scripts/train.py: per-step clamped log-ratio preference loss against a frozen reference — the base model, or the resumed LoRA as in the paper's per-epoch reference refresh) → LoRA safetensors + adapter_config.json.
import fs from 'node:fs';
import path from 'node:path';
import { d3poTrainStep, defaultD3poTrainConfig, type D3poStepResult, type D3poTrainConfig, type PreferencePair } from '../../src/core/algorithms/d3poTrainer';
import { preferenceSigns } from '../../src/core/algorithms/d3po';
import { latentShape } from '../../src/core/config';
import { createLoraAdapter, defaultLoraConfig, type LoraAdapter } from '../../src/core/model/lora';
import type { MiniSD } from '../../src/core/model/pipeline';
import { decodeLoraSafetensors } from '../../src/core/io/loraFile';
import { AdamW } from '../../src/core/train/adamw';
import { createRng, shuffled, type Rng } from '../../src/core/rng';
import { DEFAULT_MODEL_PATH } from '../modelLoader';
import { num, str, type Args } from '../args';
import { openModel, type ModelHandle } from '../experiment/modelSource';
import { readLabels, readPairsManifest, readStoredPairs, voteOf, type PairsManifest } from '../experiment/pairFolder';
import { writeLoraFiles } from '../experiment/loraOut';

export const trainHelp = `train --pairs DIR [--steps N] [--batch 8] [--out DIR/lora.safetensors] [--resume-lora FILE] [--lr ${defaultD3poTrainConfig.learningRate}]
      [--beta ${defaultD3poTrainConfig.beta}] [--eps ${defaultD3poTrainConfig.eps}] [--timestep-fraction 1] [--rank 4] [--seed 0] [--model FILE]
  D3PO on the labeled pairs of DIR (after \`pairs\` and \`label\`). Each step trains --batch pairs (ties skipped) over
  --timestep-fraction of their denoising steps; --steps defaults to one pass over the pairs. Prints loss, implicit
  accuracy, margin, clip fraction and gradient norm per step. The reference is the base model, or the --resume-lora
  adapter (continued training; the optimizer state starts fresh). --model defaults to the model the pairs were sampled with.`;

interface TrainSettings {
  dir: string;
  steps: number | null; // null = one pass
  batch: number;
  out: string;
  resume: string | null;
  rank: number;
  seed: number;
  d3po: D3poTrainConfig;
}

function positiveInt(args: Args, key: string, fallback: number): number {
  const v = num(args, key, fallback);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${key} must be a positive integer, got ${v}`);
  return v;
}

function trainSettings(args: Args): TrainSettings {
  const dir = str(args, 'pairs', '');
  if (!dir) throw new Error(`train needs a labeled pairs folder: --pairs DIR\n${trainHelp}`);
  const d3po: D3poTrainConfig = {
    ...defaultD3poTrainConfig,
    learningRate: num(args, 'lr', defaultD3poTrainConfig.learningRate),
    beta: num(args, 'beta', defaultD3poTrainConfig.beta),
    eps: num(args, 'eps', defaultD3poTrainConfig.eps),
    timestepFraction: num(args, 'timestep-fraction', defaultD3poTrainConfig.timestepFraction),
    maxGradNorm: num(args, 'max-grad-norm', defaultD3poTrainConfig.maxGradNorm),
  };
  if (!(d3po.learningRate > 0) || !(d3po.beta > 0) || !(d3po.eps > 0 && d3po.eps < 1)) throw new Error('--lr and --beta must be > 0 and --eps in (0, 1)');
  if (!(d3po.timestepFraction > 0 && d3po.timestepFraction <= 1)) throw new Error(`--timestep-fraction must be in (0, 1], got ${d3po.timestepFraction}`);
  return {
    dir,
    steps: args.steps === undefined ? null : positiveInt(args, 'steps', 1),
    batch: positiveInt(args, 'batch', 8),
    out: str(args, 'out', path.join(dir, 'lora.safetensors')),
    resume: str(args, 'resume-lora', '') || null,
    rank: positiveInt(args, 'rank', 4),
    seed: num(args, 'seed', 0),
    d3po,
  };
}

/** The labeled pairs with a vote, in folder order (ties included: the trainer skips them). */
function labeledPairs(dir: string, manifest: PairsManifest): PreferencePair[] {
  const labels = new Map(readLabels(dir).map((l) => [l.pair, l.vote]));
  const pairs = readStoredPairs(dir, manifest).flatMap((p) => (labels.has(p.id) ? [{ id: p.id, trajectories: p.trajectories, vote: voteOf(labels.get(p.id)!) }] : []));
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

/** Cycles through shuffled pairs, `batch` per step (a new shuffle per pass). */
function batcher(pairs: PreferencePair[], batch: number, rng: Rng): () => PreferencePair[] {
  let order: PreferencePair[] = [];
  return () => {
    const out: PreferencePair[] = [];
    while (out.length < Math.min(batch, pairs.length)) {
      if (order.length === 0) order = shuffled(pairs, rng);
      out.push(order.shift()!);
    }
    return out;
  };
}

function stepLine(step: number, steps: number, m: D3poStepResult, seconds: number): string {
  return (
    `step ${step}/${steps} loss ${m.loss.toFixed(5)} acc ${m.accuracy.toFixed(3)} margin ${m.margin.toExponential(3)} ` +
    `clip ${m.clipFraction.toFixed(3)} |g| ${m.gradNorm.toExponential(3)} logratio ${m.meanLogRatio.toExponential(2)} pairs ${m.pairsUsed} (${seconds.toFixed(1)} s)`
  );
}

function adapters(model: MiniSD, s: TrainSettings): { lora: LoraAdapter; ref?: LoraAdapter } {
  if (!s.resume) return { lora: createLoraAdapter(model.params, 'unet.', { ...defaultLoraConfig, rank: s.rank, alpha: s.rank, seed: s.seed }) };
  if (!fs.existsSync(s.resume)) throw new Error(`--resume-lora file not found: ${s.resume}; pass a LoRA written by \`train\` or \`experiment\`.`);
  const bytes = new Uint8Array(fs.readFileSync(s.resume));
  return { lora: decodeLoraSafetensors(bytes, model.params).adapter, ref: decodeLoraSafetensors(bytes, model.params).adapter };
}

export async function trainCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const s = trainSettings(args);
  const manifest = readPairsManifest(s.dir);
  const pairs = labeledPairs(s.dir, manifest);
  const usable = pairs.filter((p) => preferenceSigns(p.vote)[0] !== 0);
  if (usable.length === 0) throw new Error(`${s.dir} has no pair with a preference (${pairs.length} labeled, all ties or both-bad); label some pairs A or B.`);
  const handle = openPairsModel(args, manifest, log);
  const { model } = handle;
  const { lora, ref } = adapters(model, s);
  const optimizer = new AdamW(lora.variables, { learningRate: s.d3po.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 });
  try {
    checkLatentSize(model, usable);
    const steps = s.steps ?? Math.ceil(usable.length / s.batch);
    const T = usable[0].trajectories[0].timesteps.length;
    log(
      `D3PO on ${usable.length} preference pairs (${pairs.length - usable.length} ties skipped) with ${handle.id}: ${steps} steps × ${Math.min(s.batch, usable.length)} pairs × ` +
        `${Math.max(1, Math.round(T * s.d3po.timestepFraction))}/${T} timesteps, lr ${s.d3po.learningRate}, β ${s.d3po.beta}, ε ${s.d3po.eps}, reference ${ref ? s.resume : 'base model'}`,
    );
    const rng = createRng(s.seed);
    const next = batcher(usable, s.batch, rng);
    const t0 = performance.now();
    for (let step = 1; step <= steps; step++) {
      const m = await d3poTrainStep(model, lora, optimizer, next(), s.d3po, rng, ref);
      if (m) log(stepLine(step, steps, m, (performance.now() - t0) / 1000));
    }
    const files = await writeLoraFiles(s.out, lora, model.config.name, {
      studio_method: 'd3po',
      studio_pairs: String(usable.length),
      studio_beta: String(s.d3po.beta),
      studio_steps: String(steps),
    });
    log(`wrote ${files.lora} and ${files.config}`);
  } finally {
    optimizer.dispose();
    lora.dispose();
    ref?.dispose();
    model.dispose();
  }
}
