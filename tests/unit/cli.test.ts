// Tests for the CLI's png helpers, model loader, the `sample` and `info` commands on the tiny model (no timings asserted), and the pairs folder's JSON files (pairs.json, labels.json, annotator files) as `label` and `train` read them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelConfig } from '../../src/core/config';
import { MiniSD } from '../../src/core/model/pipeline';
import { modelToSafetensors } from '../../src/core/model/weights';
import { createLoraAdapter } from '../../src/core/model/lora';
import { encodeLoraSafetensors } from '../../src/core/model/loraFile/loraFile';
import { composeGrid, decodePng, encodePng, FONT, GRID_BACKGROUND, GRID_GAP, LABEL_COLOR, LABEL_ROWS } from '../../cli/png';
import { loadModel, sha256Hex } from '../../cli/modelLoader';
import { sampleCommand, type SampleManifest } from '../../cli/commands/sample';
import { infoCommand } from '../../cli/commands/info';
import type { Args } from '../../cli/args';
import { labelCommand } from '../../cli/commands/label';
import { trainCommand } from '../../cli/commands/train';
import { PAIRS_FORMAT, readLabels, readPairsManifest } from '../../cli/experiment/pairFolder';
import { useTmpDir } from './tmpDir';
import { useBackend } from './backend';

/** Deterministic pseudo-random bytes. */
function bytes(n: number, seed: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** An opaque 32×32 RGBA tile with a per-pixel pattern (so misplacement or wrong scaling shows). */
function tile(seed: number): Uint8ClampedArray {
  const t = bytes(32 * 32 * 4, seed);
  for (let p = 0; p < 32 * 32; p++) t[p * 4 + 3] = 255;
  return t;
}

const pixel = (img: { width: number; data: Uint8ClampedArray }, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

/** Hand-placed expected sheet: background, then tile i's pixel (u,v) at origin + (u,v)·scale … +scale-1. */
function expectedSheet(width: number, height: number, tiles: { img: Uint8ClampedArray; x: number; y: number }[], scale: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) out.set(GRID_BACKGROUND, p * 4);
  for (const { img, x, y } of tiles) {
    for (let v = 0; v < 32; v++) {
      for (let u = 0; u < 32; u++) {
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) out.set(img.subarray((v * 32 + u) * 4, (v * 32 + u) * 4 + 4), ((y + v * scale + dy) * width + x + u * scale + dx) * 4);
        }
      }
    }
  }
  return out;
}

describe('png helpers', () => {
  it('encode → decode round-trips RGBA bytes exactly (including alpha)', () => {
    const rgba = bytes(7 * 5 * 4, 42);
    const png = encodePng(rgba, 7, 5);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const back = decodePng(png);
    expect([back.width, back.height]).toEqual([7, 5]);
    expect(Array.from(back.data)).toEqual(Array.from(rgba));
    expect(() => encodePng(rgba, 8, 5)).toThrow(/width·height·4/);
  });

  it('composeGrid places upscaled tiles row by row on the background, pixel for pixel', () => {
    const tiles = [tile(1), tile(2), tile(3)];
    const scale = 2;
    const sheet = composeGrid(tiles, 2, scale);
    const step = 32 * scale + GRID_GAP;
    expect([sheet.width, sheet.height]).toEqual([2 * 64 + 3 * GRID_GAP, 2 * 64 + 3 * GRID_GAP]);
    const expected = expectedSheet(sheet.width, sheet.height, [
      { img: tiles[0], x: GRID_GAP, y: GRID_GAP },
      { img: tiles[1], x: GRID_GAP + step, y: GRID_GAP },
      { img: tiles[2], x: GRID_GAP, y: GRID_GAP + step },
    ], scale);
    expect(Buffer.from(sheet.data).equals(Buffer.from(expected))).toBe(true);
  });

  it('composeGrid with labels adds a strip under each tile and draws the glyphs there', () => {
    const tiles = [tile(4), tile(5), tile(6)];
    const scale = 2; // font scale max(1, floor(2/2)) = 1
    const sheet = composeGrid(tiles, 2, scale, ['1', '0', '']);
    const cellH = 64 + LABEL_ROWS;
    expect([sheet.width, sheet.height]).toEqual([2 * 64 + 3 * GRID_GAP, 2 * cellH + 3 * GRID_GAP]);
    const expected = expectedSheet(sheet.width, sheet.height, [
      { img: tiles[0], x: GRID_GAP, y: GRID_GAP },
      { img: tiles[1], x: GRID_GAP + 64 + GRID_GAP, y: GRID_GAP },
      { img: tiles[2], x: GRID_GAP, y: GRID_GAP + cellH + GRID_GAP },
    ], scale);
    // Hand-drawn labels: glyph rows at (origin.x + 1 + gx, strip top + 1 + gy).
    const drawGlyph = (ch: string, x0: number, y0: number) =>
      FONT[ch].forEach((bitsRow, gy) => [...bitsRow].forEach((b, gx) => b === '1' && expected.set(LABEL_COLOR, ((y0 + 1 + gy) * sheet.width + x0 + 1 + gx) * 4)));
    drawGlyph('1', GRID_GAP, GRID_GAP + 64);
    drawGlyph('0', GRID_GAP + 64 + GRID_GAP, GRID_GAP + 64);
    expect(Buffer.from(sheet.data).equals(Buffer.from(expected))).toBe(true);
    expect(pixel(sheet, GRID_GAP + 1 + 1, GRID_GAP + 64 + 1)).toEqual([...LABEL_COLOR]); // top of the '1'
  });

  it('composeGrid rejects bad input with a message saying what to pass', () => {
    expect(() => composeGrid([], 2, 1)).toThrow(/at least one image/);
    expect(() => composeGrid([tile(1)], 2, 1, ['a', 'b'])).toThrow(/one label per image/);
    expect(() => composeGrid([new Uint8ClampedArray(30)], 1, 1)).toThrow(/square RGBA/);
  });
});

describe('CLI commands on the tiny model', () => {
  let dir: string;
  let modelFile: string;
  let model: MiniSD;

  beforeAll(async () => {
    await useBackend('wasm');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd3po-cli-test-'));
    model = MiniSD.create(tinyModelConfig(), 0);
    modelFile = path.join(dir, 'tiny.safetensors');
    fs.writeFileSync(modelFile, await modelToSafetensors(model, 'F32', { step: '12', images_seen: '384', train_seconds: '75' }));
  });
  afterAll(() => {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sample = async (out: string, extra: Record<string, string> = {}) => {
    const lines: string[] = [];
    const args: Args = { _: ['sample'], prompt: 'red heart', seed: '7', count: '3', steps: '2', out: path.join(dir, out), model: modelFile, ...extra };
    await sampleCommand(args, (s) => lines.push(s));
    return { out: path.join(dir, out), log: lines.join('\n') };
  };
  const read = (d: string, f: string) => fs.readFileSync(path.join(d, f));
  const manifestOf = (d: string) => JSON.parse(read(d, 'manifest.json').toString()) as SampleManifest;

  it('sample writes 32×32 PNGs, a grid and a manifest; the same seed gives identical PNG bytes', async () => {
    const a = await sample('a');
    const m = manifestOf(a.out);
    expect(m.images.map((i) => i.index)).toEqual([0, 1, 2]);
    for (const { file } of m.images) {
      const img = decodePng(read(a.out, file));
      expect([img.width, img.height]).toEqual([32, 32]);
    }
    const grid = decodePng(read(a.out, m.grid));
    expect(grid.width).toBe(3 * 32 * 4 + 4 * GRID_GAP);
    const sha = sha256Hex(fs.readFileSync(modelFile));
    expect(m).toMatchObject({ prompt: 'red heart', negativePrompt: '', seed: 7, count: 3, steps: 2, eta: 1, guidance: 3, lora: null, backend: 'wasm' });
    expect(m.model).toEqual({ id: `tiny-test@${sha.slice(0, 12)}`, name: 'tiny-test', sha256: sha, file: modelFile });

    const b = await sample('b');
    for (const f of [...m.images.map((i) => i.file), m.grid]) expect(read(b.out, f).equals(read(a.out, f))).toBe(true);
    const c = await sample('c', { seed: '8', guidance: '1.5', eta: '0.5' });
    expect(read(c.out, m.images[0].file).equals(read(a.out, m.images[0].file))).toBe(false);
    expect(manifestOf(c.out)).toMatchObject({ seed: 8, guidance: 1.5, eta: 0.5 });
  });

  it('sample --lora records the adapter id and scale; scale 0 reproduces the base model', async () => {
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q', 'to_v', 'conv1'], seed: 1 });
    for (const m of lora.modules.values()) m.B.assign(tf.randomNormal(m.B.shape, 0, 0.5, 'float32', 3));
    const loraFile = path.join(dir, 'my-lora.safetensors');
    fs.writeFileSync(loraFile, await encodeLoraSafetensors(lora, { layout: 'peft', baseModel: 'tiny-test' }));
    lora.dispose();
    const base = await sample('base');
    const off = await sample('lora0', { lora: loraFile, 'lora-scale': '0' });
    const on = await sample('lora1', { lora: loraFile, 'lora-scale': '1' });
    const first = 'sample-00.png';
    expect(read(off.out, first).equals(read(base.out, first))).toBe(true);
    expect(read(on.out, first).equals(read(base.out, first))).toBe(false);
    const sha = sha256Hex(fs.readFileSync(loraFile));
    expect(manifestOf(on.out).lora).toMatchObject({ id: `my-lora.safetensors@${sha.slice(0, 12)}`, file: 'my-lora.safetensors', sha256: sha, scale: 1, effectiveScale: 1, rank: 2, layout: 'peft', baseModel: 'tiny-test' });
    expect(manifestOf(off.out).lora).toMatchObject({ scale: 0, effectiveScale: 0 });
  });

  it('sample explains what is missing', async () => {
    await expect(sampleCommand({ _: ['sample'], model: modelFile }, () => {})).rejects.toThrow(/--prompt/);
    await expect(sampleCommand({ _: ['sample'], prompt: 'dog', 'lora-scale': '1', model: modelFile }, () => {})).rejects.toThrow(/--lora FILE/);
    await expect(sampleCommand({ _: ['sample'], prompt: 'dog', count: '0', model: modelFile }, () => {})).rejects.toThrow(/--count must be an integer/);
  });

  it('info prints the parameter counts, FLOPs with the budget, backend and training metadata', async () => {
    const lines: string[] = [];
    await infoCommand({ _: ['info'], model: modelFile, 'probe-size': '64' }, (s) => lines.push(s));
    const out = lines.join('\n');
    const counts = model.parameterCounts();
    expect(out).toMatch(new RegExp(`vae \\(autoencoder\\)\\s+${counts.vae} `));
    expect(out).toMatch(new RegExp(`text encoder\\s+${counts.textEncoder} `));
    expect(out).toMatch(new RegExp(`UNet\\s+${counts.unet} .*budget ≤ 5\\.00 M\\s+ok`));
    expect(out).toMatch(new RegExp(`total\\s+${counts.vae + counts.textEncoder + counts.unet} `));
    const flops = model.flopCounts();
    expect(out).toContain(`${(flops.unet / 1e6).toFixed(1)} MFLOP / latent`);
    expect(out).toContain('budget ≤ 200.0 MFLOP');
    expect(out).toMatch(/backend\s+wasm \(threads 1/);
    expect(out).toMatch(/step 12, 384 images seen, 1m15s trained/);
    expect(out).toMatch(/matmul probe 64×64×64: [\d.]+ GFLOP\/s/);
    expect(out).toContain('tiny-test');
  });

  it('loadModel says how to get the weights when the file is missing', () => {
    expect(() => loadModel(path.join(dir, 'nope.safetensors'))).toThrow(/npm run pretrain.*git checkout/);
  });
});

describe('pairs folder JSON files: clear messages, no silent misreads', () => {
  let root = '';
  useTmpDir('d3po-pairfolder-', (d) => (root = d));
  let n = 0;
  /** A pairs folder with a pairs.json listing pair-0000 … pair-0002 (no trajectories: nothing here gets that far). */
  const folder = (files: Record<string, string> = {}) => {
    const dir = path.join(root, `f${n++}`);
    fs.mkdirSync(dir);
    const pairs = ['pair-0000', 'pair-0001', 'pair-0002'].map((id) => ({ id, prompt: 'red heart', seed: 1, images: [`images/${id}-A.png`, `images/${id}-B.png`] }));
    fs.writeFileSync(path.join(dir, 'pairs.json'), JSON.stringify({ format: PAIRS_FORMAT, version: 1, trajectories: 'trajectories.safetensors', pairs }));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  };
  const train = (dir: string) => trainCommand({ _: ['train'], pairs: dir }, () => undefined);

  it('labels.json of {} (or null, or a string) says what it must be and how to get it, in readLabels and train', async () => {
    for (const text of ['{}', 'null', '"A"']) {
      const dir = folder({ 'labels.json': text });
      const expected = new RegExp(`${path.join(dir, 'labels.json').replace(/[.\\/]/g, '\\$&')} must be a JSON array of \\{"pair", "vote"\\} entries, but it holds (an object|null|a string); re-run \`label --pairs`);
      expect(() => readLabels(dir)).toThrow(expected);
      await expect(train(dir)).rejects.toThrow(expected);
    }
  });

  it('train rejects an unknown vote ("X", lowercase "a", a number) instead of reading it as a tie', async () => {
    for (const vote of ['X', 'a', 1]) {
      const dir = folder({ 'labels.json': JSON.stringify([{ pair: 'pair-0000', vote: 'A' }, { pair: 'pair-0001', vote }]) });
      const expected = new RegExp(`labels\\.json: pair pair-0001 has vote ${JSON.stringify(JSON.stringify(vote)).slice(1, -1)}; \`train\` reads "A", "B", "tie" or "both-bad"`);
      expect(() => readLabels(dir)).toThrow(expected);
      await expect(train(dir)).rejects.toThrow(expected);
    }
    const dup = folder({ 'labels.json': JSON.stringify([{ pair: 'pair-0000', vote: 'A' }, { pair: 'pair-0000', vote: 'B' }]) });
    expect(() => readLabels(dup)).toThrow(/pair pair-0000 appears twice/);
  });

  it('a pairs.json that is not JSON gives a message with the file name and what to do', async () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'pairs.json'), '{"format": "d3po-studio-pairs", pairs: [');
    const expected = new RegExp(`${path.join(dir, 'pairs.json').replace(/[.\\/]/g, '\\$&')} is not valid JSON \\(.+\\); regenerate the folder with \`pairs --out`);
    expect(() => readPairsManifest(dir)).toThrow(expected);
    await expect(train(dir)).rejects.toThrow(expected);
    await expect(labelCommand({ _: ['label'], pairs: dir, labels: 'x.json' }, () => undefined)).rejects.toThrow(expected);
    fs.writeFileSync(path.join(dir, 'pairs.json'), '[1, 2]');
    expect(() => readPairsManifest(dir)).toThrow(/is not a d3po-studio pairs manifest/);
  });

  it('label reads annotator files that start with a UTF-8 BOM (as Windows editors write them), and so does train', async () => {
    const dir = folder();
    const votes = path.join(dir, 'votes.json');
    fs.writeFileSync(votes, '\uFEFF' + JSON.stringify([{ pair: 'pair-0000', vote: 'A' }, { pair: 'pair-0002', vote: 'both-bad' }]));
    expect(fs.readFileSync(votes).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    await labelCommand({ _: ['label'], pairs: dir, labels: votes }, () => undefined);
    expect(readLabels(dir)).toEqual([
      { pair: 'pair-0000', vote: 'A', mean: 1, annotators: 1 },
      { pair: 'pair-0002', vote: 'both-bad', mean: 0, annotators: 1 },
    ]);
    fs.writeFileSync(path.join(dir, 'labels.json'), '\uFEFF' + fs.readFileSync(path.join(dir, 'labels.json'), 'utf8'));
    expect(readLabels(dir).map((l) => l.vote)).toEqual(['A', 'both-bad']);
  });
});
