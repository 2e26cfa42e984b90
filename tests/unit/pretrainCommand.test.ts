// The `pretrain` command on a synthetic dataset: checkpoint, export (fp16 weights, config.json with the code's sampling defaults, training state) and loss CSV read back; --resume continues the step count and drops CSV rows of steps lost after the last checkpoint; a stop request (SIGINT) ends the run with a checkpoint; stage decoder trains only the decoder of an exported model; stage unet --from continues a model on data with new style words.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { pretrainCommand, truncateLossCsv } from '../../cli/commands/pretrain';
import { defaultSampleConfig } from '../../src/core/config';
import { decodeSafetensors, encodeSafetensors } from '../../src/core/io/safetensors';
import { CONFIG_METADATA_KEY } from '../../src/core/model/weights';
import { float16BitsToFloat32Array } from '../../src/core/io/float16';
import { STYLE_IDS, stylePhrase } from '../../src/core/data/styles';
import { writeSyntheticDataset } from './syntheticEmoji';
import { useBackend } from './backend';
import { useTmpDir } from './tmpDir';

beforeAll(() => useBackend('wasm'));

describe('pretrain command', () => {
  let dir = '';
  useTmpDir('d3po-pretrain-', (d) => (dir = d));

  it('exports fp16 EMA weights with the current sampling defaults; --resume continues and trims lost CSV rows', async () => {
    writeSyntheticDataset(dir);
    const ckptDir = path.join(dir, 'ckpt');
    const exportDir = path.join(dir, 'model');
    const args = { _: ['pretrain'], stage: 'autoencoder', steps: '2', batch: '4', data: dir, 'checkpoint-dir': ckptDir, export: exportDir };
    const before = tf.memory().numTensors;
    await pretrainCommand(args, () => {});
    expect(tf.memory().numTensors).toBe(before);

    const state = JSON.parse(fs.readFileSync(path.join(exportDir, 'training-state.json'), 'utf8'));
    expect(state).toMatchObject({ stage: 'autoencoder', step: '2', images_seen: '8' });
    const config = JSON.parse(fs.readFileSync(path.join(exportDir, 'config.json'), 'utf8'));
    expect(config.sample).toEqual(defaultSampleConfig);
    const exported = decodeSafetensors(fs.readFileSync(path.join(exportDir, 'model.safetensors')));
    expect(new Set([...exported.tensors.values()].map((e) => e.dtype))).toEqual(new Set(['F16']));
    expect(JSON.parse(exported.metadata[CONFIG_METADATA_KEY]).sample).toEqual(defaultSampleConfig);
    const csv = path.join(ckptDir, 'autoencoder-loss.csv');
    expect(fs.readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(',')[0])).toEqual(['step', '1', '2']);

    // A checkpoint from before a sampling default changed, and a CSV with steps that were lost in a kill.
    const ckpt = path.join(ckptDir, 'autoencoder-latest.safetensors');
    const file = decodeSafetensors(fs.readFileSync(ckpt));
    const saved = JSON.parse(file.metadata.d3po_studio_pretrain_state);
    expect(saved.modelConfig.sample).toEqual(defaultSampleConfig);
    saved.modelConfig.sample = { ...saved.modelConfig.sample, guidanceScale: 99 };
    fs.writeFileSync(ckpt, encodeSafetensors(file.tensors, { ...file.metadata, d3po_studio_pretrain_state: JSON.stringify(saved) }));
    fs.appendFileSync(csv, '3,12,0.1,1e-3,0.5,0.1\n4,16,0.2,1e-3,0.5,0.1\n');

    const lines: string[] = [];
    await pretrainCommand({ ...args, steps: '1', resume: true, 'decay-steps': '10' }, (s) => lines.push(s));
    expect(lines.join('\n')).toMatch(/dropped 2 rows after step 2/);
    expect(lines.join('\n')).toMatch(/cosine decay to 0.1 × over 10 steps from step 2/);
    // The decay phase starts where the resumed run started and is saved, so a later --resume keeps it.
    const resumed = JSON.parse(decodeSafetensors(fs.readFileSync(ckpt)).metadata.d3po_studio_pretrain_state);
    expect(resumed.config).toMatchObject({ decaySteps: 10, decayStart: 2, minLrRatio: 0.1 });
    expect(fs.readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(',')[0])).toEqual(['step', '1', '2', '3']);
    expect(JSON.parse(fs.readFileSync(path.join(exportDir, 'training-state.json'), 'utf8')).step).toBe('3');
    expect(JSON.parse(fs.readFileSync(path.join(exportDir, 'config.json'), 'utf8')).sample).toEqual(defaultSampleConfig);
  });

  it('stage decoder trains only vae.decoder.* of an exported model (the encoder stays bit-identical) and refuses to overwrite it', async () => {
    writeSyntheticDataset(dir);
    const from = path.join(dir, 'model');
    await pretrainCommand({ _: ['pretrain'], stage: 'autoencoder', steps: '2', batch: '4', data: dir, 'checkpoint-dir': path.join(dir, 'ck1'), export: from }, () => {});
    const base = { _: ['pretrain'], stage: 'decoder', steps: '3', batch: '4', lr: '1', data: dir, from, 'checkpoint-dir': path.join(dir, 'ck2') };
    await expect(pretrainCommand({ ...base, export: from }, () => {})).rejects.toThrow(/give --export another folder/);
    const out = path.join(dir, 'decoder');
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    await pretrainCommand({ ...base, export: out }, (l) => lines.push(l));
    expect(tf.memory().numTensors).toBe(before);
    const src = decodeSafetensors(fs.readFileSync(path.join(from, 'model.safetensors')));
    const decoderNames = [...src.tensors.keys()].filter((n) => n.startsWith('vae.decoder.')).sort();
    expect(lines.join('\n')).toMatch(new RegExp(`stage decoder: trains ${decoderNames.length} tensors`));
    // The checkpoint keeps an EMA (and AdamW moments) for exactly the decoder's tensors; their weights moved from the source's (fp16) values.
    const ck = decodeSafetensors(fs.readFileSync(path.join(dir, 'ck2', 'decoder-latest.safetensors')));
    const trained = [...ck.tensors.keys()].filter((n) => n.startsWith('ema.')).map((n) => n.slice(4)).sort();
    expect(trained).toEqual(decoderNames);
    const moved = decoderNames.some((n) => {
      const a = float16BitsToFloat32Array(new Uint16Array(src.tensors.get(n)!.data.slice().buffer));
      const b = new Float32Array(ck.tensors.get('param.' + n)!.data.slice().buffer);
      return a.some((v, i) => Math.abs(v - b[i]) > 1e-3);
    });
    expect(moved).toBe(true);
    // The export: every tensor outside the decoder byte-identical to the model it started from.
    const exported = decodeSafetensors(fs.readFileSync(path.join(out, 'model.safetensors')));
    for (const [n, e] of src.tensors) {
      if (n.startsWith('vae.decoder.')) continue;
      expect(Buffer.from(exported.tensors.get(n)!.data).equals(Buffer.from(e.data)), n).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(out, 'training-state.json'), 'utf8'))).toMatchObject({ stage: 'decoder', step: '3' });
  });

  it('stage unet --from continues a trained model on data with new styles: vocabulary grown by word, every weight carried over', async () => {
    const v1 = path.join(dir, 'v1');
    const v2 = path.join(dir, 'v2');
    fs.mkdirSync(v1);
    fs.mkdirSync(v2);
    writeSyntheticDataset(v1);
    writeSyntheticDataset(v2, ['google', 'twitter', 'fluent']);
    const from = path.join(dir, 'model-v1');
    const common = { _: ['pretrain'], steps: '1', batch: '4' };
    await pretrainCommand({ ...common, stage: 'autoencoder', data: v1, 'checkpoint-dir': path.join(dir, 'ck1'), export: from }, () => {});
    await pretrainCommand({ ...common, stage: 'unet', data: v1, 'checkpoint-dir': path.join(dir, 'ck1'), export: from }, () => {});
    const base = { ...common, stage: 'unet', from, data: v2, lr: '0', 'checkpoint-dir': path.join(dir, 'ck2') };
    await expect(pretrainCommand({ ...base, export: from }, () => {})).rejects.toThrow(/give --export another folder/);
    const out = path.join(dir, 'model-v2');
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    await pretrainCommand({ ...base, export: out }, (l) => lines.push(l));
    expect(tf.memory().numTensors).toBe(before);
    expect(lines.join('\n')).toMatch(/vocabulary 18 words kept, 6 added \(emojione, flat, fluent, fxemoji, openmoji, streamline\), 0 dropped/);

    const read = (d: string) => {
      const f = decodeSafetensors(fs.readFileSync(path.join(d, 'model.safetensors')));
      const values = new Map([...f.tensors].map(([n, e]) => [n, float16BitsToFloat32Array(new Uint16Array(e.data.slice().buffer))]));
      return { values, config: JSON.parse(f.metadata[CONFIG_METADATA_KEY]) };
    };
    const [a, b] = [read(from), read(out)];
    const [va, vb] = [a.config.textEncoder.vocab as string[], b.config.textEncoder.vocab as string[]];
    // Every style's words come in (a person can prompt any style), not only the styles of this data.
    const styleWords = new Set(STYLE_IDS.flatMap((id) => stylePhrase(id).split(' ')));
    expect(vb.filter((w) => !va.includes(w))).toEqual([...styleWords].filter((w) => !va.includes(w)).sort());
    expect(b.config.autoencoder.scalingFactor).toBe(a.config.autoencoder.scalingFactor); // same latent space
    const close = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => Math.abs(v - y[i]) <= 2e-3 * Math.max(1, Math.abs(v)));
    const emb = 'text_encoder.text_model.embeddings.token_embedding.weight';
    for (const [n, v] of a.values) if (n !== emb) expect(close(v, b.values.get(n)!), n).toBe(true); // lr 0: nothing moved
    // Token rows follow the words: each old word's row is its old row, at its new index.
    const d = a.config.textEncoder.width as number;
    for (const w of va) {
      const [i, j] = [va.indexOf(w), vb.indexOf(w)];
      expect(close(a.values.get(emb)!.subarray(i * d, (i + 1) * d), b.values.get(emb)!.subarray(j * d, (j + 1) * d)), w).toBe(true);
    }
    const fluent = b.values.get(emb)!.subarray(vb.indexOf('fluent') * d, (vb.indexOf('fluent') + 1) * d);
    const rms = Math.sqrt(fluent.reduce((s, v) => s + v * v, 0) / d);
    expect(rms).toBeGreaterThan(0.01); // the encoder's N(0, 0.02²) initialisation
    expect(rms).toBeLessThan(0.04);
  });

  it('a stop request (what SIGINT sets) ends the run after the current step, with a checkpoint', async () => {
    writeSyntheticDataset(dir);
    const ckptDir = path.join(dir, 'ckpt-stop');
    const exportDir = path.join(dir, 'model-stop');
    const stop = { requested: false };
    setTimeout(() => (stop.requested = true), 300); // a timer only fires if the loop yields to the event loop
    const listeners = process.listenerCount('SIGINT');
    await pretrainCommand({ _: ['pretrain'], stage: 'autoencoder', steps: '100000', batch: '2', data: dir, 'checkpoint-dir': ckptDir, export: exportDir }, () => {}, stop);
    const step = Number(JSON.parse(fs.readFileSync(path.join(exportDir, 'training-state.json'), 'utf8')).step);
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(100000);
    expect(fs.existsSync(path.join(ckptDir, 'autoencoder-latest.safetensors'))).toBe(true);
    expect(process.listenerCount('SIGINT')).toBe(listeners); // the run removes its signal handlers
  });

  it('truncateLossCsv keeps the header and rows up to the step', () => {
    const f = path.join(dir, 'x.csv');
    expect(truncateLossCsv(f, 5)).toBe(0); // no file: nothing to do
    fs.writeFileSync(f, 'step,loss\n1,0.5\n2,0.4\n3,0.3\n');
    expect(truncateLossCsv(f, 3)).toBe(0);
    expect(truncateLossCsv(f, 1)).toBe(2);
    expect(fs.readFileSync(f, 'utf8')).toBe('step,loss\n1,0.5\n');
  });
});
