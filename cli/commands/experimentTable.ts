// `experiment-table`: base vs D3PO (oracle clicks) vs DDPO vs PRDP per reward at one sampled-image budget over several seeds (D3PO paper Sec. 5.1's comparison, PRDP Table 1's layout) → table.md + table.json and one run folder per (reward, method, seed).
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL_PATH } from '../modelLoader';
import { flag, num, str, type Args } from '../args';
import { rewardsByNames } from '../../src/core/rewards/registry';
import { registerPromptAlignment } from '../experiment/classifierReward';
import type { Method } from '../../src/core/algorithms/onlineLoop';
import { experimentSettings, METHODS, parseMethod } from '../experiment/settings';
import { ExperimentResources, PROXY_BATCH, runExperiment, type ExperimentSummary } from '../experiment/runExperiment';
import { openModel, tinyMemoryModel, type ModelHandle } from '../experiment/modelSource';
import { meanStd } from '../experiment/evaluate';

export const experimentTableHelp = `experiment-table [--rewards jpeg_compressibility,brightness] [--methods d3po,ddpo,prdp] [--budget 64] [--seeds 0,1,2]
      [--out runs/table] [--quick] [--model ${DEFAULT_MODEL_PATH}] [any experiment option, e.g. --eval-prompts 8 --images-per-prompt 4]
  For each reward: the base model and each method at the same number of sampled images, over several seeds. Prints and
  writes table.md / table.json: held-out reward (mean ± std over seeds), win rate vs base, clicks (D3PO), the rise of the
  denoising loss on emoji training latents (reward-independent base-quality proxy; needs \`npm run data\`) and wall time.
  --quick: CI smoke run on the random tiny model (budget 8, seed 0, 2 prompts × 2 held-out seeds) — plumbing only.`;

/** Overrides applied by --quick (explicit options still win). */
export const QUICK_DEFAULTS: Record<string, string> = {
  rewards: 'jpeg_compressibility',
  budget: '8',
  seeds: '0',
  'eval-prompts': '2',
  'eval-seeds': '2',
  'prompts-per-round': '1',
  'images-per-prompt': '4',
};

export interface TableRow {
  reward: string;
  method: 'base' | Method;
  seeds: number[];
  heldOutReward: { mean: number; std: number }; // held-out reward: mean over seeds of each run's mean (base: over held-out images)
  winRate: { mean: number; std: number } | null;
  clicks: number | null; // mean over seeds (D3PO)
  proxyIncrease: { mean: number; std: number } | null;
  wallSeconds: number | null; // mean per run
  runs: string[];
}

function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds must be comma-separated non-negative integers (e.g. 0,1,2), got ${JSON.stringify(text)}`);
  return seeds;
}

/** Mean and sample standard deviation (n − 1; 0 for a single seed) across run seeds. */
export function acrossSeeds(xs: readonly number[]): { mean: number; std: number } {
  const { mean } = meanStd(xs);
  return { mean, std: xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) };
}

function tableArgs(args: Args): Args {
  return flag(args, 'quick') ? { ...QUICK_DEFAULTS, ...args } : args;
}

function methodRow(reward: string, method: Method, seeds: number[], runs: ExperimentSummary[]): TableRow {
  const task = (r: ExperimentSummary) => r.heldOut.tasks.find((t) => t.reward === reward)!;
  const proxies = runs.map((r) => r.qualityProxy.increase).filter((v): v is number => v !== null);
  return {
    reward,
    method,
    seeds,
    heldOutReward: acrossSeeds(runs.map((r) => task(r).tuned.mean)),
    winRate: acrossSeeds(runs.map((r) => task(r).winRate)),
    clicks: method === 'd3po' ? meanStd(runs.map((r) => r.clicks)).mean : null,
    proxyIncrease: proxies.length === runs.length ? acrossSeeds(proxies) : null,
    wallSeconds: meanStd(runs.map((r) => r.seconds.total)).mean,
    runs: runs.map((r) => r.out),
  };
}

function baseRow(reward: string, seeds: number[], first: ExperimentSummary): TableRow {
  const t = first.heldOut.tasks.find((x) => x.reward === reward)!;
  return { reward, method: 'base', seeds, heldOutReward: t.base, winRate: null, clicks: null, proxyIncrease: first.qualityProxy.increase === null ? null : { mean: 0, std: 0 }, wallSeconds: null, runs: [] };
}

const f = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const pm = (v: { mean: number; std: number } | null, d = 4, scale = 1) => (v ? `${f(v.mean * scale, d)} ± ${f(v.std * scale, d)}` : '—');

/** The markdown table and its footnotes. */
export function renderTable(rows: TableRow[], notes: string[]): string {
  const head = '| reward | method | held-out reward | win rate vs base (%) | clicks | Δ denoising loss | wall time / run (s) |\n|---|---|---|---|---|---|---|';
  const lines = rows.map((r) =>
    [r.reward, r.method, pm(r.heldOutReward) + (r.method === 'base' ? ' ¹' : ''), pm(r.winRate, 1, 100), r.clicks === null ? '—' : f(r.clicks, 0), r.method === 'base' ? (r.proxyIncrease ? '0 (ref.)' : '—') : r.proxyIncrease ? pm(r.proxyIncrease, 5) : 'n/a', r.wallSeconds === null ? '—' : f(r.wallSeconds, 1)].join(' | '),
  );
  return [head, ...lines.map((l) => `| ${l} |`), '', ...notes.map((n) => `- ${n}`)].join('\n') + '\n';
}

export async function experimentTableCommand(rawArgs: Args, log: (s: string) => void = console.log): Promise<void> {
  const args = tableArgs(rawArgs);
  if (str(args, 'rewards', '').includes('prompt_alignment')) registerPromptAlignment(str(args, 'data', 'data'));
  const rewards = rewardsByNames(str(args, 'rewards', 'jpeg_compressibility,brightness')).map((r) => r.name);
  const methods = str(args, 'methods', METHODS.join(',')).split(',').map((m) => parseMethod(m.trim()));
  const seeds = parseSeeds(str(args, 'seeds', '0,1,2'));
  const budget = num(args, 'budget', 64);
  const out = str(args, 'out', 'runs/table');
  const modelFile = str(args, 'model', '');
  const handle: ModelHandle = flag(args, 'quick') && !modelFile ? tinyMemoryModel(0) : openModel(modelFile || DEFAULT_MODEL_PATH);
  const runArgs = (method: Method, reward: string, seed: number): Args => ({ ...args, method, reward, seed: String(seed), budget: String(budget), out: path.join(out, reward, `${method}-seed${seed}`) });
  const first = experimentSettings(runArgs(methods[0], rewards[0], seeds[0])); // validates the pass-through options once
  const res = new ExperimentResources(handle, first.dataDir);
  const t0 = performance.now();
  const rows: TableRow[] = [];
  try {
    log(`experiment table on ${handle.id}: rewards ${rewards.join(', ')} × methods ${methods.join(', ')} × seeds ${seeds.join(', ')}, ${budget} sampled images per run`);
    for (const reward of rewards) {
      const byMethod = new Map<Method, ExperimentSummary[]>();
      for (const method of methods) {
        const runs: ExperimentSummary[] = [];
        for (const seed of seeds) {
          log(`— ${reward} / ${method} / seed ${seed}`);
          runs.push(await runExperiment(res, experimentSettings(runArgs(method, reward, seed)), (l) => log(`  ${l}`)));
        }
        byMethod.set(method, runs);
      }
      rows.push(baseRow(reward, seeds, byMethod.get(methods[0])![0]));
      for (const method of methods) rows.push(methodRow(reward, method, seeds, byMethod.get(method)!));
    }
    const notes = [
      `model ${handle.id}; ${budget} sampled training images per run; seeds ${seeds.join(', ')}; held-out eval: ${first.evalPrompts} prompts × ${first.evalSeeds} fixed held-out seeds.`,
      'held-out reward, win rate and Δ denoising loss: mean ± sample std over the run seeds; ¹ base: mean ± std over the held-out images (the base model does not depend on the seed).',
      `Δ denoising loss: min-SNR denoising loss on ${PROXY_BATCH} fixed emoji training latents with the LoRA minus without (reward-independent base-quality proxy; > 0 = quality lost; n/a without \`npm run data\`).`,
      'clicks: oracle votes D3PO used (C(K,2) per prompt from a shared x_T); DDPO and PRDP read the reward values instead.',
    ];
    const md = renderTable(rows, notes);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'table.md'), md);
    fs.writeFileSync(path.join(out, 'table.json'), JSON.stringify({ model: handle.id, rewards, methods, seeds, budget, notes, rows, wallSeconds: (performance.now() - t0) / 1000 }, null, 1) + '\n');
    log('\n' + md);
    log(`wrote ${path.join(out, 'table.md')} and table.json (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  } finally {
    res.dispose();
    handle.model.dispose();
  }
}
