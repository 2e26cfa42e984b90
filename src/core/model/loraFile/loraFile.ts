/** LoRA adapter <-> safetensors file (export, validated import, header peek) in the diffusers/PEFT and kohya layouts, as diffusers' save_lora_weights/load_lora_weights (huggingface/diffusers src/diffusers/loaders/lora_pipeline.py) and kohya sd-scripts networks/lora.py write and read them. */

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
// - Values must be finite and within LoraImportLimits (rank, alpha, |weight| ≤ 1,000 by default; the studio passes its
//   own rank/alpha ranges): a finite but huge value decodes fine and then overflows the model's output to Inf.
// - Import builds nothing until the whole file has been validated, so an error never leaves a partial adapter.

import * as tf from '@tensorflow/tfjs';
import { decodeSafetensors, DEFAULT_MAX_HEADER_BYTES, expectedByteLength, isDtype, METADATA_KEY, SafetensorsError } from '../../io/safetensors';
import { entryToFloat32 } from '../../io/tensorEntry';
import { LoraAdapter, type LoraModule } from '../lora';
import { type ParamStore } from '../params';
import { decodeUtf8Strict } from '../../io/utf8';
import {
  type LoraFileInfo,
  type LoraImportLimits,
  LoraFileError,
  KOHYA_PREFIX,
  defaultLoraImportLimits,
  listSome,
  fmtShape,
  permute,
  targetSuffix,
  kohyaTargetSuffix,
  sortedUnique,
} from './loraFormat';
import { type HeaderEntry, type FileModule, type Analysis, analyze } from './loraFileHeader';

export { LoraFileError, defaultLoraImportLimits, targetSuffix, type LoraFileErrorCode, type LoraFileInfo, type LoraImportLimits, type LoraLayout } from './loraFormat';
export { adapterConfigJson, encodeLoraSafetensors } from './loraFileExport';

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

/** Throws on the first NaN/Inf, or on a finite value beyond ±maxAbs (it would overflow the model's activations). */
function boundedOrThrow(data: Float32Array, key: string, maxAbs: number): void {
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x <= maxAbs && x >= -maxAbs) continue;
    if (!Number.isFinite(x)) {
      throw new LoraFileError('bad-values', `LoRA tensor '${key}' contains ${x} at element ${i}; the adapter diverged or the file is damaged. Export it again from an earlier checkpoint.`);
    }
    throw new LoraFileError(
      'out-of-range',
      `LoRA tensor '${key}' holds ${x} at element ${i}; LoRA weights must lie within ±${maxAbs}, and larger ones make the model's output overflow. The adapter diverged or the file is damaged: export it again from an earlier checkpoint.`,
    );
  }
}

/**
 * Detects the layout, validates every key/shape against the base weights (module exists in `base` under `prefix`,
 * shapes agree, one rank), checks rank, alpha and every weight against `limits`, and builds a new trainable LoraAdapter
 * whose A/B hold the file's values (transposed back to tfjs layouts). Throws SafetensorsError for a malformed file and
 * LoraFileError for LoRA-level problems; nothing is allocated before validation has passed, so an error never leaves a
 * partial adapter behind.
 */
export function decodeLoraSafetensors(
  bytes: ArrayBuffer | Uint8Array,
  base: ParamStore,
  prefix = 'unet.',
  limits: LoraImportLimits = defaultLoraImportLimits,
): { adapter: LoraAdapter; info: LoraFileInfo } {
  const file = decodeSafetensors(bytes);
  const entries = new Map<string, HeaderEntry>([...file.tensors].map(([k, e]) => [k, { dtype: e.dtype, shape: e.shape }]));
  const analysis = analyze(entries, file.metadata, (key) => entryToFloat32(file.tensors.get(key)!)[0], limits);
  const resolved = resolveAgainstBase(analysis, entries, base, prefix);
  const r = analysis.rank;

  // Convert to tfjs layouts in plain arrays first (and check values), then allocate.
  const prepared = resolved.map((m) => {
    const down = entryToFloat32(file.tensors.get(m.A)!);
    const up = entryToFloat32(file.tensors.get(m.B)!);
    boundedOrThrow(down, m.A, limits.maxAbsWeight);
    boundedOrThrow(up, m.B, limits.maxAbsWeight);
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

/**
 * Reads the header only (plus the kohya alpha scalars) and reports the layout, rank, alpha, targets, base model and
 * metadata, with the same key/shape/rank checks as decode but without a base model and without reading the weights.
 * Kohya targets are guessed from the underscored names (see kohyaTargetSuffix); rank and alpha are checked against
 * `limits` (weights are not read). Throws SafetensorsError or LoraFileError.
 */
export function inspectLoraSafetensors(input: ArrayBuffer | Uint8Array, limits: LoraImportLimits = defaultLoraImportLimits): LoraFileInfo {
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
  const decoded = decodeUtf8Strict(bytes.subarray(8, 8 + n));
  const text = 'text' in decoded ? decoded.text : null;
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
  }, limits);
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
