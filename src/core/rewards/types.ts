/** Reward contract shared by the scripted oracle, DDPO and PRDP (as ddpo_pytorch/rewards.py: images + prompts → one number per image). */

/** RGBA bytes of one square image (32×32×4 for this model). */
export type RgbaImage = Uint8ClampedArray;

export interface RewardFunction {
  name: string; // id used on the CLI and in the UI (e.g. 'jpeg_incompressibility')
  description: string; // one line for the UI
  /** 'sample': each image scored alone; 'set': each image's score depends on its whole prompt group (large-scale RL §3.3's distribution-level rewards, with per-image credit). */
  kind: 'sample' | 'set';
  score(images: RgbaImage[], prompts: string[]): Promise<number[]>;
}

/** Indices of each distinct prompt's images, in first-seen order. */
export function groupByPrompt(prompts: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  prompts.forEach((p, i) => groups.set(p, [...(groups.get(p) ?? []), i]));
  return groups;
}
