// Tests for the style vocabulary in captions: the style table, "<name>, <style> style" captions with style dropout, parseCaption on captions with and without style, and vocabularies with and without the v2 style words; follows src/core/data/styles.ts + captions.ts.

import { describe, expect, it } from 'vitest';
import { buildVocab, captionFor, captionVariants, normalizeText, parseCaption, tokenize, toWords, withStyle } from '../../src/core/data/captions';
import type { EmojiRecord, SkinTone } from '../../src/core/data/emojiDataset';
import { STYLES, STYLE_IDS, V1_STYLES, parseStyleList, stylePhrase, styleInfo, type EmojiStyle } from '../../src/core/data/styles';

/** Minimal record for pure text tests. */
function rec(partial: Partial<EmojiRecord>): EmojiRecord {
  return {
    index: 0, vendor: 'google', unified: '1F600', baseUnified: '1F600', name: 'grinning face', shortNames: ['grinning'],
    keywords: ['grinning', 'face'], category: 'Smileys & Emotion', subcategory: 'face-smiling', skinTone: 'none',
    skinTones: [], sortOrder: 1, image: '1f600.png', ...partial,
  };
}

/** Deterministic uniform [0,1) stream (32-bit LCG, Numerical Recipes constants) that also counts its draws. */
function countingRng(seed: number): { next: () => number; calls: () => number } {
  let s = seed >>> 0;
  let n = 0;
  return {
    next: () => {
      n++;
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    },
    calls: () => n,
  };
}

describe('style table', () => {
  it('has eight styles with unique ids and caption words that survive normalisation', () => {
    expect(STYLE_IDS).toEqual(['google', 'twitter', 'openmoji', 'fluent', 'fluent-flat', 'emojione', 'fxemoji', 'streamline']);
    expect(new Set(STYLES.map((s) => s.words)).size).toBe(STYLES.length);
    for (const s of STYLES) expect(normalizeText(s.words)).toBe(s.words);
    expect(V1_STYLES).toEqual(['google', 'twitter']);
  });

  it('keeps the v1 phrases and names the new ones', () => {
    expect(stylePhrase('google')).toBe('google style');
    expect(stylePhrase('twitter')).toBe('twitter style');
    expect(stylePhrase('fluent')).toBe('fluent style');
    expect(stylePhrase('fluent-flat')).toBe('fluent flat style');
    expect(styleInfo('openmoji')).toMatchObject({ package: '@iconify-json/openmoji', licence: 'CC-BY-SA-4.0', source: 'iconify-json' });
    expect(() => styleInfo('apple')).toThrow(/unknown emoji style "apple".*google, twitter/);
  });

  it('parses style lists and names unknown ids', () => {
    expect(parseStyleList(' google, fluent-flat ,google')).toEqual(['google', 'fluent-flat']);
    expect(() => parseStyleList('google,apple,samsung')).toThrow(/apple, samsung/);
    expect(() => parseStyleList(' , ')).toThrow(/no emoji style/);
  });
});

describe('captions with a style', () => {
  const thumb = rec({ name: 'thumbs up', unified: '1F44D-1F3FD', baseUnified: '1F44D', skinTone: 'medium', skinTones: ['medium'], vendor: 'fluent-flat' });

  it('appends "<style> style" after the skin tone', () => {
    expect(captionFor(rec({ vendor: 'fluent' }), { vendor: true, skinTone: true })).toBe('grinning face, fluent style');
    expect(captionFor(thumb, { vendor: true, skinTone: true })).toBe('thumbs up, medium skin tone, fluent flat style');
    expect(captionFor(thumb, { vendor: false, skinTone: false })).toBe('thumbs up');
    expect(captionVariants(rec({ vendor: 'openmoji' }))).toEqual(['grinning face', 'grinning face, openmoji style']);
  });

  it('style dropout: the style is kept iff the draw is below 1 − dropout, tone draw first', () => {
    const draws = (...v: number[]) => () => v.shift()!;
    // tone kept (0.1 < 0.5), style draw 0.7: kept under dropout 0.2 (0.7 < 0.8), dropped under the default 0.5.
    expect(captionFor(thumb, { vendor: true, skinTone: true, styleDropout: 0.2 }, draws(0.1, 0.7))).toBe('thumbs up, medium skin tone, fluent flat style');
    expect(captionFor(thumb, { vendor: true, skinTone: true }, draws(0.1, 0.7))).toBe('thumbs up, medium skin tone');
    expect(captionFor(thumb, { vendor: true, skinTone: true, styleDropout: 1 }, draws(0.9, 0))).toBe('thumbs up');
    expect(captionFor(thumb, { vendor: true, skinTone: true, styleDropout: 0 }, draws(0.9, 0.999))).toBe('thumbs up, fluent flat style');
    expect(() => captionFor(thumb, { vendor: true, skinTone: true, styleDropout: 1.5 }, draws(0, 0))).toThrow(/within \[0, 1\]/);
  });

  it('draws exactly one number per allowed part, so v1 training streams are unchanged', () => {
    for (const [opts, tones, expected] of [
      [{ vendor: true, skinTone: true }, ['medium'], 2],
      [{ vendor: true, skinTone: true, styleDropout: 0.3 }, ['medium'], 2],
      [{ vendor: true, skinTone: true }, [], 1],
      [{ vendor: false, skinTone: true }, ['dark'], 1],
      [{ vendor: false, skinTone: false }, ['dark'], 0],
    ] as const) {
      const rng = countingRng(3);
      captionFor(rec({ skinTones: [...tones] as Exclude<SkinTone, 'none'>[] }), opts, rng.next);
      expect(rng.calls()).toBe(expected);
    }
  });

  it('the share of captions with the style is 1 − dropout (20,000 draws, within 4 standard errors)', () => {
    for (const dropout of [0.5, 0.2, 0.9]) {
      const rng = countingRng(11);
      const n = 20_000;
      let withStyleCount = 0;
      for (let i = 0; i < n; i++) if (captionFor(rec({ vendor: 'emojione' }), { vendor: true, skinTone: true, styleDropout: dropout }, rng.next).endsWith('emojione style')) withStyleCount++;
      const p = 1 - dropout;
      expect(Math.abs(withStyleCount / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('withStyle adds a style to a typed caption', () => {
    expect(withStyle('grinning face', 'openmoji')).toBe('grinning face, openmoji style');
    expect(withStyle('  red heart ', 'fluent-flat')).toBe('red heart, fluent flat style');
    expect(withStyle('', 'fxemoji')).toBe('fxemoji style');
  });
});

describe('parseCaption', () => {
  it('reads captions with and without style and tones', () => {
    expect(parseCaption('grinning face, fluent style')).toEqual({ name: 'grinning face', skinTones: [], style: 'fluent' });
    expect(parseCaption('grinning face')).toEqual({ name: 'grinning face', skinTones: [] });
    expect(parseCaption('Red Heart, FLUENT FLAT style')).toEqual({ name: 'red heart', skinTones: [], style: 'fluent-flat' });
    expect(parseCaption('thumbs up, medium light skin tone, openmoji style')).toEqual({ name: 'thumbs up', skinTones: ['medium-light'], style: 'openmoji' });
    expect(parseCaption('kiss woman man, light skin tone, medium dark skin tone')).toEqual({ name: 'kiss woman man', skinTones: ['light', 'medium-dark'] });
    expect(parseCaption('thumbs up google style')).toEqual({ name: 'thumbs up', skinTones: [], style: 'google' });
  });

  it('keeps words that only look like a style or tone inside the name', () => {
    expect(parseCaption('flat shoe')).toEqual({ name: 'flat shoe', skinTones: [] });
    expect(parseCaption('fluent flat')).toEqual({ name: 'fluent flat', skinTones: [] }); // no trailing "style"
    expect(parseCaption('dark skin tone')).toEqual({ name: 'dark skin tone', skinTones: [] }); // the component emoji's own name
    expect(parseCaption('')).toEqual({ name: '', skinTones: [] });
  });

  it('inverts captionFor for every style and tone combination', () => {
    const tones: Exclude<SkinTone, 'none'>[][] = [[], ['light'], ['medium-dark'], ['dark', 'medium-light']];
    for (const style of STYLE_IDS) {
      for (const t of tones) {
        const r = rec({ name: 'people holding hands', vendor: style, skinTones: t, skinTone: t[0] ?? 'none' });
        expect(parseCaption(captionFor(r, { vendor: true, skinTone: true }))).toEqual({ name: 'people holding hands', skinTones: t, style });
        expect(parseCaption(captionFor(r, { vendor: false, skinTone: true }))).toEqual({ name: 'people holding hands', skinTones: t });
      }
    }
  });
});

describe('vocabulary with style words', () => {
  const v1Records = [rec({}), rec({ vendor: 'twitter', name: 'red heart', keywords: ['red', 'heart'], shortNames: ['heart'] })];
  const v2Records = [...v1Records, rec({ vendor: 'fluent-flat' }), rec({ vendor: 'streamline', name: 'red heart', keywords: ['red', 'heart'], shortNames: ['heart'] })];

  it('v1 records give the v1 vocabulary: no new style word enters it', () => {
    const v1 = buildVocab(v1Records);
    expect(v1).toEqual(['<pad>', '<unk>', 'dark', 'face', 'google', 'grinning', 'heart', 'light', 'medium', 'red', 'skin', 'style', 'tone', 'twitter']);
    expect(buildVocab(v1Records, V1_STYLES)).toEqual(v1);
  });

  it('v2 records add exactly their styles\' words; asking for every style adds all of them', () => {
    const v1 = buildVocab(v1Records);
    const v2 = buildVocab(v2Records);
    expect(v2.filter((w) => !v1.includes(w))).toEqual(['flat', 'fluent', 'streamline']);
    const all = buildVocab(v1Records, STYLE_IDS);
    expect(all.filter((w) => !v1.includes(w)).sort()).toEqual(['emojione', 'flat', 'fluent', 'fxemoji', 'openmoji', 'streamline']);
  });

  it('a styled caption tokenizes without <unk> in the v2 vocabulary, and only the style word is unknown to v1', () => {
    const caption = captionFor(rec({ vendor: 'streamline' }), { vendor: true, skinTone: true });
    const v2 = buildVocab(v2Records);
    expect([...tokenize(caption, v2, 16).ids].slice(0, 4).map((id) => v2[id])).toEqual(['grinning', 'face', 'streamline', 'style']);
    const v1 = buildVocab(v1Records);
    const ids = [...tokenize(caption, v1, 16).ids].slice(0, toWords(caption).length);
    expect(ids.map((id) => v1[id])).toEqual(['grinning', 'face', '<unk>', 'style']);
  });

  it('every style phrase is distinct from the others after parsing', () => {
    const seen = new Map<string, EmojiStyle>();
    for (const s of STYLE_IDS) {
      const parsed = parseCaption(stylePhrase(s));
      expect(parsed.style).toBe(s);
      seen.set(stylePhrase(s), s);
    }
    expect(seen.size).toBe(STYLE_IDS.length);
  });
});
