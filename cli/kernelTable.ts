// The probes' kernel table (cli/probe-kernels.ts, cli/probe-sampling.ts): a tf.profile result summed per kernel name and, for the kernels named in `detail`, per input → output shape; scopes that are not registered kernels (customGrad, op wrappers) are left out so nothing counts twice.
import * as tf from '@tensorflow/tfjs';

type Sums = Map<string, { ms: number; n: number }>;

function add(m: Sums, key: string, t: number): void {
  const a = m.get(key) ?? { ms: 0, n: 0 };
  a.ms += t;
  a.n++;
  m.set(key, a);
}

function rows(m: Sums, n: number): string {
  return [...m]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, n)
    .map(([k, v]) => `${v.ms.toFixed(2).padStart(9)} ms ${String(v.n).padStart(5)}×  ${k}`)
    .join('\n');
}

/** The text table of one profile: count and time inside kernels, the top `top` kernels, the slowest `shapes` shapes of `detail`. */
export function kernelTable(prof: Awaited<ReturnType<typeof tf.profile>>, detail: string[], top = 25, shapes = 6): string {
  const byKernel: Sums = new Map();
  const byShape: Sums = new Map();
  let total = 0;
  let count = 0;
  for (const k of prof.kernels) {
    if (!tf.getKernel(k.name, tf.getBackend())) continue; // a scope around kernels listed on their own
    const t = k.kernelTimeMs as number;
    total += t;
    count++;
    add(byKernel, k.name, t);
    if (detail.includes(k.name)) add(byShape, `${k.name} ${JSON.stringify(k.inputShapes)} -> ${JSON.stringify(k.outputShapes)}`, t);
  }
  return `${count} kernels, ${total.toFixed(1)} ms inside kernels (profiled); by kernel:\n${rows(byKernel, top)}\n\nslowest ${detail.join(' / ')} shapes:\n${rows(byShape, shapes)}`;
}
