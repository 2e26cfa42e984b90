import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../src/platform/node';
const info = await initNodeBackend({ threads: Number(process.argv[2] ?? 2) });
const be = tf.backend() as any;
console.log(info, be.wasm.PThread?.runningWorkers.length, be.wasm.PThread?.unusedWorkers.length, 'rss', (process.memoryUsage().rss/1e6).toFixed(0));
const a = tf.randomNormal([256, 256]); tf.matMul(a, a).dataSync(); console.log('done');
setTimeout(() => { console.log('active', process.getActiveResourcesInfo()); }, 500).unref();
