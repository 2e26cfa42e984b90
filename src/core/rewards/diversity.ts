/**
 * Distribution-level diversity reward with per-image credit. The large-scale RL paper (Zhang et al. 2024,
 * arXiv 2401.12244, §3.3 "distribution-based rewards") computes a reward on a set of samples and gives every sample the
 * set's value; that works there because batch-wise normalisation compares sets across many prompts. Here a group is one
 * prompt's K images (PRDP regresses reward differences within it, D3PO's oracle compares within it, DDPO often has one
 * prompt per round), so a shared value gives zero differences, only ties and zero advantages. Each image therefore gets
 * its own share of the set's diversity D(S) (mean pairwise RMS pixel distance): its mean distance to the other images,
 * m_i = mean_{j≠i} d(i, j). This orders images exactly as the leave-one-out contribution D(S) − D(S∖{i}) does — for
 * |S| = n ≥ 3 that contribution is a constant + 2/(n−2)·m_i (removing i removes its n−1 distances), for n = 2 it equals
 * m_i — but the leave-one-out values average to 0 for every set (each pair lies in n−2 of the n smaller sets), while the
 * m_i average to D(S) itself, so round means and held-out means still measure the set's diversity. A set of one: 0.
 */
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

/** Each image's mean distance to the other images of the set (their mean is setDiversity); [0] for a set of one. */
export function meanDistanceToOthers(images: RgbaImage[]): number[] {
  const n = images.length;
  const sums = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const d = rmsDistance(images[i], images[j]);
      sums[i] += d;
      sums[j] += d;
    }
  return sums.map((s) => (n < 2 ? 0 : s / (n - 1)));
}

export const diversityReward: RewardFunction = {
  name: 'diversity',
  description: 'each image’s mean pixel distance to the other images of its prompt’s set (set-level; their mean is the set’s diversity)',
  kind: 'set',
  score: async (images, prompts) => {
    const out = new Array<number>(images.length).fill(0);
    for (const idx of groupByPrompt(prompts).values()) {
      const v = meanDistanceToOthers(idx.map((i) => images[i]));
      idx.forEach((i, k) => (out[i] = v[k]));
    }
    return out;
  },
};
