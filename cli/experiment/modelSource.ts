// Which base model an experiment runs on: a weights file (loadModel) or, for CI smoke runs, the random tiny-test model built in memory (MiniSD.create(tinyModelConfig(), 0)).
import { tinyModelConfig } from '../../src/core/config';
import { MiniSD } from '../../src/core/model/pipeline';
import { loadModel } from '../modelLoader';

export interface ModelHandle {
  model: MiniSD;
  id: string; // config name @ short sha256 of the file, or 'tiny-test@memory-seed0'
  file: string | null; // weights file, null for the in-memory tiny model
  sha256: string | null;
}

export function openModel(file: string): ModelHandle {
  const { model, id, file: f } = loadModel(file);
  return { model, id, file: f.path, sha256: f.sha256 };
}

/** The random tiny model of the unit tests (not a meaningful policy: for plumbing checks only). */
export function tinyMemoryModel(seed = 0): ModelHandle {
  const model = MiniSD.create(tinyModelConfig(), seed);
  return { model, id: `${model.config.name}@memory-seed${seed}`, file: null, sha256: null };
}
