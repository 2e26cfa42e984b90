/** Distribution-level diversity reward (large-scale RL paper §3.3): one value per prompt's set of images — the mean pairwise RMS pixel distance — given to every image in the set. */
import { groupByPrompt, type RewardFunction, type RgbaImage } from './types';

/** RMS difference of RGB values in [0,1] between two images. */
export function rmsDistance(a: RgbaImage, b: RgbaImage): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) s += ((a[i + c] - b[i + c]) / 255) ** 2;
  return Math.sqrt(s / ((a.length / 4) * 3));
}

/** Mean over all pairs of the set; 0 for a set of one. */
export function setDiversity(images: RgbaImage[]): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < images.length; i++)
    for (let j = i + 1; j < images.length; j++) {
      s += rmsDistance(images[i], images[j]);
      n++;
    }
  return n === 0 ? 0 : s / n;
}

export const diversityReward: RewardFunction = {
  name: 'diversity',
  description: 'mean pairwise pixel distance within each prompt’s set (set-level: every image gets its set’s value)',
  kind: 'set',
  score: async (images, prompts) => {
    const out = new Array<number>(images.length).fill(0);
    for (const idx of groupByPrompt(prompts).values()) {
      const v = setDiversity(idx.map((i) => images[i]));
      for (const i of idx) out[i] = v;
    }
    return out;
  },
};
