// The taste sweep's report: recipe variants from the command line, mean ± std over seeds per reward and overall, a markdown table, and an SVG scatter of the attribute shift against the quality drift (one point per variant).
import { defaultTasteRecipe, type TasteRecipe } from '../../src/core/taste/recipe';
import type { TasteRunResult } from './simulate';

export interface Variant {
  name: string;
  overrides: Partial<TasteRecipe>;
}

/** "name:key=value,key=value;name2:key=value" → variants; values typed by the default recipe (targets joined by +). */
export function parseVariants(text: string): Variant[] {
  if (text.trim() === '') return [];
  return text.split(';').map((part) => {
    const colon = part.indexOf(':');
    if (colon <= 0) throw new Error(`--variants: "${part}" needs a name, e.g. "lr2e-3:learningRate=2e-3"`);
    const name = part.slice(0, colon).trim();
    if (!/^[\w.+-]+$/.test(name)) throw new Error(`--variants: the name "${name}" may only use letters, digits, . + - _`);
    const overrides: Record<string, unknown> = {};
    for (const kv of part.slice(colon + 1).split(',').map((s) => s.trim()).filter(Boolean)) {
      const [key, value] = kv.split('=').map((s) => s.trim());
      if (!(key in defaultTasteRecipe)) throw new Error(`--variants ${name}: unknown recipe key "${key}"; use one of ${Object.keys(defaultTasteRecipe).join(', ')}`);
      const def = defaultTasteRecipe[key as keyof TasteRecipe];
      if (Array.isArray(def)) overrides[key] = value.split('+');
      else if (typeof def === 'boolean') {
        if (value !== 'true' && value !== 'false') throw new Error(`--variants ${name}: ${key} must be true or false, got "${value}"`);
        overrides[key] = value === 'true';
      } else {
        const n = Number(value);
        if (value === undefined || !Number.isFinite(n)) throw new Error(`--variants ${name}: ${key} needs a number, got "${value}"`);
        overrides[key] = n;
      }
    }
    return { name, overrides: overrides as Partial<TasteRecipe> };
  });
}

export interface Stat {
  mean: number;
  std: number; // sample std over seeds (n − 1; 0 for one value)
  n: number;
}

export function stat(xs: number[]): Stat {
  const v = xs.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, n: v.length };
}

export interface RewardSummary {
  reward: string;
  winRate: Stat;
  shift: Stat;
  accuracyDrift: Stat; // points of classifier accuracy (tuned − base)
  denoisingDrift: Stat; // tuned − base denoising loss
  meter: Stat; // online: the studio's meter at the last vote (check pairs: newest CHECK_WINDOW; runs before check pairs: the implicit-reward guess)
  meterGuess: Stat; // online: the implicit-reward guess on ordinary pairs, over all of them
  meterLastHalf: Stat;
  trainSeconds: Stat;
}

export interface VariantSummary {
  name: string;
  overrides: Partial<TasteRecipe>;
  recipe: TasteRecipe;
  rewards: RewardSummary[];
  overall: Omit<RewardSummary, 'reward'> & { minWinRate: number };
}

function summarizeRuns(runs: TasteRunResult[]): Omit<RewardSummary, 'reward'> {
  return {
    winRate: stat(runs.map((r) => r.winRate)),
    shift: stat(runs.map((r) => r.shift)),
    accuracyDrift: stat(runs.map((r) => (r.quality.accuracyDrift === null ? NaN : 100 * r.quality.accuracyDrift))),
    denoisingDrift: stat(runs.map((r) => (r.quality.denoisingTuned === null || r.quality.denoisingBase === null ? NaN : r.quality.denoisingTuned - r.quality.denoisingBase))),
    meter: stat(runs.map((r) => r.meter?.checkStudio?.rate ?? r.meter?.studio?.rate ?? r.meter?.all.rate ?? NaN)),
    meterGuess: stat(runs.map((r) => r.meter?.all.rate ?? NaN)),
    meterLastHalf: stat(runs.map((r) => r.meter?.lastHalf.rate ?? NaN)),
    trainSeconds: stat(runs.map((r) => r.seconds.training)),
  };
}

export function summarize(variant: Variant, recipe: TasteRecipe, runs: TasteRunResult[]): VariantSummary {
  const names = [...new Set(runs.map((r) => r.reward))];
  const rewards = names.map((reward) => ({ reward, ...summarizeRuns(runs.filter((r) => r.reward === reward)) }));
  return { name: variant.name, overrides: variant.overrides, recipe, rewards, overall: { ...summarizeRuns(runs), minWinRate: Math.min(...rewards.map((r) => r.winRate.mean)) } };
}

const pm = (s: Stat, digits: number, scale = 1) => (s.n === 0 ? '—' : `${(s.mean * scale).toFixed(digits)} ± ${(s.std * scale).toFixed(digits)}`);

const overridesText = (o: Partial<TasteRecipe>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ') || '(default recipe)';

export function sweepMarkdown(summary: VariantSummary[], info: { protocol: string; labels: number; model: string; heldOut: string }): string {
  const online = info.protocol === 'online';
  const head = `| variant | settings | reward | win rate vs base (%) | shift (σ) | accuracy drift (pts) | denoising-loss drift | ${online ? 'meter at vote N (%) | implicit-reward guess (%) | ' : ''}train time (s) |`;
  const sep = `|---|---|---|---:|---:|---:|---:|${online ? '---:|---:|' : ''}---:|`;
  const rows: string[] = [];
  for (const v of summary) {
    for (const r of [...v.rewards, { reward: '**all**', ...v.overall }]) {
      rows.push(
        `| ${v.name} | ${r.reward === '**all**' ? overridesText(v.overrides) : ''} | ${r.reward} | ${pm(r.winRate, 1, 100)} | ${pm(r.shift, 2)} | ${pm(r.accuracyDrift, 1)} | ${pm(r.denoisingDrift, 4)} | ${online ? `${pm(r.meter, 1, 100)} | ${pm(r.meterGuess, 1, 100)} | ` : ''}${pm(r.trainSeconds, 0)} |`,
      );
    }
  }
  return [
    `Taste sweep, ${info.protocol} protocol, ${info.labels} oracle-labeled pairs per run, ${info.model}; held-out ${info.heldOut}. Mean ± std over seeds (per reward) or over all runs (**all**).`,
    '',
    head,
    sep,
    ...rows,
    '',
  ].join('\n');
}

const pmShort = (s: Stat, digits: number, scale = 1) => (s.n === 0 ? '—' : s.n === 1 ? (s.mean * scale).toFixed(digits) : `${(s.mean * scale).toFixed(digits)} ± ${(s.std * scale).toFixed(digits)}`);

/** One row per variant, one column per reward ("win % / shift σ / accuracy drift pts", mean ± std over seeds), for the README. */
export function sweepWideMarkdown(summary: VariantSummary[]): string {
  const rewards = [...new Set(summary.flatMap((v) => v.rewards.map((r) => r.reward)))];
  const seeds = (v: VariantSummary) => [...new Set(v.rewards.map((r) => r.winRate.n))].join('/');
  const rows = summary.map((v) => {
    const cells = rewards.map((name) => {
      const r = v.rewards.find((x) => x.reward === name);
      return r ? `${pmShort(r.winRate, 0, 100)} / ${pmShort(r.shift, 2)} / ${pmShort(r.accuracyDrift, 1)}` : '—';
    });
    return `| ${v.name} | ${overridesText(v.overrides)} | ${seeds(v)} | ${cells.join(' | ')} | ${pmShort(v.overall.denoisingDrift, 4)} | ${pmShort(v.overall.trainSeconds, 0)} |`;
  });
  return [
    `| variant | settings | seeds | ${rewards.map((r) => `${r}: win % / shift σ / Δacc pts`).join(' | ')} | denoising-loss drift | train time (s) |`,
    `|---|---|---:|${rewards.map(() => '---:|').join('')}---:|---:|`,
    ...rows,
    '',
  ].join('\n');
}

/** What the scatter's x axis shows: classifier-accuracy drift (points, guard ≥ −2) or denoising-loss drift (guard ≤ +0.005). */
export type DriftAxis = 'accuracy' | 'denoising';

const AXES: Record<DriftAxis, { pick: (v: VariantSummary) => Stat; guard: number; label: string; digits: number }> = {
  accuracy: { pick: (v) => v.overall.accuracyDrift, guard: -2, label: 'classifier accuracy drift on held-out samples (points; guard: ≥ −2)', digits: 1 },
  denoising: { pick: (v) => v.overall.denoisingDrift, guard: 0.005, label: 'denoising-loss drift on training latents (guard: ≤ +0.005)', digits: 3 },
};

/** Scatter: x = a quality drift, y = shift (σ); one labelled point per variant with ±1 std bars over all runs. */
export function sweepSvg(summary: VariantSummary[], axis: DriftAxis = 'accuracy'): string {
  const ax = AXES[axis];
  const W = 640;
  const H = 420;
  const m = { l: 60, r: 20, t: 20, b: 50 };
  const pts = summary.map((v) => ({ name: v.name, x: ax.pick(v), y: v.overall.shift }));
  const xs = pts.flatMap((p) => [p.x.mean - p.x.std, p.x.mean + p.x.std, ax.guard, 0]).filter(Number.isFinite);
  const ys = pts.flatMap((p) => [p.y.mean - p.y.std, p.y.mean + p.y.std, 0, 0.5]).filter(Number.isFinite);
  const pad = (Math.max(...xs) - Math.min(...xs)) * 0.08 || 0.5;
  const [x0, x1] = [Math.min(...xs) - pad, Math.max(...xs) + pad];
  const [okFrom, okTo] = axis === 'accuracy' ? [ax.guard, x1] : [x0, ax.guard];
  const [y0, y1] = [Math.min(...ys) - 0.1, Math.max(...ys) + 0.1];
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const ticks = (a: number, b: number, n: number) => Array.from({ length: n + 1 }, (_, i) => a + ((b - a) * i) / n);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<rect x="${sx(okFrom)}" y="${sy(y1)}" width="${sx(okTo) - sx(okFrom)}" height="${sy(0.5) - sy(y1)}" fill="#e8f5e9"/>`,
    `<line x1="${sx(ax.guard)}" y1="${m.t}" x2="${sx(ax.guard)}" y2="${H - m.b}" stroke="#c62828" stroke-dasharray="4 3"/>`,
    `<line x1="${m.l}" y1="${sy(0.5)}" x2="${W - m.r}" y2="${sy(0.5)}" stroke="#2e7d32" stroke-dasharray="4 3"/>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
  ];
  for (const t of ticks(x0, x1, 5)) parts.push(`<text x="${sx(t)}" y="${H - m.b + 15}" text-anchor="middle">${t.toFixed(ax.digits)}</text>`);
  for (const t of ticks(y0, y1, 5)) parts.push(`<text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${t.toFixed(2)}</text>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${ax.label}</text>`);
  parts.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">attribute shift (within-prompt σ; target ≥ 0.5)</text>`);
  for (const p of pts) {
    if (!Number.isFinite(p.x.mean) || !Number.isFinite(p.y.mean)) continue;
    const [cx, cy] = [sx(p.x.mean), sy(p.y.mean)];
    parts.push(`<line x1="${sx(p.x.mean - p.x.std)}" y1="${cy}" x2="${sx(p.x.mean + p.x.std)}" y2="${cy}" stroke="#1565c0" stroke-opacity="0.5"/>`);
    parts.push(`<line x1="${cx}" y1="${sy(p.y.mean - p.y.std)}" x2="${cx}" y2="${sy(p.y.mean + p.y.std)}" stroke="#1565c0" stroke-opacity="0.5"/>`);
    parts.push(`<circle cx="${cx}" cy="${cy}" r="4" fill="#1565c0"/>`);
    parts.push(`<text x="${cx + 6}" y="${cy - 6}">${p.name.replace(/[<&>]/g, '')}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
