/**
 * Carrying a trained model over to a larger word vocabulary (v2's style words): every known word keeps its trained
 * token-embedding row, a new word gets the text encoder's own initialisation (N(0, 0.02²), as textEncoder.ts declares
 * it), every other weight is the trained one. Like growing a CLIP tokenizer's embedding matrix for new tokens
 * (transformers' `resize_token_embeddings`), but by word, since our vocabulary is sorted words, not appended ids.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import type { Rng } from '../rng';
import { COMPONENTS, MiniSD } from './pipeline';

export const TOKEN_EMBEDDING = COMPONENTS.textEncoder + 'text_model.embeddings.token_embedding.weight';
/** The std textEncoder.ts initialises the token table with. */
export const TOKEN_INIT_STD = 0.02;

export interface VocabTransfer {
  table: Float32Array; // [newVocab.length, dim]
  kept: number; // words of the new vocabulary found in the old one (rows copied)
  added: string[]; // new words (rows initialised)
  dropped: string[]; // old words not in the new vocabulary (rows left behind)
}

/** New token table: the old row of each word the old vocabulary has, `std`·N(0,1) for each new word (in new-vocab order). */
export function growTokenEmbedding(oldVocab: readonly string[], oldTable: Float32Array, newVocab: readonly string[], dim: number, rng: Rng, std = TOKEN_INIT_STD): VocabTransfer {
  if (oldTable.length !== oldVocab.length * dim) throw new RangeError(`token table has ${oldTable.length} values, expected ${oldVocab.length} words × ${dim}`);
  if (new Set(newVocab).size !== newVocab.length) throw new RangeError('the new vocabulary repeats a word');
  const oldIndex = new Map(oldVocab.map((w, i) => [w, i]));
  const table = new Float32Array(newVocab.length * dim);
  const added: string[] = [];
  let kept = 0;
  newVocab.forEach((w, i) => {
    const j = oldIndex.get(w);
    if (j === undefined) {
      added.push(w);
      for (let k = 0; k < dim; k++) table[i * dim + k] = rng.normal() * std;
    } else {
      kept++;
      table.set(oldTable.subarray(j * dim, (j + 1) * dim), i * dim);
    }
  });
  const inNew = new Set(newVocab);
  return { table, kept, added, dropped: oldVocab.filter((w) => !inNew.has(w)) };
}

/**
 * A new model with `vocab` as its word vocabulary and every weight of `model` (the token table grown by word).
 * The caller owns both models; `trainable` as MiniSD.fromTensors.
 */
export async function withVocab(model: MiniSD, vocab: string[], rng: Rng, trainable = false): Promise<{ model: MiniSD; transfer: VocabTransfer }> {
  const old = model.params.tensors.get(TOKEN_EMBEDDING);
  if (!old) throw new Error(`The model has no ${TOKEN_EMBEDDING}`);
  const dim = model.config.textEncoder.width;
  const transfer = growTokenEmbedding(model.config.textEncoder.vocab, (await old.data()) as Float32Array, vocab, dim, rng);
  const config: ModelConfig = { ...model.config, textEncoder: { ...model.config.textEncoder, vocab } };
  const grown = tf.tensor2d(transfer.table, [vocab.length, dim]);
  const tensors = new Map<string, tf.Tensor>([...model.params.tensors].map(([n, t]) => [n, n === TOKEN_EMBEDDING ? grown : t]));
  try {
    return { model: MiniSD.fromTensors(config, tensors, trainable), transfer };
  } finally {
    grown.dispose();
  }
}
