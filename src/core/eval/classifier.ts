/** Small CNN emoji-category classifier (prefix 'classifier.', built from model/layers like the UNet): logits, a penultimate feature vector for the Fréchet distance, a prompt-category reward and safetensors I/O (training: classifierTraining.ts, augmentation: augment.ts); follows the category names of the emoji dataset index. */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../rng';
import { ParamStore } from '../model/params';
import { conv, downsample2x, groupNorm, linear, silu, type Ctx } from '../model/layers';
import { decodeFloatTensors, encodeFloatTensors, readNamedTensors } from '../model/weights';
import { normalizeText } from '../data/captions';
import type { EmojiRecord } from '../data/emojiDataset';

export const CLASSIFIER_PREFIX = 'classifier.';
export const CLASSIFIER_CONFIG_KEY = 'd3po_studio_classifier_config';

/** The emoji-data categories the classifier predicts, in output order. */
export const EMOJI_CATEGORIES: readonly string[] = [
  'Smileys & Emotion',
  'People & Body',
  'Animals & Nature',
  'Food & Drink',
  'Travel & Places',
  'Activities',
  'Objects',
  'Symbols',
  'Flags',
];

/**
 * Dataset categories folded into another: 'Component' holds only the 5 skin-tone swatches (×2 vendors = 10 images),
 * too few to learn; they are skin-tone modifiers of people emoji, so they count as 'People & Body'.
 */
export const MERGED_CATEGORIES: Readonly<Record<string, string>> = { Component: 'People & Body' };

/** The classifier category of a dataset category (after MERGED_CATEGORIES). */
export function classifierCategoryOf(category: string): string {
  return MERGED_CATEGORIES[category] ?? category;
}

export interface ClassifierConfig {
  categories: string[]; // output classes, in logit order
  imageSize: number; // 32
  channels: number[]; // conv width per level; every level but the last is followed by a 2× average pool
  convsPerLevel: number; // 3×3 conv + GroupNorm + SiLU blocks per level
  groups: number; // GroupNorm groups (divides every width)
  featureDim: number; // penultimate feature size (the Fréchet features)
  /**
   * 'plain' (the default; files written before the residual classifier have no field): (conv3×3 → GroupNorm → SiLU)
   * × convsPerLevel per level. 'residual': per level a 3×3 entry conv to the level's width, then convsPerLevel
   * pre-activation residual blocks x + g·conv(act(conv(act(x)))) (He et al. 2016, "Identity Mappings in Deep Residual
   * Networks", fig. 4e), then a final activation before the global average.
   */
  block?: 'plain' | 'residual';
  /**
   * Residual blocks only. 'group': act = SiLU(GroupNorm(·)) and g = 1. 'none': act = SiLU, no normalisation, and g a
   * learned scalar per block initialised to 0, so every block starts as the identity (SkipInit: De & Smith 2020,
   * "Batch Normalization Biases Residual Blocks Towards the Identity Function in Deep Networks").
   */
  norm?: 'group' | 'none';
  /**
   * Added to the head's logits (absent = nothing): τ·log π_k, π the category shares of the training images. The
   * classifier trains class-balanced (every category equally often), which predicts rare categories too often on real
   * emoji, 55 % of which are People & Body; adding τ·log π afterwards is post-hoc logit adjustment (Menon et al. 2021,
   * "Long-tail learning via logit adjustment", ICLR, §4 — used here in the other direction: from balanced training
   * back towards the data's prior), with τ chosen on a validation slice of training emoji (cli/eval/classifierData.ts).
   */
  logitAdjustment?: number[];
  /**
   * What the classes are (absent = 'category'): the emoji categories, or 'style' — the artwork styles of the v2 data
   * (a record's `vendor`), for the style classifier that checks whether a sample is drawn in the style its prompt names.
   */
  labels?: 'category' | 'style';
}

/**
 * The plain classifier: space-to-depth to 16×16, then 16→8→4 with widths 32/64/128 (conv + GroupNorm + SiLU), global
 * average, 64-d features (105k parameters, 210 KB as F16). Both shipped classifiers have it: the first (v1 data, shifts
 * only, 65.6 % on v1's held-out images) and the second (v2 data, meaning-keeping augmentation, 30 epochs, EMA, logit
 * adjustment: 82.5 % there). On v2 it matched the residual one (70.0 vs 71.6 % before adjustment, 77.6 vs 76.5 % after)
 * at a fifth of the training time, so it is the default.
 */
export function plainClassifierConfig(categories: readonly string[] = EMOJI_CATEGORIES): ClassifierConfig {
  return { categories: [...categories], imageSize: 32, channels: [32, 64, 128], convsPerLevel: 1, groups: 8, featureDim: 64 };
}

/** The residual classifier: space-to-depth to 16×16, widths 32/64/128 at 16/8/4, one norm-free residual block per level, 128-d features (0.5 M parameters). */
export function residualClassifierConfig(categories: readonly string[] = EMOJI_CATEGORIES): ClassifierConfig {
  return { categories: [...categories], imageSize: 32, channels: [32, 64, 128], convsPerLevel: 1, groups: 8, featureDim: 128, block: 'residual', norm: 'none' };
}

/**
 * The style classifier: the plain network, 1.5× wider (48/96/192, 96-d features), over artwork styles (classes = style
 * ids, labels = a record's style).
 */
export function styleClassifierConfig(styles: readonly string[]): ClassifierConfig {
  return { ...plainClassifierConfig(styles), channels: [48, 96, 192], featureDim: 96, labels: 'style' };
}

/** What `eval` trains: the plain classifier (see plainClassifierConfig for the comparison). */
export const defaultClassifierConfig = plainClassifierConfig;

/** A very small classifier for tests. */
export function tinyClassifierConfig(categories: readonly string[]): ClassifierConfig {
  return { categories: [...categories], imageSize: 32, channels: [8, 16], convsPerLevel: 1, groups: 4, featureDim: 16 };
}

export interface ClassifierOutput {
  logits: tf.Tensor2D; // [B,K]
  features: tf.Tensor2D; // [B,F] penultimate activations
}

/** Each 2×2 pixel block becomes one position with 4× the channels. [B,H,W,C] -> [B,H/2,W/2,4C] */
export function spaceToDepth2x(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.transpose(x.reshape([b, h / 2, 2, w / 2, 2, c]), [0, 1, 3, 2, 4, 5]).reshape([b, h / 2, w / 2, 4 * c]) as tf.Tensor4D;
}

/**
 * Forward pass. images [B,32,32,3] in [0,1]:
 *   x = spaceToDepth2x(2·images − 1) [B,16,16,12] (a cheap stem: GroupNorm/conv at 32×32 dominated the step time on wasm);
 *   trunk (plainTrunk or residualTrunk by cfg.block), 2× average pools between levels:
 *   [B,16,16,C0] → [B,8,8,C1] → [B,4,4,C2]; global mean → [B,C_last]; features = SiLU(fc) [B,F]; logits = head [B,K]
 */
export function classifierForward(ctx: Ctx, cfg: ClassifierConfig, images: tf.Tensor4D): ClassifierOutput {
  let x = spaceToDepth2x(tf.sub(tf.mul(images, 2), 1) as tf.Tensor4D); // [B,16,16,12]: all pixels kept, half the resolution
  x = cfg.block === 'residual' ? residualTrunk(ctx, cfg, x) : plainTrunk(ctx, cfg, x);
  const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D; // [B,C_last]
  const features = silu(linear(ctx, 'fc', pooled, cfg.featureDim)) as tf.Tensor2D; // [B,F]
  const head = linear(ctx, 'head', features, cfg.categories.length) as tf.Tensor2D; // [B,K]
  const logits = cfg.logitAdjustment ? (tf.add(head, tf.tensor1d(cfg.logitAdjustment)) as tf.Tensor2D) : head;
  return { logits, features };
}

/** 'plain' trunk: per level (conv3×3 → GroupNorm → SiLU)×convsPerLevel, avg-pool 2× between levels. [B,16,16,12] -> [B,16/2^(L−1),·,C_last] */
function plainTrunk(ctx: Ctx, cfg: ClassifierConfig, input: tf.Tensor4D): tf.Tensor4D {
  let x = input;
  cfg.channels.forEach((c, level) => {
    for (let j = 0; j < cfg.convsPerLevel; j++) {
      const name = `levels.${level}.${j}`;
      x = silu(groupNorm(ctx, name + '.norm', conv(ctx, name + '.conv', x, c, 3), cfg.groups));
    }
    if (level < cfg.channels.length - 1) x = downsample2x(x);
  });
  return x;
}

/**
 * 'residual' trunk: per level (avg-pool 2× before every level but the first) an entry conv3×3 to the level's width
 * (`levels.L.in`), then convsPerLevel pre-activation blocks (`levels.L.J.conv1/conv2`, `.norm1/.norm2` or `.gain`),
 * then act(x) (`out_norm` with GroupNorm). [B,16,16,12] -> [B,16/2^(L−1),·,C_last]
 */
function residualTrunk(ctx: Ctx, cfg: ClassifierConfig, input: tf.Tensor4D): tf.Tensor4D {
  const grouped = cfg.norm !== 'none';
  const act = (name: string, t: tf.Tensor4D) => silu(grouped ? groupNorm(ctx, name, t, cfg.groups) : t);
  let x = input;
  cfg.channels.forEach((c, level) => {
    if (level > 0) x = downsample2x(x);
    x = conv(ctx, `levels.${level}.in`, x, c, 3);
    for (let j = 0; j < cfg.convsPerLevel; j++) {
      const name = `levels.${level}.${j}`;
      let h = conv(ctx, name + '.conv1', act(name + '.norm1', x), c, 3);
      h = conv(ctx, name + '.conv2', act(name + '.norm2', h), c, 3);
      if (!grouped) h = tf.mul(h, ctx.params.get(ctx.prefix + name + '.gain', [1], 'zeros'));
      x = tf.add(x, h);
    }
  });
  return act('out_norm', x);
}

export class EmojiClassifier {
  private constructor(readonly config: ClassifierConfig, readonly params: ParamStore) {}

  /** Randomly initialised classifier; one forward pass in creation mode declares every weight. */
  static create(config: ClassifierConfig, seed = 0, trainable = false): EmojiClassifier {
    const params = new ParamStore(createRng(seed), trainable);
    const clf = new EmojiClassifier(config, params);
    params.creating = true;
    tf.tidy(() => void clf.forward(tf.zeros([1, config.imageSize, config.imageSize, 3]) as tf.Tensor4D));
    params.creating = false;
    return clf;
  }

  /** Classifier from named weights; a dry run checks that every weight is present with the right shape. */
  static fromTensors(config: ClassifierConfig, tensors: Map<string, tf.Tensor>, trainable = false): EmojiClassifier {
    const params = new ParamStore(undefined, trainable);
    params.assign(tensors, true);
    const clf = new EmojiClassifier(config, params);
    tf.tidy(() => void clf.forward(tf.zeros([1, config.imageSize, config.imageSize, 3]) as tf.Tensor4D));
    return clf;
  }

  /** The same weights (copied) under `logitAdjustment` (see ClassifierConfig); this classifier stays usable. */
  withLogitAdjustment(adjustment: number[] | undefined): EmojiClassifier {
    if (adjustment && adjustment.length !== this.config.categories.length) throw new Error(`A logit adjustment needs one value per category (${this.config.categories.length}), got ${adjustment.length}.`);
    const { logitAdjustment: _, ...rest } = this.config;
    return EmojiClassifier.fromTensors(adjustment ? { ...rest, logitAdjustment: [...adjustment] } : rest, this.params.tensors);
  }

  ctx(): Ctx {
    return { params: this.params, prefix: CLASSIFIER_PREFIX };
  }

  /** images [B,32,32,3] in [0,1] -> logits [B,K], features [B,F] (differentiable; caller disposes or tidies). */
  forward(images: tf.Tensor4D): ClassifierOutput {
    return classifierForward(this.ctx(), this.config, images);
  }

  /** images [B,32,32,3] in [0,1] -> softmax probabilities [B,K] over config.categories (the prompt-alignment reward reads a column). */
  categoryProbabilities(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => tf.softmax(this.forward(images).logits));
  }

  /** Probability of each image's own category. images [B,32,32,3], categoryIndices [B] -> [B] */
  promptCategoryProbability(images: tf.Tensor4D, categoryIndices: number[]): tf.Tensor1D {
    return tf.tidy(() => {
      const oneHot = tf.oneHot(tf.tensor1d(categoryIndices, 'int32'), this.config.categories.length);
      return tf.sum(tf.mul(this.categoryProbabilities(images), oneHot), 1) as tf.Tensor1D;
    });
  }

  /** Probabilities and features as JS arrays, one row per image (one read). images [B,32,32,3] in [0,1] */
  async predict(images: tf.Tensor4D): Promise<{ probs: Float32Array[]; features: Float32Array[] }> {
    const [p, f] = tf.tidy(() => {
      const out = this.forward(images);
      return [tf.softmax(out.logits), out.features];
    });
    const [pd, fd] = await Promise.all([p.data() as Promise<Float32Array>, f.data() as Promise<Float32Array>]);
    tf.dispose([p, f]);
    return { probs: splitRows(pd, this.config.categories.length), features: splitRows(fd, this.config.featureDim) };
  }

  /** Output index of a (dataset) category; merged categories map to their target. */
  categoryIndex(category: string): number {
    const i = this.config.categories.indexOf(classifierCategoryOf(category));
    if (i < 0) throw new Error(`Category ${JSON.stringify(category)} is not one of the classifier's categories (${this.config.categories.join(', ')}); retrain it with --retrain-classifier.`);
    return i;
  }

  variables(): tf.Variable[] {
    return this.params.variables(CLASSIFIER_PREFIX);
  }

  parameterCount(): number {
    return this.params.count(CLASSIFIER_PREFIX);
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** Flat [n·width] -> n rows (copies). */
export function splitRows(flat: Float32Array, width: number): Float32Array[] {
  return Array.from({ length: flat.length / width }, (_, i) => flat.slice(i * width, (i + 1) * width));
}

/** Index of the largest entry. */
export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** Share of rows whose argmax equals the label. */
export function accuracyOf(probs: readonly ArrayLike<number>[], labels: ArrayLike<number>): number {
  if (probs.length === 0) return NaN;
  let hit = 0;
  probs.forEach((p, i) => (hit += argmax(p) === labels[i] ? 1 : 0));
  return hit / probs.length;
}

/** Classifies n images stored flat [n,32,32,3] in chunks. -> per-image probs [K] and features [F] */
export async function classifyAll(clf: EmojiClassifier, images: Float32Array, chunk = 128): Promise<{ probs: Float32Array[]; features: Float32Array[] }> {
  const s = clf.config.imageSize;
  const per = s * s * 3;
  const n = images.length / per;
  const probs: Float32Array[] = [];
  const features: Float32Array[] = [];
  for (let i = 0; i < n; i += chunk) {
    const m = Math.min(chunk, n - i);
    const x = tf.tensor4d(images.subarray(i * per, (i + m) * per), [m, s, s, 3]);
    const r = await clf.predict(x);
    x.dispose();
    probs.push(...r.probs);
    features.push(...r.features);
  }
  return { probs, features };
}

/** Category of a prompt: the category of the emoji whose bare caption equals the prompt's first comma part. */
export function categoryOfPrompt(prompt: string, records: readonly Pick<EmojiRecord, 'name' | 'category'>[]): string | undefined {
  const head = normalizeText(prompt.split(',')[0]);
  const rec = records.find((r) => normalizeText(r.name) === head);
  return rec ? classifierCategoryOf(rec.category) : undefined;
}

// ---------------------------------------------------------------- safetensors

/** Weights (F32 by default) with the architecture and category list in `__metadata__`. */
export async function classifierToSafetensors(clf: EmojiClassifier, dtype: 'F32' | 'F16' = 'F32', metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const arrays = await readNamedTensors(clf.params.tensors);
  return encodeFloatTensors(arrays, dtype, { ...metadata, [CLASSIFIER_CONFIG_KEY]: JSON.stringify(clf.config), format: 'd3po-studio-classifier' });
}

/** Reads a classifier written by classifierToSafetensors; also returns the file's other metadata. */
export function classifierFromSafetensors(bytes: ArrayBuffer | Uint8Array, trainable = false): { classifier: EmojiClassifier; metadata: Record<string, string> } {
  const { tensors, metadata } = decodeFloatTensors(bytes);
  try {
    const text = metadata[CLASSIFIER_CONFIG_KEY];
    if (!text) throw new Error(`This safetensors file has no ${CLASSIFIER_CONFIG_KEY} metadata, so it is not a d3po-studio emoji classifier; retrain it with \`eval --retrain-classifier\`.`);
    return { classifier: EmojiClassifier.fromTensors(JSON.parse(text) as ClassifierConfig, tensors, trainable), metadata };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
