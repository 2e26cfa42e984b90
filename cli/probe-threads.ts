// Measurement probe for src/platform/node.ts: GFLOP/s of matmul/conv2d with N wasm threads. Usage: npx tsx cli/probe-threads.ts [threads]
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../src/platform/node';

const threads = Number(process.argv[2] ?? 2);
const t0 = performance.now();
const info = await initNodeBackend({ threads });
console.log('init', info, `${(performance.now() - t0).toFixed(0)} ms`, 'rss MB', (process.memoryUsage().rss / 1e6).toFixed(0));

// Best of several ~250 ms batches (the machine is shared, so the best batch is the least disturbed one).
function bench(label: string, flops: number, f: () => tf.Tensor, batches = 6, batchMs = 250) {
  for (let i = 0; i < 3; i++) f().dispose();
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    let n = 0;
    const s = performance.now();
    while (performance.now() - s < batchMs) { const r = f(); r.dataSync(); r.dispose(); n++; }
    best = Math.min(best, (performance.now() - s) / n);
  }
  console.log(`${label}: ${best.toFixed(3)} ms/iter, ${(flops / best / 1e6).toFixed(2)} GFLOP/s`);
}
const a = tf.randomNormal([512, 512]); const b = tf.randomNormal([512, 512]);
bench('matmul 512', 2 * 512 ** 3, () => tf.matMul(a, b));
const convCase = (shape: [number, number, number, number], cin: number, cout: number) => {
  const x = tf.randomNormal(shape); const w = tf.randomNormal([3, 3, cin, cout]);
  const [n, h, wd] = shape;
  bench(`conv ${shape.join('x')} * 3x3x${cin}x${cout}`, 2 * n * h * wd * 9 * cin * cout, () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'));
};
convCase([16, 16, 16, 64], 64, 64);
convCase([64, 8, 8, 64], 64, 64);
convCase([1, 8, 8, 64], 64, 64);
const s1 = tf.randomNormal([64, 64]), s2 = tf.randomNormal([64, 64]);
bench('matmul 64', 2 * 64 ** 3, () => tf.matMul(s1, s2));
console.log('final rss MB', (process.memoryUsage().rss / 1e6).toFixed(0));
