// `bench`: per-backend timings (matmul probe, UNet, decode, pair generation, D3PO update and pass — benchD3po.ts —, conv backward/forward) as markdown tables + JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../src/platform/node';
import { fmtValue, markdownTable, type BackendBench, type BenchRow } from './benchTable';
import { fmtS, isSkipped, matmulProbe, measure, repsText, timeOnce, type Measured } from './benchTiming';
import { gf, PAIR_STEPS, probeRatio, probeShare, PROMPT, reps, TARGETS, type BenchContext } from './benchContext';
import { benchD3po, benchD3poPass, d3poFlops } from './benchD3po';
import { defaultTasteRecipe } from '../../src/core/taste/recipe';
import type { MiniSD } from '../../src/core/model/pipeline';
import { conv2dSame } from '../../src/core/model/conv2dSame';
import { imagesToRgba, sampleWithTrajectory } from '../../src/core/diffusion/sample';
import { DEFAULT_MODEL_PATH, modelFromFile, readModelFile, type ModelFile } from '../modelLoader';
import { flag, num, str, type Args } from '../args';

export const benchHelp = `bench [--backends wasm,cpu] [--quick] [--threads N] [--max-seconds 60] [--json FILE] [--model ${DEFAULT_MODEL_PATH}]
  Per backend: matmul probe GFLOP/s, UNet forward (batch 8), decode, pair generation (2 images × 20 DDIM steps with CFG
  + decode, and at the studio's 10), one D3PO update on one pair, a D3PO pass before/now and as the studio trains, and
  conv2d fwd+bwd/fwd ratios (conv2dSame vs tfjs's native gradient); each rate also as a share of the backend's matmul
  probe. Every timed call runs inside tf.tidy, and a call whose tensor count grows between runs is refused (it would
  time the leak). Anything estimated to exceed --max-seconds (default 60, 20 with --quick) is skipped with a note. --quick uses fewer
  repetitions, measures pair generation at 5 steps and D3PO on the timesteps that fit, extrapolated to 20 (≈).
  Pause training for real numbers.`;

const QUICK_STEPS = 5;

// ---------------------------------------------------------------------------------------------------------------
// the individual benchmarks

async function benchMatmul(c: BenchContext): Promise<BenchRow> {
  const p = await matmulProbe(512, reps(c, 5, c.quick ? 1 : 2), c.cpu ? 1 : 2);
  c.probe = p;
  return { key: 'matmul', label: 'matmul probe 512×512×512', value: p.gflops, unit: 'GFLOP/s', detail: `${p.ms.toFixed(1)} ms per matmul, median of ${p.reps}` };
}

async function benchUnet(c: BenchContext): Promise<BenchRow> {
  const b = 8;
  const s = c.model.config.unet.sampleSize;
  const label = `UNet forward, batch ${b}`;
  const text = c.model.encodeText(new Array(b).fill(PROMPT));
  const x = tf.randomNormal([b, s, s, c.model.config.unet.inChannels]) as tf.Tensor4D;
  const x1 = x.slice([0], [1]);
  const text1 = text.slice([0], [1]);
  try {
    const one = await timeOnce(() => tf.tidy(() => c.model.predict(x1, [500], text1))); // warm-up, and the estimate for batch 8
    const m = await measure(() => tf.tidy(() => c.model.predict(x, new Array(b).fill(500), text)), { reps: reps(c, 5, 2), estimateMs: one * b, limitMs: c.limitMs, warmup: true });
    if (isSkipped(m)) {
      c.unetMsPerLatent = one;
      return { key: 'unet', label: 'UNet forward, batch 1 (batch 8 skipped)', value: one, unit: 'ms/latent', detail: `single cold batch-1 run, ${gf(c.flops.unet, one).toFixed(2)} GFLOP/s; batch 8 ${m.skipped.replace('skipped: ', '')}`, extra: { gflops: gf(c.flops.unet, one) } };
    }
    c.unetMsPerLatent = m.ms / b;
    const rate = gf(b * c.flops.unet, m.ms);
    const ratio = probeShare(c, rate);
    return {
      key: 'unet',
      label,
      value: m.ms / b,
      unit: 'ms/latent',
      detail: `${rate.toFixed(2)} GFLOP/s${ratio}; ${(c.flops.unet / 1e6).toFixed(1)} MFLOP/latent; ${repsText(m)}`,
      extra: { gflops: rate, probeRatio: probeRatio(c, rate), batchMs: m.ms },
    };
  } finally {
    tf.dispose([text, x, x1, text1]);
  }
}

async function benchDecode(c: BenchContext): Promise<BenchRow> {
  const b = 8;
  const s = c.model.config.unet.sampleSize;
  const z = tf.randomNormal([b, s, s, c.model.config.autoencoder.latentChannels]) as tf.Tensor4D;
  const label = `decode, batch ${b}`;
  try {
    const estimate = c.unetMsPerLatent ? (b * c.unetMsPerLatent * c.flops.decoder) / c.flops.unet : 0;
    const m = await measure(() => c.model.decode(z), { reps: reps(c, 5, 2), estimateMs: estimate, limitMs: c.limitMs, warmup: true });
    if (isSkipped(m)) return { key: 'decode', label, value: null, unit: 'ms/image', detail: m.skipped };
    const rate = gf(b * c.flops.decoder, m.ms);
    c.decodeMsPerImage = m.ms / b;
    return { key: 'decode', label, value: m.ms / b, unit: 'ms/image', detail: `${rate.toFixed(2)} GFLOP/s${probeShare(c, rate)}; ${(c.flops.decoder / 1e6).toFixed(1)} MFLOP/image; ${repsText(m)}`, extra: { gflops: rate, probeRatio: probeRatio(c, rate) } };
  } finally {
    z.dispose();
  }
}

/** FLOPs of one pair: T steps × (2 images × 2 for CFG) UNet latents + 2 decodes + 3 text encodings. */
function pairFlops(c: BenchContext, steps: number): number {
  return steps * 4 * c.flops.unet + 2 * c.flops.decoder + 3 * c.flops.textEncoder;
}

/** Samples one D3PO pair (shared x_T, CFG) and decodes it to RGBA; keeps the trajectories for the D3PO benchmark. */
async function generatePair(c: BenchContext, steps: number, seed: number): Promise<void> {
  const g = c.model.config.sample.guidanceScale;
  const r = await sampleWithTrajectory(c.model, {
    prompts: [PROMPT, PROMPT],
    seed,
    sharedInitialNoise: true,
    sample: { steps, eta: 1, guidanceScale: g > 1 ? g : 5 },
  });
  const images = c.model.decode(r.final);
  await imagesToRgba(images);
  tf.dispose([images, r.final]);
  c.pair = [r.trajectories[0], r.trajectories[1]];
}

/** The studio's pair: the taste recipe's DDIM steps (10), measured in full (no extrapolation). */
async function benchStudioPair(c: BenchContext): Promise<BenchRow> {
  const steps = defaultTasteRecipe.sampleSteps;
  const label = `pair generation as the studio samples it: 2 images × ${steps} DDIM steps (the taste recipe's), CFG + decode`;
  const perLatent = c.unetMsPerLatent ?? Infinity;
  const m = await measure(() => generatePair(c, steps, 2), { reps: reps(c, 2, 1), estimateMs: steps * 4 * perLatent, limitMs: c.limitMs, warmup: true });
  if (isSkipped(m)) return { key: 'studioPair', label, value: null, unit: 's', detail: m.skipped };
  const verdict = m.ms / 1000 <= TARGETS.pairGenerationSeconds ? 'meets' : `${(m.ms / 1000 / TARGETS.pairGenerationSeconds).toFixed(1)}× over`;
  const rate = gf(pairFlops(c, steps), m.ms);
  return { key: 'studioPair', label, value: m.ms / 1000, unit: 's', detail: `target ≤ ${TARGETS.pairGenerationSeconds} s (${verdict}); ${(pairFlops(c, steps) / 1e9).toFixed(2)} GFLOP → ${rate.toFixed(2)} GFLOP/s${probeShare(c, rate)}; ${repsText(m)}`, extra: { gflop: pairFlops(c, steps) / 1e9, probeRatio: probeRatio(c, rate) } };
}

async function benchPairGeneration(c: BenchContext): Promise<BenchRow> {
  const steps = c.quick ? QUICK_STEPS : PAIR_STEPS;
  const scale = PAIR_STEPS / steps;
  const label = `pair generation: 2 images × ${PAIR_STEPS} DDIM steps, CFG (batch-4 UNet calls) + decode`;
  const perLatent = c.unetMsPerLatent ?? Infinity;
  const decodeMs = 2 * (c.decodeMsPerImage ?? (perLatent * c.flops.decoder) / c.flops.unet);
  const m = await measure(() => generatePair(c, steps, 1), { reps: reps(c, 2, 1), estimateMs: steps * 4 * perLatent + decodeMs, limitMs: c.limitMs, warmup: true });
  if (isSkipped(m)) return { key: 'pairGeneration', label, value: null, unit: 's', detail: `${m.skipped} (target ≤ ${TARGETS.pairGenerationSeconds} s)` };
  // Quick mode: the sampling part scales with the steps, the decode does not.
  const ms = c.quick ? (m.ms - decodeMs) * scale + decodeMs : m.ms;
  const est = c.quick ? `≈ measured at ${steps} steps × ${scale}; ` : '';
  const verdict = ms / 1000 <= TARGETS.pairGenerationSeconds ? 'meets' : `${(ms / 1000 / TARGETS.pairGenerationSeconds).toFixed(1)}× over`;
  return {
    key: 'pairGeneration',
    label,
    value: ms / 1000,
    unit: 's',
    detail: `${est}target ≤ ${TARGETS.pairGenerationSeconds} s (${verdict}); ${(pairFlops(c, PAIR_STEPS) / 1e9).toFixed(2)} GFLOP → ${gf(pairFlops(c, PAIR_STEPS), ms).toFixed(2)} GFLOP/s${probeShare(c, gf(pairFlops(c, PAIR_STEPS), ms))}; ${repsText(m)}`,
    extra: { gflop: pairFlops(c, PAIR_STEPS) / 1e9, measuredSteps: steps, probeRatio: probeRatio(c, gf(pairFlops(c, PAIR_STEPS), ms)) },
  };
}

interface ConvShape {
  name: string;
  x: [number, number, number, number]; // [B,H,W,Cin]
  cout: number;
  k: number;
}

/** Representative 3×3 convs: UNet width at latent resolution, batch 8 (e.g. [8,8,8,128]→128); autoencoder full resolution, batch 32. */
export function representativeConvs(model: MiniSD): ConvShape[] {
  const u = model.config.unet;
  const wide = Math.max(...u.blockOutChannels);
  const a = model.config.autoencoder;
  return [
    { name: 'UNet, sampling batch', x: [8, u.sampleSize, u.sampleSize, wide], cout: wide, k: 3 },
    { name: 'UNet, training batch', x: [64, u.sampleSize, u.sampleSize, wide], cout: wide, k: 3 },
    { name: 'autoencoder', x: [32, a.imageSize, a.imageSize, a.channels[0]], cout: a.channels[0], k: 3 },
  ];
}

async function benchConv(c: BenchContext, shape: ConvShape): Promise<BenchRow[]> {
  const [B, H, W, Cin] = shape.x;
  const flops = 2 * B * H * W * shape.k * shape.k * Cin * shape.cout;
  const tag = `conv ${shape.k}×${shape.k} [${shape.x.join(',')}]→${shape.cout} (${shape.name})`;
  const x = tf.randomNormal(shape.x) as tf.Tensor4D;
  const w = tf.mul(tf.randomNormal([shape.k, shape.k, Cin, shape.cout]), 0.05) as tf.Tensor4D;
  const dy = tf.randomNormal([B, H, W, shape.cout]) as tf.Tensor4D;
  const x1 = x.slice([0], [1]);
  const dy1 = dy.slice([0], [1]);
  const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv2dSame(a as tf.Tensor4D, b as tf.Tensor4D));
  const native = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'));
  try {
    const fwdEstimate = c.probe ? flops / (c.probe.gflops * 1e6) : 0;
    const fwd = await measure(() => conv2dSame(x, w), { reps: reps(c, 5, 2), estimateMs: fwdEstimate, limitMs: c.limitMs, warmup: true });
    if (isSkipped(fwd)) return [{ key: `conv.${shape.name}`, label: `${tag}: fwd+bwd / fwd`, value: null, unit: '×', detail: fwd.skipped }];
    const ctx: GradBench = { c, tag, name: shape.name, batch: B, fwd, flops };
    const oursRow = await gradRow(ctx, 'conv2dSame', () => ours([x1, w], dy1), () => ours([x, w], dy));
    if (oursRow.value !== null && shape.name === 'UNet') c.convRatio = oursRow.value;
    return [oursRow, await gradRow(ctx, 'tfjs native', () => native([x1, w], dy1), () => native([x, w], dy))];
  } finally {
    tf.dispose([x, w, dy, x1, dy1]);
  }
}

interface GradBench {
  c: BenchContext;
  tag: string;
  name: string;
  batch: number;
  fwd: Measured;
  flops: number;
}

/**
 * fwd+bwd time of one conv gradient implementation over its forward time. A batch-1 pilot run estimates the full batch
 * (tfjs's native cpu kernels can be ~50× slower than the forward); kernels a backend lacks (wasm 4.22 has no
 * Conv2DBackpropFilter) give n/a.
 */
async function gradRow(g: GradBench, impl: 'conv2dSame' | 'tfjs native', pilot: () => tf.Tensor[], full: () => tf.Tensor[]): Promise<BenchRow> {
  const key = `conv.${g.name}.${impl === 'conv2dSame' ? 'conv2dSame' : 'native'}`;
  const label = `${g.tag}: ${impl} fwd+bwd / fwd`;
  try {
    const pilotMs = await timeOnce(() => tf.tidy(pilot));
    const m = await measure(() => tf.tidy(full), { reps: reps(g.c, 5, 2), estimateMs: pilotMs * g.batch, limitMs: g.c.limitMs, warmup: true });
    if (isSkipped(m)) return { key, label, value: null, unit: '×', detail: `${m.skipped} (batch-1 pilot ${pilotMs.toFixed(0)} ms)` };
    const fwdText = `fwd ${g.fwd.ms.toFixed(1)} ms (${gf(g.flops, g.fwd.ms).toFixed(2)} GFLOP/s)`;
    return { key, label, value: m.ms / g.fwd.ms, unit: '×', detail: `${fwdText}, fwd+bwd ${m.ms.toFixed(1)} ms (ideal ≈ 3×); ${repsText(m)}`, extra: { fwdMs: g.fwd.ms, fwdBwdMs: m.ms } };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const why = /not registered/i.test(msg) ? `${tf.getBackend()} has no ${msg.match(/'(\w+)'/)?.[1] ?? 'gradient'} kernel` : msg;
    return { key, label, value: null, unit: '×', detail: `n/a: ${why}` };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// command

async function benchBackend(name: 'wasm' | 'cpu', file: ModelFile, args: Args, quick: boolean, limitMs: number, log: (s: string) => void, flops?: BenchContext['flops']): Promise<{ result: BackendBench; flops: BenchContext['flops'] }> {
  const backend = await initNodeBackend({ backend: name, threads: args.threads ? num(args, 'threads', 0) : undefined });
  log(`\nbenchmarking ${backend.name} (threads ${backend.threads})…`);
  const { model } = modelFromFile(file);
  const c: BenchContext = { model, flops: flops ?? model.flopCounts(), quick, cpu: backend.name === 'cpu', limitMs };
  const rows: BenchRow[] = [];
  const add = (r: BenchRow | BenchRow[]) => {
    for (const row of Array.isArray(r) ? r : [r]) {
      rows.push(row);
      log(`  ${row.label}: ${fmtValue(row)}`);
    }
  };
  try {
    add(await benchMatmul(c));
    add(await benchUnet(c));
    add(await benchDecode(c));
    for (const shape of representativeConvs(model)) add(await benchConv(c, shape));
    add(await benchPairGeneration(c));
    add(await benchStudioPair(c));
    add(await benchD3po(c));
    add(await benchD3poPass(c));
  } finally {
    model.dispose();
  }
  // Table order: the issue's list (conv ratios last).
  const order = ['matmul', 'unet', 'decode', 'pairGeneration', 'studioPair', 'd3poUpdate', 'd3poPass', 'd3poPassStudio'];
  rows.sort((a, b) => (order.indexOf(a.key) + 1 || 99) - (order.indexOf(b.key) + 1 || 99));
  return { result: { backend, rows }, flops: c.flops };
}

function notes(flops: BenchContext['flops'], quick: boolean, limitMs: number): string {
  return [
    '**Notes**',
    `- Targets: pair generation ≤ ${TARGETS.pairGenerationSeconds} s (2 images × ${PAIR_STEPS} DDIM steps with CFG + decode); one D3PO update per labeled pair ≤ ${TARGETS.d3poVsPytorch}× PyTorch on the same CPU.`,
    `- PyTorch is not part of this project, so no ratio is printed here: compare the D3PO time above and its FLOP count (≈ ${(d3poFlops(flops, PAIR_STEPS) / 1e9).toFixed(1)} GFLOP per pair: ${PAIR_STEPS} timesteps × 2 images × CFG 2 × (ref fwd + fwd + bwd≈2×fwd) × ${(flops.unet / 1e6).toFixed(1)} MFLOP) against a PyTorch run of the same workload on this machine (the README's Benchmarks section has one).`,
    `- Budget: UNet ${(flops.unet / 1e6).toFixed(1)} MFLOP/latent (≤ 200), decoder ${(flops.decoder / 1e6).toFixed(1)} MFLOP/image (≤ 200), text encoder ${(flops.textEncoder / 1e6).toFixed(1)} MFLOP/prompt.`,
    `- Items estimated above ${fmtS(limitMs)} are skipped (the cpu backend is ~50× slower than wasm).${quick ? ` --quick: fewer repetitions; pair generation measured at ${QUICK_STEPS} steps and D3PO on as many timesteps as fit the limit, both extrapolated to ${PAIR_STEPS} (≈).` : ''}`,
    '- Timings are wall-clock medians; another CPU-heavy process (e.g. pretraining) makes them noisy.',
  ].join('\n');
}

export async function benchCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const quick = flag(args, 'quick');
  const backends = str(args, 'backends', 'wasm,cpu').split(',').map((s) => s.trim()).filter(Boolean);
  for (const b of backends) if (b !== 'wasm' && b !== 'cpu') throw new Error(`bench: unknown backend '${b}'; use --backends wasm,cpu (or one of them).`);
  const limitMs = num(args, 'max-seconds', quick ? 20 : 60) * 1000;
  const file = readModelFile(str(args, 'model', DEFAULT_MODEL_PATH));
  const results: BackendBench[] = [];
  let flops: BenchContext['flops'] | undefined;
  for (const b of backends as ('wasm' | 'cpu')[]) {
    const r = await benchBackend(b, file, args, quick, limitMs, log, flops);
    flops = r.flops;
    results.push(r.result);
  }
  log('');
  for (const r of results) log(markdownTable(r) + '\n');
  if (flops) log(notes(flops, quick, limitMs));
  const jsonFile = str(args, 'json', '');
  if (jsonFile) {
    fs.mkdirSync(path.dirname(path.resolve(jsonFile)), { recursive: true });
    const host = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
    fs.writeFileSync(jsonFile, JSON.stringify({ createdAt: new Date().toISOString(), quick, limitSeconds: limitMs / 1000, host, model: { path: file.path, sha256: file.sha256 }, flops, targets: TARGETS, backends: results }, null, 1));
    log(`\nwrote ${jsonFile}`);
  }
}
