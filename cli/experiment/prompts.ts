// Prompt lists for the RL/preference experiments: the built-in emoji prompts (bare names as the captions use them, like D3PO's simple_animals list) and the one-prompt-per-line file reader.
import fs from 'node:fs';

/** 20 common emoji over the dataset's categories (all in the training split). */
export const DEFAULT_PROMPTS: readonly string[] = [
  'grinning face', 'red heart', 'face with tears of joy', 'ghost', 'thumbs up',
  'baby', 'dog face', 'cat face', 'unicorn', 'pizza',
  'banana', 'birthday cake', 'sun', 'rainbow', 'fire',
  'soccer ball', 'party popper', 'light bulb', 'guitar', 'flag brazil',
];

/** Non-empty, trimmed lines of a prompts file; '#' starts a comment line. */
export function parsePrompts(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** The prompts of `file`, or the built-in list when no file is given. */
export function readPrompts(file: string | undefined): string[] {
  if (!file) return [...DEFAULT_PROMPTS];
  if (!fs.existsSync(file)) throw new Error(`Prompts file not found: ${file}. Pass a text file with one prompt per line, or omit --prompts for the built-in ${DEFAULT_PROMPTS.length} emoji prompts.`);
  const prompts = parsePrompts(fs.readFileSync(file, 'utf8'));
  if (prompts.length === 0) throw new Error(`${file} has no prompts; write one prompt per line (e.g. "red heart").`);
  return prompts;
}
