// The style classifier and the style check of samples (`eval --style-classifier-only / --style-check`) on a synthetic three-style dataset: labels by style, training and the saved file, refusal of a category classifier or a model without style words, and the reported style accuracy recounted here from an independent re-sampling.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { argmax, classifierFromSafetensors, classifyAll, styleClassifierConfig } from '../../src/core/eval/classifier';
import { buildVocab, withStyle } from '../../src/core/data/captions';
import { STYLE_IDS } from '../../src/core/data/styles';
import { tinyModelConfig } from '../../src/core/config';
import { MiniSD } from '../../src/core/model/pipeline';
import { modelToSafetensors } from '../../src/core/model/weights';
import { evalCommand } from '../../cli/commands/eval';
import { recordLabels } from '../../cli/eval/classifierData';
import { sampleRows } from '../../cli/eval/baseModelEval';
import { styleRows, type StyleSampleReport } from '../../cli/eval/styleEval';
import { loadModel } from '../../cli/modelLoader';
import { decodePng } from '../../cli/png';
import { writeSyntheticDataset } from './syntheticEmoji';
import { useBackend } from './backend';
import { useTmpDir } from './tmpDir';

beforeAll(() => useBackend('wasm'));

const STYLES = ['google', 'twitter', 'openmoji'] as const;

/** Three-style synthetic data and a tiny random model that knows every style word (or only v1's). */
async function fixture(dir: string, styleWords = true): Promise<void> {
  const records = writeSyntheticDataset(dir, STYLES);
  // Without style words: a v1 model's vocabulary (its data had the Google and Twitter images only).
  const model = MiniSD.create(tinyModelConfig(styleWords ? buildVocab(records, STYLE_IDS) : buildVocab(records.filter((r) => r.vendor !== 'openmoji'))), 5);
  fs.writeFileSync(path.join(dir, 'model.safetensors'), await modelToSafetensors(model));
  model.dispose();
}

const args = (dir: string) => ({
  _: ['eval'],
  data: dir,
  model: path.join(dir, 'model.safetensors'),
  out: path.join(dir, 'out'),
  classifier: path.join(dir, 'clf', 'classifier.safetensors'),
  'style-classifier': path.join(dir, 'clf', 'style.safetensors'),
  'classifier-checkpoint': path.join(dir, 'clf', 'style-ck.safetensors'),
  'classifier-steps': '3',
  'per-prompt': '2',
  steps: '2',
  'seen-prompts': 'yellow face,flag green',
});

describe('style classifier', () => {
  let dir = '';
  useTmpDir('d3po-style-', (d) => (dir = d));

  it('labels records by style, not category, and names an unknown style', () => {
    const records = writeSyntheticDataset(dir, STYLES);
    const labels = recordLabels(records, styleClassifierConfig(STYLES));
    expect([...labels]).toEqual(records.map((r) => STYLES.indexOf(r.vendor as (typeof STYLES)[number])));
    expect(() => recordLabels(records, styleClassifierConfig(['google', 'twitter']))).toThrow(/style openmoji, unknown to the style classifier/);
  });

  it('--style-classifier-only trains on the styles of --data, saves a style classifier and reports it per style; a category classifier is refused', async () => {
    await fixture(dir);
    const a = args(dir);
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    await evalCommand({ ...a, 'style-classifier-only': true }, (s) => lines.push(s));
    expect(tf.memory().numTensors).toBe(before);
    const text = lines.join('\n');
    expect(text).toMatch(/training the style classifier on 3 styles/);
    expect(text).toMatch(/3 steps of 64/);
    const { classifier, metadata } = classifierFromSafetensors(fs.readFileSync(a['style-classifier']));
    expect(classifier.config.labels).toBe('style');
    expect(classifier.config.categories).toEqual([...STYLES]);
    expect(metadata).toMatchObject({ labels: 'style', train_steps: '3', train_data: dir });
    classifier.dispose();
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'clf', 'style-classifier-report.json'), 'utf8'));
    expect(report.heldOut[dir].byCategory.map((g: { group: string; count: number }) => [g.group, g.count])).toEqual(STYLES.map((s) => [s, 2])); // 2 held-out emoji per style
    // Per emoji category (1 held-out disc and 1 square, 3 styles each), and printed as such.
    expect(report.heldOut[dir].byEmojiCategory.map((g: { group: string; count: number }) => [g.group, g.count])).toEqual([['Smileys & Emotion', 3], ['Flags', 3]]);
    expect(text).toMatch(/^emoji category +images/m);
    expect(text).toMatch(/weakest styles:/);
    // A second run loads it; a category classifier in its place is refused with what to do.
    const again: string[] = [];
    await evalCommand({ ...a, 'style-classifier-only': true }, (s) => again.push(s));
    expect(again.join('\n')).not.toMatch(/training the style classifier/);
    await evalCommand({ ...a, 'classifier-only': true, 'classifier-steps': '1' }, () => {}); // trains the category classifier
    await expect(evalCommand({ ...a, 'style-classifier-only': true, 'style-classifier': a.classifier }, () => {})).rejects.toThrow(/is a category classifier, not a style classifier/);
  });

  it('--style-check samples every prompt in every style and plain; its style accuracy matches a recount from an independent re-sampling', async () => {
    await fixture(dir);
    const a = { ...args(dir), 'max-held-out': '1' };
    const reportFile = path.join(dir, 'clf', 'style-classifier-report.json');
    const reportBefore = fs.readFileSync(reportFile, 'utf8');
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    await evalCommand({ ...a, 'style-check': true }, (s) => lines.push(s));
    expect(tf.memory().numTensors).toBe(before);
    expect(fs.readFileSync(reportFile, 'utf8')).toBe(reportBefore); // a check does not rewrite the classifier's report (its training facts)
    const r = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'style-check.json'), 'utf8')) as StyleSampleReport;
    expect(r.prompts.map((p) => p.prompt)).toEqual(['blue face', 'yellow face', 'flag green']);
    expect(r.byStyle.map((g) => [g.group, g.count])).toEqual(STYLES.map((s) => [s, 6])); // 3 prompts × 2
    expect(r.categoryByStyle.map((g) => g.count)).toEqual([6, 6, 6, 6]); // and plain

    // Recount: the same captions in the same order and settings, classified here.
    const rows = styleRows(['blue face', 'yellow face', 'flag green'], [...STYLES], 2);
    expect(rows.filter((x) => x.style === 'openmoji')[0].caption).toBe(withStyle('blue face', 'openmoji'));
    const { model } = loadModel(a.model);
    const images = await sampleRows(model, rows.map((x) => x.caption), { perPrompt: 1, ...r.settings });
    model.dispose();
    const { classifier } = classifierFromSafetensors(fs.readFileSync(a['style-classifier']));
    const predicted = (await classifyAll(classifier, images)).probs.map((p) => argmax(p));
    classifier.dispose();
    const styled = rows.map((x, i) => ({ x, i })).filter(({ x }) => x.style !== 'plain');
    const right = styled.filter(({ x, i }) => STYLES[predicted[i]] === x.style).length;
    expect(r.styleAccuracy).toBeCloseTo(right / styled.length, 12);
    for (const s of STYLES) expect(r.byStyle.find((g) => g.group === s)!.correct).toBe(styled.filter(({ x, i }) => x.style === s && STYLES[predicted[i]] === s).length);
    const plain = rows.map((x, i) => ({ x, i })).filter(({ x }) => x.style === 'plain');
    expect(r.plainStyleShares.google).toBeCloseTo(plain.filter(({ i }) => predicted[i] === 0).length / plain.length, 12);
    // The sheet: one row per style and plain, one column per prompt.
    const png = decodePng(new Uint8Array(fs.readFileSync(path.join(dir, 'out', 'style-sheet.png'))));
    expect(png.width).toBeGreaterThanOrEqual(3 * 96);
    expect(png.height).toBeGreaterThanOrEqual(4 * 96);
  });

  it('refuses to train a style classifier on one style, saying which data to build', async () => {
    writeSyntheticDataset(dir, ['google']);
    await expect(evalCommand({ ...args(dir), 'style-classifier-only': true, 'retrain-style-classifier': true }, () => {})).rejects.toThrow(/holds one style \(google\).*npm run data -- --v2/);
  });

  it('--style-check refuses a model whose vocabulary has no style words', async () => {
    await fixture(dir, false);
    const a = args(dir);
    await evalCommand({ ...a, 'style-classifier-only': true }, () => {});
    await expect(evalCommand({ ...a, 'style-check': true }, () => {})).rejects.toThrow(/does not know the style words openmoji/);
  });
});
