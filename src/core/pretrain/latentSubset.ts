/** A shipped sample of the base model's pretraining data as latents (scaled autoencoder means [N,8,8,4] + captions in one safetensors file), so the browser can add the large-scale RL paper's pretraining-loss term without the emoji dataset. */
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors';
import { entryToFloat32, f32Entry } from '../io/tensorEntry';
import type { Rng } from '../rng';
import type { PretrainData } from './pretrainer';

/** File name next to a model's model.safetensors (public/models/<folder>/). */
export const LATENT_SUBSET_FILE = 'pretrain-latents.safetensors';
const FORMAT = 'd3po-studio-latent-subset/1';

/** Training latents the UNet sees in stage 2 (already × scalingFactor) and one caption per latent. */
export interface LatentSubset {
  latents: Float32Array; // [N, S, S, C] row-major
  shape: [number, number, number, number]; // [N, S, S, C]
  captions: string[]; // N
  source?: string; // what the latents were encoded with (model id, data split)
}

/** Encoded images the pretraining-loss step draws from, as PretrainData (latentBatch). */
export interface LatentPool {
  size: number; // encoded images
  data: PretrainData; // latentBatch(rng, b): scaled x0 + captions
}

export function encodeLatentSubset(s: LatentSubset): Uint8Array {
  if (s.captions.length !== s.shape[0]) throw new Error(`Latent subset: ${s.captions.length} captions for ${s.shape[0]} latents.`);
  const metadata: Record<string, string> = { format: FORMAT, captions: JSON.stringify(s.captions) };
  if (s.source) metadata.source = s.source;
  return encodeSafetensors(new Map([['latents', f32Entry(s.latents, s.shape, 'F16')]]), metadata);
}

/** Reads a latent subset back; a wrong or damaged file throws a message that says what to do. */
export function decodeLatentSubset(bytes: Uint8Array | ArrayBuffer, expect?: { sampleSize: number; channels: number }): LatentSubset {
  const regenerate = 'Regenerate it with `npm run cli -- latent-subset`.';
  const file = decodeSafetensors(bytes);
  if (file.metadata.format !== FORMAT) throw new Error(`Not a pretraining latent subset (format ${JSON.stringify(file.metadata.format ?? null)}, want ${FORMAT}). ${regenerate}`);
  const entry = file.tensors.get('latents');
  if (!entry || entry.shape.length !== 4) throw new Error(`The latent subset has no [N,S,S,C] 'latents' tensor. ${regenerate}`);
  const shape = entry.shape as [number, number, number, number];
  if (expect && (shape[1] !== expect.sampleSize || shape[2] !== expect.sampleSize || shape[3] !== expect.channels)) {
    throw new Error(`The latent subset holds [${shape.slice(1).join(',')}] latents; this model's UNet takes [${expect.sampleSize},${expect.sampleSize},${expect.channels}]. ${regenerate}`);
  }
  let captions: unknown;
  try {
    captions = JSON.parse(file.metadata.captions ?? 'null');
  } catch {
    captions = null;
  }
  if (!Array.isArray(captions) || captions.length !== shape[0] || !captions.every((c) => typeof c === 'string')) {
    throw new Error(`The latent subset's captions are missing or do not match its ${shape[0]} latents. ${regenerate}`);
  }
  return { latents: entryToFloat32(entry), shape, captions, source: file.metadata.source };
}

/** Draws latents uniformly with the caller's RNG (the latents are fixed means: no posterior noise, no flips). */
export function latentSubsetPool(s: LatentSubset): LatentPool {
  const [n, h, w, c] = s.shape;
  const per = h * w * c;
  return {
    size: n,
    data: {
      latentBatch: (rng: Rng, b: number) => {
        const latents = new Float32Array(b * per);
        const captions: string[] = [];
        for (let i = 0; i < b; i++) {
          const k = rng.int(n);
          latents.set(s.latents.subarray(k * per, (k + 1) * per), i * per);
          captions.push(s.captions[k]);
        }
        return { latents, captions };
      },
    },
  };
}
