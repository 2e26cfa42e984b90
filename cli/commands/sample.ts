// `sample`: K images for one prompt and seed (optionally with a LoRA adapter) → 32×32 PNGs, a 4× labelled grid and manifest.json.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { imagesToRgba, sampleWithTrajectory } from '../../src/core/diffusion/sample';
import type { LoraAdapter } from '../../src/core/model/lora';
import type { MiniSD } from '../../src/core/model/pipeline';
import { decodeLoraSafetensors } from '../../src/core/model/loraFile/loraFile';
import { DEFAULT_MODEL_PATH, loadModel, sha256Hex, shortHash } from '../modelLoader';
import { composeGrid, encodePng } from '../png';
import { num, str, type Args } from '../args';
import { slug } from '../../src/core/io/slug';

export const sampleHelp = `sample --prompt "…" [--seed 0] [--count 4] [--out DIR] [--steps 20] [--eta 1] [--guidance G] [--negative ""]
       [--lora FILE.safetensors] [--lora-scale 1] [--model ${DEFAULT_MODEL_PATH}]
  Writes sample-00.png … (32×32), grid.png (4×, labelled) and manifest.json to DIR (default samples/<prompt>-seed<N>).
  Steps, eta and guidance default to the model's sample config. --lora-scale multiplies the adapter's alpha/r
  (0 = base model). Same prompt, seed, count, settings and backend give identical PNG bytes.`;

export const GRID_SCALE = 4;
const MAX_COUNT = 64;

export interface LoraId {
  id: string; // file name @ short sha256
  file: string;
  sha256: string;
  scale: number; // --lora-scale (multiplier)
  effectiveScale: number; // multiplier · alpha / r, what the layers use
  rank: number;
  alpha: number;
  modules: number;
  layout: string; // 'peft' (diffusers) or 'kohya'
  baseModel: string | null; // what the file says it was trained on
}

export interface SampleManifest {
  prompt: string;
  negativePrompt: string;
  seed: number;
  count: number;
  steps: number;
  eta: number;
  guidance: number;
  model: { id: string; name: string; sha256: string; file: string };
  lora: LoraId | null;
  backend: string;
  images: { index: number; file: string }[];
  grid: string;
  reproduce: string;
}

interface SampleSettings {
  prompt: string;
  negativePrompt: string;
  seed: number;
  count: number;
  steps: number;
  eta: number;
  guidance: number;
  out: string;
}

function intArg(args: Args, key: string, fallback: number, min: number, max: number): number {
  const v = num(args, key, fallback);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${key} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

/** Reads and validates the options, with defaults from the model's sample config. */
export function sampleSettings(args: Args, model: MiniSD): SampleSettings {
  const prompt = str(args, 'prompt', '');
  if (!prompt.trim()) throw new Error(`sample needs a prompt: --prompt "red heart"\n${sampleHelp}`);
  const seed = intArg(args, 'seed', 0, 0, 2 ** 31 - 1);
  const cfg = model.config.sample;
  const eta = num(args, 'eta', cfg.eta);
  const guidance = num(args, 'guidance', cfg.guidanceScale);
  if (eta < 0) throw new Error(`--eta must be >= 0 (1 = D3PO's stochastic DDIM, 0 = deterministic), got ${eta}`);
  if (guidance < 0) throw new Error(`--guidance must be >= 0 (1 = no classifier-free guidance), got ${guidance}`);
  return {
    prompt,
    negativePrompt: str(args, 'negative', ''),
    seed,
    count: intArg(args, 'count', 4, 1, MAX_COUNT),
    steps: intArg(args, 'steps', cfg.steps, 1, model.config.scheduler.numTrainTimesteps),
    eta,
    guidance,
    out: str(args, 'out', path.join('samples', `${slug(prompt, { fallback: 'prompt' })}-seed${seed}`)),
  };
}

/** Loads --lora FILE onto the model's UNet and sets its multiplier to --lora-scale. */
function loadLora(args: Args, model: MiniSD, log: (s: string) => void): { adapter: LoraAdapter; id: LoraId } | null {
  const file = str(args, 'lora', '');
  if (!file) {
    if (args['lora-scale'] !== undefined) throw new Error('--lora-scale needs --lora FILE.safetensors (the adapter to scale).');
    return null;
  }
  if (!fs.existsSync(file)) throw new Error(`LoRA file not found: ${file}. Export one from the studio (LoRA → download) or pass the right path.`);
  const bytes = new Uint8Array(fs.readFileSync(file));
  const { adapter, info } = decodeLoraSafetensors(bytes, model.params);
  adapter.multiplier = num(args, 'lora-scale', 1);
  if (info.baseModel && info.baseModel !== model.config.name) {
    log(`warning: ${path.basename(file)} says it was trained on '${info.baseModel}', this model is '${model.config.name}'; results may be off.`);
  }
  const sha256 = sha256Hex(bytes);
  const name = path.basename(file);
  return {
    adapter,
    id: {
      id: `${name}@${shortHash(sha256)}`,
      file: name,
      sha256,
      scale: adapter.multiplier,
      effectiveScale: adapter.scale,
      rank: adapter.config.rank,
      alpha: adapter.config.alpha,
      modules: adapter.modules.size,
      layout: info.layout,
      baseModel: info.baseModel ?? null,
    },
  };
}

/** Samples `count` images in one batch and returns their RGBA bytes. */
async function generate(model: MiniSD, s: SampleSettings, lora: LoraAdapter | undefined): Promise<Uint8ClampedArray[]> {
  const r = await sampleWithTrajectory(model, {
    prompts: new Array(s.count).fill(s.prompt),
    seed: s.seed,
    sample: { steps: s.steps, eta: s.eta, guidanceScale: s.guidance },
    lora,
    negativePrompt: s.negativePrompt,
  });
  const images = model.decode(r.final);
  try {
    return await imagesToRgba(images);
  } finally {
    tf.dispose([images, r.final]);
  }
}

const imageName = (i: number) => `sample-${String(i).padStart(2, '0')}.png`;

/** Writes the PNGs, the grid and the manifest; returns the manifest. */
function writeOutputs(s: SampleSettings, rgba: Uint8ClampedArray[], manifest: Omit<SampleManifest, 'images' | 'grid'>): SampleManifest {
  fs.mkdirSync(s.out, { recursive: true });
  const size = Math.round(Math.sqrt(rgba[0].length / 4));
  const images = rgba.map((img, index) => {
    fs.writeFileSync(path.join(s.out, imageName(index)), encodePng(img, size, size));
    return { index, file: imageName(index) };
  });
  const grid = composeGrid(rgba, Math.min(rgba.length, 8), GRID_SCALE, rgba.map((_, i) => String(i)));
  fs.writeFileSync(path.join(s.out, 'grid.png'), encodePng(grid.data, grid.width, grid.height));
  const full: SampleManifest = { ...manifest, images, grid: 'grid.png' };
  fs.writeFileSync(path.join(s.out, 'manifest.json'), JSON.stringify(full, null, 1) + '\n');
  return full;
}

export async function sampleCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const { model, file, id } = loadModel(str(args, 'model', DEFAULT_MODEL_PATH));
  let lora: ReturnType<typeof loadLora> = null;
  try {
    const s = sampleSettings(args, model);
    lora = loadLora(args, model, log);
    log(`sampling ${s.count} × "${s.prompt}" seed ${s.seed}: ${s.steps} steps, eta ${s.eta}, guidance ${s.guidance}, model ${id}${lora ? `, LoRA ${lora.id.id} × ${lora.id.scale}` : ''}`);
    const t0 = performance.now();
    const rgba = await generate(model, s, lora?.adapter);
    const seconds = (performance.now() - t0) / 1000;
    const manifest = writeOutputs(s, rgba, {
      prompt: s.prompt,
      negativePrompt: s.negativePrompt,
      seed: s.seed,
      count: s.count,
      steps: s.steps,
      eta: s.eta,
      guidance: s.guidance,
      model: { id, name: model.config.name, sha256: file.sha256, file: file.path },
      lora: lora?.id ?? null,
      backend: tf.getBackend(),
      reproduce: 'image i is row i of one batch of `count` sampled from `seed`; the same settings on the same backend give the same pixels',
    });
    log(`wrote ${manifest.images.length} PNGs (32×32), ${manifest.grid} (${GRID_SCALE}×) and manifest.json to ${s.out} in ${seconds.toFixed(1)} s`);
  } finally {
    lora?.adapter.dispose();
    model.dispose();
  }
}
