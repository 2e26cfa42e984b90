/** Prompt-alignment reward: the project's emoji category classifier's probability that an image shows its prompt's category (a small stand-in for DDPO's VLM alignment reward). */
import * as tf from '@tensorflow/tfjs';
import type { EmojiClassifier } from '../eval/classifier';
import type { RewardFunction, RgbaImage } from './types';

/** RGBA bytes of square images -> [B,S,S,3] in [0,1] */
export function rgbaToTensor(images: RgbaImage[]): tf.Tensor4D {
  const s = Math.round(Math.sqrt(images[0].length / 4));
  const out = new Float32Array(images.length * s * s * 3);
  images.forEach((img, b) => {
    for (let p = 0; p < s * s; p++) for (let c = 0; c < 3; c++) out[(b * s * s + p) * 3 + c] = img[p * 4 + c] / 255;
  });
  return tf.tensor4d(out, [images.length, s, s, 3]);
}

/** categoryOf maps a prompt to a classifier category (e.g. from the emoji index); unknown prompts are an error. */
export function promptAlignmentReward(classifier: EmojiClassifier, categoryOf: (prompt: string) => string | undefined): RewardFunction {
  const cats = classifier.config.categories;
  return {
    name: 'prompt_alignment',
    description: 'classifier probability that the image shows the prompt’s emoji category',
    kind: 'sample',
    score: async (images, prompts) => {
      const idx = prompts.map((p) => {
        const c = categoryOf(p);
        const i = c === undefined ? -1 : cats.indexOf(c);
        if (i < 0) throw new Error(`prompt_alignment: no emoji category for the prompt ${JSON.stringify(p)}; use emoji names such as "red heart" or pick another reward.`);
        return i;
      });
      const x = rgbaToTensor(images);
      const p = classifier.promptCategoryProbability(x, idx);
      const v = Array.from(await p.data());
      tf.dispose([x, p]);
      return v;
    },
  };
}
