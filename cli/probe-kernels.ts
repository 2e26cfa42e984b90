// Measurement probe: per-kernel time of one stage-2 pretraining step (UNet + text encoder forward/backward) on wasm, and the slowest BatchMatMul/Conv2D shapes — how the BatchMatMul replacement was found. Usage: npx tsx cli/probe-kernels.ts [threads=1] [batch=32] [detail=BatchMatMul,Conv2D]
import * as tf from '@tensorflow/tfjs';
import { kernelTable } from './kernelTable';
import { readFileSync } from 'node:fs';
import { initNodeBackend } from '../src/platform/node';
import { MiniSD } from '../src/core/model/pipeline';
import { alphasCumprod } from '../src/core/diffusion/schedule';
import { denoisingLoss } from '../src/core/pretrain/losses';
import { Pretrainer } from '../src/core/pretrain/pretrainer';

const threads = Number(process.argv[2] ?? 1);
const B = Number(process.argv[3] ?? 32);
const detail = (process.argv[4] ?? 'BatchMatMul,Conv2D').split(',');
await initNodeBackend({ threads });
const model = MiniSD.create(JSON.parse(readFileSync('public/models/emoji-sd/config.json', 'utf8')), 0, true);
const acp = alphasCumprod(model.config.scheduler);
const prefixes = Pretrainer.trainedPrefixes('unet');
const vars = model.params.names().filter((n) => prefixes.some((p) => n.startsWith(p))).map((n) => model.params.tensors.get(n)! as tf.Variable);
const [s, c] = [model.config.unet.sampleSize, model.config.unet.inChannels];

function step(): void {
  tf.tidy(() => {
    const latents = tf.randomNormal([B, s, s, c]) as tf.Tensor4D;
    const noise = tf.randomNormal([B, s, s, c]) as tf.Tensor4D;
    const timesteps = Array.from({ length: B }, (_, i) => (i * 37) % 1000);
    const { grads, value } = tf.variableGrads(() => denoisingLoss(model, { latents, noise, timesteps, text: model.encodeText(new Array(B).fill('red heart')) }, acp, 5), vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
}

step(); // warm-up
const t0 = performance.now();
step();
const ms = performance.now() - t0;
console.log(`threads ${threads}, batch ${B}: ${ms.toFixed(0)} ms per step, ${((B * 1000) / ms).toFixed(1)} images/s`);
const prof = await tf.profile(() => step());
console.log(`\n${kernelTable(prof, detail, 15, 12)}`);
