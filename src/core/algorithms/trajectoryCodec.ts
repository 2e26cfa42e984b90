/** Sampled trajectories and their preference labels <-> compact bytes (a safetensors file: latents F32 or F16, sampling log-probs F32, a JSON header in __metadata__), for D3PO's stored (x_t, x_{t−1}) chains (yk7333/d3po scripts/sample.py keeps the same fields); used by the CLI `pairs`/`train` and the browser's IndexedDB. */
import type { Trajectory } from '../diffusion/sample';
import { decodeSafetensors, encodeSafetensors, type Dtype, type TensorEntry } from '../io/safetensors';
import { entryToFloat32, f32Entry } from '../io/tensorEntry';
import type { PreferencePair } from './d3poTrainer';
import type { Vote } from './d3po';

// DO NOT CHANGE THESE WITHOUT A MIGRATION: stored pairs (files and IndexedDB records) are read back by them.
export const TRAJECTORY_METADATA_KEY = 'd3po_studio_trajectories';
export const TRAJECTORY_FORMAT = 'd3po-studio-trajectories';
export const TRAJECTORY_CODEC_VERSION = 1;

/** Upper bound on one encoded labeled pair of the shipped model (20 steps, 8×8×4 latents); checked by the tests. */
export const MAX_PAIR_BYTES = 300_000;

/**
 * Storage precision of the latents. Log-probs are always stored F32, as sampled — but they are the log-probs of the
 * F32 chain. F32 latents round-trip exactly, so re-scoring a decoded step reproduces its stored log-prob (0 difference).
 * F16 latents are rounded (half an ulp, ~1e-3 at |x| ≈ 2), and re-scoring the rounded transition differs from the stored
 * log-prob by ~1e-4 on most steps and up to 6e-3 on the last two (small σ) of the shipped model at 20 steps (measured on
 * 6 samples; 0.03 on the tiny test model) — beyond DDPO's ratio clip of 1e-4 (kvablack/ddpo-pytorch
 * config/base.py `train.clip_range`) and PRDP's proximal ε. So F16 bundles are for D3PO only (it re-scores policy and
 * reference on the stored latents and never reads the stored log-probs, as yk7333/d3po scripts/train.py); the DDPO and
 * PRDP trainers refuse F16-stored trajectories (`assertExactSamplingLogProbs`).
 */
export type LatentDtype = 'F32' | 'F16';

/** A reference to two trajectories of a bundle that form one pair (same prompt and x_T), with its label when known. */
export interface PairRef {
  id: string;
  a: number; // index into the bundle's trajectories (image A, D3PO's sample_0)
  b: number; // image B
  vote?: Vote; // 0 = A preferred, 1 = B preferred, 'tie' / 'both-bad' = no preference; absent = not labeled yet
}

export interface TrajectoryBundle {
  trajectories: Trajectory[];
  pairs: PairRef[];
  meta: Record<string, unknown>; // free-form JSON (model id, sampler settings, ...)
}

/** One pair with its own two trajectories: the unit the labeling UI and `pairs`/`train` move around. */
export interface LabeledPair {
  id: string;
  trajectories: [Trajectory, Trajectory];
  vote?: Vote;
}

/** A stored file that is not a valid trajectory bundle; the message says what is wrong and what to do. */
export class TrajectoryCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrajectoryCodecError';
  }
}

/** A decoded trajectory remembers how its latents were stored (a plain property, so it survives structured clone). */
export interface StoredTrajectory extends Trajectory {
  storedLatentDtype: Dtype; // 'F32' (exact) or 'F16' (what encodeTrajectoryBundle writes); other float dtypes read back too
}

/** True when `tr` was decoded from latents stored below F32 (its stored log-probs are not those of its latents). */
export function hasRoundedLatents(tr: Trajectory): boolean {
  const d = (tr as Partial<StoredTrajectory>).storedLatentDtype;
  return d !== undefined && d !== 'F32';
}

/**
 * Throws unless every trajectory's stored log-probs are exactly those of its latents (freshly sampled, or stored F32):
 * the importance ratio / proximal clip of `method` (DDPO, PRDP) compares against them as θ_old.
 */
export function assertExactSamplingLogProbs(trajectories: readonly Trajectory[], method: string): void {
  const bad = trajectories.find(hasRoundedLatents);
  if (bad) {
    throw new TrajectoryCodecError(
      `${method} needs the sampling-time log-probs of the exact latents, but the trajectory of "${bad.prompt}" (seed ${bad.seed}) was stored with ${(bad as StoredTrajectory).storedLatentDtype} latents: re-scoring them differs from the stored log-probs by up to ~6e-3, beyond ${method}'s clip. Train stored F16 pairs with D3PO, or store F32 latents (e.g. \`pairs --dtype F32\`).`,
    );
  }
}

interface TrajectoryHeader {
  prompt: string;
  seed: number;
  index: number;
  timesteps: number[];
  steps: number;
  eta: number;
  guidanceScale: number;
}

interface BundleHeader {
  format: string;
  version: number;
  latentDtype: LatentDtype;
  trajectories: TrajectoryHeader[];
  pairs: { id: string; a: number; b: number; vote: Vote | null }[];
  meta: Record<string, unknown>;
}

const latentsKey = (i: number) => `trajectories.${i}.latents`;
const logProbsKey = (i: number) => `trajectories.${i}.log_probs`;

function isVote(v: unknown): v is Vote {
  return v === 0 || v === 1 || v === 'tie' || v === 'both-bad';
}

/** latents[0..T] (each H·W·C) -> one [T+1, H·W·C] array. */
function stackLatents(tr: Trajectory): Float32Array {
  const n = tr.latents[0]?.length ?? 0;
  const out = new Float32Array(tr.latents.length * n);
  tr.latents.forEach((l, k) => {
    if (l.length !== n) throw new TrajectoryCodecError(`Trajectory of "${tr.prompt}" has latents of different sizes (${n} and ${l.length}); it is corrupt.`);
    out.set(l, k * n);
  });
  return out;
}

function checkTrajectory(tr: Trajectory, i: number): void {
  const T = tr.timesteps.length;
  if (T === 0 || tr.latents.length !== T + 1 || tr.logProbs.length !== T) {
    throw new TrajectoryCodecError(
      `Trajectory ${i} ("${tr.prompt}") has ${T} timesteps, ${tr.latents.length} latents and ${tr.logProbs.length} log-probs; a T-step chain needs T+1 latents and T log-probs (from sampleWithTrajectory).`,
    );
  }
}

/** Encodes trajectories (+ pairs and labels + free-form meta) as safetensors bytes. */
export function encodeTrajectoryBundle(bundle: TrajectoryBundle, latentDtype: LatentDtype = 'F32'): Uint8Array {
  if (latentDtype !== 'F32' && latentDtype !== 'F16') throw new TrajectoryCodecError(`latentDtype must be 'F32' or 'F16', got ${JSON.stringify(latentDtype)}`);
  const tensors = new Map<string, TensorEntry>();
  bundle.trajectories.forEach((tr, i) => {
    checkTrajectory(tr, i);
    tensors.set(latentsKey(i), f32Entry(stackLatents(tr), [tr.latents.length, tr.latents[0].length], latentDtype));
    tensors.set(logProbsKey(i), f32Entry(Float32Array.from(tr.logProbs), [tr.logProbs.length], 'F32'));
  });
  for (const p of bundle.pairs) checkPairRef(p, bundle.trajectories.length);
  const header: BundleHeader = {
    format: TRAJECTORY_FORMAT,
    version: TRAJECTORY_CODEC_VERSION,
    latentDtype,
    trajectories: bundle.trajectories.map((t) => ({ prompt: t.prompt, seed: t.seed, index: t.index, timesteps: t.timesteps.slice(), steps: t.steps, eta: t.eta, guidanceScale: t.guidanceScale })),
    pairs: bundle.pairs.map((p) => ({ id: p.id, a: p.a, b: p.b, vote: p.vote ?? null })),
    meta: bundle.meta,
  };
  return encodeSafetensors(tensors, { [TRAJECTORY_METADATA_KEY]: JSON.stringify(header) });
}

function checkPairRef(p: { id: unknown; a: unknown; b: unknown; vote?: unknown }, count: number): void {
  if (typeof p.id !== 'string' || p.id === '') throw new TrajectoryCodecError(`Every pair needs a non-empty string id, got ${JSON.stringify(p.id)}`);
  for (const k of [p.a, p.b]) {
    if (!Number.isInteger(k) || (k as number) < 0 || (k as number) >= count) {
      throw new TrajectoryCodecError(`Pair ${p.id} points at trajectory ${JSON.stringify(k)}, but the bundle has ${count}; the file is corrupt, regenerate it.`);
    }
  }
  if (p.vote !== undefined && p.vote !== null && !isVote(p.vote)) {
    throw new TrajectoryCodecError(`Pair ${p.id} has vote ${JSON.stringify(p.vote)}; votes are 0 (A), 1 (B), 'tie' or 'both-bad'.`);
  }
}

function parseHeader(metadata: Record<string, string>): BundleHeader {
  const text = metadata[TRAJECTORY_METADATA_KEY];
  if (text === undefined) throw new TrajectoryCodecError(`Not a trajectory file: no ${TRAJECTORY_METADATA_KEY} metadata. Write it with encodeTrajectoryBundle (e.g. the CLI's \`pairs\` command).`);
  let h: BundleHeader;
  try {
    h = JSON.parse(text) as BundleHeader;
  } catch {
    throw new TrajectoryCodecError(`The trajectory header is not valid JSON; the file is damaged, regenerate it.`);
  }
  if (h.format !== TRAJECTORY_FORMAT) throw new TrajectoryCodecError(`Trajectory header format is ${JSON.stringify(h.format)}, expected ${TRAJECTORY_FORMAT}.`);
  if (h.version !== TRAJECTORY_CODEC_VERSION) {
    throw new TrajectoryCodecError(`Trajectory file version ${h.version} is not supported (this build reads version ${TRAJECTORY_CODEC_VERSION}); regenerate the pairs with this version.`);
  }
  if (!Array.isArray(h.trajectories) || !Array.isArray(h.pairs)) throw new TrajectoryCodecError('Trajectory header lacks its trajectories/pairs lists; the file is damaged.');
  return h;
}

function readTrajectory(h: TrajectoryHeader, i: number, tensors: Map<string, TensorEntry>): StoredTrajectory {
  const lat = tensors.get(latentsKey(i));
  const lp = tensors.get(logProbsKey(i));
  const T = Array.isArray(h.timesteps) ? h.timesteps.length : -1;
  if (!lat || !lp || lat.shape.length !== 2 || lat.shape[0] !== T + 1 || lp.shape.length !== 1 || lp.shape[0] !== T) {
    throw new TrajectoryCodecError(`Trajectory ${i} ("${h.prompt}") is missing its tensors or their shapes do not match its ${T} timesteps; the file is damaged.`);
  }
  const flat = entryToFloat32(lat);
  const n = lat.shape[1];
  return {
    prompt: h.prompt,
    seed: h.seed,
    index: h.index,
    timesteps: h.timesteps.slice(),
    latents: Array.from({ length: T + 1 }, (_, k) => flat.slice(k * n, (k + 1) * n)),
    logProbs: entryToFloat32(lp),
    steps: h.steps,
    eta: h.eta,
    guidanceScale: h.guidanceScale,
    storedLatentDtype: lat.dtype,
  };
}

/** Decodes bytes from encodeTrajectoryBundle (validated; throws TrajectoryCodecError or SafetensorsError). */
export function decodeTrajectoryBundle(bytes: ArrayBuffer | Uint8Array): TrajectoryBundle & { latentDtype: LatentDtype } {
  const file = decodeSafetensors(bytes);
  const h = parseHeader(file.metadata);
  const trajectories = h.trajectories.map((t, i) => readTrajectory(t, i, file.tensors));
  for (const p of h.pairs) checkPairRef(p, trajectories.length);
  const pairs: PairRef[] = h.pairs.map((p) => ({ id: p.id, a: p.a, b: p.b, ...(p.vote === null ? {} : { vote: p.vote }) }));
  return { trajectories, pairs, meta: h.meta ?? {}, latentDtype: h.latentDtype };
}

/** Pairs with their own trajectories -> bytes (trajectories shared between pairs are stored once). */
export function encodePairs(pairs: LabeledPair[], latentDtype: LatentDtype = 'F32', meta: Record<string, unknown> = {}): Uint8Array {
  const trajectories: Trajectory[] = [];
  const indexOf = new Map<Trajectory, number>();
  const slot = (t: Trajectory) => {
    if (!indexOf.has(t)) indexOf.set(t, trajectories.push(t) - 1);
    return indexOf.get(t)!;
  };
  const refs = pairs.map((p) => ({ id: p.id, a: slot(p.trajectories[0]), b: slot(p.trajectories[1]), ...(p.vote === undefined ? {} : { vote: p.vote }) }));
  return encodeTrajectoryBundle({ trajectories, pairs: refs, meta }, latentDtype);
}

/** Bytes -> pairs with their trajectories (and labels when stored). */
export function decodePairs(bytes: ArrayBuffer | Uint8Array): LabeledPair[] {
  const b = decodeTrajectoryBundle(bytes);
  return b.pairs.map((p) => ({ id: p.id, trajectories: [b.trajectories[p.a], b.trajectories[p.b]], ...(p.vote === undefined ? {} : { vote: p.vote }) }));
}

/** The labeled pairs in D3PO's training form (unlabeled pairs dropped; ties stay and are skipped by d3poTrainStep). */
export function preferencePairs(pairs: LabeledPair[]): PreferencePair[] {
  return pairs.flatMap((p) => (p.vote === undefined ? [] : [{ id: p.id, trajectories: p.trajectories, vote: p.vote }]));
}
