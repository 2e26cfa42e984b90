/** LoRA file formats shared by export, header analysis and import: layouts, PEFT/kohya constants, errors, name and orientation helpers (huggingface/peft LoraConfig, diffusers lora_pipeline.py, kohya-ss/sd-scripts networks/lora.py). */
import { allLoraTargets } from '../lora';

export type LoraLayout = 'peft' | 'kohya';

export interface LoraFileInfo {
  layout: LoraLayout;
  rank: number;
  alpha: number;
  targets: string[]; // distinct module-name suffixes, sorted (see targetSuffix)
  baseModel?: string; // what the file says it was trained on (studio_base_model, PEFT base_model_name_or_path, ss_base_model_version, ss_sd_model_name)
  metadata: Record<string, string>; // the file's whole __metadata__
}

export type LoraFileErrorCode =
  | 'bad-input' // bad export options or adapter
  | 'not-lora' // no LoRA tensors at all
  | 'mixed-layouts' // PEFT and kohya keys in one file
  | 'text-encoder' // text-encoder LoRA keys present
  | 'unsupported' // a LoRA variant or key this studio cannot load (DoRA, LyCORIS, old diffusers format, ...)
  | 'incomplete' // a module without its lora_A/lora_down or lora_B/lora_up
  | 'unknown-module' // the module does not exist in the base model
  | 'ambiguous-module' // a kohya name that maps back to several base modules
  | 'shape-mismatch' // shapes disagree with each other or with the base model
  | 'mixed-ranks'
  | 'mixed-alphas'
  | 'bad-metadata'
  | 'bad-values' // NaN/Inf, negative alpha, non-float dtypes
  | 'out-of-range'; // finite but too large: rank, alpha or weight magnitudes beyond LoraImportLimits

/** Any LoRA-level problem (the file is a valid safetensors file otherwise); the message says what is wrong and what to do. */
export class LoraFileError extends Error {
  constructor(readonly code: LoraFileErrorCode, message: string) {
    super(message);
    this.name = 'LoraFileError';
  }
}

/**
 * Bounds an imported adapter must satisfy besides being finite: a finite but huge rank, alpha or weight (kohya alpha
 * 3e38, lora_alpha 1e300, B = 60,000, a flipped exponent bit) decodes fine and then overflows the model's activations
 * to Inf. Callers with their own limits (the studio: ranks and alphas its Advanced drawer allows) pass them instead.
 */
export interface LoraImportLimits {
  rank: readonly [number, number]; // inclusive range of the adapter's rank r
  alpha: readonly [number, number]; // inclusive range of alpha (every alpha in the file, and the resolved one); alpha must also be > 0
  maxAbsWeight: number; // largest |value| allowed in lora_A / lora_B (lora_down / lora_up)
}

/**
 * Defaults for decode and inspect. maxAbsWeight: A starts at N(0, 1/r²) and B at 0 (Hu et al. 2021, LoRA §4.1; diffusers
 * LoRALinearLayer), and AdamW moves a weight by at most ≈ 3.2 × the learning rate per step (Kingma & Ba 2015, Adam
 * §2.1, with β1 = 0.9, β2 = 0.999), so reaching 1,000 takes thousands of steps at the largest learning rate the studio
 * allows (0.1); against base weights of order 0.1 such a value multiplies a layer's output ~10⁴-fold, which no adapter
 * that still samples images does. The rank and alpha defaults only exclude absurd values; callers narrow them.
 */
export const defaultLoraImportLimits: LoraImportLimits = { rank: [1, 1024], alpha: [0, 1e4], maxAbsWeight: 1e3 };

/** "from 1 to 64" / "positive and at most 10000": how a range reads in a message. */
export function describeRange([lo, hi]: readonly [number, number]): string {
  return lo > 0 ? `from ${lo} to ${hi}` : `positive and at most ${hi}`;
}

export const PEFT_PREFIX = 'unet.';
export const PEFT_ALT_PREFIX = 'base_model.model.';
export const KOHYA_PREFIX = 'lora_unet_';
export const PEFT_METADATA_KEY = 'lora_adapter_metadata';
export const KOHYA_MODULE = 'networks.lora';

// ---------------------------------------------------------------------------------------------------------------
// small helpers

export function listSome(items: string[], n = 3): string {
  const shown = items.slice(0, n).map((s) => `'${s}'`).join(', ');
  return items.length > n ? `${shown} and ${items.length - n} more` : shown;
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
export const fmtShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Row-major permutation of `src` (shape `shape`): out shape is perm.map(p => shape[p]). */
export function permute(src: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const srcStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    srcStrides[d] = s;
    s *= shape[d];
  }
  const stepOf = perm.map((p) => srcStrides[p]); // src stride of each output axis
  const out = new Float32Array(src.length);
  const idx = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = src[offset];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      offset += stepOf[d];
      if (idx[d] < outShape[d]) break;
      offset -= stepOf[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Module-name leaves reported as targets, longest first (the studio's targets plus other common UNet leaves). */
export const KNOWN_LEAVES = [...new Set([...allLoraTargets, 'conv_shortcut', 'conv_in', 'conv_out', 'linear_1', 'linear_2', 'conv'])].sort(
  (a, b) => b.length - a.length,
);

/**
 * The target suffix of a dotted module name: the longest known leaf it ends with ('to_out.0', 'ff.net.0.proj', 'conv1',
 * ...), else its last segment, with the parent segment when the last one is a number ('net.3').
 */
export function targetSuffix(moduleName: string): string {
  for (const leaf of KNOWN_LEAVES) if (moduleName === leaf || moduleName.endsWith('.' + leaf)) return leaf;
  const parts = moduleName.split('.');
  const last = parts[parts.length - 1];
  return /^\d+$/.test(last) && parts.length > 1 ? `${parts[parts.length - 2]}.${last}` : last;
}

/** Same as targetSuffix for a kohya name whose dots became underscores (used without a base model, by inspect). */
export function kohyaTargetSuffix(flat: string): string {
  for (const leaf of KNOWN_LEAVES) {
    const f = leaf.replace(/\./g, '_');
    if (flat === f || flat.endsWith('_' + f)) return leaf;
  }
  const parts = flat.split('_');
  return parts[parts.length - 1];
}

export const sortedUnique = (xs: string[]) => [...new Set(xs)].sort();
