// One unattended fine-tuning run into a run folder (config.json, metrics.csv, LoRA + adapter_config.json, before/after sheets, summary.json): runOnline with D3PO (oracle clicks), DDPO or PRDP, the large-scale RL pretraining-loss step and multi-task cycling (Alg. 1), then a held-out evaluation.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runOnline, winRate, type OnlineConfig, type RoundMetrics, type Task } from '../../src/core/algorithms/onlineLoop';
import { defaultD3poTrainConfig } from '../../src/core/algorithms/d3poTrainer';
import { defaultDdpoTrainConfig } from '../../src/core/algorithms/ddpoTrainer';
import { defaultPrdpTrainConfig } from '../../src/core/algorithms/prdpTrainer';
import { createLoraAdapter, defaultLoraConfig, type LoraAdapter } from '../../src/core/model/lora';
import { AdamW } from '../../src/core/train/adamw';
import { createRng } from '../../src/core/rng';
import { rewardByName } from '../../src/core/rewards/registry';
import { encodePng } from '../png';
import type { ExperimentSettings } from './settings';
import type { ModelHandle } from './modelSource';
import { DenoisingProxy, pretrainLossStep } from '../../src/core/algorithms/pretrainLoss';
import type { LatentPool } from '../../src/core/pretrain/latentSubset';
import { tryLoadLatentPool } from './emojiLatents';
import { evalSheet, heldOutSeeds, meanStd, sampleEvalImages, scoreEvalImages, type EvalImages } from './evaluate';
import { writeLoraFiles } from './loraOut';

/** Training images encoded once per process for the pretraining-loss step and the quality proxy. */
export const POOL_IMAGES = 256;
export const PROXY_BATCH = 64;

/** Update-metric columns of metrics.csv per method (the keys of each trainer's step result). */
export const UPDATE_COLUMNS: Record<ExperimentSettings['method'], string[]> = {
  d3po: ['loss', 'accuracy', 'margin', 'chosenReward', 'rejectedReward', 'meanLogRatio', 'approxKl', 'clipFraction', 'gradNorm', 'pairsUsed', 'transitions', 'learningRate'],
  ddpo: ['loss', 'approxKl', 'clipFraction', 'gradNorm', 'transitions', 'learningRate'],
  prdp: ['loss', 'gradNorm', 'meanLogRatio', 'learningRate'],
};

export const RUN_FILES = ['config.json', 'metrics.csv', 'lora.safetensors', 'adapter_config.json', 'sheet-before.png', 'sheet-after.png', 'summary.json'] as const;

export interface TaskEval {
  reward: string;
  base: { mean: number; std: number }; // over held-out images, LoRA scale 0
  tuned: { mean: number; std: number }; // LoRA scale 1
  winRate: number; // tuned beats base on the same prompt and seed (ties ½)
  baseScores: number[];
  tunedScores: number[];
}

export interface QualityProxy {
  metric: 'denoising_loss';
  description: string;
  base: number | null;
  tuned: number | null;
  increase: number | null; // tuned − base (> 0: the tuned UNet fits the emoji data worse)
  unavailable?: string;
}

export interface ExperimentSummary {
  method: string;
  rewards: string[];
  model: string;
  seed: number;
  budget: number;
  imagesSampled: number;
  clicks: number; // oracle votes (D3PO only)
  rounds: number;
  heldOut: { prompts: string[]; seeds: number[]; tasks: TaskEval[] };
  qualityProxy: QualityProxy;
  pretrainLoss: { weight: number; last: number | null } | null;
  seconds: { train: number; eval: number; total: number };
  out: string;
}

/** Shared across the runs of one process (experiment-table): the model, the encoded latents, the proxy batch and the base-model eval images. */
export class ExperimentResources {
  private poolResult?: Promise<{ pool: LatentPool | null; reason?: string }>;
  private proxyState?: { proxy: DenoisingProxy; base: number } | { reason: string };
  private readonly baseEvals = new Map<string, EvalImages>();
  constructor(readonly handle: ModelHandle, readonly dataDir: string) {}

  /** The latent pool; `required` turns a missing dataset into an error that says to run `npm run data`. */
  async pool(required: boolean): Promise<LatentPool | null> {
    this.poolResult ??= tryLoadLatentPool(this.handle.model, this.dataDir, POOL_IMAGES, 0);
    const r = await this.poolResult;
    if (!r.pool && required) throw new Error(`--pretrain-loss needs the emoji training latents: ${r.reason}`);
    return r.pool;
  }

  async proxy(): Promise<{ proxy: DenoisingProxy; base: number } | { reason: string }> {
    if (!this.proxyState) {
      const pool = await this.pool(false);
      if (!pool) this.proxyState = { reason: `no emoji dataset in ${this.dataDir}/ (run \`npm run data\`)` };
      else {
        const proxy = DenoisingProxy.create(this.handle.model, pool, PROXY_BATCH);
        this.proxyState = { proxy, base: await proxy.loss() };
      }
    }
    return this.proxyState;
  }

  /** Base-model images are the same for every run with these prompts and seeds: sample them once. */
  async baseEval(prompts: string[], seeds: number[]): Promise<EvalImages> {
    const key = JSON.stringify([prompts, seeds]);
    let ev = this.baseEvals.get(key);
    if (!ev) {
      ev = await sampleEvalImages(this.handle.model, undefined, 0, prompts, seeds);
      this.baseEvals.set(key, ev);
    }
    return ev;
  }

  dispose(): void {
    if (this.proxyState && 'proxy' in this.proxyState) this.proxyState.proxy.dispose();
  }
}

function onlineConfig(s: ExperimentSettings, tasks: Task[]): OnlineConfig {
  return {
    method: s.method,
    tasks,
    promptsPerRound: s.promptsPerRound,
    imagesPerPrompt: s.imagesPerPrompt,
    updatesPerRound: s.updatesPerRound,
    normalization: s.normalization,
    oracle: s.oracle,
    d3po: { ...defaultD3poTrainConfig, learningRate: s.learningRate, timestepFraction: s.timestepFraction },
    ddpo: { ...defaultDdpoTrainConfig, learningRate: s.learningRate, timestepFraction: s.timestepFraction },
    prdp: { ...defaultPrdpTrainConfig, learningRate: s.learningRate },
    seed: s.seed,
  };
}

const csvCell = (v: number | string | undefined | null) => (v === undefined || v === null ? '' : typeof v === 'number' ? String(Number(v.toPrecision(7))) : v.includes(',') ? JSON.stringify(v) : v);

/** metrics.csv, appended one row per (round, task) once the round's pretraining-loss step is done. */
class MetricsCsv {
  private pending: RoundMetrics[] = [];
  constructor(private readonly file: string, private readonly columns: string[], private readonly t0: number) {
    fs.writeFileSync(file, ['round', 'task', 'images_sampled', 'clicks', 'reward_mean', 'reward_std', ...columns, 'pretrain_loss', 'seconds'].join(',') + '\n');
  }
  add(m: RoundMetrics): void {
    this.pending.push(m);
  }
  flush(pretrainLoss: number | null): void {
    const seconds = (performance.now() - this.t0) / 1000;
    const rows = this.pending.map((m) =>
      [m.round, m.task, m.imagesSampled, m.clicks, m.rewardMean, m.rewardStd, ...this.columns.map((c) => m.update[c]), pretrainLoss, seconds].map(csvCell).join(','),
    );
    fs.appendFileSync(this.file, rows.map((r) => r + '\n').join(''));
    this.pending = [];
  }
}

function roundLine(m: RoundMetrics, budget: number): string {
  const u = Object.entries(m.update)
    .filter(([k]) => k !== 'learningRate' && k !== 'transitions')
    .map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`)
    .join(' ');
  return `round ${m.round} [${m.task}] images ${m.imagesSampled}/${budget} clicks ${m.clicks} reward ${m.rewardMean.toFixed(4)} ± ${m.rewardStd.toFixed(4)}${u ? ` | ${u}` : ''}`;
}

async function evaluateTasks(res: ExperimentResources, lora: LoraAdapter, s: ExperimentSettings): Promise<{ tasks: TaskEval[]; base: EvalImages; tuned: EvalImages }> {
  const prompts = s.prompts.slice(0, s.evalPrompts);
  const seeds = heldOutSeeds(s.evalSeeds);
  const base = await res.baseEval(prompts, seeds);
  const tuned = await sampleEvalImages(res.handle.model, lora, 1, prompts, seeds);
  const tasks: TaskEval[] = [];
  for (const name of s.rewards) {
    const reward = rewardByName(name);
    const baseScores = await scoreEvalImages(base, reward);
    const tunedScores = await scoreEvalImages(tuned, reward);
    tasks.push({ reward: name, base: meanStd(baseScores), tuned: meanStd(tunedScores), winRate: winRate(tunedScores, baseScores), baseScores, tunedScores });
  }
  return { tasks, base, tuned };
}

async function qualityProxy(res: ExperimentResources, lora: LoraAdapter, enabled: boolean): Promise<QualityProxy> {
  const description = `min-SNR denoising loss on ${PROXY_BATCH} fixed emoji training latents (fixed t, noise), LoRA vs base; increase > 0 = base quality lost`;
  if (!enabled) return { metric: 'denoising_loss', description, base: null, tuned: null, increase: null, unavailable: 'disabled with --no-proxy' };
  const p = await res.proxy();
  if ('reason' in p) return { metric: 'denoising_loss', description, base: null, tuned: null, increase: null, unavailable: p.reason };
  const tuned = await p.proxy.loss(lora);
  return { metric: 'denoising_loss', description, base: p.base, tuned, increase: tuned - p.base };
}

/** Runs one experiment on res.handle.model (base weights untouched; a fresh LoRA) and writes the run folder. */
export async function runExperiment(res: ExperimentResources, s: ExperimentSettings, log: (line: string) => void = console.log): Promise<ExperimentSummary> {
  const t0 = performance.now();
  const { model, id } = res.handle;
  fs.mkdirSync(s.out, { recursive: true });
  const lora = createLoraAdapter(model.params, 'unet.', { ...defaultLoraConfig, rank: s.rank, alpha: s.rank, seed: s.seed });
  const optimizer = new AdamW(lora.variables, { learningRate: s.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4 });
  try {
    const pool = s.pretrainLoss > 0 ? await res.pool(true) : null;
    const tasks: Task[] = s.rewards.map((name) => ({ name, prompts: s.prompts, reward: rewardByName(name) }));
    const cfg = onlineConfig(s, tasks);
    const perRound = s.rewards.length * s.promptsPerRound * s.imagesPerPrompt;
    fs.writeFileSync(path.join(s.out, 'config.json'), JSON.stringify({ settings: s, model: { id, file: res.handle.file, sha256: res.handle.sha256 }, lora: lora.config, online: { ...cfg, tasks: s.rewards }, backend: tf.getBackend() }, null, 1) + '\n');
    log(
      `${s.method} on ${s.rewards.join(' + ')} with ${id}: ${perRound} images/round (${s.rewards.length} task(s) × ${s.promptsPerRound} prompts × ${s.imagesPerPrompt}), ` +
        `≈${Math.ceil(s.budget / perRound)} rounds for ${s.budget} images, ${s.updatesPerRound} update(s)/round, lr ${s.learningRate}` +
        (s.method === 'd3po' ? `, ${(s.imagesPerPrompt * (s.imagesPerPrompt - 1)) / 2} clicks/prompt` : '') +
        (pool ? `, pretraining loss W=${s.pretrainLoss} (${pool.size} encoded images)` : ''),
    );
    const csv = new MetricsCsv(path.join(s.out, 'metrics.csv'), UPDATE_COLUMNS[s.method], t0);
    const preRng = createRng(s.seed ^ 0x2545f491);
    let lastPre: number | null = null;
    const rounds = await runOnline(model, lora, optimizer, cfg, s.budget, {
      onRound: (m) => {
        csv.add(m);
        log(roundLine(m, s.budget));
      },
      afterRound: async () => {
        if (pool) {
          lastPre = await pretrainLossStep(model, lora, optimizer, pool, preRng, { weight: s.pretrainLoss, batchSize: s.pretrainBatch, learningRate: s.learningRate, maxGradNorm: 1 });
          log(`  pretraining-loss step: L_pre ${lastPre.toFixed(5)} (× W=${s.pretrainLoss})`);
        }
        csv.flush(lastPre);
      },
    });
    const tTrain = performance.now();
    log(`held-out evaluation: ${Math.min(s.evalPrompts, s.prompts.length)} prompts × ${s.evalSeeds} seeds at LoRA scale 0 and 1`);
    const ev = await evaluateTasks(res, lora, s);
    const proxy = await qualityProxy(res, lora, s.proxy);
    for (const [name, images] of [['sheet-before.png', ev.base], ['sheet-after.png', ev.tuned]] as const) {
      const sheet = evalSheet(images);
      fs.writeFileSync(path.join(s.out, name), encodePng(sheet.data, sheet.width, sheet.height));
    }
    const last = rounds[rounds.length - 1];
    await writeLoraFiles(path.join(s.out, 'lora.safetensors'), lora, model.config.name, {
      studio_method: s.method,
      studio_rewards: s.rewards.join(','),
      studio_images_sampled: String(last?.imagesSampled ?? 0),
      studio_clicks: String(last?.clicks ?? 0),
      studio_seed: String(s.seed),
      ...(s.method === 'd3po' ? { studio_beta: String(defaultD3poTrainConfig.beta) } : {}),
    });
    const tEnd = performance.now();
    const summary: ExperimentSummary = {
      method: s.method,
      rewards: s.rewards,
      model: id,
      seed: s.seed,
      budget: s.budget,
      imagesSampled: last?.imagesSampled ?? 0,
      clicks: last?.clicks ?? 0,
      rounds: rounds.length === 0 ? 0 : last.round + 1,
      heldOut: { prompts: ev.base.prompts, seeds: ev.base.seeds, tasks: ev.tasks },
      qualityProxy: proxy,
      pretrainLoss: s.pretrainLoss > 0 ? { weight: s.pretrainLoss, last: lastPre } : null,
      seconds: { train: (tTrain - t0) / 1000, eval: (tEnd - tTrain) / 1000, total: (tEnd - t0) / 1000 },
      out: s.out,
    };
    fs.writeFileSync(path.join(s.out, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
    for (const t of ev.tasks) {
      log(`${t.reward}: base ${t.base.mean.toFixed(4)} ± ${t.base.std.toFixed(4)} → tuned ${t.tuned.mean.toFixed(4)} ± ${t.tuned.std.toFixed(4)}, win rate ${(100 * t.winRate).toFixed(1)}%`);
    }
    if (proxy.increase !== null) log(`quality proxy (denoising loss): base ${proxy.base!.toFixed(5)} → tuned ${proxy.tuned!.toFixed(5)} (${proxy.increase >= 0 ? '+' : ''}${proxy.increase.toFixed(5)})`);
    log(`wrote ${RUN_FILES.join(', ')} to ${s.out} in ${summary.seconds.total.toFixed(1)} s`);
    return summary;
  } finally {
    optimizer.dispose();
    lora.dispose();
  }
}
