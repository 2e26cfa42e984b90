// Registers the prompt_alignment reward for CLI runs when the shipped classifier and the emoji dataset index are present.
import fs from 'node:fs';
import path from 'node:path';
import { classifierFromSafetensors, categoryOfPrompt } from '../../src/core/eval/classifier';
import { promptAlignmentReward } from '../../src/core/rewards/promptAlignment';
import { registerReward } from '../../src/core/rewards/registry';
import { parseEmojiIndex } from '../../src/core/data/emojiDataset';

export const CLASSIFIER_FILE = 'public/models/emoji-classifier/classifier.safetensors';

/** Returns true when registered; otherwise says why not (the other rewards still work). */
export function registerPromptAlignment(dataDir = 'data', file = CLASSIFIER_FILE): { ok: boolean; why?: string } {
  const indexFile = path.join(dataDir, 'emoji32.json');
  if (!fs.existsSync(file)) return { ok: false, why: `${file} is missing (run npm run eval once to train it)` };
  if (!fs.existsSync(indexFile)) return { ok: false, why: `${indexFile} is missing (run npm run data)` };
  const { classifier } = classifierFromSafetensors(fs.readFileSync(file));
  const records = parseEmojiIndex(JSON.parse(fs.readFileSync(indexFile, 'utf8'))).records;
  registerReward(promptAlignmentReward(classifier, (p) => categoryOfPrompt(p, records)));
  return { ok: true };
}
