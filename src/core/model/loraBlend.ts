/**
 * Blending taste profiles: Σ_i w_i · s_i · x·A_i·B_i as ONE adapter, exactly. Stacking the adapters along the rank
 * axis (A = [A_1 … A_n], B = [w_1 s_1 B_1; … ; w_n s_n B_n], scale 1) gives x·A·B = Σ_i w_i s_i x·A_i·B_i, so sampling
 * with a blend costs one LoRA branch of rank Σ r_i per module and needs no change to the forward pass. A negative
 * weight subtracts a taste ("anti-taste"; cf. the LoRA weight merging of kohya-ss sd-scripts networks/merge_lora.py and
 * PEFT's add_weighted_adapter with combination_type "cat", which stacks ranks the same way).
 */
import * as tf from '@tensorflow/tfjs';
import { LoraAdapter, type LoraModule } from './lora';
import { variableFrom } from './params';

export interface BlendPart {
  adapter: LoraAdapter;
  weight: number; // multiplies the adapter's own scale (alpha / r · multiplier); 0 leaves it out, < 0 subtracts it
}

export const MAX_BLEND_WEIGHT = 2;

let blendCounter = 0;

/**
 * One adapter equal to the weighted sum of `parts` (frozen: for sampling, not training). Modules that only some adapters
 * have get only those adapters' ranks. Throws when a part's module shapes disagree with another's (different base model).
 */
export function blendAdapters(parts: BlendPart[]): LoraAdapter {
  const used = parts.filter((p) => p.weight !== 0);
  for (const p of parts) {
    if (!Number.isFinite(p.weight) || Math.abs(p.weight) > MAX_BLEND_WEIGHT) throw new Error(`A blend weight must be a number from −${MAX_BLEND_WEIGHT} to ${MAX_BLEND_WEIGHT}, got ${p.weight}.`);
  }
  const names = [...new Set(used.flatMap((p) => [...p.adapter.modules.keys()]))].sort();
  const rank = Math.max(1, ...names.map((n) => used.reduce((r, p) => r + (p.adapter.modules.get(n)?.B.shape[0] ?? 0), 0)));
  const targets = [...new Set(used.flatMap((p) => p.adapter.config.targets))];
  const blend = new LoraAdapter({ rank, alpha: rank, targets: targets.length ? targets : ['none'], seed: 0 }); // alpha = rank: scale 1
  const id = blendCounter++;
  for (const name of names) {
    const mods = used.flatMap((p) => {
      const m = p.adapter.modules.get(name);
      return m ? [{ m, k: p.weight * p.adapter.scale }] : [];
    });
    const first = mods[0].m;
    for (const { m } of mods) {
      if (m.kind !== first.kind || m.inFeatures !== first.inFeatures || m.outFeatures !== first.outFeatures || m.kernelSize !== first.kernelSize) {
        throw new Error(`The profiles' adapters do not fit together at ${name}; they were trained on different base models.`);
      }
    }
    const rankAxis = first.kind === 'conv' ? 3 : 1;
    const [A, B] = tf.tidy(() => [tf.concat(mods.map(({ m }) => m.A), rankAxis), tf.concat(mods.map(({ m, k }) => tf.mul(m.B, k)), 0)]);
    const mod: LoraModule = {
      name,
      kind: first.kind,
      inFeatures: first.inFeatures,
      outFeatures: first.outFeatures,
      kernelSize: first.kernelSize,
      A: variableFrom(A, false, `lora-blend${id}.${name}.A`),
      B: variableFrom(B, false, `lora-blend${id}.${name}.B`),
    };
    blend.modules.set(name, mod); // variableFrom took A and B over
  }
  return blend;
}
