// Measurement probe: per-kernel time and count of one sampling UNet forward (no gradients, the shipped model) on wasm, and its wall time per latent, with the fused inference ops off and on (src/core/model/fused) in one process. Also times pair generation (2 images × 20 DDIM steps, CFG, + decode, as `bench`) both ways. Usage: npx tsx cli/probe-sampling.ts [threads=1] [batch=4] [reps=20] [detail=Conv2D] [pairReps=3]
import * as tf from '@tensorflow/tfjs';
import { kernelTable } from './kernelTable';
import { initNodeBackend } from '../src/platform/node';
import { loadModel } from './modelLoader';
import { imagesToRgba, sampleWithTrajectory } from '../src/core/diffusion/sample';
import { setFusedOpsEnabled } from '../src/core/model/fused/fusedOps';

const threads = Number(process.argv[2] ?? 1);
const B = Number(process.argv[3] ?? 4);
const reps = Number(process.argv[4] ?? 20);
const detail = (process.argv[5] ?? 'Conv2D').split(',');
const pairReps = Number(process.argv[6] ?? 3);
const info = await initNodeBackend({ threads });
const { model } = loadModel();
const { sampleSize: s, inChannels: c } = model.config.unet;
const text = model.encodeText(new Array(B).fill('red heart'));
const x = tf.randomNormal([B, s, s, c]) as tf.Tensor4D;
const timesteps = Array.from({ length: B }, (_, i) => 100 + i * 50);
const forward = () => tf.tidy(() => model.predict(x, timesteps, text));

/** Wall time of one forward (read back), ms. */
async function once(): Promise<number> {
  const t0 = performance.now();
  const y = forward();
  await y.data();
  y.dispose();
  return performance.now() - t0;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Kernel table of one profiled forward. */
async function profile(): Promise<string> {
  return kernelTable(await tf.profile(() => forward()), detail);
}

// Interleaved: each repetition times one unfused and one fused forward back to back, so the other processes' load
// (the machine is shared) hits both alike; medians over the repetitions.
const walls: Record<string, number[]> = { unfused: [], fused: [] };
for (let i = 0; i < reps + 3; i++) {
  for (const mode of ['unfused', 'fused'] as const) {
    setFusedOpsEnabled(mode === 'fused');
    const ms = await once();
    if (i >= 3) walls[mode].push(ms); // 3 warm-ups each
  }
}
for (const mode of ['unfused', 'fused'] as const) {
  setFusedOpsEnabled(mode === 'fused');
  const ms = median(walls[mode]);
  console.log(`\n== ${mode}: ${info.name}, threads ${info.threads}, batch ${B}: ${ms.toFixed(2)} ms per forward, ${(ms / B).toFixed(2)} ms/latent (median of ${reps} interleaved; min ${Math.min(...walls[mode]).toFixed(2)} ms)`);
  console.log(await profile());
}

/** One D3PO pair as bench's pair-generation row: shared x_T, 20 DDIM steps with CFG (batch-4 UNet calls), decode to RGBA. */
async function pair(seed: number): Promise<number> {
  const t0 = performance.now();
  const r = await sampleWithTrajectory(model, { prompts: ['red heart', 'red heart'], seed, sharedInitialNoise: true, sample: { steps: 20, eta: 1, guidanceScale: 5 } });
  const images = model.decode(r.final);
  await imagesToRgba(images);
  tf.dispose([images, r.final]);
  return performance.now() - t0;
}
const pairs: Record<string, number[]> = { unfused: [], fused: [] };
for (let i = 0; i < pairReps + 1; i++) {
  for (const mode of ['unfused', 'fused'] as const) {
    setFusedOpsEnabled(mode === 'fused');
    const ms = await pair(i);
    if (i >= 1) pairs[mode].push(ms);
  }
}
for (const mode of ['unfused', 'fused'] as const) console.log(`pair generation, ${mode}: ${(median(pairs[mode]) / 1000).toFixed(3)} s (median of ${pairReps} interleaved; min ${(Math.min(...pairs[mode]) / 1000).toFixed(3)} s)`);
setFusedOpsEnabled(true);
tf.dispose([text, x]);
model.dispose();
