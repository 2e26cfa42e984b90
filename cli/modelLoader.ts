// Loads a d3po-studio base model (safetensors) for the CLI: reads the file once, hashes it, exposes its __metadata__.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { MiniSD } from '../src/core/model/pipeline';
import { modelFromSafetensors } from '../src/core/model/weights';

export const DEFAULT_MODEL_PATH = 'public/models/emoji-sd/model.safetensors';

/** The bytes of one weights file as read (the pretraining job may replace the file afterwards). */
export interface ModelFile {
  path: string;
  bytes: Uint8Array;
  sha256: string; // hex of the whole file
  metadata: Record<string, string>; // the file's __metadata__ (string values)
}

export interface LoadedModel {
  model: MiniSD;
  file: ModelFile;
  /** Manifest id: config name + short sha256 of the weights file, e.g. emoji-sd-mini@3f2a9c01b7d4. */
  id: string;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** First 12 hex digits: enough to tell weight files apart in manifests. */
export function shortHash(hex: string): string {
  return hex.slice(0, 12);
}

/** Reads a weights file once; the error says how to get the shipped weights when it is missing. */
export function readModelFile(file: string = DEFAULT_MODEL_PATH): ModelFile {
  if (!fs.existsSync(file)) {
    throw new Error(
      `Model weights not found at ${file}. Run \`npm run pretrain\` or \`git checkout ${DEFAULT_MODEL_PATH}\` to restore the shipped weights, or pass --model FILE.`,
    );
  }
  const bytes = new Uint8Array(fs.readFileSync(file));
  return { path: file, bytes, sha256: sha256Hex(bytes), metadata: readSafetensorsMetadata(bytes, file) };
}

/** Parses only the safetensors header (u64 LE length + JSON) and returns its __metadata__ ({} when absent). */
export function readSafetensorsMetadata(bytes: Uint8Array, what = 'file'): Record<string, string> {
  if (bytes.length < 8) throw new Error(`${what} is ${bytes.length} bytes, too short for a safetensors file; re-export or re-download it.`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.length - 8) throw new Error(`${what}: safetensors header length ${n} exceeds the file; the file is truncated, re-export or re-download it.`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as { __metadata__?: Record<string, string> };
  return header.__metadata__ ?? {};
}

/** Reads and builds the model (weights + config from the file's metadata). Caller disposes `model`. */
export function loadModel(file: string = DEFAULT_MODEL_PATH): LoadedModel {
  const f = readModelFile(file);
  return modelFromFile(f);
}

/** Builds a model from already-read bytes (e.g. once per backend in `bench`). */
export function modelFromFile(f: ModelFile): LoadedModel {
  let model: MiniSD;
  try {
    model = modelFromSafetensors(f.bytes);
  } catch (e) {
    throw new Error(`Cannot load ${path.basename(f.path)} as a d3po-studio model: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { model, file: f, id: `${model.config.name}@${shortHash(f.sha256)}` };
}
