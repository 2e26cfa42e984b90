/** LoRA adapters (Hu et al. 2021; diffusers/PEFT naming) on the UNet's linear and conv layers: A random, B zero, scale alpha/r; scale 0 gives the reference model (D3PO's frozen reference without a second copy). */
import * as tf from '@tensorflow/tfjs';
import { variableFrom, type ParamStore } from './params';
import { createRng } from '../rng';

export interface LoraConfig {
  rank: number; // r, the adapter's inner dimension
  alpha: number; // the update is scaled by alpha / r
  targets: string[]; // module-name suffixes to adapt, e.g. 'to_q', 'to_out.0', 'ff.net.2', 'conv1'
  seed: number; // seed of A's random init
}

export const defaultLoraConfig: LoraConfig = {
  rank: 4,
  alpha: 4,
  targets: ['to_q', 'to_k', 'to_v', 'to_out.0'],
  seed: 0,
};

/** Extra targets users can enable: the attention blocks' projections and feed-forward, and resnet convs (LoCon). */
export const allLoraTargets = ['to_q', 'to_k', 'to_v', 'to_out.0', 'proj_in', 'proj_out', 'ff.net.0.proj', 'ff.net.2', 'conv1', 'conv2', 'time_emb_proj'];

export interface LoraModule {
  name: string; // module name without component prefix, e.g. down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q
  kind: 'linear' | 'conv';
  inFeatures: number;
  outFeatures: number;
  kernelSize: number; // 1 for linear
  A: tf.Variable; // linear: [in, r]; conv: [k, k, in, r]  (tfjs layout; PEFT lora_A is [r, in(, k, k)])
  B: tf.Variable; // [r, out]                               (PEFT lora_B is [out, r(, 1, 1)])
}

export class LoraAdapter {
  readonly modules = new Map<string, LoraModule>();
  /** User-facing multiplier (the compare slider); the effective scale is multiplier · alpha / r. */
  multiplier = 1;
  constructor(readonly config: LoraConfig) {
    if (!Number.isInteger(config.rank) || config.rank < 1) throw new Error(`LoRA rank must be a positive integer, got ${config.rank}`);
    if (!(config.alpha > 0)) throw new Error(`LoRA alpha must be positive, got ${config.alpha}`);
  }

  get scale(): number {
    return (this.config.alpha / this.config.rank) * this.multiplier;
  }

  get variables(): tf.Variable[] {
    return [...this.modules.values()].flatMap((m) => [m.A, m.B]);
  }

  get parameterCount(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
    this.modules.clear();
  }
}

/** Does `moduleName` match one of the target suffixes? */
export function isLoraTarget(moduleName: string, targets: string[]): boolean {
  return targets.some((t) => moduleName === t || moduleName.endsWith('.' + t));
}

/**
 * Attaches a new adapter to every matching module of the base weights under `prefix` (e.g. 'unet.').
 * A ~ N(0, (1/r)²) as diffusers' LoRALinearLayer; B = 0, so the adapted model starts equal to the base.
 */
export function createLoraAdapter(base: ParamStore, prefix: string, config: LoraConfig = defaultLoraConfig): LoraAdapter {
  const adapter = new LoraAdapter(config);
  const rng = createRng(config.seed);
  const r = config.rank;
  for (const full of base.names(prefix)) {
    if (!full.endsWith('.weight')) continue;
    const name = full.slice(prefix.length, -'.weight'.length);
    if (!isLoraTarget(name, config.targets)) continue;
    const w = base.tensors.get(full)!;
    const sh = w.shape as number[];
    let mod: Omit<LoraModule, 'A' | 'B'>;
    let aShape: number[];
    if (w.rank === 2) {
      mod = { name, kind: 'linear', inFeatures: sh[0], outFeatures: sh[1], kernelSize: 1 };
      aShape = [sh[0], r];
    } else if (w.rank === 4) {
      mod = { name, kind: 'conv', inFeatures: sh[2], outFeatures: sh[3], kernelSize: sh[0] };
      aShape = [sh[0], sh[1], sh[2], r];
    } else continue;
    const aData = rng.normals(aShape.reduce((a, b) => a * b, 1)).map((v) => v / r);
    adapter.modules.set(name, {
      ...mod,
      A: variableFrom(tf.tensor(aData, aShape), true, `lora.${name}.A#${loraCounter}`),
      B: variableFrom(tf.zeros([r, mod.outFeatures]), true, `lora.${name}.B#${loraCounter}`),
    });
  }
  loraCounter++;
  if (adapter.modules.size === 0) throw new Error(`No module matches the LoRA targets [${config.targets.join(', ')}]`);
  return adapter;
}
let loraCounter = 0;

/** Copies A/B values from `src` into `dst` (same modules and rank), e.g. to refresh D3PO's reference or roll back. */
export function copyLoraValues(dst: LoraAdapter, src: LoraAdapter): void {
  for (const [name, m] of src.modules) {
    const d = dst.modules.get(name);
    if (!d) throw new Error(`Adapter has no module ${name}`);
    d.A.assign(m.A);
    d.B.assign(m.B);
  }
}

/** Whether every A and B value is finite (one async read; a NaN/Inf adapter must never be checkpointed or sampled). */
export async function loraIsFinite(lora: LoraAdapter): Promise<boolean> {
  if (lora.variables.length === 0) return true;
  const s = tf.tidy(() => tf.addN(lora.variables.map((v) => tf.sum(tf.abs(v)))));
  const v = (await s.data())[0];
  s.dispose();
  return Number.isFinite(v);
}
