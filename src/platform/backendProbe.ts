// Chooses the tfjs backend by measurement instead of a fixed ladder: small models often run slower on WebGPU than on wasm (per-kernel dispatch; ≈1,400 kernels per UNet forward here), and a software adapter (SwiftShader, isFallbackAdapter) is slower still. Each available backend runs a probe with the shipped UNet's architecture (random weights): a classifier-free-guided UNet call at batch 2 (one DDIM step of a pair) and a LoRA forward + backward at batch 2 (one D3PO transition pair); the fastest wins.
import * as tf from '@tensorflow/tfjs';
import { defaultModelConfig } from '../core/config';
import { MiniSD } from '../core/model/pipeline';
import { createLoraAdapter } from '../core/model/lora';
import type { BackendName, BackendTiming } from './backendTypes';

/** Work per backend: compile allowance (a GPU's first shader compile) and how many timed repetitions. */
export const PROBE_LIMITS = { compileMs: 15_000, reps: 3 } as const;

/** The score of a measured backend: one pair of 20 DDIM steps plus one D3PO step of 2 pairs × 5 timesteps. */
export const probeScore = (sampleMs: number, trainMs: number): number => 20 * sampleMs + 10 * trainMs;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Waits for every queued kernel (async read: never a sync read on WebGPU). */
async function settle(t: tf.Tensor): Promise<void> {
  await t.data();
}

/** Resolves with `p`, or rejects with `message` after `ms`. */
function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

/**
 * Times the probe on the active backend: a random model with the shipped architecture (the UNet's kernels and FLOPs;
 * the vocabulary does not matter), one untimed run of each call to compile kernels, then PROBE_LIMITS.reps timed runs.
 */
export async function timeProbe(): Promise<{ sampleMs: number; trainMs: number }> {
  const model = MiniSD.create(defaultModelConfig(['<pad>', '<unk>', 'probe']), 1);
  const lora = createLoraAdapter(model.params, 'unet.', { rank: 4, alpha: 4, targets: ['to_q', 'to_k', 'to_v', 'to_out.0'], seed: 1 });
  const s = model.config.unet.sampleSize;
  const x = tf.randomNormal([2, s, s, model.config.unet.inChannels], 0, 1, 'float32', 7) as tf.Tensor4D;
  const text = model.encodeText(['probe', 'probe']);
  const uncond = model.encodeText(['']);
  const sample = async () => {
    const out = tf.tidy(() => model.guidedPredict(x, [500, 500], text, uncond, 2, lora));
    await settle(out);
    out.dispose();
  };
  const train = async () => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.guidedPredict(x, [500, 500], text, uncond, 2, lora))) as tf.Scalar, lora.variables);
    const norm = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
    await settle(norm);
    tf.dispose([value, norm, ...Object.values(grads)]);
  };
  const timed = async (f: () => Promise<void>) => {
    const out: number[] = [];
    for (let i = 0; i < PROBE_LIMITS.reps; i++) {
      const t0 = performance.now();
      await f();
      out.push(performance.now() - t0);
    }
    return median(out);
  };
  try {
    await withDeadline(
      (async () => {
        await sample();
        await train();
      })(),
      PROBE_LIMITS.compileMs,
      `the first run (kernel compilation) took over ${PROBE_LIMITS.compileMs / 1000} s`,
    );
    return { sampleMs: await timed(sample), trainMs: await timed(train) };
  } finally {
    tf.dispose([x, text, uncond]);
    lora.dispose();
    model.dispose();
  }
}

/** The measured backend with the lowest score (null when none was measured). */
export function fastest(timings: readonly BackendTiming[]): BackendName | null {
  let best: BackendTiming | null = null;
  for (const t of timings) if (t.score != null && (best == null || t.score < best.score!)) best = t;
  return best?.name ?? null;
}
