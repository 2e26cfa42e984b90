// Tests for the RL/preference CLI on the random tiny model: reward registry, label averaging, pairs → label → train end to end, and `experiment` run folders for D3PO/DDPO/PRDP (plumbing only: no reward gains asserted, no timings).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelConfig } from '../../src/core/config';
import { defaultTasteRecipe } from '../../src/core/taste/recipe';
import { MiniSD } from '../../src/core/model/pipeline';
import { modelToSafetensors } from '../../src/core/model/weights';
import { decodeLoraSafetensors } from '../../src/core/model/loraFile/loraFile';
import { rewardByName, rewardNames, rewardsByNames } from '../../src/core/rewards/registry';
import { experimentSettings } from '../../cli/experiment/settings';
import { decodePairs } from '../../src/core/algorithms/trajectoryCodec';
import type { Args } from '../../cli/args';
import { pairsCommand } from '../../cli/commands/pairs';
import { labelCommand } from '../../cli/commands/label';
import { trainCommand } from '../../cli/commands/train';
import { experimentCommand } from '../../cli/commands/experiment';
import { experimentTableCommand } from '../../cli/commands/experimentTable';
import { aggregateLabels, parseAnnotatorFile } from '../../cli/experiment/labels';
import { RUN_FILES, type ExperimentSummary } from '../../cli/experiment/runExperiment';
import type { LabelEntry, PairsManifest } from '../../cli/experiment/pairFolder';
import { EMOJI_BYTES_PER_IMAGE, EMOJI_INDEX_FORMAT, EMOJI_INDEX_VERSION, type EmojiRecord } from '../../src/core/data/emojiDataset';
import { createRng } from '../../src/core/rng';
import { createLoraAdapter } from '../../src/core/model/lora';
import { AdamW } from '../../src/core/train/adamw';
import { useBackend } from './backend';

let dir: string;
let modelFile: string;
let model: MiniSD;

const args = (o: Record<string, string | boolean>, positional: string[] = []): Args => ({ _: positional, ...o });
const quiet = () => {
  const lines: string[] = [];
  return { lines, log: (s: string) => void lines.push(s) };
};
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** A stand-in emoji dataset (emoji32.json + emoji32.bin) of `n` random 32×32 images, so the data-dependent paths run without `npm run data`. */
function writeFakeDataset(target: string, n: number): void {
  fs.mkdirSync(target, { recursive: true });
  const names = ['red heart', 'dog face', 'pizza', 'sun', 'ghost', 'banana', 'fire', 'rainbow'];
  const records: EmojiRecord[] = Array.from({ length: n }, (_, i) => ({
    index: i, vendor: 'google', unified: `1F${600 + i}`, baseUnified: `1F${600 + i}`, name: names[i % names.length], shortNames: [], keywords: [],
    category: 'Smileys & Emotion', subcategory: 'face', skinTone: 'none', skinTones: [], sortOrder: i, image: `${i}.png`,
  }));
  const index = { format: EMOJI_INDEX_FORMAT, version: EMOJI_INDEX_VERSION, width: 32, height: 32, channels: 3, count: n, bytesPerImage: EMOJI_BYTES_PER_IMAGE, vendors: { google: n }, source: { packages: [], sourceSize: 64, resample: 'random test pixels' }, records };
  fs.writeFileSync(path.join(target, 'emoji32.json'), JSON.stringify(index));
  fs.writeFileSync(path.join(target, 'emoji32.bin'), Uint8Array.from(createRng(5).normals(n * EMOJI_BYTES_PER_IMAGE), (v) => Math.max(0, Math.min(255, 128 + 60 * v))));
}

beforeAll(async () => {
  await useBackend('wasm');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd3po-experiment-'));
  model = MiniSD.create(tinyModelConfig(), 0);
  modelFile = path.join(dir, 'tiny.safetensors');
  fs.writeFileSync(modelFile, await modelToSafetensors(model));
});

afterAll(() => {
  model?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('reward registry', () => {
  it('maps names to rewards and lists the names in its errors', () => {
    expect(rewardNames()).toEqual(['jpeg_compressibility', 'jpeg_incompressibility', 'brightness', 'colourfulness', 'diversity']);
    expect(rewardByName('brightness').name).toBe('brightness');
    expect(rewardsByNames('jpeg_compressibility, diversity').map((r) => r.kind)).toEqual(['sample', 'set']);
    expect(() => rewardByName('aesthetic')).toThrow(/Unknown reward "aesthetic"; use one of: jpeg_compressibility, .*diversity/);
    expect(() => rewardsByNames('brightness,brightness')).toThrow(/listed twice/);
  });
});

describe('experiment settings', () => {
  it('reads --timestep-fraction (default 1: all T steps) and rejects values outside (0, 1]', () => {
    expect(experimentSettings(args({ method: 'd3po', reward: 'brightness' })).timestepFraction).toBe(1);
    expect(experimentSettings(args({ method: 'ddpo', reward: 'brightness', 'timestep-fraction': '0.5' })).timestepFraction).toBe(0.5);
    expect(() => experimentSettings(args({ method: 'd3po', reward: 'brightness', 'timestep-fraction': '0' }))).toThrow(/--timestep-fraction must be in \(0, 1\]/);
    expect(() => experimentSettings(args({ method: 'd3po', reward: 'brightness', 'timestep-fraction': '1.5' }))).toThrow(/got 1.5/);
  });
});

describe('label averaging (D3PO load_data_from_json)', () => {
  it('averages annotators per pair; equal means become ties; bad ids and votes are errors', () => {
    const ids = ['p0', 'p1', 'p2', 'p3', 'p4'];
    const ann1 = parseAnnotatorFile('ann1.json', [{ pair: 'p0', vote: 'A' }, { pair: 'p1', vote: 'A' }, { pair: 'p2', vote: 'both-bad' }, { pair: 'p3', vote: 'b' }], ids);
    const ann2 = parseAnnotatorFile('ann2.json', [{ pair: 'p0', vote: 'A' }, { pair: 'p1', vote: 'B' }, { pair: 'p2', vote: 'both-bad' }], ids);
    const { labels, ties, unlabeled } = aggregateLabels([ann1, ann2], ids);
    expect(labels).toEqual([
      { pair: 'p0', vote: 'A', mean: 1, annotators: 2 },
      { pair: 'p1', vote: 'tie', mean: 0, annotators: 2 },
      { pair: 'p2', vote: 'both-bad', mean: 0, annotators: 2 },
      { pair: 'p3', vote: 'B', mean: -1, annotators: 1 },
    ]);
    expect(ties).toEqual(['p1', 'p2']);
    expect(unlabeled).toEqual(['p4']);
    expect(() => parseAnnotatorFile('x.json', [{ pair: 'nope', vote: 'A' }], ids)).toThrow(/x\.json: entry 0 names pair "nope", which is not in this folder's pairs\.json/);
    expect(() => parseAnnotatorFile('x.json', [{ pair: 'p0', vote: 'C' }], ids)).toThrow(/use "A", "B", "tie" or "both-bad"/);
    expect(() => parseAnnotatorFile('x.json', [{ pair: 'p0', vote: 'A' }, { pair: 'p0', vote: 'B' }], ids)).toThrow(/labeled twice/);
    expect(() => parseAnnotatorFile('x.json', { pair: 'p0' }, ids)).toThrow(/expected a JSON array/);
  });
});

describe('pairs → label → train', () => {
  it('samples shared-x_T pairs, imports two annotators, trains D3PO and writes a loadable LoRA', async () => {
    const out = path.join(dir, 'pairs');
    const promptsFile = path.join(dir, 'prompts.txt');
    fs.writeFileSync(promptsFile, '# test prompts\nred heart\n\ndog face\n');
    await pairsCommand(args({ prompts: promptsFile, count: '4', out, seed: '3', model: modelFile }), quiet().log);

    const manifest = readJson<PairsManifest>(path.join(out, 'pairs.json'));
    expect(manifest.pairs.map((p) => [p.id, p.prompt])).toEqual([['pair-0000', 'red heart'], ['pair-0001', 'dog face'], ['pair-0002', 'red heart'], ['pair-0003', 'dog face']]);
    for (const p of manifest.pairs) for (const img of p.images) expect(fs.readFileSync(path.join(out, img)).subarray(1, 4).toString()).toBe('PNG');
    const stored = decodePairs(new Uint8Array(fs.readFileSync(path.join(out, manifest.trajectories))));
    expect(stored.map((p) => p.id)).toEqual(manifest.pairs.map((p) => p.id));
    expect(Array.from(stored[0].trajectories[0].latents[0])).toEqual(Array.from(stored[0].trajectories[1].latents[0])); // shared x_T
    // The studio's DDIM step count (the taste recipe's), not the model file's default.
    expect(defaultTasteRecipe.sampleSteps).not.toBe(tinyModelConfig().sample.steps);
    expect(stored[0].trajectories[0].timesteps.length).toBe(defaultTasteRecipe.sampleSteps);
    expect(manifest.sample.steps).toBe(defaultTasteRecipe.sampleSteps);
    await expect(pairsCommand(args({ count: '1', out: path.join(dir, 'bad-steps'), steps: '1', model: modelFile }), quiet().log)).rejects.toThrow(/--steps must be an integer from 2 to 200/);
    await expect(pairsCommand(args({ count: '1', out, model: modelFile }), quiet().log)).rejects.toThrow(/already holds pairs/);

    // Two annotators: pair 0 A+A → A; pair 1 A+B → tie (skipped); pair 2 B (one voter) → B; pair 3 B+tie → B.
    const ann1 = path.join(dir, 'ann1.json');
    const ann2 = path.join(dir, 'ann2.json');
    fs.writeFileSync(ann1, JSON.stringify([{ pair: 'pair-0000', vote: 'A' }, { pair: 'pair-0001', vote: 'A' }, { pair: 'pair-0002', vote: 'B' }, { pair: 'pair-0003', vote: 'B' }]));
    fs.writeFileSync(ann2, JSON.stringify([{ pair: 'pair-0000', vote: 'A' }, { pair: 'pair-0001', vote: 'B' }, { pair: 'pair-0003', vote: 'tie' }]));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify([{ pair: 'pair-0099', vote: 'A' }]));
    await expect(labelCommand(args({ pairs: out, labels: bad }), quiet().log)).rejects.toThrow(/pair "pair-0099", which is not in this folder's pairs\.json \(ids: pair-0000, pair-0001, pair-0002, pair-0003\)/);
    expect(fs.existsSync(path.join(out, 'labels.json'))).toBe(false);
    await labelCommand(args({ pairs: out, labels: `${ann1},${ann2}` }), quiet().log);
    const labels = readJson<LabelEntry[]>(path.join(out, 'labels.json'));
    expect(labels.map((l) => [l.pair, l.vote, l.annotators])).toEqual([['pair-0000', 'A', 2], ['pair-0001', 'tie', 2], ['pair-0002', 'B', 1], ['pair-0003', 'B', 2]]);

    const loraFile = path.join(dir, 'trained', 'lora.safetensors');
    const { lines, log } = quiet();
    const tensorsBefore = tf.memory().numTensors;
    await trainCommand(args({ pairs: out, steps: '4', batch: '8', lr: '1e-3', out: loraFile }), log);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const steps = lines.filter((l) => l.startsWith('step '));
    expect(steps.length).toBe(4);
    expect(lines[0]).toMatch(/D3PO on 3 preference pairs \(1 ties skipped\)/);
    const acc = steps.map((l) => Number(/ acc ([\d.]+)/.exec(l)![1]));
    expect(acc[0]).toBe(0); // θ = π_ref before the first update
    expect(acc[acc.length - 1]).toBeGreaterThan(acc[0]);
    expect(steps.every((l) => /loss [\d.]+ acc [\d.]+ margin \S+ clip [\d.]+ \|g\| \S+/.test(l))).toBe(true);
    const { adapter, info } = decodeLoraSafetensors(new Uint8Array(fs.readFileSync(loraFile)), model.params);
    expect(info.layout).toBe('peft');
    expect(info.metadata.studio_method).toBe('d3po');
    expect(info.metadata.studio_pairs).toBe('3');
    expect(readJson<{ peft_type: string }>(path.join(dir, 'trained', 'adapter_config.json')).peft_type).toBe('LORA');
    adapter.dispose();

    // Resuming trains against the resumed adapter as the reference: the first step is at accuracy 0 again.
    const resumed = quiet();
    await trainCommand(args({ pairs: out, steps: '1', 'resume-lora': loraFile, out: path.join(dir, 'resumed', 'lora.safetensors') }), resumed.log);
    expect(resumed.lines.find((l) => l.startsWith('step 1/1'))).toMatch(/ acc 0\.000 /);
  });
});

describe('experiment', () => {
  for (const method of ['d3po', 'ddpo', 'prdp'] as const) {
    it(`${method}: writes config, metrics, LoRA, sheets and summary for a 16-image budget`, async () => {
      const out = path.join(dir, `run-${method}`);
      const reward = method === 'ddpo' ? 'jpeg_compressibility,brightness' : 'brightness'; // DDPO also covers multi-task cycling
      const k = method === 'd3po' ? 2 : 4; // D3PO trains all C(K,2) pairs: K = 2 keeps the test short
      const tensorsBefore = tf.memory().numTensors;
      await experimentCommand(
        args({ method, reward, budget: '16', seed: '1', out, model: modelFile, 'prompts-per-round': String(8 / k / reward.split(',').length), 'images-per-prompt': String(k), 'eval-prompts': '2', 'eval-seeds': '2', 'no-proxy': true }),
        quiet().log,
      );
      expect(tf.memory().numTensors).toBe(tensorsBefore); // model, LoRA, optimizer and eval tensors all released
      for (const f of RUN_FILES) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
      const summary = readJson<ExperimentSummary>(path.join(out, 'summary.json'));
      const tasks = reward.split(',');
      expect(summary.imagesSampled).toBe(16);
      expect(summary.heldOut.tasks.map((t) => t.reward)).toEqual(tasks);
      expect(summary.heldOut.prompts.length * summary.heldOut.seeds.length).toBe(4);
      for (const t of summary.heldOut.tasks) {
        expect(t.baseScores.length).toBe(4);
        expect(t.winRate).toBeGreaterThanOrEqual(0);
        expect(t.winRate).toBeLessThanOrEqual(1);
        expect(Number.isFinite(t.tuned.mean)).toBe(true);
      }
      expect(summary.clicks).toBe(method === 'd3po' ? 2 * 4 : 0); // 2 rounds × 4 prompts × C(2,2) oracle votes
      expect(summary.qualityProxy.unavailable).toMatch(/--no-proxy/);
      const csv = fs.readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n');
      expect(csv[0]).toMatch(/^round,task,images_sampled,clicks,reward_mean,reward_std,loss,/);
      expect(csv.length - 1).toBe(method === 'ddpo' ? 4 : 2); // one row per (round, task): 8 images per round
      const lora = decodeLoraSafetensors(new Uint8Array(fs.readFileSync(path.join(out, 'lora.safetensors'))), model.params);
      expect(lora.info.metadata.studio_method).toBe(method);
      lora.adapter.dispose();
    });
  }

  it('--pretrain-loss adds a denoising-loss step per round and the summary reports the quality proxy', async () => {
    const data = path.join(dir, 'fake-data');
    writeFakeDataset(data, 8);
    const out = path.join(dir, 'run-pretrain');
    const tensorsBefore = tf.memory().numTensors;
    await experimentCommand(args({ method: 'ddpo', reward: 'colourfulness', budget: '8', out, model: modelFile, 'pretrain-loss': '0.5', 'pretrain-batch': '4', data, 'prompts-per-round': '1', 'images-per-prompt': '4', 'eval-prompts': '1', 'eval-seeds': '2' }), quiet().log);
    expect(tf.memory().numTensors).toBe(tensorsBefore); // incl. the latent pool's and the proxy batch's tensors
    const summary = readJson<ExperimentSummary>(path.join(out, 'summary.json'));
    expect(summary.pretrainLoss!.weight).toBe(0.5);
    expect(summary.pretrainLoss!.last).toBeGreaterThan(0);
    const q = summary.qualityProxy;
    expect(q.base).toBeGreaterThan(0);
    expect(q.tuned).toBeGreaterThan(0);
    expect(q.increase).toBeCloseTo(q.tuned! - q.base!, 10);
    const rows = fs.readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    const col = rows[0].split(',').indexOf('pretrain_loss');
    expect(rows.slice(1).every((r) => Number(r.split(',')[col]) > 0)).toBe(true);
  });

  it('--pretrain-loss without the emoji dataset says to run `npm run data`', async () => {
    const out = path.join(dir, 'run-pre');
    await expect(
      experimentCommand(args({ method: 'ddpo', reward: 'brightness', budget: '4', out, model: modelFile, 'pretrain-loss': '0.5', data: path.join(dir, 'no-data'), 'eval-prompts': '1', 'eval-seeds': '1' }), quiet().log),
    ).rejects.toThrow(/--pretrain-loss needs the emoji training latents: .*npm run data/);
  });
});

describe('experiment-table', () => {
  it('--quick runs base vs D3PO vs DDPO vs PRDP on the tiny model and writes table.md + table.json', async () => {
    const out = path.join(dir, 'table');
    const { lines, log } = quiet();
    // Smaller than --quick's defaults; without a dataset the quality proxy reads n/a.
    await experimentTableCommand(args({ quick: true, out, budget: '2', 'images-per-prompt': '2', 'eval-prompts': '1', 'eval-seeds': '2', data: path.join(dir, 'no-data') }), log);
    const md = fs.readFileSync(path.join(out, 'table.md'), 'utf8');
    expect(md).toMatch(/^\| reward \| method \| held-out reward \| win rate vs base \(%\) \| clicks \| Δ denoising loss \| wall time \/ run \(s\) \|/);
    const rows = md.split('\n').filter((l) => l.startsWith('| jpeg_compressibility'));
    expect(rows.map((r) => r.split('|')[2].trim())).toEqual(['base', 'd3po', 'ddpo', 'prdp']);
    expect(rows[1].split('|')[5].trim()).toBe('1'); // 1 round × C(2,2) clicks
    expect(rows[2]).toMatch(/\| n\/a \|/);
    const table = readJson<{ rows: { method: string; runs: string[] }[] }>(path.join(out, 'table.json'));
    expect(table.rows.map((r) => r.method)).toEqual(['base', 'd3po', 'ddpo', 'prdp']);
    for (const r of table.rows.slice(1)) expect(fs.existsSync(path.join(r.runs[0], 'summary.json'))).toBe(true);
    expect(lines.join('\n')).toContain(md.split('\n')[0]);
  });
});
