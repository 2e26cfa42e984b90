// The taste sweep (`taste-sweep`): variant parsing typed by the recipe, mean ± std re-derived by hand, and a quick
// offline + online sweep on the in-memory tiny model whose run files read back, are reused on a second call, and whose
// tables and plot carry one row / point per variant.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Args } from '../../cli/args';
import { meterTrace } from '../../cli/taste/meterPlot';
import { tasteSweepCommand } from '../../cli/commands/tasteSweep';
import { parseVariants, stat, summarize, sweepWideMarkdown } from '../../cli/taste/sweepReport';
import type { TasteRunResult } from '../../cli/taste/simulate';
import { defaultTasteRecipe } from '../../src/core/taste/recipe';
import { useBackend } from './backend';
import { useTmpDir } from './tmpDir';

const args = (o: Record<string, string | boolean>): Args => ({ _: [], ...o });

describe('parseVariants', () => {
  it('types each value by the default recipe (numbers, booleans, + joined targets)', () => {
    const v = parseVariants('fast:learningRate=7e-4,skipFinalSteps=2;wide:targets=to_q+ff.net.2,refreshReference=true');
    expect(v).toEqual([
      { name: 'fast', overrides: { learningRate: 7e-4, skipFinalSteps: 2 } },
      { name: 'wide', overrides: { targets: ['to_q', 'ff.net.2'], refreshReference: true } },
    ]);
    expect(parseVariants('  ')).toEqual([]);
  });
  it('names what is wrong', () => {
    expect(() => parseVariants('learningRate=1')).toThrow(/needs a name/);
    expect(() => parseVariants('x:lr=1')).toThrow(/unknown recipe key "lr"/);
    expect(() => parseVariants('x:learningRate=fast')).toThrow(/needs a number/);
    expect(() => parseVariants('x:refreshReference=yes')).toThrow(/true or false/);
    expect(() => parseVariants('a b:learningRate=1')).toThrow(/may only use/);
  });
});

describe('stat', () => {
  it('is the mean and the n − 1 standard deviation, skipping non-finite values', () => {
    // 1, 2, 3, 4: mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; 5 / 3 → std √(5/3).
    const s = stat([1, 2, Number.NaN, 3, 4]);
    expect(s.n).toBe(4);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(stat([7])).toEqual({ mean: 7, std: 0, n: 1 });
    expect(stat([]).n).toBe(0);
  });
});

describe('sweepWideMarkdown', () => {
  it('has a row per variant and a "win / shift / drift" cell per reward with the spread over seeds', () => {
    const run = (reward: string, seed: number, winRate: number, shift: number): TasteRunResult =>
      ({ reward, seed, winRate, shift, quality: { accuracyDrift: -0.01 * seed, denoisingBase: 0.05, denoisingTuned: 0.051 }, meter: null, seconds: { sampling: 0, training: 100 + seed, eval: 1 } }) as unknown as TasteRunResult;
    const a = summarize({ name: 'a', overrides: { learningRate: 7e-4 } }, defaultTasteRecipe, [run('brightness', 0, 1, 1), run('brightness', 1, 0.9, 2), run('jpeg', 0, 0.8, 0.5), run('jpeg', 1, 0.8, 0.5)]);
    const md = sweepWideMarkdown([a]);
    const row = md.split('\n').find((l) => l.startsWith('| a |'))!;
    // brightness: win 95 ± 7.07 %, shift 1.5 ± 0.71, drift −0.5 ± 0.71 points.
    expect(row).toContain('| 95 ± 7 / 1.50 ± 0.71 / -0.5 ± 0.7 |');
    expect(row).toContain('| 80 ± 0 / 0.50 ± 0.00 / -0.5 ± 0.7 |');
    expect(row).toContain('learningRate=0.0007');
    expect(md).toContain('brightness: win % / shift σ / Δacc pts');
  });
});

describe('taste-sweep --quick (tiny model in memory)', () => {
  let dir = '';
  useTmpDir('d3po-taste-sweep-', (d) => (dir = d));
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('writes a run file per variant × reward × seed, reuses them on the next call, and reports them', async () => {
    const out = path.join(dir, 'offline');
    const logs: string[] = [];
    await tasteSweepCommand(args({ quick: true, out, variants: 'hot:learningRate=1e-2' }), (s) => logs.push(s));
    const files = fs.readdirSync(path.join(out, 'runs')).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(['default-offline-2-steps4-brightness-s0.json', 'hot-offline-2-steps4-brightness-s0.json']); // --quick samples with 4 DDIM steps
    const hot = JSON.parse(fs.readFileSync(path.join(out, 'runs', files[1]), 'utf8'));
    expect(hot.recipe.learningRate).toBe(1e-2);
    expect(hot.result.labeled).toBe(2);
    expect(hot.result.winRate).toBeGreaterThanOrEqual(0);
    expect(hot.result.winRate).toBeLessThanOrEqual(1);
    expect(Number.isFinite(hot.result.shift)).toBe(true);
    expect(hot.result.optimizerSteps).toBeGreaterThan(0);
    expect(logs.filter((l) => /: brightness seed 0/.test(l))).toHaveLength(2);

    const again: string[] = [];
    await tasteSweepCommand(args({ quick: true, out, variants: 'hot:learningRate=1e-2' }), (s) => again.push(s));
    expect(again.filter((l) => /: brightness seed 0/.test(l))).toHaveLength(0); // both runs came from the cache

    const md = fs.readFileSync(path.join(out, 'sweep-offline.md'), 'utf8');
    expect(md.split('\n').filter((l) => /^\| (default|hot) \|/.test(l))).toHaveLength(2 * 2 + 2); // per reward + all, and the wide rows
    const svg = fs.readFileSync(path.join(out, 'sweep-offline.svg'), 'utf8');
    expect(svg).toMatch(/^<svg[\s\S]*attribute shift \(within-prompt σ; target ≥ 0.5\)[\s\S]*<\/svg>\n$/); // no quality probe in --quick: no drift, so no points
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'sweep-offline.json'), 'utf8'));
    expect(summary.map((v: { name: string }) => v.name)).toEqual(['default', 'hot']);

    // --report rebuilds the same tables from the run files alone; a variant without runs is left out, none at all is an error.
    fs.rmSync(path.join(out, 'sweep-offline.md'));
    const said: string[] = [];
    await tasteSweepCommand(args({ quick: true, out, report: true, variants: 'hot:learningRate=1e-2;cold:learningRate=1e-5' }), (s) => said.push(s));
    expect(fs.readFileSync(path.join(out, 'sweep-offline.md'), 'utf8')).toBe(md);
    expect(said.some((l) => /no cached runs for variant cold/.test(l))).toBe(true);
    await expect(tasteSweepCommand(args({ quick: true, out, report: true, 'no-default': true, variants: 'cold:learningRate=1e-5' }), () => {})).rejects.toThrow(/no cached runs/);
    // A run trained with other settings than the variant states is left out, with what differs.
    const told: string[] = [];
    await expect(tasteSweepCommand(args({ quick: true, out, report: true, 'no-default': true, variants: 'hot:learningRate=2e-2' }), (s) => told.push(s))).rejects.toThrow(/no cached runs/);
    expect(told.some((l) => /other settings \(learningRate=0.01\)/.test(l))).toBe(true);
    // A run cached before sampleSteps joined the recipe counts as sampled with the sweep's count (its file name carries it).
    const hotFile = path.join(out, 'runs', files[1]);
    const legacy = JSON.parse(fs.readFileSync(hotFile, 'utf8'));
    delete legacy.recipe.sampleSteps;
    fs.writeFileSync(hotFile, JSON.stringify(legacy));
    const reused: string[] = [];
    await tasteSweepCommand(args({ quick: true, out, 'no-default': true, variants: 'hot:learningRate=1e-2' }), (s) => reused.push(s));
    expect(reused.filter((l) => /: brightness seed 0/.test(l))).toHaveLength(0);
    // Variants must share one step count (pairs and held-out images are sampled once per sweep).
    await expect(tasteSweepCommand(args({ quick: true, out, variants: 'ten:sampleSteps=10' }), () => {})).rejects.toThrow(/different sampleSteps \(4, 10\)/);
  }, 120_000);

  it('online: after the first round every third pair is a check pair for the meter; the implicit-reward guess is kept beside it', async () => {
    const out = path.join(dir, 'online');
    await tasteSweepCommand(args({ quick: true, out, protocol: 'online', labels: '6', 'no-default': true, variants: 'hot:learningRate=1e-2' }), () => {});
    const run = JSON.parse(fs.readFileSync(path.join(out, 'runs', 'hot-online-6-steps4-brightness-s0.json'), 'utf8'));
    const m = run.result.meter;
    // Rounds of 2 votes: pairs 1–2 come from the base model (no check, no guess); requests 3 and 6 (0-based 2 and 5) are check turns.
    expect(m.checks.map((c: { vote: number }) => c.vote)).toEqual([3, 6]);
    const agreed = m.checks.filter((c: { agree: boolean | null }) => c.agree === true).length;
    const judged = m.checks.filter((c: { agree: boolean | null }) => c.agree !== null).length;
    expect([m.check.successes, m.check.n]).toEqual([agreed, judged]);
    expect(m.all.n).toBeLessThanOrEqual(2); // the guess on ordinary pairs 4 and 5
    expect(m.all.n).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(out, 'sweep-online-meter.svg'), 'utf8')).toMatch(/<path d="M[\d.]+ [\d.]+ L/); // one line with two check votes
    expect(run.result.seconds.sampling).toBeGreaterThan(0);
  }, 120_000);
});

describe('meterTrace', () => {
  it('is the meter after each check vote: agreement over the newest `window` judged check votes', () => {
    const checks = [
      { vote: 3, agree: true },
      { vote: 6, agree: false },
      { vote: 9, agree: null }, // a tie: no reading
      { vote: 12, agree: true },
      { vote: 15, agree: true },
    ];
    // window 2, by hand: [T] 1, [T F] ½, [F T] ½, [T T] 1
    expect(meterTrace(checks, 2)).toEqual([
      [3, 1],
      [6, 0.5],
      [12, 0.5],
      [15, 1],
    ]);
  });
});
