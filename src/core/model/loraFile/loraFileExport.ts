/** LoRA export to safetensors in PEFT/diffusers layout (lora_A [r,in], lora_B [out,r], LoraConfig in __metadata__) or kohya layout (lora_down/lora_up/.alpha, ss_network_*), plus adapter_config.json (huggingface/peft LoraConfig, diffusers lora_pipeline.py, kohya-ss/sd-scripts networks/lora.py). */
import { encodeSafetensors, type TensorEntry } from '../../io/safetensors';
import { f32Entry } from '../../io/tensorEntry';
import { LoraAdapter, type LoraModule } from '../lora';
import { type LoraLayout, LoraFileError, PEFT_PREFIX, KOHYA_PREFIX, PEFT_METADATA_KEY, KOHYA_MODULE, permute, targetSuffix, sortedUnique } from './loraFormat';

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
