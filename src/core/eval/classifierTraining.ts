/** Training of the emoji category classifier: label-smoothed cross-entropy, AdamW with warm-up + cosine decay and gradient clipping, an optional weight EMA (the exported weights), and resumable checkpoints (weights, EMA, AdamW moments, step, RNG). */
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '../rng';
import { AdamW } from '../train/adamw';
import { clipByGlobalNorm, globalNorm } from '../train/gradients';
import { learningRateAt } from '../train/lrSchedule';
import { Ema } from '../pretrain/ema';
import { decodeSafetensors, encodeSafetensors, type TensorEntry } from '../io/safetensors';
import { entryToFloat32, f32Entry } from '../io/tensorEntry';
import { CLASSIFIER_PREFIX, EmojiClassifier, type ClassifierConfig } from './classifier';

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
  labelSmoothing: number; // ε of the smoothed cross-entropy (Szegedy et al. 2016, "Rethinking the Inception Architecture", §7)
  maxGradNorm: number;
  seed: number; // data order and augmentation
  emaDecay?: number; // > 0: keep an EMA of the weights (warm-up decay as diffusers' EMAModel) and finish with it; 0/absent: off
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

const CHECKPOINT_KEY = 'd3po_studio_classifier_checkpoint';

interface CheckpointState {
  classifierConfig: ClassifierConfig;
  trainConfig: ClassifierTrainConfig;
  step: number;
  rng: number[];
  adamStep: number;
  emaUpdates: number;
  elapsedSeconds: number;
  varNames: string[]; // parameter names in variable order
}

export class ClassifierTrainer {
  step = 0;
  elapsedSeconds = 0; // training time of all sessions, kept by the caller across checkpoints
  readonly rng: Rng;
  readonly optimizer: AdamW;
  readonly ema: Ema | null;
  private readonly vars: tf.Variable[];
  private readonly varNames: string[];

  constructor(readonly classifier: EmojiClassifier, readonly config: ClassifierTrainConfig, rngState?: number[]) {
    this.varNames = classifier.params.names(CLASSIFIER_PREFIX);
    this.vars = this.varNames.map((n) => classifier.params.tensors.get(n)!);
    if (this.vars.some((v) => !v.trainable)) throw new Error('ClassifierTrainer needs a classifier created with trainable weights (EmojiClassifier.create(cfg, seed, true)).');
    const opt = { learningRate: config.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: config.weightDecay };
    // Built inside tidy: tf.variable(zerosLike(x)) keeps the zeros tensor alive otherwise, and dispose() would leak it.
    let optimizer: AdamW | undefined;
    tf.tidy(() => void (optimizer = new AdamW(this.vars, opt)));
    this.optimizer = optimizer!;
    this.ema = config.emaDecay && config.emaDecay > 0 ? new Ema(this.vars, config.emaDecay) : null;
    this.rng = createRng(rngState ?? config.seed);
  }

  learningRate(): number {
    const c = this.config;
    return learningRateAt(this.step, { base: c.learningRate, warmupSteps: c.warmupSteps, decaySteps: c.steps - c.warmupSteps, minRatio: 0.1 });
  }

  /** One AdamW step on a batch from `data` (one read for loss + accuracy), then the EMA update. */
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
    this.ema?.update();
    const packed = tf.stack([value, correct!]);
    const [loss, accuracy] = await packed.data();
    tf.dispose([x, y, value, correct!, norm, packed, ...Object.values(grads), ...Object.values(clipped)]);
    this.step++;
    return { step: this.step, loss, accuracy, learningRate: lr };
  }

  /** Copies the EMA weights into the classifier (the weights to export); a no-op without EMA. */
  useEmaWeights(): void {
    this.ema?.shadows.forEach((s, i) => this.vars[i].assign(s));
  }

  /** Full checkpoint: weights (param.*), EMA (ema.*), AdamW moments (adam_m.* / adam_v.*), step and RNG state. */
  async checkpoint(): Promise<Uint8Array> {
    const entries = new Map<string, TensorEntry>();
    const add = async (name: string, t: tf.Tensor) => entries.set(name, f32Entry((await t.data()) as Float32Array, t.shape.slice(), 'F32'));
    for (let i = 0; i < this.vars.length; i++) {
      await add('param.' + this.varNames[i], this.vars[i]);
      if (this.ema) await add('ema.' + this.varNames[i], this.ema.shadows[i]);
    }
    const st = await this.optimizer.getState();
    this.varNames.forEach((n, i) => {
      entries.set('adam_m.' + n, f32Entry(st.m[i], this.vars[i].shape.slice()));
      entries.set('adam_v.' + n, f32Entry(st.v[i], this.vars[i].shape.slice()));
    });
    const state: CheckpointState = {
      classifierConfig: this.classifier.config,
      trainConfig: this.config,
      step: this.step,
      rng: this.rng.state(),
      adamStep: st.step,
      emaUpdates: this.ema?.updates ?? 0,
      elapsedSeconds: this.elapsedSeconds,
      varNames: this.varNames,
    };
    return encodeSafetensors(entries, { [CHECKPOINT_KEY]: JSON.stringify(state) });
  }

  /** Restores a trainer (and a new trainable classifier) from `checkpoint()`; it continues exactly where it stopped. */
  static fromCheckpoint(bytes: Uint8Array | ArrayBuffer): ClassifierTrainer {
    const file = decodeSafetensors(bytes);
    const text = file.metadata[CHECKPOINT_KEY];
    if (!text) throw new Error('This file is not a d3po-studio classifier checkpoint (no state metadata); start a new run without --resume.');
    const state = JSON.parse(text) as CheckpointState;
    const arr = (name: string) => {
      const e = file.tensors.get(name);
      if (!e) throw new Error(`Classifier checkpoint is missing ${name}; it is truncated or from another version.`);
      return { data: entryToFloat32(e), shape: e.shape };
    };
    const weights = new Map<string, tf.Tensor>(state.varNames.map((n) => [n, tf.tensor(arr('param.' + n).data, arr('param.' + n).shape)]));
    const clf = EmojiClassifier.fromTensors(state.classifierConfig, weights, true);
    tf.dispose([...weights.values()]);
    const tr = new ClassifierTrainer(clf, state.trainConfig, state.rng);
    tr.step = state.step;
    tr.elapsedSeconds = state.elapsedSeconds;
    if (tr.ema) {
      tr.ema.updates = state.emaUpdates;
      tr.varNames.forEach((n, i) => {
        const e = arr('ema.' + n);
        tf.tidy(() => tr.ema!.shadows[i].assign(tf.tensor(e.data, e.shape)));
      });
    }
    // tidy: AdamW.setState assigns from temporary tensors it does not dispose
    tf.tidy(() => tr.optimizer.setState({ step: state.adamStep, m: tr.varNames.map((n) => arr('adam_m.' + n).data), v: tr.varNames.map((n) => arr('adam_v.' + n).data) }));
    return tr;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.ema?.dispose();
  }
}

/** Runs `config.steps` training steps (finishing with the EMA weights when configured); onStep may report progress. */
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
    tr.useEmaWeights();
  } finally {
    tr.dispose();
  }
  return history;
}
