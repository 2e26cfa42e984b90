/** Reward → advantage normalisation: DDPO's per-prompt stat tracker (ddpo_pytorch/stat_tracking.py) and the large-scale RL paper's batch-wise normalisation Â = (r − μ)/sqrt(σ² + ϵ). */

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std };
}

/** Large-scale RL §3.2: normalise over the whole training batch. */
export function batchNormalizedAdvantages(rewards: readonly number[], epsilon = 1e-8): number[] {
  if (rewards.length === 0) return [];
  const { mean, std } = meanStd(rewards);
  return rewards.map((r) => (r - mean) / Math.sqrt(std * std + epsilon));
}

/**
 * DDPO's PerPromptStatTracker: each prompt keeps a FIFO buffer of its past rewards; until it holds minCount values the
 * whole current batch's mean/std are used, afterwards the buffer's (std + 1e-6).
 */
export class PerPromptStatTracker {
  private readonly buffers = new Map<string, number[]>();
  constructor(readonly bufferSize = 16, readonly minCount = 16) {}

  update(prompts: readonly string[], rewards: readonly number[]): number[] {
    if (prompts.length !== rewards.length) throw new Error(`Got ${prompts.length} prompts for ${rewards.length} rewards`);
    const batch = meanStd(rewards);
    const out = new Array<number>(rewards.length);
    for (const prompt of new Set(prompts)) {
      const idx = prompts.flatMap((p, i) => (p === prompt ? [i] : []));
      const buf = this.buffers.get(prompt) ?? [];
      buf.push(...idx.map((i) => rewards[i]));
      while (buf.length > this.bufferSize) buf.shift();
      this.buffers.set(prompt, buf);
      const s = buf.length < this.minCount ? batch : meanStd(buf);
      for (const i of idx) out[i] = (rewards[i] - s.mean) / (s.std + 1e-6);
    }
    return out;
  }

  stats(): Record<string, { count: number; mean: number; std: number }> {
    const out: Record<string, { count: number; mean: number; std: number }> = {};
    for (const [p, b] of this.buffers) out[p] = { count: b.length, ...meanStd(b) };
    return out;
  }
}
