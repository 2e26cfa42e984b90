/** Learning-rate schedule: linear warm-up, constant until the decay starts, then cosine decay to a floor (as nanoGPT's get_lr). */

export interface LrSchedule {
  base: number; // peak learning rate
  warmupSteps: number; // linear ramp from 0
  decaySteps: number; // cosine decay length (≤ 0: constant after warm-up)
  decayStart?: number; // step the cosine decay begins (default: end of warm-up), e.g. a decay phase added to a resumed run
  minRatio: number; // floor as a fraction of base
}

export function learningRateAt(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return (s.base * (step + 1)) / s.warmupSteps;
  if (s.decaySteps <= 0) return s.base;
  const start = Math.max(s.warmupSteps, s.decayStart ?? 0);
  const p = Math.min(1, Math.max(0, step - start) / s.decaySteps);
  const min = s.base * s.minRatio;
  return min + 0.5 * (s.base - min) * (1 + Math.cos(Math.PI * p));
}
