// Growing a trained model's word vocabulary (v2's style words): known words keep their trained token rows, new words get the encoder's initialisation, every other weight stays, and the grown model's text features for old captions are the old model's.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyModelConfig } from '../../src/core/config';
import { MiniSD } from '../../src/core/model/pipeline';
import { growTokenEmbedding, TOKEN_EMBEDDING, withVocab } from '../../src/core/model/vocabTransfer';
import { createRng } from '../../src/core/rng';
import { useBackend } from './backend';

beforeAll(() => useBackend('cpu'));

describe('growTokenEmbedding', () => {
  it('copies the row of every known word by word (not by position) and draws new rows with the given std', () => {
    const oldVocab = ['<pad>', '<unk>', 'heart', 'red'];
    // Row i is [10i, 10i + 1].
    const oldTable = Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]);
    const newVocab = ['<pad>', '<unk>', 'fluent', 'heart', 'red', 'style'];
    const t = growTokenEmbedding(oldVocab, oldTable, newVocab, 2, createRng(3), 0.5);
    expect(t.kept).toBe(4);
    expect(t.added).toEqual(['fluent', 'style']);
    expect(t.dropped).toEqual([]);
    expect([...t.table.subarray(0, 4)]).toEqual([0, 1, 10, 11]);
    expect([...t.table.subarray(6, 10)]).toEqual([20, 21, 30, 31]); // heart, red moved down by one row
    // The new rows are the rng's normals × 0.5, in new-vocabulary order.
    const rng = createRng(3);
    const expected = [0, 1, 2, 3].map(() => rng.normal() * 0.5);
    expect([...t.table.subarray(4, 6), ...t.table.subarray(10, 12)].map((v) => v.toFixed(6))).toEqual(expected.map((v) => Math.fround(v).toFixed(6)));
  });

  it('reports old words the new vocabulary lacks and refuses a mis-sized table or a repeated word', () => {
    const t = growTokenEmbedding(['<pad>', 'a', 'b'], new Float32Array(3), ['<pad>', 'b'], 1, createRng(0));
    expect(t.dropped).toEqual(['a']);
    expect(() => growTokenEmbedding(['a', 'b'], new Float32Array(3), ['a'], 2, createRng(0))).toThrow(/3 values, expected 2 words × 2/);
    expect(() => growTokenEmbedding(['a'], new Float32Array(1), ['a', 'a'], 1, createRng(0))).toThrow(/repeats/);
  });
});

describe('withVocab', () => {
  it('gives a model whose old captions encode exactly as before, with the new words usable, and no tensor left behind', async () => {
    const model = MiniSD.create(tinyModelConfig(), 7);
    const old = model.config.textEncoder.vocab;
    const vocab = [...old.slice(0, 2), ...[...old.slice(2), 'fluent', 'style'].sort()]; // '<pad>', '<unk>', sorted words, as buildVocab
    expect(vocab.indexOf('red')).not.toBe(old.indexOf('red'));
    const before = tf.memory().numTensors;
    const { model: grown, transfer } = await withVocab(model, vocab, createRng(1));
    expect(transfer.added).toEqual(['fluent', 'style']);
    expect(grown.config.textEncoder.vocab).toEqual(vocab);
    expect(grown.params.tensors.get(TOKEN_EMBEDDING)!.shape).toEqual([vocab.length, model.config.textEncoder.width]);
    // Every other weight is the old one.
    for (const [n, t] of model.params.tensors) {
      if (n === TOKEN_EMBEDDING) continue;
      expect(tf.util.arraysEqual(await grown.params.tensors.get(n)!.data(), await t.data()), n).toBe(true);
    }
    // Old captions: the same text features (ids differ, rows follow the words).
    const [a, b] = [model.encodeText(['red heart', 'grinning dog face']), grown.encodeText(['red heart', 'grinning dog face'])];
    expect(tf.util.arraysEqual(await a.data(), await b.data())).toBe(true);
    // A new word is a token of its own, not <unk>.
    const [u, s] = [grown.encodeText(['red heart, unknownword style']), grown.encodeText(['red heart, fluent style'])];
    const diff = tf.tidy(() => tf.sub(u, s).abs().max());
    expect((await diff.data())[0]).toBeGreaterThan(1e-4);
    tf.dispose([a, b, u, s, diff]);
    grown.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
