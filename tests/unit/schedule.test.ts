import { describe, expect, it } from 'vitest';
import { alphasCumprod, betas, ddimCoefficients, ddimTimesteps, prevTimestep } from '../../src/core/diffusion/schedule';
import { defaultSchedulerConfig } from '../../src/core/config';

describe('noise schedule', () => {
  const cfg = defaultSchedulerConfig;

  it('cosine alphasCumprod follows the closed form f(t)/f(0) until the 0.999 beta cap', () => {
    const f = (t: number) => Math.cos(((t / 1000 + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    const acp = alphasCumprod(cfg);
    expect(acp.length).toBe(1000);
    // Without the cap, prod(1 − beta_i) telescopes to f(t+1)/f(0).
    for (const t of [0, 1, 10, 250, 500, 900, 990]) expect(acp[t]).toBeCloseTo(f(t + 1) / f(0), 10);
    const b = betas(cfg);
    expect(Math.max(...b)).toBeLessThanOrEqual(0.999);
    expect(b[999]).toBe(0.999); // the cap binds at the very end
    for (let i = 1; i < 1000; i++) expect(acp[i]).toBeLessThan(acp[i - 1]);
  });

  it('scaled_linear matches SD: betas = linspace(sqrt 0.00085, sqrt 0.012)^2', () => {
    const b = betas({ ...cfg, betaSchedule: 'scaled_linear' });
    expect(b[0]).toBeCloseTo(0.00085, 12);
    expect(b[999]).toBeCloseTo(0.012, 12);
    expect(Math.sqrt(b[500])).toBeCloseTo(Math.sqrt(0.00085) + ((Math.sqrt(0.012) - Math.sqrt(0.00085)) * 500) / 999, 12);
  });

  it('DDIM timesteps use leading spacing with steps_offset, and prev is clamped at 0', () => {
    const ts = ddimTimesteps(cfg, 20);
    expect(ts[0]).toBe(951);
    expect(ts[19]).toBe(1);
    expect(ts.every((t, i) => i === 0 || ts[i - 1] - t === 50)).toBe(true);
    expect(prevTimestep(cfg, 1, 20)).toBe(0);
    expect(prevTimestep(cfg, 951, 20)).toBe(901);
    expect(() => ddimTimesteps(cfg, 0)).toThrow(/DDIM steps/);
  });

  it('DDIM variance is the DDIM paper sigma² and positive at every sampling step', () => {
    const acp = alphasCumprod(cfg);
    for (const t of ddimTimesteps(cfg, 20)) {
      const p = prevTimestep(cfg, t, 20);
      const c = ddimCoefficients(acp, t, p, 1);
      const expected = ((1 - acp[p]) / (1 - acp[t])) * (1 - acp[t] / acp[p]);
      expect(c.variance).toBeCloseTo(expected, 14);
      expect(c.sigma).toBeGreaterThan(0);
    }
  });
});
