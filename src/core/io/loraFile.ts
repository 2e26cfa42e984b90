/** LoRA adapter <-> safetensors file (export, validated import, header peek) in the diffusers/PEFT and kohya layouts, following docs/conventions.md §1. */

// Layouts (tfjs keeps A [in, r] / conv A [k, k, in, r] and B [r, out]; files use PyTorch orientation):
// - 'peft' (diffusers `pytorch_lora_weights.safetensors`): `unet.<module>.lora_A.weight` [r, in] (conv [r, in, k, k]) and
//   `unet.<module>.lora_B.weight` [out, r] (conv [out, r, 1, 1]); no alpha tensors. `__metadata__` holds `format: "pt"` and
//   `lora_adapter_metadata`: the PEFT LoraConfig as JSON (sorted keys, indent 2) packed with the component prefix
//   (`"unet.r"`, `"unet.lora_alpha"`, ...), as diffusers' pipeline-level save_lora_weights writes it and
//   load_lora_weights(prefix="unet") reads it back. On import, flat (unprefixed) configs and `base_model.model.` keys
//   (plain PEFT save_pretrained) are accepted too.
// - 'kohya' (sd-scripts networks.lora): `lora_unet_<module with . -> _>.lora_down.weight` (= lora_A) / `.lora_up.weight`
//   (= lora_B) + a 0-rank F32 `.alpha` per module, and ss_network_dim / ss_network_alpha / ss_network_module /
//   ss_base_model_version (+ ss_network_args with conv_dim/conv_alpha when 3×3 convs are adapted).
// Import decisions (all documented in the messages they raise):
// - One rank and one alpha per file (the adapter has one scale); mixed ranks or per-module alphas are rejected.
// - Missing alpha: kohya uses alpha = rank (as sd-scripts' loader does), PEFT uses lora_alpha from the config, else rank.
//   PEFT use_rslora (scale alpha/sqrt(r)) is folded into alpha so the adapter's alpha/r gives the same scale.
// - Kohya names lose their dots; they are mapped back through the base model's own module names.
// - The imported adapter's `targets` are the distinct module-name suffixes (targetSuffix: a known target such as
//   'to_out.0' or 'ff.net.2', else the last name segment, with its parent when the segment is a number); seed is 0.
// - Text-encoder LoRA keys, DoRA, LyCORIS (LoHa/LoKr), bias LoRA and the old diffusers attn-procs format are rejected.
// - Import builds nothing until the whole file has been validated, so an error never leaves a partial adapter.

import * as tf from '@tensorflow/tfjs';
import {
  decodeSafetensors,
  DEFAULT_MAX_HEADER_BYTES,
  encodeSafetensors,
  entryToFloat32,
  expectedByteLength,
  f32Entry,
  isDtype,
  METADATA_KEY,
  SafetensorsError,
  type Dtype,
  type TensorEntry,
} from './safetensors';
import { allLoraTargets, LoraAdapter, type LoraModule } from '../model/lora';
import type { ParamStore } from '../model/params';

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
  | 'bad-values'; // NaN/Inf, negative alpha, non-float dtypes

/** Any LoRA-level problem (the file is a valid safetensors file otherwise); the message says what is wrong and what to do. */
export class LoraFileError extends Error {
  constructor(readonly code: LoraFileErrorCode, message: string) {
    super(message);
    this.name = 'LoraFileError';
  }
}

const PEFT_PREFIX = 'unet.';
const PEFT_ALT_PREFIX = 'base_model.model.';
const KOHYA_PREFIX = 'lora_unet_';
const PEFT_METADATA_KEY = 'lora_adapter_metadata';
const KOHYA_MODULE = 'networks.lora';

// ---------------------------------------------------------------------------------------------------------------
// small helpers

function listSome(items: string[], n = 3): string {
  const shown = items.slice(0, n).map((s) => `'${s}'`).join(', ');
  return items.length > n ? `${shown} and ${items.length - n} more` : shown;
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const fmtShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Row-major permutation of `src` (shape `shape`): out shape is perm.map(p => shape[p]). */
function permute(src: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
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
const KNOWN_LEAVES = [...new Set([...allLoraTargets, 'conv_shortcut', 'conv_in', 'conv_out', 'linear_1', 'linear_2', 'conv'])].sort(
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
function kohyaTargetSuffix(flat: string): string {
  for (const leaf of KNOWN_LEAVES) {
    const f = leaf.replace(/\./g, '_');
    if (flat === f || flat.endsWith('_' + f)) return leaf;
  }
  const parts = flat.split('_');
  return parts[parts.length - 1];
}

const sortedUnique = (xs: string[]) => [...new Set(xs)].sort();

// ---------------------------------------------------------------------------------------------------------------
// export

/** The PEFT LoraConfig of an adapter (keys sorted like diffusers' json.dumps(sort_keys=True)). */
function peftConfig(adapter: LoraAdapter, baseModel: string): Record<string, unknown> {
  const names = [...adapter.modules.keys()];
  // The user's targets that adapt at least one module (PEFT matches them as module-name suffixes, as isLoraTarget does).
  const used = adapter.config.targets.filter((t) => names.some((n) => n === t || n.endsWith('.' + t)));
  const config: Record<string, unknown> = {
    alpha_pattern: {},
    base_model_name_or_path: baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    lora_alpha: adapter.config.alpha,
    lora_dropout: 0,
    modules_to_save: null,
    peft_type: 'LORA',
    r: adapter.config.rank,
    rank_pattern: {},
    target_modules: sortedUnique(used.length > 0 ? used : names.map(targetSuffix)),
    task_type: null,
    use_dora: false,
    use_rslora: false,
  };
  return config;
}

/** PEFT adapter_config.json text (peft_type LORA, r, lora_alpha, target_modules, base_model_name_or_path, ...). */
export function adapterConfigJson(adapter: LoraAdapter, baseModel: string): string {
  checkExportArgs(adapter, baseModel);
  return JSON.stringify(peftConfig(adapter, baseModel), null, 2) + '\n';
}

function checkExportArgs(adapter: LoraAdapter, baseModel: string): void {
  if (!(adapter instanceof LoraAdapter) || adapter.modules.size === 0) {
    throw new LoraFileError('bad-input', 'LoRA export: the adapter has no modules; create or load an adapter before exporting.');
  }
  if (typeof baseModel !== 'string' || baseModel.trim() === '') {
    throw new LoraFileError('bad-input', "LoRA export: baseModel must name the base model (e.g. the model config's name) so the file can be matched later.");
  }
}

/** Reads a module's A and B as PyTorch-oriented arrays (async reads: safe on WebGPU). */
async function torchOrientation(m: LoraModule, r: number): Promise<{ down: Float32Array; downShape: number[]; up: Float32Array; upShape: number[] }> {
  const [a, b] = await Promise.all([m.A.data(), m.B.data()]);
  const A = a as Float32Array;
  const B = b as Float32Array;
  const up = permute(B, [r, m.outFeatures], [1, 0]); // [out, r]
  if (m.kind === 'linear') {
    return { down: permute(A, [m.inFeatures, r], [1, 0]), downShape: [r, m.inFeatures], up, upShape: [m.outFeatures, r] };
  }
  const k = m.kernelSize;
  return {
    down: permute(A, [k, k, m.inFeatures, r], [3, 2, 0, 1]), // [k,k,in,r] -> [r,in,k,k]
    downShape: [r, m.inFeatures, k, k],
    up,
    upShape: [m.outFeatures, r, 1, 1],
  };
}

/**
 * Exports an adapter: 'peft' = diffusers/PEFT keys `unet.<module>.lora_A.weight` [r,in] (conv [r,in,k,k]) and
 * `.lora_B.weight` [out,r] (conv [out,r,1,1]), PyTorch orientation (transposed from tfjs), LoraConfig JSON in
 * __metadata__.lora_adapter_metadata; 'kohya' = `lora_unet_<module, dots→underscores>.lora_down.weight` / `.lora_up.weight`
 * + scalar F32 `.alpha`, ss_network_dim / ss_network_alpha / ss_network_module='networks.lora' / ss_base_model_version
 * metadata. Extra metadata (studio_method, studio_pairs, studio_beta, ...) passes through; studio_base_model defaults to
 * baseModel. Keys the exporter writes may be repeated in `metadata` only with the same value. Reads tensors with
 * `await t.data()` (WebGPU-safe).
 */
export async function encodeLoraSafetensors(
  adapter: LoraAdapter,
  opts: { layout: LoraLayout; baseModel: string; dtype?: 'F32' | 'F16'; metadata?: Record<string, string> },
): Promise<Uint8Array> {
  checkExportArgs(adapter, opts?.baseModel);
  const { layout, baseModel } = opts;
  const dtype = opts.dtype ?? 'F32';
  if (layout !== 'peft' && layout !== 'kohya') {
    throw new LoraFileError('bad-input', `LoRA export: unknown layout ${JSON.stringify(layout)}; use 'peft' (diffusers) or 'kohya' (A1111/ComfyUI).`);
  }
  if (dtype !== 'F32' && dtype !== 'F16') {
    throw new LoraFileError('bad-input', `LoRA export: dtype must be 'F32' or 'F16', got ${JSON.stringify(dtype)}.`);
  }
  const r = adapter.config.rank;
  const alpha = adapter.config.alpha;
  const owned: Record<string, string> = { studio_base_model: baseModel };
  if (layout === 'peft') {
    const cfg = peftConfig(adapter, baseModel);
    const packed = Object.fromEntries(Object.keys(cfg).map((k) => [`${PEFT_PREFIX}${k}`, cfg[k]]));
    owned.format = 'pt';
    owned[PEFT_METADATA_KEY] = JSON.stringify(packed, null, 2);
  } else {
    owned.ss_network_module = KOHYA_MODULE;
    owned.ss_network_dim = String(r);
    owned.ss_network_alpha = String(alpha);
    owned.ss_base_model_version = baseModel;
    if ([...adapter.modules.values()].some((m) => m.kind === 'conv' && m.kernelSize > 1)) {
      owned.ss_network_args = JSON.stringify({ conv_dim: String(r), conv_alpha: String(alpha) });
    }
  }
  const extra = opts.metadata ?? {};
  for (const [k, v] of Object.entries(extra)) {
    if (k in owned && owned[k] !== v) {
      throw new LoraFileError(
        'bad-input',
        `LoRA export: metadata ${JSON.stringify(k)} is written by the exporter (${JSON.stringify(owned[k])}) but opts.metadata gives ${JSON.stringify(v)}; remove it from opts.metadata.`,
      );
    }
  }
  const metadata = { ...extra, ...owned };

  const tensors = new Map<string, TensorEntry>();
  const weights: [string, TensorEntry][] = [];
  for (const m of adapter.modules.values()) {
    const t = await torchOrientation(m, r);
    if (layout === 'peft') {
      weights.push([`${PEFT_PREFIX}${m.name}.lora_A.weight`, f32Entry(t.down, t.downShape, dtype)]);
      weights.push([`${PEFT_PREFIX}${m.name}.lora_B.weight`, f32Entry(t.up, t.upShape, dtype)]);
    } else {
      const key = KOHYA_PREFIX + m.name.replace(/\./g, '_');
      // The 4-byte F32 scalars go first so the (possibly F16) weights after them keep their alignment.
      tensors.set(`${key}.alpha`, f32Entry(new Float32Array([alpha]), [], 'F32'));
      weights.push([`${key}.lora_down.weight`, f32Entry(t.down, t.downShape, dtype)]);
      weights.push([`${key}.lora_up.weight`, f32Entry(t.up, t.upShape, dtype)]);
    }
  }
  for (const [k, e] of weights) tensors.set(k, e);
  return encodeSafetensors(tensors, metadata);
}

// ---------------------------------------------------------------------------------------------------------------
// key parsing and header analysis (shared by decode and inspect)

type Part = 'A' | 'B' | 'alpha';
type ParsedKey =
  | { kind: 'lora'; layout: LoraLayout; module: string; part: Part }
  | { kind: 'text-encoder'; layout: LoraLayout }
  | { kind: 'unsupported'; layout: LoraLayout; why: string }
  | { kind: 'unknown' };

const KOHYA_TE = /^lora_te\d*_/;
const PEFT_TE = /^(base_model\.model\.)?text_encoder(_\d+)?\./;
const PEFT_OTHER_COMPONENT = /^(transformer|prior|controlnet|text_model)\./;

function parseKey(key: string): ParsedKey {
  if (KOHYA_TE.test(key)) return { kind: 'text-encoder', layout: 'kohya' };
  if (PEFT_TE.test(key)) return { kind: 'text-encoder', layout: 'peft' };
  if (key.startsWith(KOHYA_PREFIX)) {
    const rest = key.slice(KOHYA_PREFIX.length);
    const dot = rest.indexOf('.');
    if (dot < 1) return { kind: 'unknown' };
    const module = rest.slice(0, dot);
    const tail = rest.slice(dot + 1);
    if (tail === 'lora_down.weight') return { kind: 'lora', layout: 'kohya', module, part: 'A' };
    if (tail === 'lora_up.weight') return { kind: 'lora', layout: 'kohya', module, part: 'B' };
    if (tail === 'alpha') return { kind: 'lora', layout: 'kohya', module, part: 'alpha' };
    if (tail === 'dora_scale') return { kind: 'unsupported', layout: 'kohya', why: 'DoRA (dora_scale)' };
    if (/^(hada_|lokr_|lora_mid|diff|b\d|w\d|t\d|oft_|scale)/.test(tail)) {
      return { kind: 'unsupported', layout: 'kohya', why: `a LyCORIS/other network tensor ('${tail}'), not plain LoRA/LoCon` };
    }
    return { kind: 'unsupported', layout: 'kohya', why: `an unknown kohya tensor kind '${tail}'` };
  }
  let rest: string | null = null;
  if (key.startsWith(PEFT_PREFIX)) rest = key.slice(PEFT_PREFIX.length);
  else if (key.startsWith(PEFT_ALT_PREFIX)) rest = key.slice(PEFT_ALT_PREFIX.length);
  if (rest === null) {
    if (PEFT_OTHER_COMPONENT.test(key) && /\.lora_[AB]\./.test(key)) {
      return { kind: 'unsupported', layout: 'peft', why: `a LoRA for component '${key.split('.')[0]}', not the UNet` };
    }
    return { kind: 'unknown' };
  }
  const m = /^(.+)\.lora_([AB])\.weight$/.exec(rest);
  if (m) return { kind: 'lora', layout: 'peft', module: m[1], part: m[2] as 'A' | 'B' };
  if (/\.lora_magnitude_vector(\.weight)?$/.test(rest)) return { kind: 'unsupported', layout: 'peft', why: 'DoRA (lora_magnitude_vector)' };
  if (/\.lora_B\.bias$/.test(rest)) return { kind: 'unsupported', layout: 'peft', why: 'a LoRA bias (lora_bias=True)' };
  if (/\.lora_[AB]\.[^.]+\.weight$/.test(rest)) {
    return { kind: 'unsupported', layout: 'peft', why: 'a PEFT adapter name inside the key (e.g. lora_A.default.weight); save with save_pretrained, which strips it' };
  }
  if (/(\.|_)lora\.(down|up)\.weight$|\.processor\.|\.alpha$/.test(rest)) {
    return { kind: 'unsupported', layout: 'peft', why: 'the old diffusers attn-procs format; load it in diffusers and re-save it with save_lora_weights' };
  }
  return { kind: 'unknown' };
}

interface HeaderEntry {
  dtype: Dtype;
  shape: number[];
}

interface FileModule {
  id: string; // PEFT: dotted module name; kohya: flat (underscored) name
  A: string; // tensor keys
  B: string;
  alpha?: string;
}

interface Analysis {
  layout: LoraLayout;
  rank: number;
  alpha: number;
  modules: FileModule[]; // file order
  baseModel?: string;
}

const FLOAT_DTYPES: ReadonlySet<Dtype> = new Set<Dtype>(['F32', 'F16', 'BF16', 'F64']);

function fileBaseModel(metadata: Record<string, string>, peft: Record<string, unknown> | undefined): string | undefined {
  const fromPeft = typeof peft?.base_model_name_or_path === 'string' && peft.base_model_name_or_path ? (peft.base_model_name_or_path as string) : undefined;
  return metadata.studio_base_model || fromPeft || metadata.ss_base_model_version || metadata.ss_sd_model_name || undefined;
}

/** The UNet's PEFT LoraConfig from diffusers metadata: `unet.`-packed keys, else a flat config; undefined if absent. */
function peftConfigFromMetadata(metadata: Record<string, string>): Record<string, unknown> | undefined {
  const raw = metadata[PEFT_METADATA_KEY];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new LoraFileError('bad-metadata', `LoRA file: __metadata__.${PEFT_METADATA_KEY} is not valid JSON; the file is damaged, re-export it.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new LoraFileError('bad-metadata', `LoRA file: __metadata__.${PEFT_METADATA_KEY} must be a JSON object (a PEFT LoraConfig); re-export the file.`);
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  const packed = entries.filter(([k]) => k.startsWith(PEFT_PREFIX)).map(([k, v]) => [k.slice(PEFT_PREFIX.length), v] as const);
  if (packed.length > 0) return Object.fromEntries(packed);
  const flat = entries.filter(([k]) => !k.includes('.'));
  return flat.length > 0 ? Object.fromEntries(flat) : undefined;
}

/**
 * Checks keys, layouts, pairing, dtypes, shapes and rank, and resolves alpha: everything that needs no base model.
 * `readScalar` reads a (kohya alpha) tensor's single value.
 */
function analyze(entries: Map<string, HeaderEntry>, metadata: Record<string, string>, readScalar: (key: string) => number): Analysis {
  const lora: { key: string; p: Extract<ParsedKey, { kind: 'lora' }> }[] = [];
  const te: string[] = [];
  const unsupported: { key: string; why: string }[] = [];
  const unknown: string[] = [];
  const layouts = new Map<LoraLayout, string>(); // layout -> an example key
  for (const key of entries.keys()) {
    const p = parseKey(key);
    if (p.kind === 'unknown') {
      unknown.push(key);
      continue;
    }
    if (!layouts.has(p.layout)) layouts.set(p.layout, key);
    if (p.kind === 'lora') lora.push({ key, p });
    else if (p.kind === 'text-encoder') te.push(key);
    else unsupported.push({ key, why: p.why });
  }
  const hint = metadata.d3po_studio_model_config !== undefined ? ' It looks like a D3PO Studio base-model file; load it as a model instead.' : '';
  if (layouts.size === 0) {
    const what = entries.size === 0 ? 'has no tensors' : `has ${entries.size} tensors and none is a LoRA weight (e.g. ${listSome([...entries.keys()], 2)})`;
    throw new LoraFileError(
      'not-lora',
      `Not a LoRA file: it ${what}. Expected diffusers/PEFT keys 'unet.<module>.lora_A.weight' or kohya keys 'lora_unet_<module>.lora_down.weight'.${hint}`,
    );
  }
  if (layouts.size > 1) {
    throw new LoraFileError(
      'mixed-layouts',
      `LoRA file mixes diffusers/PEFT keys (e.g. '${layouts.get('peft')}') with kohya keys (e.g. '${layouts.get('kohya')}'); a file must use one layout. Re-export it in a single layout.`,
    );
  }
  const layout = [...layouts.keys()][0];
  if (te.length > 0) {
    throw new LoraFileError(
      'text-encoder',
      `LoRA file has ${te.length} text-encoder LoRA tensors (e.g. ${listSome(te, 2)}); D3PO Studio loads UNet LoRAs only. Re-export the LoRA without the text encoder (kohya: --network_train_unet_only; diffusers: save only unet_lora_layers).`,
    );
  }
  if (unsupported.length > 0) {
    throw new LoraFileError(
      'unsupported',
      `LoRA file has tensors this studio cannot load: '${unsupported[0].key}' is ${unsupported[0].why}${unsupported.length > 1 ? ` (${unsupported.length} such tensors)` : ''}. Only plain LoRA (lora_A/lora_B or lora_down/lora_up${layout === 'kohya' ? ' + alpha' : ''}) on UNet linear and conv layers is supported.`,
    );
  }
  if (unknown.length > 0) {
    throw new LoraFileError(
      'unsupported',
      `LoRA file has ${unknown.length} tensors that are not ${layout === 'peft' ? 'diffusers/PEFT' : 'kohya'} UNet LoRA weights: ${listSome(unknown)}. Remove them or re-export the LoRA.`,
    );
  }

  // Group per module and check that each has both halves.
  const byModule = new Map<string, Partial<Record<Part, string>>>();
  for (const { key, p } of lora) {
    const g = byModule.get(p.module) ?? {};
    g[p.part] = key;
    byModule.set(p.module, g);
  }
  const [aName, bName] = layout === 'peft' ? ['lora_A', 'lora_B'] : ['lora_down', 'lora_up'];
  const modules: FileModule[] = [];
  for (const [id, g] of byModule) {
    if (!g.A || !g.B) {
      const missing = !g.A ? aName : bName;
      throw new LoraFileError('incomplete', `LoRA file: module '${id}' has no ${missing} weight; the file is incomplete or damaged, re-export it.`);
    }
    modules.push({ id, A: g.A, B: g.B, alpha: g.alpha });
  }

  // Dtypes, shapes, ranks.
  const ranks = new Map<number, string[]>();
  for (const m of modules) {
    const a = entries.get(m.A)!;
    const b = entries.get(m.B)!;
    for (const [key, e] of [[m.A, a], [m.B, b]] as const) {
      if (!FLOAT_DTYPES.has(e.dtype)) {
        throw new LoraFileError('bad-values', `LoRA tensor '${key}' has dtype ${e.dtype}; LoRA weights must be F32, F16 or BF16. Re-export the file.`);
      }
    }
    const aOk = a.shape.length === 2 || a.shape.length === 4;
    const bOk = b.shape.length === 2 || (b.shape.length === 4 && b.shape[2] === 1 && b.shape[3] === 1);
    if (!aOk || !bOk || a.shape[0] !== b.shape[1] || a.shape.length !== b.shape.length || a.shape[0] < 1) {
      throw new LoraFileError(
        'shape-mismatch',
        `LoRA module '${m.id}': ${aName} ${fmtShape(a.shape)} and ${bName} ${fmtShape(b.shape)} do not form a LoRA pair (expected [r, in] + [out, r], or [r, in, k, k] + [out, r, 1, 1]); the file is damaged, re-export it.`,
      );
    }
    const list = ranks.get(a.shape[0]) ?? [];
    list.push(m.id);
    ranks.set(a.shape[0], list);
  }
  if (ranks.size > 1) {
    const desc = [...ranks].map(([r, ids]) => `rank ${r} (${ids.length} modules, e.g. '${ids[0]}')`).join(', ');
    throw new LoraFileError(
      'mixed-ranks',
      `LoRA file mixes ranks: ${desc}. This studio needs one rank per adapter; resize the LoRA to a single rank (e.g. kohya resize_lora.py) and load it again.`,
    );
  }
  const rank = [...ranks.keys()][0];

  // Alpha.
  let alpha: number;
  const peft = layout === 'peft' ? peftConfigFromMetadata(metadata) : undefined;
  if (layout === 'kohya') {
    const alphas = new Map<number, string[]>();
    for (const m of modules) {
      let value = rank; // sd-scripts: a module without alpha (or alpha 0) uses alpha = rank
      if (m.alpha) {
        const e = entries.get(m.alpha)!;
        if (!(e.dtype === 'F32' || e.dtype === 'F16' || e.dtype === 'BF16' || e.dtype === 'F64') || numel(e.shape) !== 1 || e.shape.length > 1) {
          throw new LoraFileError('bad-values', `LoRA tensor '${m.alpha}' must be a float scalar (shape [], F32/F16/BF16), got ${e.dtype} ${fmtShape(e.shape)}; re-export the file.`);
        }
        const v = readScalar(m.alpha);
        if (!Number.isFinite(v) || v < 0) {
          throw new LoraFileError('bad-values', `LoRA tensor '${m.alpha}' is ${v}; alpha must be a finite non-negative number. Re-export the file.`);
        }
        if (v !== 0) value = v;
      }
      const list = alphas.get(value) ?? [];
      list.push(m.id);
      alphas.set(value, list);
    }
    if (alphas.size > 1) {
      const desc = [...alphas].map(([a, ids]) => `${a} (${ids.length} modules, e.g. '${ids[0]}')`).join(', ');
      throw new LoraFileError(
        'mixed-alphas',
        `LoRA file has different alphas per module: ${desc}. This studio uses one alpha per adapter; re-export the LoRA with a single network alpha.`,
      );
    }
    alpha = [...alphas.keys()][0];
  } else {
    if (peft?.use_dora === true) {
      throw new LoraFileError('unsupported', 'LoRA file is a DoRA adapter (use_dora: true); only plain LoRA is supported. Train or export it without DoRA.');
    }
    const rankPattern = peft?.rank_pattern;
    const hasRankPattern = typeof rankPattern === 'object' && rankPattern !== null && Object.keys(rankPattern).length > 0;
    if (peft?.r !== undefined && peft.r !== rank && !hasRankPattern) {
      throw new LoraFileError(
        'bad-metadata',
        `LoRA file's config says r = ${JSON.stringify(peft.r)} but its tensors have rank ${rank}; the metadata and weights disagree. Re-export the file.`,
      );
    }
    const la = peft?.lora_alpha;
    if (la !== undefined && (typeof la !== 'number' || !(la > 0))) {
      throw new LoraFileError('bad-metadata', `LoRA file's config has lora_alpha = ${JSON.stringify(la)}; it must be a positive number. Fix the metadata or re-export the file.`);
    }
    alpha = typeof la === 'number' ? la : rank; // diffusers: no alpha information means alpha = r
    const pattern = peft?.alpha_pattern;
    if (typeof pattern === 'object' && pattern !== null) {
      const differing = Object.entries(pattern as Record<string, unknown>).filter(([, v]) => v !== alpha);
      if (differing.length > 0) {
        throw new LoraFileError(
          'mixed-alphas',
          `LoRA file's config has per-module alphas (alpha_pattern ${listSome(differing.map(([k, v]) => `${k}: ${v}`))}) besides lora_alpha ${alpha}; this studio uses one alpha per adapter. Re-export it with a single lora_alpha.`,
        );
      }
    }
    if (peft?.use_rslora === true) alpha *= Math.sqrt(rank); // rsLoRA scales by alpha/sqrt(r); keep alpha/r equal to that
  }
  if (!(alpha > 0)) {
    throw new LoraFileError('bad-values', `LoRA file's alpha resolves to ${alpha}; it must be positive. Fix the alpha tensors/metadata or re-export the file.`);
  }
  return { layout, rank, alpha, modules, baseModel: fileBaseModel(metadata, peft) };
}

// ---------------------------------------------------------------------------------------------------------------
// decode

let importCounter = 0;

interface ResolvedModule extends FileModule {
  name: string; // dotted module name in the base model (without prefix)
  weight: number[]; // the base weight's shape
  order: number; // index in the base model's names, so the adapter's module order matches createLoraAdapter's
}

/** Maps every module to a base-model module and checks the shapes; throws one error that lists the problems. */
function resolveAgainstBase(a: Analysis, entries: Map<string, HeaderEntry>, base: ParamStore, prefix: string): ResolvedModule[] {
  const names = base.names(prefix);
  const order = new Map(names.map((n, i) => [n, i]));
  const modulesOf = new Map<string, string[]>(); // kohya flat name -> dotted module names
  if (a.layout === 'kohya') {
    for (const full of names) {
      if (!full.endsWith('.weight')) continue;
      const name = full.slice(prefix.length, -'.weight'.length);
      const flat = name.replace(/\./g, '_');
      modulesOf.set(flat, [...(modulesOf.get(flat) ?? []), name]);
    }
  }
  const trainedFor = a.baseModel ? ` (the file says it was made for '${a.baseModel}')` : '';
  const unknown: string[] = [];
  const mismatched: string[] = [];
  const out: ResolvedModule[] = [];
  for (const m of a.modules) {
    let name = m.id;
    if (a.layout === 'kohya') {
      const found = modulesOf.get(m.id) ?? [];
      if (found.length > 1) {
        throw new LoraFileError(
          'ambiguous-module',
          `kohya LoRA module '${KOHYA_PREFIX}${m.id}' matches several modules of the base model (${listSome(found)}) once dots become underscores; export the LoRA in the diffusers/PEFT layout, which keeps the dots.`,
        );
      }
      if (found.length === 0) {
        unknown.push(`${KOHYA_PREFIX}${m.id}`);
        continue;
      }
      name = found[0];
    }
    const full = `${prefix}${name}.weight`;
    const w = base.tensors.get(full);
    if (!w) {
      unknown.push(name);
      continue;
    }
    const shape = w.shape as number[];
    const r = a.rank;
    let wantA: number[];
    let wantB: number[];
    if (shape.length === 2) {
      wantA = [r, shape[0]];
      wantB = [shape[1], r];
    } else if (shape.length === 4) {
      wantA = [r, shape[2], shape[0], shape[1]];
      wantB = [shape[3], r, 1, 1];
    } else {
      mismatched.push(`'${name}' is a ${shape.length}-D parameter ${fmtShape(shape)}, not a linear or conv layer`);
      continue;
    }
    const gotA = entries.get(m.A)!.shape;
    const gotB = entries.get(m.B)!.shape;
    if (!sameShape(gotA, wantA) || !sameShape(gotB, wantB)) {
      mismatched.push(`'${name}' has ${fmtShape(gotA)} + ${fmtShape(gotB)} but this model needs ${fmtShape(wantA)} + ${fmtShape(wantB)}`);
      continue;
    }
    out.push({ ...m, name, weight: shape, order: order.get(full)! });
  }
  if (unknown.length > 0) {
    throw new LoraFileError(
      'unknown-module',
      `LoRA file adapts ${unknown.length} module(s) the loaded base model does not have: ${listSome(unknown)}${trainedFor}. Load the LoRA with the base model it was trained on.`,
    );
  }
  if (mismatched.length > 0) {
    throw new LoraFileError(
      'shape-mismatch',
      `LoRA file does not fit the loaded base model; ${mismatched.length} module(s) disagree: ${mismatched.slice(0, 2).join('; ')}${mismatched.length > 2 ? '; ...' : ''}. It was made for a different base model${trainedFor}; load it with that model, or retrain it on this one.`,
    );
  }
  return out.sort((x, y) => x.order - y.order);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function finiteOrThrow(data: Float32Array, key: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new LoraFileError('bad-values', `LoRA tensor '${key}' contains ${data[i]} at element ${i}; the adapter diverged or the file is damaged. Export it again from an earlier checkpoint.`);
    }
  }
}

/**
 * Detects the layout, validates every key/shape against the base weights (module exists in `base` under `prefix`,
 * shapes agree, one rank), and builds a new trainable LoraAdapter whose A/B hold the file's values (transposed back to
 * tfjs layouts). Throws SafetensorsError for a malformed file and LoraFileError for LoRA-level problems; nothing is
 * allocated before validation has passed, so an error never leaves a partial adapter behind.
 */
export function decodeLoraSafetensors(
  bytes: ArrayBuffer | Uint8Array,
  base: ParamStore,
  prefix = 'unet.',
): { adapter: LoraAdapter; info: LoraFileInfo } {
  const file = decodeSafetensors(bytes);
  const entries = new Map<string, HeaderEntry>([...file.tensors].map(([k, e]) => [k, { dtype: e.dtype, shape: e.shape }]));
  const analysis = analyze(entries, file.metadata, (key) => entryToFloat32(file.tensors.get(key)!)[0]);
  const resolved = resolveAgainstBase(analysis, entries, base, prefix);
  const r = analysis.rank;

  // Convert to tfjs layouts in plain arrays first (and check values), then allocate.
  const prepared = resolved.map((m) => {
    const down = entryToFloat32(file.tensors.get(m.A)!);
    const up = entryToFloat32(file.tensors.get(m.B)!);
    finiteOrThrow(down, m.A);
    finiteOrThrow(up, m.B);
    const linear = m.weight.length === 2;
    const inFeatures = linear ? m.weight[0] : m.weight[2];
    const outFeatures = linear ? m.weight[1] : m.weight[3];
    const k = linear ? 1 : m.weight[0];
    return {
      name: m.name,
      kind: (linear ? 'linear' : 'conv') as LoraModule['kind'],
      inFeatures,
      outFeatures,
      kernelSize: k,
      A: linear ? permute(down, [r, inFeatures], [1, 0]) : permute(down, [r, inFeatures, k, k], [2, 3, 1, 0]),
      aShape: linear ? [inFeatures, r] : [k, k, inFeatures, r],
      B: permute(up, [outFeatures, r], [1, 0]),
    };
  });

  const targets = sortedUnique(resolved.map((m) => targetSuffix(m.name)));
  const adapter = new LoraAdapter({ rank: r, alpha: analysis.alpha, targets, seed: 0 });
  const tag = importCounter++;
  try {
    for (const p of prepared) {
      const a = tf.tensor(p.A, p.aShape, 'float32');
      const b = tf.tensor(p.B, [r, p.outFeatures], 'float32');
      try {
        adapter.modules.set(p.name, {
          name: p.name,
          kind: p.kind,
          inFeatures: p.inFeatures,
          outFeatures: p.outFeatures,
          kernelSize: p.kernelSize,
          A: tf.variable(a, true, `lora.${p.name}.A#file${tag}`),
          B: tf.variable(b, true, `lora.${p.name}.B#file${tag}`),
        });
      } finally {
        a.dispose();
        b.dispose();
      }
    }
  } catch (err) {
    adapter.dispose();
    throw err;
  }
  const info: LoraFileInfo = {
    layout: analysis.layout,
    rank: r,
    alpha: analysis.alpha,
    targets,
    ...(analysis.baseModel !== undefined ? { baseModel: analysis.baseModel } : {}),
    metadata: { ...file.metadata },
  };
  return { adapter, info };
}

// ---------------------------------------------------------------------------------------------------------------
// inspect (header only)

/** Strict UTF-8 → string (null on malformed input); the core compiles without DOM's TextDecoder. */
function utf8Decode(bytes: Uint8Array): string | null {
  let out = '';
  const cps: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i];
    let cp: number;
    let len: number;
    if (b0 < 0x80) [cp, len] = [b0, 1];
    else if (b0 >= 0xc2 && b0 < 0xe0) [cp, len] = [b0 & 0x1f, 2];
    else if (b0 >= 0xe0 && b0 < 0xf0) [cp, len] = [b0 & 0x0f, 3];
    else if (b0 >= 0xf0 && b0 < 0xf5) [cp, len] = [b0 & 0x07, 4];
    else return null;
    if (i + len > bytes.length) return null;
    for (let k = 1; k < len; k++) {
      const b = bytes[i + k];
      if ((b & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (b & 0x3f);
    }
    if ((len === 3 && cp < 0x800) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    cps.push(cp);
    i += len;
    if (cps.length >= 4096) {
      out += String.fromCodePoint(...cps);
      cps.length = 0;
    }
  }
  return out + String.fromCodePoint(...cps);
}

/**
 * Reads the header only (plus the kohya alpha scalars) and reports the layout, rank, alpha, targets, base model and
 * metadata, with the same key/shape/rank checks as decode but without a base model and without reading the weights.
 * Kohya targets are guessed from the underscored names (see kohyaTargetSuffix). Throws SafetensorsError or LoraFileError.
 */
export function inspectLoraSafetensors(input: ArrayBuffer | Uint8Array): LoraFileInfo {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 8) {
    throw new SafetensorsError(`safetensors: file is ${bytes.length} bytes, shorter than the 8-byte header length prefix; it is truncated or not a safetensors file.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const high = view.getUint32(4, true);
  const n = high >= 0x200000 ? Infinity : high * 0x100000000 + view.getUint32(0, true);
  if (n > DEFAULT_MAX_HEADER_BYTES || 8 + n > bytes.length) {
    throw new SafetensorsError(`safetensors: header length ${n} does not fit the ${bytes.length}-byte file; it is truncated, corrupt or not a safetensors file.`);
  }
  const text = utf8Decode(bytes.subarray(8, 8 + n));
  if (text === null || !text.startsWith('{')) {
    throw new SafetensorsError('safetensors: header is not UTF-8 JSON starting with "{"; the file is corrupt or not a safetensors file.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`safetensors: header is not valid JSON (${(err as Error).message}); the file is corrupt.`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError('safetensors: header JSON must be an object of name -> tensor info; the file is corrupt.');
  }
  const dataStart = 8 + n;
  const bufferLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries = new Map<string, HeaderEntry & { begin: number; end: number }>();
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === METADATA_KEY) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new SafetensorsError('safetensors: __metadata__ must map strings to strings; the file is corrupt.');
      }
      for (const [mk, mv] of Object.entries(value)) {
        if (typeof mv !== 'string') throw new SafetensorsError(`safetensors: __metadata__ ${JSON.stringify(mk)} is not a string; the file is corrupt.`);
        metadata[mk] = mv;
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const offsets = info?.data_offsets;
    if (!info || !isDtype(info.dtype) || !Array.isArray(offsets) || offsets.length !== 2) {
      throw new SafetensorsError(`safetensors: tensor ${JSON.stringify(key)} has a malformed header entry; the file is corrupt.`);
    }
    const size = expectedByteLength(info.dtype, info.shape as number[], `tensor ${JSON.stringify(key)}`);
    const [begin, end] = offsets as number[];
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end - begin !== size || end > bufferLength) {
      throw new SafetensorsError(`safetensors: tensor ${JSON.stringify(key)} data_offsets ${JSON.stringify(offsets)} do not fit its dtype/shape or the file; the file is corrupt or truncated.`);
    }
    entries.set(key, { dtype: info.dtype, shape: (info.shape as number[]).slice(), begin, end });
  }
  const analysis = analyze(entries, metadata, (key) => {
    const e = entries.get(key)!;
    return entryToFloat32({ dtype: e.dtype, shape: e.shape, data: bytes.slice(dataStart + e.begin, dataStart + e.end) })[0];
  });
  const targets = sortedUnique(analysis.modules.map((m) => (analysis.layout === 'peft' ? targetSuffix(m.id) : kohyaTargetSuffix(m.id))));
  return {
    layout: analysis.layout,
    rank: analysis.rank,
    alpha: analysis.alpha,
    targets,
    ...(analysis.baseModel !== undefined ? { baseModel: analysis.baseModel } : {}),
    metadata,
  };
}
