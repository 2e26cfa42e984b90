// `pairs`: D3PO-style comparison pairs for people to label (yk7333/d3po scripts/sample.py: both images share the prompt and x_T and differ by the η=1 step noise) → PNGs, pairs.json and the trajectories (trajectoryCodec).
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { imagesToRgba, sampleWithTrajectory } from '../../src/core/diffusion/sample';
import { encodePairs, type LabeledPair, type LatentDtype } from '../../src/core/algorithms/trajectoryCodec';
import type { MiniSD } from '../../src/core/model/pipeline';
import { createRng } from '../../src/core/rng';
import { DEFAULT_MODEL_PATH } from '../modelLoader';
import { composeGrid, encodePng } from '../png';
import { num, str, type Args } from '../args';
import { readPrompts, DEFAULT_PROMPTS } from '../experiment/prompts';
import { openModel } from '../experiment/modelSource';
import { defaultTasteRecipe, recipeLimits } from '../../src/core/taste/recipe';
import { IMAGES_DIR, LABEL_FORMAT, LABELS_FILE, PAIRS_FILE, PAIRS_FORMAT, TRAJECTORIES_FILE, type PairEntry, type PairsManifest } from '../experiment/pairFolder';

const MAX_SHEET_PAIRS = 64;
const SHEET_SCALE = 3;

export const pairsHelp = `pairs --out DIR [--count 16] [--prompts FILE] [--seed 0] [--steps ${defaultTasteRecipe.sampleSteps}] [--dtype F32|F16] [--model ${DEFAULT_MODEL_PATH}]
  Samples --count pairs (prompts cycled from FILE, one per line, or ${DEFAULT_PROMPTS.length} built-in emoji prompts). Each pair shares
  its prompt and initial noise x_T (D3PO). --steps: DDIM steps per image (default: the taste recipe's, as the studio). Writes images/pair-NNNN-{A,B}.png, pairs.png (first ${MAX_SHEET_PAIRS} pairs), pairs.json and
  ${TRAJECTORIES_FILE} (latents F32, or F16 to halve the size). Label them with \`label\`, then \`train\`.`;

export const pairId = (i: number) => `pair-${String(i).padStart(4, '0')}`;

/** Samples one pair: two rows from one shared x_T. */
async function samplePair(model: MiniSD, id: string, prompt: string, seed: number, steps: number): Promise<{ pair: LabeledPair; rgba: Uint8ClampedArray[] }> {
  const r = await sampleWithTrajectory(model, { prompts: [prompt, prompt], seed, sharedInitialNoise: true, sample: { steps } });
  const img = model.decode(r.final);
  try {
    const rgba = await imagesToRgba(img);
    return { pair: { id, trajectories: [r.trajectories[0], r.trajectories[1]] }, rgba };
  } finally {
    tf.dispose([img, r.final]);
  }
}

function checkOutDir(out: string): void {
  if (fs.existsSync(path.join(out, PAIRS_FILE)) || fs.existsSync(path.join(out, LABELS_FILE))) {
    throw new Error(`${out} already holds pairs (and perhaps labels for them); pass a new --out folder or delete ${out} first.`);
  }
}

export async function pairsCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const out = str(args, 'out', '');
  if (!out) throw new Error(`pairs needs an output folder: --out DIR\n${pairsHelp}`);
  const count = num(args, 'count', 16);
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new Error(`--count must be an integer in [1, 100000], got ${count}`);
  const seed = num(args, 'seed', 0);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${seed}`);
  const dtype = str(args, 'dtype', 'F32').toUpperCase();
  if (dtype !== 'F32' && dtype !== 'F16') throw new Error(`--dtype must be F32 or F16, got ${dtype}`);
  const steps = num(args, 'steps', defaultTasteRecipe.sampleSteps);
  const [minSteps, maxSteps] = recipeLimits.sampleSteps;
  if (!Number.isInteger(steps) || steps < minSteps || steps > maxSteps) throw new Error(`--steps must be an integer from ${minSteps} to ${maxSteps} (DDIM steps per image), got ${steps}`);
  const prompts = readPrompts(str(args, 'prompts', '') || undefined);
  checkOutDir(out);
  const handle = openModel(str(args, 'model', DEFAULT_MODEL_PATH));
  const { model } = handle;
  try {
    fs.mkdirSync(path.join(out, IMAGES_DIR), { recursive: true });
    const rng = createRng(seed);
    const entries: PairEntry[] = [];
    const pairs: LabeledPair[] = [];
    const sheet: Uint8ClampedArray[] = [];
    const labels: string[] = [];
    const size = model.config.autoencoder.imageSize;
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const id = pairId(i);
      const prompt = prompts[i % prompts.length];
      const pairSeed = rng.int(2 ** 31);
      const { pair, rgba } = await samplePair(model, id, prompt, pairSeed, steps);
      const images: [string, string] = [path.join(IMAGES_DIR, `${id}-A.png`), path.join(IMAGES_DIR, `${id}-B.png`)];
      rgba.forEach((img, k) => fs.writeFileSync(path.join(out, images[k]), encodePng(img, size, size)));
      entries.push({ id, prompt, seed: pairSeed, images });
      pairs.push(pair);
      if (i < MAX_SHEET_PAIRS) {
        sheet.push(...rgba);
        labels.push(`${i} A ${prompt}`, `${i} B`);
      }
      if ((i + 1) % 8 === 0 || i + 1 === count) log(`sampled ${i + 1}/${count} pairs (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
    const bytes = encodePairs(pairs, dtype as LatentDtype, { model: handle.id });
    fs.writeFileSync(path.join(out, TRAJECTORIES_FILE), bytes);
    const grid = composeGrid(sheet, 2, SHEET_SCALE, labels);
    fs.writeFileSync(path.join(out, 'pairs.png'), encodePng(grid.data, grid.width, grid.height));
    const s = model.config.sample;
    const manifest: PairsManifest = {
      format: PAIRS_FORMAT,
      version: 1,
      model: { id: handle.id, file: handle.file, sha256: handle.sha256 },
      sample: { steps, eta: s.eta, guidance: s.guidanceScale },
      seed,
      latentDtype: dtype as LatentDtype,
      trajectories: TRAJECTORIES_FILE,
      labelFormat: LABEL_FORMAT,
      pairs: entries,
    };
    fs.writeFileSync(path.join(out, PAIRS_FILE), JSON.stringify(manifest, null, 1) + '\n');
    log(`wrote ${count} pairs to ${out}: ${PAIRS_FILE}, ${TRAJECTORIES_FILE} (${(bytes.length / 1024).toFixed(1)} KiB, ${dtype}), ${IMAGES_DIR}/, pairs.png`);
    log(`next: label them as ${LABEL_FORMAT}, then \`label --pairs ${out} --labels FILE.json\``);
  } finally {
    model.dispose();
  }
}
