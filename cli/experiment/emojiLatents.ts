// Emoji training latents for the RL runs: a LatentPool of posterior samples of the training split (with captions drawn as in pretraining), for the pretraining-loss step and the base-quality proxy in src/core/algorithms/pretrainLoss.ts.
import type { MiniSD } from '../../src/core/model/pipeline';
import type { LatentPool } from '../../src/core/pretrain/latentSubset';
import { createRng, shuffled } from '../../src/core/rng';
import { encodeLatents, loadEmojiDataset, unetData } from '../pretrain/emojiData';


/** Encodes `count` random training images with the model's autoencoder; throws (saying to run `npm run data`) without the dataset. */
export async function loadLatentPool(model: MiniSD, dataDir: string, count: number, seed: number): Promise<LatentPool> {
  const ds = loadEmojiDataset(dataDir);
  const records = shuffled(ds.train, createRng(seed)).slice(0, Math.max(1, count));
  const table = await encodeLatents(model, ds, records, false);
  return { size: table.records.length, data: unetData(table, model.config.autoencoder.scalingFactor) };
}

/** Like loadLatentPool, but null (with the reason) when the dataset is missing. */
export async function tryLoadLatentPool(model: MiniSD, dataDir: string, count: number, seed: number): Promise<{ pool: LatentPool | null; reason?: string }> {
  try {
    return { pool: await loadLatentPool(model, dataDir, count, seed) };
  } catch (e) {
    return { pool: null, reason: e instanceof Error ? e.message : String(e) };
  }
}
