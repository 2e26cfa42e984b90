// Compare action: base model (LoRA scale 0) vs the tuned adapter at the chosen scale, on the same prompts and seeds, one worker request per cell.
import type { GeneratedImage } from '../worker/protocol';
import { getClient } from './client';
import { patch, useStudioStore } from './index';

export interface CompareCell {
  prompt: string;
  seed: number;
  base: GeneratedImage;
  tuned: GeneratedImage;
  scale: number;
}

/** Runs every (prompt, seed) at `scale`, reporting each cell as it arrives; abort stops between cells (and between DDIM steps). */
export async function runCompare(prompts: string[], seeds: number[], scale: number, onCell: (cell: CompareCell) => void, signal?: AbortSignal): Promise<void> {
  const client = getClient();
  const { lora } = await client.setLoraScale(scale);
  patch('session', { lora });
  patch('settings', { compareScale: scale });
  for (const prompt of prompts) {
    for (const seed of seeds) {
      if (signal?.aborted) return;
      const r = await client.compare({ prompt, seed, steps: useStudioStore.getState().settings.train.sampleSteps }, { signal });
      onCell({ prompt, seed, base: r.base, tuned: r.tuned, scale: r.scale });
    }
  }
}
