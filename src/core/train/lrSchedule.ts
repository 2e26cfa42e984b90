/** Learning-rate schedule: linear warm-up then cosine decay to a floor (as nanoGPT's get_lr). */

export interface LrSchedule {
  base: number; // peak learning rate
  warmupSteps: number; // linear ramp from 0
  decaySteps: number; // cosine decay length after warm-up (≤ 0: constant after warm-up)
  minRatio: number; // floor as a fraction of base
}

export function learningRateAt(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return (s.base * (step + 1)) / s.warmupSteps;
  if (s.decaySteps <= 0) return s.base;
  const p = Math.min(1, (step - s.warmupSteps) / s.decaySteps);
  const min = s.base * s.minRatio;
  return min + 0.5 * (s.base - min) * (1 + Math.cos(Math.PI * p));
}
