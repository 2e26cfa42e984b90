// The taste meter over the votes of online sweep runs: after each check vote, the share of the newest CHECK_WINDOW check votes that picked the adapter's image (what the studio's meter shows then), one line per run, coloured by reward, with the 75 % target and 50 % chance.
import { rollingAgreement } from '../../src/core/taste/agreement';
import { CHECK_WINDOW } from '../../src/core/taste/checkPairs';
import type { TasteRunResult } from './simulate';

/** The meter's reading after each check vote of a run: [vote index, rolling agreement] (votes without an A/B vote skipped). */
export function meterTrace(checks: readonly { vote: number; agree: boolean | null }[], window = CHECK_WINDOW): [number, number][] {
  const out: [number, number][] = [];
  checks.forEach((c, i) => {
    if (c.agree === null) return;
    out.push([c.vote, rollingAgreement(checks.slice(0, i + 1).map((x) => x.agree), window).rate]);
  });
  return out;
}

const COLOURS = ['#1565c0', '#c62828', '#2e7d32', '#6a1b9a', '#ef6c00'];

export function meterSvg(runs: readonly TasteRunResult[], votes: number): string | null {
  const traced = runs.filter((r) => r.meter?.checks?.length).map((r) => ({ reward: r.reward, seed: r.seed, pts: meterTrace(r.meter!.checks!) }));
  if (traced.length === 0) return null;
  const rewards = [...new Set(traced.map((t) => t.reward))];
  const W = 640;
  const H = 360;
  const m = { l: 50, r: 150, t: 20, b: 45 };
  const sx = (v: number) => m.l + (v / votes) * (W - m.l - m.r);
  const sy = (p: number) => H - m.b - p * (H - m.t - m.b);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${m.l}" y1="${sy(0.75)}" x2="${W - m.r}" y2="${sy(0.75)}" stroke="#2e7d32" stroke-dasharray="4 3"/>`,
    `<text x="${W - m.r + 4}" y="${sy(0.75) + 4}">target 75 %</text>`,
    `<line x1="${m.l}" y1="${sy(0.5)}" x2="${W - m.r}" y2="${sy(0.5)}" stroke="#999" stroke-dasharray="2 3"/>`,
    `<text x="${W - m.r + 4}" y="${sy(0.5) + 4}">chance</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
  ];
  for (let v = 0; v <= votes; v += votes / 5) parts.push(`<text x="${sx(v)}" y="${H - m.b + 15}" text-anchor="middle">${v}</text>`);
  for (let p = 0; p <= 1.0001; p += 0.25) parts.push(`<text x="${m.l - 6}" y="${sy(p) + 4}" text-anchor="end">${Math.round(100 * p)} %</text>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">votes</text>`);
  parts.push(`<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">meter: newest ${CHECK_WINDOW} check votes</text>`);
  for (const t of traced) {
    const colour = COLOURS[rewards.indexOf(t.reward) % COLOURS.length];
    const d = t.pts.map(([v, p], i) => `${i ? 'L' : 'M'}${sx(v).toFixed(1)} ${sy(p).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-opacity="0.75" stroke-width="1.5"/>`);
  }
  rewards.forEach((r, i) => {
    const y = m.t + 20 + 16 * i;
    parts.push(`<line x1="${W - m.r + 4}" y1="${y}" x2="${W - m.r + 24}" y2="${y}" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2"/>`);
    parts.push(`<text x="${W - m.r + 28}" y="${y + 4}">${r.replace(/[<&>]/g, '')}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
