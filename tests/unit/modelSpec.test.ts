// Shareable LoRA files: the ModelSpec and training-fact keys (read back from the safetensors header by hand), the thumbnail grid, the worker's export with a gallery thumbnail (decoded with jpeg-js and compared with the gallery's own images), and the model card.
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { createLoraAdapter } from '../../src/core/model/lora';
import { encodeLoraSafetensors } from '../../src/core/model/loraFile/loraFile';
import { modelSpecMetadata, splitModelId, tileImages, MAX_THUMBNAIL_BYTES } from '../../src/core/model/loraFile/modelSpec';
import { modelCard } from '../../src/core/model/loraFile/modelCard';
import { writeZip } from '../../src/core/io/zip';
import { openSession } from '../../src/worker/session';
import { handleExport } from '../../src/worker/loraJobs';
import { sampleWith } from '../../src/worker/evalJobs';
import { slug } from '../../src/core/io/slug';
import type { LoraFileEvent, StudioEvent } from '../../src/worker/protocol';
import { useBackend } from './backend';

let model: MiniSD;
beforeAll(async () => {
  await useBackend('wasm');
  const cfg = tinyModelConfig();
  cfg.sample.steps = 3;
  model = MiniSD.create(cfg, 4);
});
afterAll(() => model.dispose());

/** The JSON header of a safetensors file, parsed here without the project's reader: 8-byte little-endian length, then JSON. */
function header(bytes: Uint8Array): Record<string, unknown> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

const date = new Date(Date.UTC(2026, 11, 7, 12, 0, 0));

describe('modelSpecMetadata', () => {
  it('writes the ModelSpec keys and the training facts, and the file header carries them', async () => {
    const thumb = Uint8Array.from([0xff, 0xd8, 0xff, 1, 2, 3]);
    const m = modelSpecMetadata({
      modelId: 'emoji-sd-mini@f73eec18e403',
      layout: 'peft',
      resolution: 32,
      date,
      title: 'Bright and bold',
      thumbnail: { mime: 'image/jpeg', bytes: thumb },
      training: { method: 'd3po', steps: 160, clicks: 100, beta: 0.1, recipe: { learningRate: 5e-4 } },
    });
    expect(m).toMatchObject({
      'modelspec.sai_model_spec': '1.0.0',
      'modelspec.architecture': 'emoji-sd-mini/lora',
      'modelspec.implementation': 'diffusers',
      'modelspec.title': 'Bright and bold',
      'modelspec.date': '2026-12-07T12:00:00.000Z',
      'modelspec.resolution': '32x32',
      studio_method: 'd3po',
      studio_step: '160',
      studio_clicks: '100',
      studio_beta: '0.1',
      studio_recipe: '{"learningRate":0.0005}',
      studio_base_model_hash: 'f73eec18e403',
    });
    const url = m['modelspec.thumbnail'];
    expect(url.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect(Array.from(Buffer.from(url.slice('data:image/jpeg;base64,'.length), 'base64'))).toEqual(Array.from(thumb));
    // Through the exporter: every key lands in __metadata__ unchanged.
    const lora = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 2, targets: ['to_q'], seed: 1 });
    const file = await encodeLoraSafetensors(lora, { layout: 'peft', baseModel: 'emoji-sd-mini@f73eec18e403', metadata: m });
    lora.dispose();
    const meta = header(file).__metadata__ as Record<string, string>;
    for (const [k, v] of Object.entries(m)) expect(meta[k]).toBe(v);
  });

  it('fills a title and description when none is given, and refuses bad facts', () => {
    const m = modelSpecMetadata({ modelId: 'tiny-test', layout: 'kohya', resolution: 32, date, training: { method: 'd3po', steps: 3 } });
    expect(m['modelspec.title']).toBe('tiny-test taste (d3po, step 3)');
    expect(m['modelspec.implementation']).toBe('kohya-ss/sd-scripts');
    expect(m['modelspec.description']).toMatch(/D3PO .* \(3 optimizer steps\) for tiny-test/);
    expect(m.studio_base_model_hash).toBeUndefined();
    expect(splitModelId('a@b@c')).toEqual({ name: 'a@b', hash: 'c' });
    const bad = (over: object) => () => modelSpecMetadata({ modelId: 'x', layout: 'peft', resolution: 32, date, training: { method: 'd3po', steps: 1 }, ...over });
    expect(bad({ training: { method: 'd3po', steps: -1 } })).toThrow(/steps must be a non-negative integer/);
    expect(bad({ training: { method: 'd3po', steps: 1, clicks: 2.5 } })).toThrow(/clicks must be a non-negative integer/);
    expect(bad({ date: new Date(NaN) })).toThrow(/date is invalid/);
    expect(bad({ thumbnail: { mime: 'image/png', bytes: new Uint8Array(MAX_THUMBNAIL_BYTES + 1) } })).toThrow(/smaller image/);
  });
});

describe('tileImages', () => {
  it('puts image k at row ⌊k / cols⌋, column k mod cols', () => {
    const img = (v: number) => new Uint8Array(2 * 2 * 4).map((_, i) => v + i);
    const g = tileImages([img(0), img(100), img(200)], 2, 2);
    expect([g.width, g.height]).toEqual([4, 4]);
    const px = (x: number, y: number) => Array.from(g.data.subarray((y * 4 + x) * 4, (y * 4 + x) * 4 + 4));
    expect(px(0, 0)).toEqual([0, 1, 2, 3]);
    expect(px(3, 1)).toEqual([112, 113, 114, 115]); // image 1, its pixel (1, 1)
    expect(px(1, 2)).toEqual([204, 205, 206, 207]); // image 2, its pixel (1, 0)
    expect(px(3, 3)).toEqual([0, 0, 0, 0]); // the empty cell
    expect(() => tileImages([img(0), new Uint8Array(3)], 2, 2)).toThrow(/2×2 RGBA/);
  });
});

describe('the worker export', () => {
  it('puts ModelSpec facts and a thumbnail of the gallery prompts (the gallery\'s own images, tiled) into the file', async () => {
    const session = await openSession(model, { rank: 2, alpha: 2, targets: ['to_q', 'to_v'] });
    session.lora.variables.forEach((v, i) => v.assign(tf.randomNormal(v.shape, 0, 0.2, 'float32', i)));
    const events: StudioEvent[] = [];
    const ctx = { post: (e: StudioEvent) => events.push(e), cancelled: () => false };
    const prompts = ['red heart', 'dog', 'pizza', 'sun'];
    await handleExport(session, { type: 'export-lora', id: 1, layout: 'peft', facts: { title: 'Mine', clicks: 12, beta: 0.1, thumbnail: { prompts, seed: 11 } } }, ctx);
    const e = events.find((x): x is LoraFileEvent => x.type === 'lora-file')!;
    const meta = header(new Uint8Array(e.bytes)).__metadata__ as Record<string, string>;
    expect(meta).toMatchObject({ 'modelspec.title': 'Mine', 'modelspec.architecture': 'tiny-test/lora', studio_clicks: '12', studio_step: '0' });
    expect(e.metadata).toEqual(meta);
    const thumb = new Uint8Array(e.thumbnail!);
    expect(meta['modelspec.thumbnail']).toBe(`data:image/jpeg;base64,${Buffer.from(thumb).toString('base64')}`);
    const decoded = jpeg.decode(thumb, { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([64, 64]);
    const gallery = await sampleWith(session, 'current', prompts, 11, model.config.sample.steps, ctx);
    // Each quadrant is that prompt's gallery image (JPEG at quality 90: small differences per pixel).
    gallery.forEach((im, k) => {
      const rgba = new Uint8Array(im.rgba);
      let diff = 0;
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++)
          for (let c = 0; c < 3; c++) diff += Math.abs(decoded.data[(((k >> 1) * 32 + y) * 64 + (k & 1) * 32 + x) * 4 + c] - rgba[(y * 32 + x) * 4 + c]);
      expect(diff / (32 * 32 * 3)).toBeLessThan(8);
    });
    session.optimizer.dispose();
    session.lora.dispose();
  });
});

describe('modelCard', () => {
  it('states the facts from the metadata and the evidence with its interval, and zips as the PEFT export does', () => {
    const metadata = modelSpecMetadata({ modelId: 'emoji-sd-mini@abc', layout: 'peft', resolution: 32, date, title: 'Warm | bright', training: { method: 'd3po', steps: 160, clicks: 100, beta: 0.1, recipe: { rank: 4 } } });
    const card = modelCard({
      metadata,
      weightsFile: 'pytorch_lora_weights.safetensors',
      configFile: 'adapter_config.json',
      thumbnailFile: 'thumbnail.jpg',
      evidence: [{ label: 'taste meter', successes: 18, n: 20, low: 0.699, high: 0.972 }],
    });
    expect(card.split('\n')[0]).toBe('---');
    expect(card).toContain('# Warm | bright');
    expect(card).toContain('![samples of the fixed gallery prompts with this adapter](thumbnail.jpg)');
    expect(card).toContain('| clicks (A/B votes) | 100 |');
    expect(card).toContain('| base model | emoji-sd-mini (content hash abc) |');
    expect(card).toContain('| taste meter | 90 % | 20 | 70 %–97 % |'); // 18 / 20
    expect(card).toContain('"rank": 4');
    expect(modelCard({ metadata, weightsFile: 'w.safetensors' })).toContain('No taste-meter or blind-test votes');
    const zip = writeZip([{ name: 'README.md', data: new TextEncoder().encode(card) }]);
    expect(new TextDecoder().decode(unzipSync(zip)['README.md'])).toBe(card);
    expect(slug('Warm | bright, v2!', { maxLength: 60, fallback: 'lora' })).toBe('warm-bright-v2');
    expect(slug('???', { maxLength: 60, fallback: 'lora' })).toBe('lora');
  });
});
