// `latent-subset`: writes the sample of pretraining data the studio's pretraining-loss term draws from (large-scale RL paper, eq. 8): random training images encoded by the model's own autoencoder (means × scaling factor, [N,8,8,4]) with one caption each.
import path from 'node:path';
import { captionFor } from '../../src/core/data/captions';
import { encodeLatentSubset, LATENT_SUBSET_FILE } from '../../src/core/pretrain/latentSubset';
import { createRng, shuffled } from '../../src/core/rng';
import { num, str, type Args } from '../args';
import { writeAtomic } from '../fsAtomic';
import { DEFAULT_MODEL_PATH, loadModel } from '../modelLoader';
import { encodeLatents, loadEmojiDataset } from '../pretrain/emojiData';

export const latentSubsetHelp = `latent-subset [--model ${DEFAULT_MODEL_PATH}] [--count 512] [--seed 0] [--data data] [--out <model folder>/${LATENT_SUBSET_FILE}]
  Encodes --count random training images (never held-out ones) with the model's autoencoder and writes their scaled
  latent means and captions next to the weights, for the studio's pretraining-loss term in reward-driven training.
  Needs \`npm run data\`. Rerun it when the autoencoder changes.`;

export async function latentSubsetCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const modelPath = str(args, 'model', DEFAULT_MODEL_PATH);
  const count = num(args, 'count', 512);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count is the number of images to encode (a positive integer), got ${count}.`);
  const seed = num(args, 'seed', 0);
  const out = str(args, 'out', path.join(path.dirname(modelPath), LATENT_SUBSET_FILE));
  const ds = loadEmojiDataset(str(args, 'data', 'data'));
  const { model, id } = loadModel(modelPath);
  try {
    const rng = createRng(seed);
    const records = shuffled(ds.train, rng).slice(0, count);
    const table = await encodeLatents(model, ds, records, false);
    const { sampleSize: s, inChannels: c } = model.config.unet;
    const sf = model.config.autoencoder.scalingFactor;
    const latents = table.mean.map((v) => v * sf);
    const captions = table.records.map((r) => captionFor(r, { vendor: true, skinTone: true }, () => rng.next()));
    const bytes = encodeLatentSubset({ latents, shape: [records.length, s, s, c], captions, source: `${id}, ${records.length} training images, seed ${seed}` });
    writeAtomic(out, bytes);
    log(`wrote ${out}: ${records.length} latents [${s},${s},${c}] (${(bytes.byteLength / 1024).toFixed(0)} KB) encoded by ${id}`);
  } finally {
    model.dispose();
  }
}
