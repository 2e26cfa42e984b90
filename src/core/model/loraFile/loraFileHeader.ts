/** LoRA safetensors header analysis shared by import and inspect: key parsing (PEFT, kohya, text-encoder and other components), module grouping, rank/alpha/config checks. */
import { type Dtype } from '../../io/safetensors';
import {
  type LoraImportLimits,
  type LoraLayout,
  LoraFileError,
  PEFT_PREFIX,
  PEFT_ALT_PREFIX,
  KOHYA_PREFIX,
  PEFT_METADATA_KEY,
  defaultLoraImportLimits,
  describeRange,
  listSome,
  numel,
  fmtShape,
} from './loraFormat';

export type Part = 'A' | 'B' | 'alpha';
export type ParsedKey =
  | { kind: 'lora'; layout: LoraLayout; module: string; part: Part }
  | { kind: 'text-encoder'; layout: LoraLayout }
  | { kind: 'unsupported'; layout: LoraLayout; why: string }
  | { kind: 'unknown' };

export const KOHYA_TE = /^lora_te\d*_/;
export const PEFT_TE = /^(base_model\.model\.)?text_encoder(_\d+)?\./;
export const PEFT_OTHER_COMPONENT = /^(transformer|prior|controlnet|text_model)\./;

export function parseKey(key: string): ParsedKey {
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

export interface HeaderEntry {
  dtype: Dtype;
  shape: number[];
}

export interface FileModule {
  id: string; // PEFT: dotted module name; kohya: flat (underscored) name
  A: string; // tensor keys
  B: string;
  alpha?: string;
}

export interface Analysis {
  layout: LoraLayout;
  rank: number;
  alpha: number;
  modules: FileModule[]; // file order
  baseModel?: string;
}

export const FLOAT_DTYPES: ReadonlySet<Dtype> = new Set<Dtype>(['F32', 'F16', 'BF16', 'F64']);

export function fileBaseModel(metadata: Record<string, string>, peft: Record<string, unknown> | undefined): string | undefined {
  const fromPeft = typeof peft?.base_model_name_or_path === 'string' && peft.base_model_name_or_path ? (peft.base_model_name_or_path as string) : undefined;
  return metadata.studio_base_model || fromPeft || metadata.ss_base_model_version || metadata.ss_sd_model_name || undefined;
}

/** The UNet's PEFT LoraConfig from diffusers metadata: `unet.`-packed keys, else a flat config; undefined if absent. */
export function peftConfigFromMetadata(metadata: Record<string, string>): Record<string, unknown> | undefined {
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

/** Throws when an alpha value from the file (a kohya alpha tensor, PEFT lora_alpha) or the resolved alpha is out of `limits`. */
function checkAlpha(value: number, what: string, limits: LoraImportLimits): void {
  const [lo, hi] = limits.alpha;
  const slack = 1 + 2 ** -20; // kohya stores alpha as an F32 scalar: 0.001 comes back as 0.0010000000475
  if (value > 0 && value * slack >= lo && value <= hi * slack) return;
  throw new LoraFileError(
    'out-of-range',
    `${what} is ${value}; alpha must be ${describeRange(limits.alpha)} (the update is scaled by alpha / rank). Fix the alpha in the file or re-export the LoRA with an alpha in that range.`,
  );
}

/**
 * Checks keys, layouts, pairing, dtypes, shapes and rank, and resolves alpha: everything that needs no base model.
 * `readScalar` reads a (kohya alpha) tensor's single value. Rank and alphas must lie within `limits`.
 */
export function analyze(
  entries: Map<string, HeaderEntry>,
  metadata: Record<string, string>,
  readScalar: (key: string) => number,
  limits: LoraImportLimits = defaultLoraImportLimits,
): Analysis {
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
  if (rank < limits.rank[0] || rank > limits.rank[1]) {
    throw new LoraFileError(
      'out-of-range',
      `LoRA file has rank ${rank}; this studio loads ranks ${describeRange(limits.rank)}. Resize the LoRA to a rank in that range (e.g. kohya resize_lora.py) and import it again.`,
    );
  }

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
        if (v !== 0) checkAlpha(v, `LoRA tensor '${m.alpha}'`, limits);
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
    if (typeof la === 'number') checkAlpha(la, "LoRA file's config lora_alpha", limits); // JSON 1e999 parses to Infinity
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
  checkAlpha(alpha, layout === 'peft' && peft?.use_rslora === true ? `LoRA file's alpha (lora_alpha × √r for use_rslora)` : `LoRA file's alpha`, limits);
  return { layout, rank, alpha, modules, baseModel: fileBaseModel(metadata, peft) };
}
