// Base-quality drift of a tuned adapter: the emoji category classifier's accuracy and true-class probability on the held-out samples (paired with the base model's images of the same prompt and seed), and the min-SNR denoising loss on fixed emoji training latents (src/core/algorithms/pretrainLoss.ts).
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { MiniSD } from '../../src/core/model/pipeline';
import type { LoraAdapter } from '../../src/core/model/lora';
import { argmax, categoryOfPrompt, classifierFromSafetensors, type EmojiClassifier } from '../../src/core/eval/classifier';
import { parseEmojiIndex } from '../../src/core/data/emojiDataset';
import { rgbaToTensor } from '../../src/core/rewards/promptAlignment';
import { DenoisingProxy } from '../../src/core/algorithms/pretrainLoss';
import { tryLoadLatentPool } from '../experiment/emojiLatents';
import { CLASSIFIER_FILE } from '../experiment/classifierReward';

export interface ClassifierQuality {
  accuracy: number; // share of images classified as their prompt's category
  trueProb: number; // mean probability of the prompt's category
}

/** The quality block of a run's result: both models' classifier quality, the accuracy drift, and the denoising losses. */
export interface QualityDrift {
  base: ClassifierQuality | null;
  tuned: ClassifierQuality | null;
  accuracyDrift: number | null; // tuned − base accuracy (share; ×100 = points)
  denoisingBase: number | null;
  denoisingTuned: number | null;
}

/** QualityDrift from the base's and the tuned adapter's measurements (null where the probe could not run). */
export function qualityDrift(base: ClassifierQuality | null, tuned: ClassifierQuality | null, denoisingBase: number | null, denoisingTuned: number | null): QualityDrift {
  return { base, tuned, accuracyDrift: base && tuned ? tuned.accuracy - base.accuracy : null, denoisingBase, denoisingTuned };
}

export class QualityProbe {
  private constructor(
    private readonly classifier: EmojiClassifier,
    private readonly categoryIndex: (prompt: string) => number,
    private readonly proxy: DenoisingProxy | null,
    readonly proxyBase: number | null,
  ) {}

  /** Needs the shipped classifier and `npm run data` (category index and training latents); null with the reason otherwise. */
  static async create(model: MiniSD, dataDir: string, proxyBatch = 64): Promise<QualityProbe | { reason: string }> {
    const index = path.join(dataDir, 'emoji32.json');
    if (!fs.existsSync(CLASSIFIER_FILE)) return { reason: `${CLASSIFIER_FILE} is missing` };
    if (!fs.existsSync(index)) return { reason: `${index} is missing (run npm run data)` };
    const { classifier } = classifierFromSafetensors(fs.readFileSync(CLASSIFIER_FILE));
    const records = parseEmojiIndex(JSON.parse(fs.readFileSync(index, 'utf8'))).records;
    const categoryIndex = (prompt: string) => {
      const c = categoryOfPrompt(prompt, records);
      const i = c === undefined ? -1 : classifier.config.categories.indexOf(c);
      if (i < 0) throw new Error(`No emoji category for the prompt ${JSON.stringify(prompt)}; use emoji names for the held-out prompts.`);
      return i;
    };
    const pool = await tryLoadLatentPool(model, dataDir, 256, 0);
    const proxy = pool.pool ? DenoisingProxy.create(model, pool.pool, proxyBatch) : null;
    return new QualityProbe(classifier, categoryIndex, proxy, proxy ? await proxy.loss() : null);
  }

  async classify(images: Uint8ClampedArray[], prompts: string[]): Promise<ClassifierQuality> {
    const x = rgbaToTensor(images);
    const probs = tf.tidy(() => this.classifier.categoryProbabilities(x));
    const p = await probs.data();
    tf.dispose([x, probs]);
    const k = this.classifier.config.categories.length;
    let hits = 0;
    let prob = 0;
    prompts.forEach((pr, i) => {
      const row = p.subarray(i * k, (i + 1) * k);
      const c = this.categoryIndex(pr);
      hits += argmax(row) === c ? 1 : 0;
      prob += row[c];
    });
    return { accuracy: hits / prompts.length, trueProb: prob / prompts.length };
  }

  /** Denoising loss with the adapter (null without training latents). */
  async denoisingLoss(lora: LoraAdapter): Promise<number | null> {
    return this.proxy ? this.proxy.loss(lora) : null;
  }

  dispose(): void {
    this.proxy?.dispose();
    this.classifier.dispose();
  }
}
