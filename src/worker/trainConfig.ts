// The studio's one typed training config (D3PO hyper-parameters scaled to the miniature model, LoRA shape, checkpoint cadence), shared by the Advanced drawer and the worker (style.md §3 rule 2).

export interface StudioTrainConfig {
  beta: number; // D3PO temperature / KL strength (paper 0.1)
  eps: number; // clamp of π_θ/π_ref to [1−ε, 1+ε] (paper 0.1)
  learningRate: number; // AdamW step size (paper 3e-5 for SD 1.5 LoRA; this 8×8-latent model tolerates 10× more)
  weightDecay: number; // decoupled AdamW weight decay (D3PO/DDPO 1e-4)
  maxGradNorm: number; // global-norm gradient clip (paper 1.0)
  timestepFraction: number; // share of the T denoising steps trained per pair, 0..1 (paper 1.0; lower is cheaper)
  stepsPerChunk: number; // timesteps per forward/backward chunk; bounds memory on WebGPU
  pairsPerStep: number; // labeled pairs sampled (without replacement) for each optimizer step
  steps: number; // optimizer steps per "Train N steps" click
  checkpointEvery: number; // save LoRA + AdamW state every this many steps (and always at the end of a run)
  rank: number; // LoRA rank r — applies to a new adapter only
  alpha: number; // LoRA alpha (update scaled by alpha / r) — applies to a new adapter only
}

export const defaultStudioTrainConfig: StudioTrainConfig = {
  beta: 0.1,
  eps: 0.1,
  learningRate: 3e-4,
  weightDecay: 1e-4,
  maxGradNorm: 1.0,
  timestepFraction: 0.5, // the paper trains all 20; half keeps a step near 15 s on wasm with emoji-sd (2 pairs: ~34 s at 1.0)
  stepsPerChunk: 20,
  pairsPerStep: 2,
  steps: 10,
  checkpointEvery: 5,
  rank: 4,
  alpha: 4,
};

/** Field limits the drawer enforces and the worker re-checks: [min, max]. */
export const trainConfigLimits: Record<keyof StudioTrainConfig, [number, number]> = {
  beta: [1e-4, 100],
  eps: [1e-3, 0.99],
  learningRate: [1e-7, 1e-1],
  weightDecay: [0, 1],
  maxGradNorm: [1e-3, 1e3],
  timestepFraction: [0.01, 1],
  stepsPerChunk: [1, 1000],
  pairsPerStep: [1, 64],
  steps: [1, 10_000],
  checkpointEvery: [1, 10_000],
  rank: [1, 64],
  alpha: [1e-3, 1e3],
};

const INTEGER_FIELDS = new Set<keyof StudioTrainConfig>(['stepsPerChunk', 'pairsPerStep', 'steps', 'checkpointEvery', 'rank']);

/** Returns an error sentence for the first out-of-range field, or null when the config is valid. */
export function validateTrainConfig(cfg: StudioTrainConfig): string | null {
  for (const key of Object.keys(trainConfigLimits) as (keyof StudioTrainConfig)[]) {
    const v = cfg[key];
    const [lo, hi] = trainConfigLimits[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (INTEGER_FIELDS.has(key) && !Number.isInteger(v))) {
      return `Training setting ${key} = ${String(v)} is out of range; use ${INTEGER_FIELDS.has(key) ? 'an integer' : 'a number'} from ${lo} to ${hi}.`;
    }
  }
  return null;
}
