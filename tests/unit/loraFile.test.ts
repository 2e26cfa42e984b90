/** Tests for src/core/model/loraFile/loraFile.ts: PEFT/diffusers and kohya LoRA export/import (keys, PyTorch orientation, metadata, validation, import limits on rank, alpha and weight size). */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiniSD } from '../../src/core/model/pipeline';
import { tinyModelConfig } from '../../src/core/config';
import { allLoraTargets, createLoraAdapter, type LoraAdapter } from '../../src/core/model/lora';
import { ParamStore } from '../../src/core/model/params';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type TensorEntry } from '../../src/core/io/safetensors';
import { entryToFloat32, f32Entry } from '../../src/core/io/tensorEntry';
import {
  adapterConfigJson,
  decodeLoraSafetensors,
  encodeLoraSafetensors,
  inspectLoraSafetensors,
  LoraFileError,
  defaultLoraImportLimits,
  targetSuffix,
  type LoraFileErrorCode,
  type LoraImportLimits,
} from '../../src/core/model/loraFile/loraFile';
import { trainConfigLimits } from '../../src/worker/trainConfig';
import { maxAbsDiff, useBackend } from './backend';

beforeAll(() => useBackend('wasm'));

const LINEAR = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
const CONV = 'down_blocks.0.resnets.0.conv1';
const STUDIO = { studio_method: 'd3po', studio_pairs: '12', studio_beta: '0.1' };

let model: MiniSD;
let adapter: LoraAdapter;

beforeAll(() => {
  model = MiniSD.create(tinyModelConfig(), 1);
  // rank 2, alpha 3: a non-unit alpha/r catches alpha/rank mix-ups; conv_shortcut adds 1×1 convs.
  adapter = createLoraAdapter(model.params, 'unet.', { rank: 2, alpha: 3, targets: [...allLoraTargets, 'conv_shortcut'], seed: 7 });
  let seed = 100;
  for (const m of adapter.modules.values()) {
    const b = tf.randomNormal(m.B.shape, 0, 0.3, 'float32', seed++);
    m.B.assign(b);
    b.dispose();
  }
});

afterAll(() => {
  adapter?.dispose();
  model?.dispose();
});

async function unetOut(lora?: LoraAdapter): Promise<Float32Array> {
  const out = tf.tidy(() => {
    const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
    return model.predict(x, [100, 700], model.encodeText(['red heart', 'dog']), lora);
  });
  const d = (await out.data()) as Float32Array;
  out.dispose();
  return d;
}

async function values(v: tf.Tensor): Promise<Float32Array> {
  return (await v.data()) as Float32Array;
}

/** Runs fn and returns the LoraFileError it throws (failing otherwise), checking its code. */
function loraError(fn: () => unknown, code: LoraFileErrorCode): LoraFileError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'should throw a LoraFileError').toBeInstanceOf(LoraFileError);
  expect((thrown as LoraFileError).code, (thrown as Error).message).toBe(code);
  return thrown as LoraFileError;
}

/** Re-encodes a file after editing its tensors/metadata. */
function rewrite(bytes: Uint8Array, edit: (t: Map<string, TensorEntry>, meta: Record<string, string>) => void): Uint8Array {
  const f = decodeSafetensors(bytes);
  edit(f.tensors, f.metadata);
  return encodeSafetensors(f.tensors, f.metadata);
}

const peftKey = (name: string, part: 'A' | 'B') => `unet.${name}.lora_${part}.weight`;
const kohyaKey = (name: string, part: 'lora_down.weight' | 'lora_up.weight' | 'alpha') => `lora_unet_${name.replace(/\./g, '_')}.${part}`;

describe('export: key names, orientation, metadata', () => {
  it('PEFT: exact keys, lora_A = Aᵀ / lora_B = Bᵀ for a linear, [r,in,k,k] / [out,r,1,1] for a conv', async () => {
    const bytes = await encodeLoraSafetensors(adapter, { layout: 'peft', baseModel: 'tiny-test', metadata: STUDIO });
    const f = decodeSafetensors(bytes);
    const expected = [...adapter.modules.keys()].flatMap((n) => [peftKey(n, 'A'), peftKey(n, 'B')]);
    expect([...f.tensors.keys()].sort()).toEqual(expected.sort());
    expect(f.tensors.has('unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight')).toBe(true);
    expect(f.tensors.has('unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.lora_B.weight')).toBe(true);
    expect(f.tensors.has('unet.down_blocks.0.resnets.0.conv1.lora_A.weight')).toBe(true);

    // Linear: A [in, r] -> lora_A [r, in] with lora_A[j][i] = A[i][j]; B [r, out] -> lora_B [out, r] with lora_B[o][j] = B[j][o].
    const lin = adapter.modules.get(LINEAR)!;
    const [inF, outF, r] = [lin.inFeatures, lin.outFeatures, 2];
    const A = await values(lin.A);
    const B = await values(lin.B);
    const la = f.tensors.get(peftKey(LINEAR, 'A'))!;
    const lb = f.tensors.get(peftKey(LINEAR, 'B'))!;
    expect(la.dtype).toBe('F32');
    expect(la.shape).toEqual([r, inF]);
    expect(lb.shape).toEqual([outF, r]);
    const laV = entryToFloat32(la);
    const lbV = entryToFloat32(lb);
    for (let i = 0; i < inF; i++) for (let j = 0; j < r; j++) expect(laV[j * inF + i]).toBe(A[i * r + j]);
    for (let j = 0; j < r; j++) for (let o = 0; o < outF; o++) expect(lbV[o * r + j]).toBe(B[j * outF + o]);

    // Conv: A [k,k,in,r] -> lora_A [r,in,k,k] with lora_A[o][i][y][x] = A[y][x][i][o]; lora_B [out, r, 1, 1].
    const cv = adapter.modules.get(CONV)!;
    expect(cv.kind).toBe('conv');
    const [k, cin, cout] = [cv.kernelSize, cv.inFeatures, cv.outFeatures];
    expect(k).toBe(3);
    const cA = await values(cv.A);
    const cB = await values(cv.B);
    const ca = f.tensors.get(peftKey(CONV, 'A'))!;
    const cb = f.tensors.get(peftKey(CONV, 'B'))!;
    expect(ca.shape).toEqual([r, cin, k, k]);
    expect(cb.shape).toEqual([cout, r, 1, 1]);
    const caV = entryToFloat32(ca);
    const cbV = entryToFloat32(cb);
    for (let y = 0; y < k; y++)
      for (let x = 0; x < k; x++)
        for (let i = 0; i < cin; i++)
          for (let o = 0; o < r; o++) expect(caV[((o * cin + i) * k + y) * k + x]).toBe(cA[((y * k + x) * cin + i) * r + o]);
    for (let j = 0; j < r; j++) for (let o = 0; o < cout; o++) expect(cbV[o * r + j]).toBe(cB[j * cout + o]);

    // Metadata: diffusers' packed LoraConfig, format pt, pass-through studio keys.
    expect(f.metadata.format).toBe('pt');
    expect(f.metadata.studio_method).toBe('d3po');
    expect(f.metadata.studio_pairs).toBe('12');
    expect(f.metadata.studio_beta).toBe('0.1');
    expect(f.metadata.studio_base_model).toBe('tiny-test');
    const cfg = JSON.parse(f.metadata.lora_adapter_metadata);
    expect(cfg['unet.peft_type']).toBe('LORA');
    expect(cfg['unet.r']).toBe(2);
    expect(cfg['unet.lora_alpha']).toBe(3);
    expect(cfg['unet.base_model_name_or_path']).toBe('tiny-test');
    expect(cfg['unet.target_modules']).toEqual([...allLoraTargets, 'conv_shortcut'].sort());
    expect(Object.keys(cfg)).toEqual(Object.keys(cfg).sort());
  });

  it('kohya: exact keys, lora_down/lora_up in PyTorch orientation, 0-rank F32 alpha, ss_* metadata', async () => {
    const bytes = await encodeLoraSafetensors(adapter, { layout: 'kohya', baseModel: 'tiny-test', metadata: STUDIO });
    const f = decodeSafetensors(bytes);
    const expected = [...adapter.modules.keys()].flatMap((n) => [kohyaKey(n, 'lora_down.weight'), kohyaKey(n, 'lora_up.weight'), kohyaKey(n, 'alpha')]);
    expect([...f.tensors.keys()].sort()).toEqual(expected.sort());
    expect(f.tensors.has('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight')).toBe(true);
    expect(f.tensors.has('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0.lora_up.weight')).toBe(true);
    expect(f.tensors.has('lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight')).toBe(true);

    const alpha = f.tensors.get('lora_unet_down_blocks_0_resnets_0_conv1.alpha')!;
    expect(alpha.dtype).toBe('F32');
    expect(alpha.shape).toEqual([]);
    expect(entryToFloat32(alpha)[0]).toBe(3);

    const lin = adapter.modules.get(LINEAR)!;
    const A = await values(lin.A);
    const down = f.tensors.get(kohyaKey(LINEAR, 'lora_down.weight'))!;
    expect(down.shape).toEqual([2, lin.inFeatures]);
    const dV = entryToFloat32(down);
    for (let i = 0; i < lin.inFeatures; i++) for (let j = 0; j < 2; j++) expect(dV[j * lin.inFeatures + i]).toBe(A[i * 2 + j]);
    const cv = adapter.modules.get(CONV)!;
    expect(f.tensors.get(kohyaKey(CONV, 'lora_down.weight'))!.shape).toEqual([2, cv.inFeatures, 3, 3]);
    expect(f.tensors.get(kohyaKey(CONV, 'lora_up.weight'))!.shape).toEqual([cv.outFeatures, 2, 1, 1]);

    expect(f.metadata.ss_network_dim).toBe('2');
    expect(f.metadata.ss_network_alpha).toBe('3');
    expect(f.metadata.ss_network_module).toBe('networks.lora');
    expect(f.metadata.ss_base_model_version).toBe('tiny-test');
    expect(f.metadata.studio_method).toBe('d3po');
    expect(f.metadata.lora_adapter_metadata).toBeUndefined();
  });

  it('adapter_config.json has the PEFT fields', () => {
    const cfg = JSON.parse(adapterConfigJson(adapter, 'tiny-test'));
    expect(cfg.peft_type).toBe('LORA');
    expect(cfg.r).toBe(2);
    expect(cfg.lora_alpha).toBe(3);
    expect(cfg.base_model_name_or_path).toBe('tiny-test');
    expect(cfg.target_modules).toEqual([...allLoraTargets, 'conv_shortcut'].sort());
    expect(cfg.use_dora).toBe(false);
    expect(cfg.use_rslora).toBe(false);
    expect(cfg.bias).toBe('none');
  });

  it('rejects bad export options', async () => {
    await expect(encodeLoraSafetensors(adapter, { layout: 'peft', baseModel: '' })).rejects.toThrow(/baseModel must name/);
    await expect(encodeLoraSafetensors(adapter, { layout: 'x' as 'peft', baseModel: 'm' })).rejects.toThrow(/unknown layout/);
    await expect(encodeLoraSafetensors(adapter, { layout: 'peft', baseModel: 'm', dtype: 'BF16' as 'F16' })).rejects.toThrow(/dtype must be/);
    await expect(encodeLoraSafetensors(adapter, { layout: 'kohya', baseModel: 'm', metadata: { ss_network_dim: '8' } })).rejects.toThrow(/remove it from opts.metadata/);
  });
});

describe('round trip', () => {
  for (const layout of ['peft', 'kohya'] as const) {
    it(`${layout}: identical A, B, rank, alpha, modules and model output; inspect agrees`, async () => {
      const bytes = await encodeLoraSafetensors(adapter, { layout, baseModel: 'tiny-test', metadata: STUDIO });
      const before = tf.memory().numTensors;
      const { adapter: back, info } = decodeLoraSafetensors(bytes.slice().buffer, model.params);
      expect(info.layout).toBe(layout);
      expect(info.rank).toBe(2);
      expect(info.alpha).toBe(3);
      expect(info.baseModel).toBe('tiny-test');
      expect(info.metadata.studio_method).toBe('d3po');
      expect(info.targets).toEqual([...allLoraTargets, 'conv_shortcut'].sort());
      expect(back.config.rank).toBe(2);
      expect(back.config.alpha).toBe(3);
      expect(back.scale).toBe(adapter.scale);
      // Same modules in the same order as createLoraAdapter (optimizer state follows variable order).
      expect([...back.modules.keys()]).toEqual([...adapter.modules.keys()]);
      for (const [name, m] of adapter.modules) {
        const b = back.modules.get(name)!;
        expect([b.kind, b.inFeatures, b.outFeatures, b.kernelSize]).toEqual([m.kind, m.inFeatures, m.outFeatures, m.kernelSize]);
        expect(b.A.shape).toEqual(m.A.shape);
        expect(b.B.shape).toEqual(m.B.shape);
        expect(b.A.trainable).toBe(true);
        expect(maxAbsDiff(await values(b.A), await values(m.A))).toBe(0);
        expect(maxAbsDiff(await values(b.B), await values(m.B))).toBe(0);
      }
      const base = await unetOut();
      const orig = await unetOut(adapter);
      const imported = await unetOut(back);
      expect(maxAbsDiff(orig, base)).toBeGreaterThan(1e-3); // the adapter really changes the output
      expect(maxAbsDiff(imported, orig)).toBeLessThan(1e-6);

      const peek = inspectLoraSafetensors(bytes);
      expect(peek).toEqual(info);

      back.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('F16 export stays within fp16 rounding', async () => {
    const bytes = await encodeLoraSafetensors(adapter, { layout: 'peft', baseModel: 'tiny-test', dtype: 'F16' });
    expect(decodeSafetensors(bytes).tensors.get(peftKey(LINEAR, 'A'))!.dtype).toBe('F16');
    const { adapter: back } = decodeLoraSafetensors(bytes, model.params);
    for (const [name, m] of adapter.modules) {
      for (const part of ['A', 'B'] as const) {
        const got = await values(back.modules.get(name)![part]);
        const want = await values(m[part]);
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * 2 ** -11 + 2 ** -24);
      }
    }
    const diff = maxAbsDiff(await unetOut(back), await unetOut(adapter));
    expect(diff).toBeLessThan(1e-2);
    back.dispose();
  });

  it('kohya F16 keeps the alpha scalars F32 and accepts F16/BF16 alpha scalars on import', async () => {
    const bytes = await encodeLoraSafetensors(adapter, { layout: 'kohya', baseModel: 'tiny-test', dtype: 'F16' });
    const f = decodeSafetensors(bytes);
    expect(f.tensors.get(kohyaKey(CONV, 'alpha'))!.dtype).toBe('F32');
    expect(f.tensors.get(kohyaKey(CONV, 'lora_down.weight'))!.dtype).toBe('F16');
    for (const dtype of ['F16', 'BF16'] as const) {
      const edited = rewrite(bytes, (t) => {
        for (const k of [...t.keys()]) if (k.endsWith('.alpha')) t.set(k, f32Entry(new Float32Array([3]), [], dtype));
      });
      const { adapter: back, info } = decodeLoraSafetensors(edited, model.params);
      expect(info.alpha).toBe(3);
      back.dispose();
    }
  });

  it('PEFT import accepts base_model.model. keys, a flat config, and no config (alpha = r)', async () => {
    const bytes = await encodeLoraSafetensors(adapter, { layout: 'peft', baseModel: 'tiny-test' });
    const flat = rewrite(bytes, (t, meta) => {
      for (const [k, e] of [...t]) {
        t.delete(k);
        t.set(k.replace(/^unet\./, 'base_model.model.'), e);
      }
      meta.lora_adapter_metadata = adapterConfigJson(adapter, 'tiny-test');
      delete meta.studio_base_model;
    });
    const a = decodeLoraSafetensors(flat, model.params);
    expect(a.info.alpha).toBe(3);
    expect(a.info.baseModel).toBe('tiny-test');
    expect(maxAbsDiff(await unetOut(a.adapter), await unetOut(adapter))).toBeLessThan(1e-6);
    a.adapter.dispose();

    const bare = rewrite(bytes, (_t, meta) => {
      for (const k of Object.keys(meta)) delete meta[k];
    });
    const b = decodeLoraSafetensors(bare, model.params);
    expect(b.info.alpha).toBe(2);
    expect(b.info.baseModel).toBeUndefined();
    b.adapter.dispose();
  });

  it('kohya import without alpha tensors uses alpha = rank', async () => {
    const bytes = await encodeLoraSafetensors(adapter, { layout: 'kohya', baseModel: 'tiny-test' });
    const noAlpha = rewrite(bytes, (t) => {
      for (const k of [...t.keys()]) if (k.endsWith('.alpha')) t.delete(k);
    });
    const { adapter: back, info } = decodeLoraSafetensors(noAlpha, model.params);
    expect(info.alpha).toBe(2);
    back.dispose();
  });

  it('targetSuffix names the module leaf', () => {
    expect(targetSuffix(LINEAR)).toBe('to_q');
    expect(targetSuffix('mid.attn.to_out.0')).toBe('to_out.0');
    expect(targetSuffix('down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj')).toBe('ff.net.0.proj');
    expect(targetSuffix('down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2')).toBe('ff.net.2');
    expect(targetSuffix(CONV)).toBe('conv1');
    expect(targetSuffix('down_blocks.0.downsamplers.0.conv')).toBe('conv');
    expect(targetSuffix('a.b.foo.3')).toBe('foo.3');
  });
});

describe('import errors', () => {
  let peftBytes: Uint8Array;
  let kohyaBytes: Uint8Array;
  beforeAll(async () => {
    peftBytes = await encodeLoraSafetensors(adapter, { layout: 'peft', baseModel: 'tiny-test' });
    kohyaBytes = await encodeLoraSafetensors(adapter, { layout: 'kohya', baseModel: 'tiny-test' });
  });

  it('a file from a different base model: shape mismatch, naming the file base model; no tensors leak', () => {
    const cfg = tinyModelConfig();
    cfg.unet.blockOutChannels = [8, 16];
    const other = MiniSD.create(cfg, 2);
    const before = tf.memory().numTensors;
    for (const bytes of [peftBytes, kohyaBytes]) {
      const err = loraError(() => decodeLoraSafetensors(bytes, other.params), 'shape-mismatch');
      expect(err.message).toMatch(/different base model/);
      expect(err.message).toMatch(/'tiny-test'/);
    }
    expect(tf.memory().numTensors).toBe(before);
    other.dispose();
  });

  it('an unknown module (PEFT and kohya)', () => {
    const extra = (t: Map<string, TensorEntry>, a: string, b: string) => {
      t.set(a, f32Entry(new Float32Array(2 * 16), [2, 16]));
      t.set(b, f32Entry(new Float32Array(16 * 2), [16, 2]));
    };
    const peft = rewrite(peftBytes, (t) => extra(t, 'unet.mid_block.attn9.to_z.lora_A.weight', 'unet.mid_block.attn9.to_z.lora_B.weight'));
    expect(loraError(() => decodeLoraSafetensors(peft, model.params), 'unknown-module').message).toMatch(/mid_block\.attn9\.to_z.*base model it was trained on/);
    const kohya = rewrite(kohyaBytes, (t) => {
      extra(t, 'lora_unet_mid_block_attn9_to_z.lora_down.weight', 'lora_unet_mid_block_attn9_to_z.lora_up.weight');
      t.set('lora_unet_mid_block_attn9_to_z.alpha', f32Entry(new Float32Array([3]), []));
    });
    expect(loraError(() => decodeLoraSafetensors(kohya, model.params), 'unknown-module').message).toMatch(/lora_unet_mid_block_attn9_to_z/);
  });

  it('an ambiguous kohya name', () => {
    const store = new ParamStore();
    store.tensors.set('unet.a_b.c.weight', tf.variable(tf.zeros([4, 4]), false));
    store.tensors.set('unet.a.b_c.weight', tf.variable(tf.zeros([4, 4]), false));
    const bytes = encodeSafetensors(
      new Map([
        ['lora_unet_a_b_c.lora_down.weight', f32Entry(new Float32Array(8), [2, 4])],
        ['lora_unet_a_b_c.lora_up.weight', f32Entry(new Float32Array(8), [4, 2])],
      ]),
    );
    expect(loraError(() => decodeLoraSafetensors(bytes, store), 'ambiguous-module').message).toMatch(/'a_b\.c'.*'a\.b_c'|'a\.b_c'.*'a_b\.c'/);
    store.dispose();
  });

  it('a safetensors file that is not a LoRA', () => {
    const bytes = encodeSafetensors(new Map([['unet.conv_in.weight', f32Entry(new Float32Array(4), [1, 1, 1, 4])]]), { d3po_studio_model_config: '{}' });
    const err = loraError(() => decodeLoraSafetensors(bytes, model.params), 'not-lora');
    expect(err.message).toMatch(/load it as a model/);
    loraError(() => inspectLoraSafetensors(bytes), 'not-lora');
    loraError(() => decodeLoraSafetensors(encodeSafetensors(new Map()), model.params), 'not-lora');
  });

  it('corrupt bytes throw SafetensorsError from decode and inspect', () => {
    for (const bad of [peftBytes.slice(0, peftBytes.length - 3), new Uint8Array([1, 2, 3]), Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff)]) {
      expect(() => decodeLoraSafetensors(bad, model.params)).toThrow(SafetensorsError);
      expect(() => inspectLoraSafetensors(bad)).toThrow(SafetensorsError);
    }
    const mangledHeader = peftBytes.slice();
    mangledHeader[8] = 0x5b; // '[' instead of '{'
    expect(() => inspectLoraSafetensors(mangledHeader)).toThrow(SafetensorsError);
  });

  it('mixed layouts', () => {
    const mixed = rewrite(peftBytes, (t) => {
      const k = decodeSafetensors(kohyaBytes).tensors;
      t.set(kohyaKey(CONV, 'lora_down.weight'), k.get(kohyaKey(CONV, 'lora_down.weight'))!);
    });
    expect(loraError(() => decodeLoraSafetensors(mixed, model.params), 'mixed-layouts').message).toMatch(/one layout/);
  });

  it('mixed ranks, mixed alphas, a missing half, text-encoder keys, DoRA, NaN, inconsistent metadata', () => {
    const mixedRanks = rewrite(peftBytes, (t) => {
      const m = adapter.modules.get(LINEAR)!;
      t.set(peftKey(LINEAR, 'A'), f32Entry(new Float32Array(3 * m.inFeatures), [3, m.inFeatures]));
      t.set(peftKey(LINEAR, 'B'), f32Entry(new Float32Array(m.outFeatures * 3), [m.outFeatures, 3]));
    });
    expect(loraError(() => decodeLoraSafetensors(mixedRanks, model.params), 'mixed-ranks').message).toMatch(/rank 2 .*rank 3|rank 3 .*rank 2/);

    const mixedAlphas = rewrite(kohyaBytes, (t) => t.set(kohyaKey(CONV, 'alpha'), f32Entry(new Float32Array([1]), [])));
    loraError(() => decodeLoraSafetensors(mixedAlphas, model.params), 'mixed-alphas');

    const halfMissing = rewrite(peftBytes, (t) => t.delete(peftKey(CONV, 'B')));
    expect(loraError(() => decodeLoraSafetensors(halfMissing, model.params), 'incomplete').message).toMatch(/no lora_B/);

    const withTe = rewrite(kohyaBytes, (t) => {
      t.set('lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight', f32Entry(new Float32Array(2), [2, 1]));
    });
    expect(loraError(() => decodeLoraSafetensors(withTe, model.params), 'text-encoder').message).toMatch(/UNet LoRAs only/);
    const withPeftTe = rewrite(peftBytes, (t) => {
      t.set('text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight', f32Entry(new Float32Array(2), [2, 1]));
    });
    loraError(() => decodeLoraSafetensors(withPeftTe, model.params), 'text-encoder');

    const dora = rewrite(peftBytes, (t) => t.set(`unet.${LINEAR}.lora_magnitude_vector`, f32Entry(new Float32Array(2), [2])));
    expect(loraError(() => decodeLoraSafetensors(dora, model.params), 'unsupported').message).toMatch(/DoRA/);

    const nan = rewrite(peftBytes, (t) => {
      const e = t.get(peftKey(LINEAR, 'B'))!;
      const v = entryToFloat32(e);
      v[1] = NaN;
      t.set(peftKey(LINEAR, 'B'), f32Entry(v, e.shape));
    });
    const before = tf.memory().numTensors;
    loraError(() => decodeLoraSafetensors(nan, model.params), 'bad-values');
    expect(tf.memory().numTensors).toBe(before);

    const wrongR = rewrite(peftBytes, (_t, meta) => {
      const cfg = JSON.parse(meta.lora_adapter_metadata);
      cfg['unet.r'] = 8;
      meta.lora_adapter_metadata = JSON.stringify(cfg);
    });
    expect(loraError(() => decodeLoraSafetensors(wrongR, model.params), 'bad-metadata').message).toMatch(/r = 8 .*rank 2/);
  });
});

describe('import limits: finite is not enough', () => {
  // The studio's own limits (src/worker/trainConfig.ts trainConfigLimits: rank 1–64, alpha 0.001–1000) as the worker passes them.
  const studio: LoraImportLimits = { ...defaultLoraImportLimits, rank: trainConfigLimits.rank, alpha: trainConfigLimits.alpha };
  let peftBytes: Uint8Array;
  let kohyaBytes: Uint8Array;
  beforeAll(async () => {
    peftBytes = await encodeLoraSafetensors(adapter, { layout: 'peft', baseModel: 'tiny-test' });
    kohyaBytes = await encodeLoraSafetensors(adapter, { layout: 'kohya', baseModel: 'tiny-test' });
  });

  /** Sets element `i` of an F32 tensor of the file to `v`. */
  const setValue = (bytes: Uint8Array, key: string, i: number, v: number) =>
    rewrite(bytes, (t) => {
      const e = t.get(key)!;
      const x = entryToFloat32(e);
      x[i] = v;
      t.set(key, f32Entry(x, e.shape));
    });
  const setConfig = (bytes: Uint8Array, key: string, raw: string) =>
    rewrite(bytes, (_t, meta) => {
      meta.lora_adapter_metadata = meta.lora_adapter_metadata.replace(new RegExp(`"unet\\.${key}": [^,\\n]+`), `"unet.${key}": ${raw}`);
    });

  it('rejects huge weights, alphas and ranks that finiteness checks let through, saying what is wrong and what to do', () => {
    const before = tf.memory().numTensors;
    const cases: [string, Uint8Array, RegExp][] = [
      ['A = 3e38', setValue(peftBytes, peftKey(LINEAR, 'A'), 0, 3e38), /holds 3\.0\d*e\+38 at element 0; LoRA weights must lie within ±1000.*export it again/],
      ['B = 60000', setValue(peftBytes, peftKey(CONV, 'B'), 5, 60000), /holds 60000 at element 5/],
      ['kohya alpha 1e6', setValue(kohyaBytes, kohyaKey(CONV, 'alpha'), 0, 1e6), /alpha' is 1000000; alpha must be positive and at most 10000.*re-export/],
      ['kohya alpha 3e38', setValue(kohyaBytes, kohyaKey(LINEAR, 'alpha'), 0, 3e38), /alpha must be positive and at most 10000/],
      ['lora_alpha 1e300', setConfig(peftBytes, 'lora_alpha', '1e300'), /lora_alpha is 1e\+300; alpha must be positive and at most 10000/],
    ];
    for (const [what, bytes, message] of cases) {
      const err = loraError(() => decodeLoraSafetensors(bytes, model.params), 'out-of-range');
      expect(err.message, what).toMatch(message);
    }
    // lora_alpha 1e999 parses to Infinity: caught too (decode and inspect, which reads no weights).
    const inf = setConfig(peftBytes, 'lora_alpha', '1e999');
    expect(loraError(() => decodeLoraSafetensors(inf, model.params), 'out-of-range').message).toMatch(/lora_alpha is Infinity/);
    loraError(() => inspectLoraSafetensors(inf), 'out-of-range');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rank and alpha outside the caller’s limits (the studio’s 1–64, 0.001–1000) are rejected; decode and inspect agree', async () => {
    const wide = createLoraAdapter(model.params, 'unet.', { rank: 65, alpha: 3, targets: ['to_q'], seed: 1 });
    const rank65 = await encodeLoraSafetensors(wide, { layout: 'peft', baseModel: 'tiny-test' });
    wide.dispose();
    const message = /rank 65; this studio loads ranks from 1 to 64\. Resize the LoRA/;
    expect(loraError(() => decodeLoraSafetensors(rank65, model.params, 'unet.', studio), 'out-of-range').message).toMatch(message);
    expect(loraError(() => inspectLoraSafetensors(rank65, studio), 'out-of-range').message).toMatch(message);
    decodeLoraSafetensors(rank65, model.params).adapter.dispose(); // the core default allows it

    const alpha2000 = setConfig(peftBytes, 'lora_alpha', '2000');
    expect(loraError(() => decodeLoraSafetensors(alpha2000, model.params, 'unet.', studio), 'out-of-range').message).toMatch(/alpha must be from 0\.001 to 1000/);
    const rsLora = setConfig(setConfig(peftBytes, 'lora_alpha', '800'), 'use_rslora', 'true'); // 800 × √2 > 1000
    expect(loraError(() => decodeLoraSafetensors(rsLora, model.params, 'unet.', studio), 'out-of-range').message).toMatch(/use_rslora\) is 1131\.37/);
  });

  it('adapters at the edges of what the studio trains (rank 1–64, alpha 0.001–1000) round-trip under the studio limits', async () => {
    for (const [rank, alpha] of [
      [1, 0.001],
      [64, 1000],
      [1, 1000],
      [64, 0.001],
    ]) {
      const a = createLoraAdapter(model.params, 'unet.', { rank, alpha, targets: [...allLoraTargets, 'conv_shortcut'], seed: 3 });
      let seed = 200;
      for (const m of a.modules.values()) m.B.assign(tf.randomNormal(m.B.shape, 0, 0.3, 'float32', seed++));
      for (const layout of ['peft', 'kohya'] as const) {
        for (const dtype of ['F32', 'F16'] as const) {
          const bytes = await encodeLoraSafetensors(a, { layout, baseModel: 'tiny-test', dtype });
          const { adapter: back, info } = decodeLoraSafetensors(bytes, model.params, 'unet.', studio);
          expect(info.rank).toBe(rank);
          expect(info.alpha).toBeCloseTo(alpha, 9); // kohya keeps alpha as an F32 scalar
          expect(inspectLoraSafetensors(bytes, studio).rank).toBe(rank);
          back.dispose();
        }
      }
      a.dispose();
    }
  });

  it('fuzz: 240 random exponent-bit flips (seed 14) are either rejected with a LoRA/safetensors error or give a finite model output at 1× and 4×', async () => {
    let s = 14;
    const rnd = () => {
      // mulberry32
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const counts = { accepted: 0, outOfRange: 0, otherError: 0 };
    for (let n = 0; n < 240; n++) {
      const source = n % 2 === 0 ? peftBytes : kohyaBytes;
      const f = decodeSafetensors(source);
      const keys = [...f.tensors.keys()];
      const key = keys[Math.floor(rnd() * keys.length)];
      const e = f.tensors.get(key)!;
      const data = e.data.slice();
      const element = Math.floor(rnd() * (data.length / 4));
      const bit = 23 + Math.floor(rnd() * 8); // an F32 exponent bit
      data[element * 4 + (bit >> 3)] ^= 1 << (bit & 7);
      f.tensors.set(key, { ...e, data });
      const mutant = encodeSafetensors(f.tensors, f.metadata);
      let back: LoraAdapter;
      try {
        back = decodeLoraSafetensors(mutant, model.params).adapter;
      } catch (err) {
        expect(err instanceof LoraFileError || err instanceof SafetensorsError, String(err)).toBe(true);
        if (err instanceof LoraFileError && err.code === 'out-of-range') counts.outOfRange++;
        else counts.otherError++;
        continue;
      }
      counts.accepted++;
      for (const multiplier of [1, 4]) {
        back.multiplier = multiplier;
        const out = await unetOut(back);
        expect(out.every(Number.isFinite), `${key}[${element}] bit ${bit} at ${multiplier}×`).toBe(true);
      }
      back.dispose();
    }
    // Both outcomes occur, so the test exercises the bound and the accepted path.
    expect(counts.accepted).toBeGreaterThan(100);
    expect(counts.outOfRange).toBeGreaterThan(20);
  });
});
