/** Base-model weights ↔ safetensors (tfjs layouts, F32 or F16) with the ModelConfig in `__metadata__`; also used for training checkpoints. */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type TensorEntry } from '../io/safetensors';
import { entryToFloat32, f32Entry } from '../io/tensorEntry';
import { MiniSD } from './pipeline';

export const CONFIG_METADATA_KEY = 'd3po_studio_model_config';

/** Reads named tensors to float32 arrays (async: safe on WebGPU). */
export async function readNamedTensors(tensors: Map<string, tf.Tensor>): Promise<Map<string, { data: Float32Array; shape: number[] }>> {
  const out = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const [name, t] of tensors) out.set(name, { data: (await t.data()) as Float32Array, shape: t.shape.slice() });
  return out;
}

/** Encodes float arrays as a safetensors file with string metadata. */
export function encodeFloatTensors(arrays: Map<string, { data: Float32Array; shape: number[] }>, dtype: 'F32' | 'F16', metadata: Record<string, string>): Uint8Array {
  const entries = new Map<string, TensorEntry>();
  for (const [name, { data, shape }] of arrays) entries.set(name, f32Entry(data, shape, dtype));
  return encodeSafetensors(entries, metadata);
}

/** Serialises a model's weights and config. F16 halves the size (the shipped model); F32 for training checkpoints. */
export async function modelToSafetensors(model: MiniSD, dtype: 'F32' | 'F16' = 'F32', metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const arrays = await readNamedTensors(model.params.tensors);
  return encodeFloatTensors(arrays, dtype, { ...metadata, [CONFIG_METADATA_KEY]: JSON.stringify(model.config), format: 'd3po-studio' });
}

/** Decodes a safetensors file into float tensors (caller disposes). */
export function decodeFloatTensors(bytes: ArrayBuffer | Uint8Array): { tensors: Map<string, tf.Tensor>; metadata: Record<string, string> } {
  const file = decodeSafetensors(bytes);
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, e] of file.tensors) tensors.set(name, tf.tensor(entryToFloat32(e), e.shape, 'float32'));
  return { tensors, metadata: file.metadata };
}

/** Reads a model from safetensors bytes; the config comes from the file's metadata unless given. */
export function modelFromSafetensors(bytes: ArrayBuffer | Uint8Array, config?: ModelConfig, trainable = false): MiniSD {
  const { tensors, metadata } = decodeFloatTensors(bytes);
  try {
    let cfg = config;
    if (!cfg) {
      const text = metadata[CONFIG_METADATA_KEY];
      if (!text) throw new SafetensorsError(`This safetensors file has no ${CONFIG_METADATA_KEY} metadata, so it is not a d3po-studio base model; pass its config.json.`);
      cfg = JSON.parse(text) as ModelConfig;
    }
    return MiniSD.fromTensors(cfg, tensors, trainable);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
