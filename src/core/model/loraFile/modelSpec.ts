/**
 * What a shared LoRA file says about itself: the Stability AI Model Metadata Standard ("SAI Model Spec" 1.0,
 * Stability-AI/ModelSpec README; the keys kohya-ss/sd-scripts library/sai_model_spec.py writes) — `modelspec.*` in the
 * safetensors `__metadata__`, read by UIs that list LoRAs (title, thumbnail, architecture, date) — plus the studio's
 * training facts (`studio_*`: clicks, optimizer steps, β, the recipe, the base model's hash). Pure: no DOM.
 */
import { encodeBase64 } from '../../io/base64';

export interface TrainingFacts {
  method: string; // 'd3po', 'prdp', 'ddpo', 'diffusion-dpo'
  steps: number; // optimizer steps of the adapter
  clicks?: number; // A/B votes it learned from
  beta?: number;
  recipe?: Record<string, unknown>; // the training settings (JSON)
}

export interface ModelSpecInfo {
  modelId: string; // the base model, e.g. "emoji-sd-mini@f73eec18e403" (name@content hash)
  layout: 'peft' | 'kohya';
  resolution: number; // image side in pixels
  date: Date;
  title?: string;
  description?: string;
  author?: string;
  thumbnail?: { mime: 'image/jpeg' | 'image/png'; bytes: Uint8Array };
  training: TrainingFacts;
}

/** Thumbnails above this size are refused (the whole header must stay small; a 64×64 JPEG is ~3 KB). */
export const MAX_THUMBNAIL_BYTES = 256 * 1024;

/** The base model's name and hash from an id "name@hash" (hash null when there is none). */
export function splitModelId(modelId: string): { name: string; hash: string | null } {
  const at = modelId.lastIndexOf('@');
  return at > 0 ? { name: modelId.slice(0, at), hash: modelId.slice(at + 1) || null } : { name: modelId, hash: null };
}

/** The `modelspec.*` and `studio_*` metadata keys for a LoRA file (all values strings, as safetensors requires). */
export function modelSpecMetadata(info: ModelSpecInfo): Record<string, string> {
  const { name, hash } = splitModelId(info.modelId);
  const t = info.training;
  if (!Number.isInteger(t.steps) || t.steps < 0) throw new Error(`ModelSpec: steps must be a non-negative integer, got ${t.steps}`);
  if (t.clicks !== undefined && !(Number.isInteger(t.clicks) && t.clicks >= 0)) throw new Error(`ModelSpec: clicks must be a non-negative integer, got ${t.clicks}`);
  if (Number.isNaN(info.date.getTime())) throw new Error('ModelSpec: the date is invalid');
  const title = info.title?.trim() || `${name} taste (${t.method}, step ${t.steps})`;
  const m: Record<string, string> = {
    'modelspec.sai_model_spec': '1.0.0',
    'modelspec.architecture': `${name}/lora`,
    'modelspec.implementation': info.layout === 'peft' ? 'diffusers' : 'kohya-ss/sd-scripts',
    'modelspec.title': title,
    'modelspec.date': info.date.toISOString(),
    'modelspec.resolution': `${info.resolution}x${info.resolution}`,
    'modelspec.prediction_type': 'epsilon',
    'modelspec.description':
      info.description ?? `LoRA trained in d3po-studio with ${t.method.toUpperCase()} on ${t.clicks ?? 'an unknown number of'} preference clicks (${t.steps} optimizer steps) for ${name}.`,
    studio_method: t.method,
    studio_step: String(t.steps),
  };
  if (info.author) m['modelspec.author'] = info.author;
  if (info.thumbnail) {
    if (info.thumbnail.bytes.length > MAX_THUMBNAIL_BYTES) throw new Error(`ModelSpec: the thumbnail has ${info.thumbnail.bytes.length} bytes, more than ${MAX_THUMBNAIL_BYTES}; use a smaller image.`);
    m['modelspec.thumbnail'] = `data:${info.thumbnail.mime};base64,${encodeBase64(info.thumbnail.bytes)}`;
  }
  if (t.clicks !== undefined) m.studio_clicks = String(t.clicks);
  if (t.beta !== undefined) m.studio_beta = String(t.beta);
  if (t.recipe !== undefined) m.studio_recipe = JSON.stringify(t.recipe);
  if (hash) m.studio_base_model_hash = hash;
  return m;
}

/** Rows × cols RGBA images of one size side by side (row-major), as one RGBA image: the thumbnail grid. */
export function tileImages(images: readonly Uint8Array[], size: number, cols: number): { data: Uint8Array; width: number; height: number } {
  if (images.length === 0 || cols < 1) throw new Error('tileImages: needs at least one image and one column');
  if (images.some((im) => im.length !== size * size * 4)) throw new Error(`tileImages: every image must be ${size}×${size} RGBA`);
  const rows = Math.ceil(images.length / cols);
  const width = cols * size;
  const height = rows * size;
  const data = new Uint8Array(width * height * 4);
  images.forEach((im, k) => {
    const x0 = (k % cols) * size;
    const y0 = Math.floor(k / cols) * size;
    for (let y = 0; y < size; y++) data.set(im.subarray(y * size * 4, (y + 1) * size * 4), ((y0 + y) * width + x0) * 4);
  });
  return { data, width, height };
}
