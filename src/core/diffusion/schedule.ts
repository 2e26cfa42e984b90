/** Noise schedules as diffusers' DDIMScheduler builds them (squaredcos_cap_v2 = cosine of Nichol & Dhariwal 2021; scaled_linear = SD) and DDIM's "leading" timestep spacing. */
import type { SchedulerConfig } from '../config';

/** alpha_bar(t) of the cosine schedule, t in [0, 1]. */
export const cosineAlphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;

/** betas[i] for i = 0..N-1, in float64 as diffusers computes them before casting. */
export function betas(cfg: SchedulerConfig): Float64Array {
  const n = cfg.numTrainTimesteps;
  const out = new Float64Array(n);
  if (cfg.betaSchedule === 'squaredcos_cap_v2') {
    for (let i = 0; i < n; i++) out[i] = Math.min(1 - cosineAlphaBar((i + 1) / n) / cosineAlphaBar(i / n), 0.999);
  } else {
    const a = Math.sqrt(cfg.betaStart);
    const b = Math.sqrt(cfg.betaEnd);
    for (let i = 0; i < n; i++) out[i] = (a + ((b - a) * i) / (n - 1)) ** 2;
  }
  return out;
}

/** alphasCumprod[t] = prod_{i<=t} (1 - betas[i]). */
export function alphasCumprod(cfg: SchedulerConfig): Float64Array {
  const b = betas(cfg);
  const out = new Float64Array(b.length);
  let p = 1;
  for (let i = 0; i < b.length; i++) {
    p *= 1 - b[i];
    out[i] = p;
  }
  return out;
}

/** DDIM inference timesteps, descending: (arange(steps) · (N / steps)) reversed + stepsOffset, e.g. 951, 901, …, 1. */
export function ddimTimesteps(cfg: SchedulerConfig, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > cfg.numTrainTimesteps) {
    throw new Error(`DDIM steps must be an integer in 1..${cfg.numTrainTimesteps}, got ${steps}`);
  }
  const ratio = Math.floor(cfg.numTrainTimesteps / steps);
  const ts: number[] = [];
  for (let i = steps - 1; i >= 0; i--) ts.push(i * ratio + cfg.stepsOffset);
  return ts;
}

/** Previous timestep of the DDIM step from t, clamped at 0 as the d3po/ddpo patch does (so the last step uses alphasCumprod[0]). */
export function prevTimestep(cfg: SchedulerConfig, t: number, steps: number): number {
  return Math.min(Math.max(t - Math.floor(cfg.numTrainTimesteps / steps), 0), cfg.numTrainTimesteps - 1);
}

/** Scalars of one DDIM step at timestep t (kvablack/ddpo-pytorch ddpo_pytorch/diffusers_patch/ddim_with_logprob.py): mean = c1·x_t + c2·eps, std sigma. */
export interface DdimCoefficients {
  alphaProdT: number;
  alphaProdPrev: number;
  variance: number;
  sigma: number; // eta · sqrt(variance)
}

export function ddimCoefficients(alphasCumprodTable: Float64Array, t: number, tPrev: number, eta: number): DdimCoefficients {
  const alphaProdT = alphasCumprodTable[t];
  const alphaProdPrev = alphasCumprodTable[tPrev];
  const variance = ((1 - alphaProdPrev) / (1 - alphaProdT)) * (1 - alphaProdT / alphaProdPrev);
  return { alphaProdT, alphaProdPrev, variance, sigma: eta * Math.sqrt(variance) };
}
