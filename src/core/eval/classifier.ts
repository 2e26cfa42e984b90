/** Small CNN emoji-category classifier (prefix 'classifier.', built from model/layers like the UNet): logits, a penultimate feature vector for the Fréchet distance, a prompt-category reward, AdamW training and safetensors I/O; follows the category names of the emoji dataset index. */
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '../rng';
import { ParamStore } from '../model/params';
import { conv, downsample2x, groupNorm, linear, silu, type Ctx } from '../model/layers';
import { decodeFloatTensors, encodeFloatTensors, readNamedTensors } from '../model/weights';
import { AdamW } from '../train/adamw';
import { clipByGlobalNorm, globalNorm } from '../train/gradients';
import { learningRateAt } from '../train/lrSchedule';
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
}

/** The shipped classifier: space-to-depth to 16×16, then 16→8→4 with widths 32/64/128, global average, 64-d features (105k parameters, 420 KB as F32). */
export function defaultClassifierConfig(categories: readonly string[] = EMOJI_CATEGORIES): ClassifierConfig {
  return { categories: [...categories], imageSize: 32, channels: [32, 64, 128], convsPerLevel: 1, groups: 8, featureDim: 64 };
}

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
 *   per level: (conv3×3 → GroupNorm → SiLU)×convsPerLevel, then avg-pool 2× except at the last level
 *   [B,16,16,C0] → [B,8,8,C1] → [B,4,4,C2]; global mean → [B,C_last]; features = SiLU(fc) [B,F]; logits = head [B,K]
 */
export function classifierForward(ctx: Ctx, cfg: ClassifierConfig, images: tf.Tensor4D): ClassifierOutput {
  let x = spaceToDepth2x(tf.sub(tf.mul(images, 2), 1) as tf.Tensor4D); // [B,16,16,12]: all pixels kept, half the resolution
  cfg.channels.forEach((c, level) => {
    for (let j = 0; j < cfg.convsPerLevel; j++) {
      const name = `levels.${level}.${j}`;
      x = silu(groupNorm(ctx, name + '.norm', conv(ctx, name + '.conv', x, c, 3), cfg.groups));
    }
    if (level < cfg.channels.length - 1) x = downsample2x(x);
  });
  const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D; // [B,C_last]
  const features = silu(linear(ctx, 'fc', pooled, cfg.featureDim)) as tf.Tensor2D; // [B,F]
  const logits = linear(ctx, 'head', features, cfg.categories.length) as tf.Tensor2D; // [B,K]
  return { logits, features };
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

// ---------------------------------------------------------------- augmentation

/**
 * Copies one image [S,S,3] (values in [0,1]) into `out` at `offset`, mirrored left-right when `flip`, shifted by
 * (dx, dy) pixels with `fill` (white: the dataset composites on white) entering at the edges.
 */
export function augmentImage(src: ArrayLike<number>, size: number, flip: boolean, dx: number, dy: number, out: Float32Array, offset: number, fill = 1): void {
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const sy = y - dy;
      let sx = x - dx;
      const o = offset + (y * size + x) * 3;
      if (sy < 0 || sy >= size || sx < 0 || sx >= size) {
        out[o] = out[o + 1] = out[o + 2] = fill;
        continue;
      }
      if (flip) sx = size - 1 - sx;
      const i = (sy * size + sx) * 3;
      out[o] = src[i];
      out[o + 1] = src[i + 1];
      out[o + 2] = src[i + 2];
    }
}

/** Category of a prompt: the category of the emoji whose bare caption equals the prompt's first comma part. */
export function categoryOfPrompt(prompt: string, records: readonly Pick<EmojiRecord, 'name' | 'category'>[]): string | undefined {
  const head = normalizeText(prompt.split(',')[0]);
  const rec = records.find((r) => normalizeText(r.name) === head);
  return rec ? classifierCategoryOf(rec.category) : undefined;
}

// ---------------------------------------------------------------- training

/** Labelled batches; implementations draw with the trainer's RNG (augmentation included). */
export interface ClassifierData {
  /** images [B,32,32,3] in [0,1] (flattened), labels [B] category indices. */
  batch(rng: Rng, batchSize: number): { images: Float32Array; labels: Int32Array };
}

export interface ClassifierTrainConfig {
  batchSize: number;
  learningRate: number; // peak LR
  warmupSteps: number;
  steps: number; // total optimizer steps (cosine decay to 10% over steps − warmupSteps)
  weightDecay: number;
  labelSmoothing: number; // ε of the smoothed cross-entropy
  maxGradNorm: number;
  seed: number; // data order and augmentation
}

export const defaultClassifierTrainConfig = (steps: number): ClassifierTrainConfig => ({
  batchSize: 64,
  learningRate: 3e-3,
  warmupSteps: Math.min(50, Math.floor(steps / 10)),
  steps,
  weightDecay: 1e-2,
  labelSmoothing: 0.1,
  maxGradNorm: 2,
  seed: 0,
});

/** Label-smoothed cross-entropy. logits [B,K], labels [B] -> scalar mean */
export function classifierLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing: number): tf.Scalar {
  const k = logits.shape[1];
  const target = tf.add(tf.mul(tf.oneHot(labels, k), 1 - smoothing), smoothing / k);
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

export interface ClassifierStepMetrics {
  step: number; // steps done, after this one
  loss: number;
  accuracy: number; // on the (augmented) training batch
  learningRate: number;
}

export class ClassifierTrainer {
  step = 0;
  readonly rng: Rng;
  readonly optimizer: AdamW;
  private readonly vars: tf.Variable[];

  constructor(readonly classifier: EmojiClassifier, readonly config: ClassifierTrainConfig) {
    this.vars = classifier.variables();
    if (this.vars.some((v) => !v.trainable)) throw new Error('ClassifierTrainer needs a classifier created with trainable weights (EmojiClassifier.create(cfg, seed, true)).');
    const opt = { learningRate: config.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: config.weightDecay };
    // Built inside tidy: tf.variable(zerosLike(x)) keeps the zeros tensor alive otherwise, and dispose() would leak it.
    let optimizer: AdamW | undefined;
    tf.tidy(() => void (optimizer = new AdamW(this.vars, opt)));
    this.optimizer = optimizer!;
    this.rng = createRng(config.seed);
  }

  learningRate(): number {
    const c = this.config;
    return learningRateAt(this.step, { base: c.learningRate, warmupSteps: c.warmupSteps, decaySteps: c.steps - c.warmupSteps, minRatio: 0.1 });
  }

  /** One AdamW step on a batch from `data` (one read for loss + accuracy). */
  async trainStep(data: ClassifierData): Promise<ClassifierStepMetrics> {
    const c = this.config;
    const s = this.classifier.config.imageSize;
    const lr = this.learningRate();
    const { images, labels } = data.batch(this.rng, c.batchSize);
    const x = tf.tensor4d(images, [c.batchSize, s, s, 3]);
    const y = tf.tensor1d(labels, 'int32');
    let correct: tf.Scalar | undefined;
    const { grads, value } = tf.variableGrads(() => {
      const { logits } = this.classifier.forward(x);
      correct = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')) as tf.Scalar);
      return classifierLoss(logits, y, c.labelSmoothing);
    }, this.vars);
    const norm = globalNorm(grads);
    const clipped = clipByGlobalNorm(grads, norm, c.maxGradNorm);
    this.optimizer.apply(clipped, lr);
    const packed = tf.stack([value, correct!]);
    const [loss, accuracy] = await packed.data();
    tf.dispose([x, y, value, correct!, norm, packed, ...Object.values(grads), ...Object.values(clipped)]);
    this.step++;
    return { step: this.step, loss, accuracy, learningRate: lr };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Runs `config.steps` training steps; onStep may report progress. */
export async function trainClassifier(
  classifier: EmojiClassifier,
  data: ClassifierData,
  config: ClassifierTrainConfig,
  onStep: (m: ClassifierStepMetrics) => void = () => {},
): Promise<ClassifierStepMetrics[]> {
  const tr = new ClassifierTrainer(classifier, config);
  const history: ClassifierStepMetrics[] = [];
  try {
    while (tr.step < config.steps) {
      const m = await tr.trainStep(data);
      history.push(m);
      onStep(m);
    }
  } finally {
    tr.dispose();
  }
  return history;
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
