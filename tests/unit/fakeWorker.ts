// Test helper: the worker calls a booted studio needs (subscribe, init on the cpu backend, load of a tiny-test model with 2×2 images and a new LoRA), for fake clients in store tests to extend.
import type { LoraStatus } from '../../src/worker/protocol';

export const newLora = (): LoraStatus => ({ step: 0, rank: 4, alpha: 4, targets: ['to_q'], parameterCount: 100, scale: 1, version: null, source: 'new', checkpointId: null, checkpointStep: null, hasReference: false });

export function bootCalls(lora: LoraStatus = newLora()) {
  return {
    subscribe: () => () => {},
    init: async () => ({ type: 'ready', id: 1, backend: { name: 'cpu', tried: [], crossOriginIsolated: false } }),
    load: async () => ({
      type: 'loaded',
      id: 2,
      model: { name: 'tiny-test', folder: 'tiny-test', bytes: 1, parameterCounts: {}, imageSize: 2, sampleDefaults: { steps: 4, eta: 1, guidanceScale: 3 }, vocabulary: ['<pad>', '<unk>', 'heart', 'red'], maxPromptWords: 16 },
      downloadMs: 1,
      compileMs: 1,
      lora,
    }),
  };
}
