// The moodboard benchmark (`npm run cli -- moodboard`): the oracle's liked/disliked picks are the pool's extremes, the
// summary's mean ± std is re-derived by hand, and a quick run on the tiny model with a synthetic dataset writes a run
// file whose moodboard is the brightest and darkest emoji (worked out from the fixture's colours), reuses it, and
// lists it in the table.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Args } from '../../cli/args';
import { extremeIndices } from '../../cli/moodboard/oracleMoodboard';
import { moodboardCommand, moodboardMarkdown, summarizeMoodboard, type MoodboardRunResult } from '../../cli/commands/moodboard';
import { defaultMoodboardRecipe } from '../../src/core/moodboard/recipe';
import { writeSyntheticDataset } from './syntheticEmoji';
import { useBackend } from './backend';
import { useTmpDir } from './tmpDir';

const args = (o: Record<string, string | boolean>): Args => ({ _: [], ...o });

describe('extremeIndices', () => {
  it('takes the highest scores as liked and the lowest as disliked, ties by index, never the same image twice', () => {
    expect(extremeIndices([0.5, 0.9, 0.1, 0.9, 0.3], 2, 2)).toEqual({ liked: [1, 3], disliked: [2, 4] });
    expect(extremeIndices([3, 1, 2], 2, 1)).toEqual({ liked: [0, 2], disliked: [1] });
    expect(() => extremeIndices([1, 2, 3], 2, 2)).toThrow(/A pool of 3 images cannot give 2 liked and 2 disliked images; raise --pool to at least 4/);
    expect(() => extremeIndices([1, 2, 3], 0, 1)).toThrow(/positive integers/);
  });
});

describe('summarizeMoodboard', () => {
  it('mean ± sample std over seeds, accuracy drift in points', () => {
    const run = (seed: number, winRate: number, shift: number, acc: number): MoodboardRunResult => ({
      tag: 't',
      reward: 'brightness',
      seed,
      recipe: { ...defaultMoodboardRecipe, steps: 120, pairsPerStep: 8, learningRate: 0.001, beta: 5000, captionDropout: 0.2, sharedCaption: false },
      board: { liked: 40, disliked: 40, pool: 100, captions: true, likedMean: 0.9, dislikedMean: 0.6, poolMean: 0.75 },
      base: { mean: 0.7 },
      tuned: { mean: 0.75 },
      sigmaWithin: 0.05,
      shift,
      winRate,
      quality: { base: null, tuned: null, accuracyDrift: acc, denoisingBase: 0.05, denoisingTuned: 0.052 },
      training: { seconds: 100 + seed, lastLoss: 0.1, lastAccuracy: 1, lastMargin: 10 },
      evalSeconds: 50,
    });
    const s = summarizeMoodboard([run(0, 0.9, 0.6, -0.02), run(1, 1, 1, 0)]);
    expect(s.winRate.mean).toBeCloseTo(0.95, 12);
    expect(s.winRate.std).toBeCloseTo(Math.sqrt(2 * 0.05 ** 2), 12); // n − 1 = 1
    expect(s.shift).toMatchObject({ mean: 0.8, n: 2 });
    expect(s.accuracyDrift.mean).toBeCloseTo(-1, 12); // points
    expect(s.denoisingDrift.mean).toBeCloseTo(0.002, 12);
    const md = moodboardMarkdown([s]);
    expect(md).toMatch(/\| brightness \| 40 \/ 40 of 100 \| 0\.2 \| 120 × 8 \| 0\.001 \| 5000 \| 2 \| 95 ± 7 \| 0\.80 ± 0\.28 \| -1\.0 ± 1\.4 \| 0\.0020 ± 0\.0000 \| 101 ± 1 \|/);
  });
});

describe('moodboard --quick (tiny model, synthetic dataset)', () => {
  let dir = '';
  useTmpDir('d3po-moodboard-', (d) => (dir = d));
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('trains on the brightest and darkest images of the pool, writes and reuses the run file, and tables it', async () => {
    writeSyntheticDataset(dir);
    const out = path.join(dir, 'out');
    const logs: string[] = [];
    await moodboardCommand(args({ quick: true, data: dir, out }), (s) => logs.push(s));
    const files = fs.readdirSync(path.join(out, 'runs')).filter((f) => f.endsWith('.json'));
    expect(files).toEqual(['l2-d2-p8-s2-pp2-lr0.0005-b5000-shared-brightness-s0.json']); // the default recipe: shared captions, no dropout
    expect(fs.existsSync(path.join(out, 'runs', files[0].replace('.json', '.png')))).toBe(true);
    const { result } = JSON.parse(fs.readFileSync(path.join(out, 'runs', files[0]), 'utf8')) as { result: MoodboardRunResult };
    // Fixture colours on white: yellow faces are the brightest training images (discs of (1, 0.8, 0)), the green flags
    // the darkest (22 × 16 rectangles of (0, 0.7, 0.2)).
    const board = logs.find((l) => l.includes('moodboard: liked'))!;
    expect(board).toMatch(/liked brightness [\d.]+ \(e\.g\. yellow face \((google|twitter)\), yellow face/);
    expect(board).toMatch(/disliked [\d.]+ \(e\.g\. flag green \((google|twitter)\), flag green/);
    expect(result.board.likedMean).toBeGreaterThan(result.board.poolMean);
    expect(result.board.dislikedMean).toBeLessThan(result.board.poolMean);
    expect(result.winRate).toBeGreaterThanOrEqual(0);
    expect(result.winRate).toBeLessThanOrEqual(1);
    expect(Number.isFinite(result.shift)).toBe(true);
    expect(result.training.lastLoss).toBeGreaterThan(0);

    const again: string[] = [];
    await moodboardCommand(args({ quick: true, data: dir, out }), (s) => again.push(s));
    expect(again.some((l) => l.includes('moodboard benchmark on'))).toBe(false); // every run cached: no model, no training
    expect(again.some((l) => l.startsWith('wrote '))).toBe(true);
    const md = fs.readFileSync(path.join(out, 'moodboard.md'), 'utf8');
    expect(md.split('\n').filter((l) => l.startsWith('| brightness |'))).toHaveLength(1);
    await expect(moodboardCommand(args({ quick: true, data: dir, out, pool: '3' }), () => {})).rejects.toThrow(/--pool must be an integer of at least --liked \+ --disliked \(4\)/);
  });
});
