// Tests for the multi-style (v2) emoji dataset: icon name → emoji mapping on a hand-made emoji.json, then on the real packages (share mapped per style, agreement with chars.json codepoints, held-out split by base emoji across styles, v1 part unchanged) and a small real build through `npm run data -- --v2`; follows cli/data/buildEmojiDatasetV2.ts, emojiNameIndex.ts, iconifyStyle.ts.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataCommand } from '../../cli/commands/data';
import { areaDownsample, cldrNameOf, packageRoot, planEmojiRecords, readPngRgba, type EmojiDataEntry } from '../../cli/data/buildEmojiDataset';
import { planEmojiDatasetV2, type PlanV2 } from '../../cli/data/buildEmojiDatasetV2';
import { buildEmojiLookup, codesKey, lookupCodes, lookupName, nameKey, splitToneSuffix, type EmojiLookup } from '../../cli/data/emojiNameIndex';
import { loadIconifySet, npmPackageRoot } from '../../cli/data/iconifyStyle';
import { isHeldOut } from '../../src/core/data/captions';
import { EMOJI_BYTES_PER_IMAGE, parseEmojiIndex, readEmojiPixels, type Vendor } from '../../src/core/data/emojiDataset';
import { STYLES, STYLE_IDS, type EmojiStyle } from '../../src/core/data/styles';

// ---------------------------------------------------------------- mapping on a hand-made emoji.json

/** A few emoji.json entries (emoji-data 16 spelling) with their CLDR names, enough for each matching rule. */
function entry(unified: string, name: string, shortNames: string[], category: string, sortOrder: number, tones: string[] = [], nonQualified: string | null = null): EmojiDataEntry {
  const skin = Object.fromEntries(tones.map((t) => [t, { unified: `${unified}-${t}`, image: `${unified}-${t}.png`.toLowerCase(), has_img_google: true, has_img_twitter: true }]));
  return {
    name, unified, non_qualified: nonQualified, image: `${unified.toLowerCase()}.png`, short_names: shortNames, category, subcategory: 'test', sort_order: sortOrder,
    has_img_google: true, has_img_twitter: true, ...(tones.length ? { skin_variations: skin } : {}),
  };
}
const TONES = ['1F3FB', '1F3FC', '1F3FD', '1F3FE', '1F3FF'];
const ENTRIES: EmojiDataEntry[] = [
  entry('1F600', 'GRINNING FACE', ['grinning'], 'Smileys & Emotion', 1),
  entry('1F638', 'GRINNING CAT FACE WITH SMILING EYES', ['smile_cat'], 'Smileys & Emotion', 2),
  entry('1F63A', 'SMILING CAT FACE WITH OPEN MOUTH', ['smiley_cat'], 'Smileys & Emotion', 3),
  entry('2764-FE0F', 'HEAVY BLACK HEART', ['heart'], 'Smileys & Emotion', 4, [], '2764'),
  entry('1F44D', 'THUMBS UP SIGN', ['+1', 'thumbsup'], 'People & Body', 5, TONES),
  entry('1F48F', 'KISS', ['couplekiss'], 'People & Body', 6, [...TONES, '1F3FF-1F3FB']),
  entry('1F9DD', 'ELF', ['elf'], 'People & Body', 7, TONES),
  entry('1F9CF-200D-2642-FE0F', 'DEAF MAN', ['deaf_man'], 'People & Body', 8),
  entry('1F6A6', 'VERTICAL TRAFFIC LIGHT', ['vertical_traffic_light'], 'Travel & Places', 9),
  entry('1F39F-FE0F', 'ADMISSION TICKETS', ['admission_tickets'], 'Activities', 10, [], '1F39F'),
  entry('1F1E7-1F1F7', 'Brazil Flag', ['flag-br'], 'Flags', 11),
  entry('1F1F9-1F1F7', 'Turkey Flag', ['flag-tr'], 'Flags', 12),
  entry('1F983', 'TURKEY', ['turkey'], 'Animals & Nature', 13),
  entry('1F171-FE0F', 'NEGATIVE SQUARED LATIN CAPITAL LETTER B', ['b'], 'Symbols', 14, [], '1F171'),
];
const CLDR: Record<string, string> = {
  '1F600': 'grinning face', '1F638': 'grinning cat with smiling eyes', '1F63A': 'grinning cat', '2764-FE0F': 'red heart', '1F44D': 'thumbs up',
  '1F48F': 'kiss', '1F9DD': 'elf', '1F9CF-200D-2642-FE0F': 'deaf man', '1F6A6': 'vertical traffic light', '1F39F-FE0F': 'admission tickets',
  '1F1E7-1F1F7': 'flag Brazil', '1F1F9-1F1F7': 'flag Türkiye', '1F983': 'turkey', '1F171-FE0F': 'B button (blood type)',
};

describe('icon name → emoji (hand-made emoji.json)', () => {
  const lookup = buildEmojiLookup(ENTRIES, (u) => CLDR[u]);
  const map = (name: string): string | undefined => lookupName(lookup, name)?.target.unified;
  const how = (name: string): string | undefined => lookupName(lookup, name)?.how;

  it('keys names and codes', () => {
    expect(nameKey('Flag: São Tomé & Príncipe')).toBe('flag-sao-tome-and-principe');
    expect(nameKey('smile_cat')).toBe('smile-cat');
    expect(nameKey('+1')).toBe('1');
    expect(codesKey('2764-fe0f')).toBe('2764');
    expect(codesKey('1f44d_1F3FD')).toBe('1F44D-1F3FD');
  });

  it('splits skin-tone suffixes in both spellings, two-word tones first', () => {
    expect(splitToneSuffix('thumbs-up-medium-dark-skin-tone')).toEqual({ stem: 'thumbs-up', tones: ['medium-dark'] });
    expect(splitToneSuffix('thumbs-up-medium-light')).toEqual({ stem: 'thumbs-up', tones: ['medium-light'] });
    expect(splitToneSuffix('kiss-dark-skin-tone-light-skin-tone')).toEqual({ stem: 'kiss', tones: ['dark', 'light'] });
    expect(splitToneSuffix('thumbs-up')).toBeUndefined();
    expect(splitToneSuffix('dark')).toBeUndefined();
  });

  it('maps codepoints with or without FE0F', () => {
    expect(lookupCodes(lookup, '2764')?.unified).toBe('2764-FE0F');
    expect(lookupCodes(lookup, '2764-fe0f')?.unified).toBe('2764-FE0F');
    expect(lookupCodes(lookup, '1f44d-1f3fe')).toMatchObject({ unified: '1F44D-1F3FE', base: { unified: '1F44D' } });
    expect(lookupCodes(lookup, '1f44e')).toBeUndefined();
  });

  it('maps CLDR, Unicode and short names, and names without separators', () => {
    expect([map('grinning-face'), how('grinning-face')]).toEqual(['1F600', 'name']);
    expect([map('red-heart'), how('red-heart')]).toEqual(['2764-FE0F', 'name']);
    expect([map('heavy-black-heart'), how('heavy-black-heart')]).toEqual(['2764-FE0F', 'alias-name']);
    expect([map('thumbsup'), map('smiley-cat')]).toEqual(['1F44D', '1F63A']);
    expect([map('admissiontickets'), how('admissiontickets')]).toEqual(['1F39F-FE0F', 'squashed']);
    expect(map('flag-brazil')).toBe('1F1E7-1F1F7');
    expect(map('brazil-flag')).toBe('1F1E7-1F1F7');
    expect(map('brazil')).toBe('1F1E7-1F1F7'); // Streamline's bare country
    expect(map('b-button')).toBe('1F171-FE0F'); // "B button (blood type)" without the parenthesis
  });

  it('prefers the CLDR name over a bare country: "turkey" is the bird, the flag is "flag-turkiye"', () => {
    expect(map('turkey')).toBe('1F983');
    expect(map('flag-turkiye')).toBe('1F1F9-1F1F7');
  });

  it('maps skin-tone variants onto the variation of the same base emoji', () => {
    expect([map('thumbs-up-medium-skin-tone'), how('thumbs-up-medium-skin-tone')]).toEqual(['1F44D-1F3FD', 'tone']);
    expect(map('thumbs-up-dark')).toBe('1F44D-1F3FF'); // Fluent's spelling
    expect(map('kiss-dark-skin-tone-light-skin-tone')).toBe('1F48F-1F3FF-1F3FB');
    expect(map('grinning-face-dark')).toBeUndefined(); // no such variation
    expect(map('vertical-traffic-light')).toBe('1F6A6'); // the whole name wins over a "-light" tone suffix
  });

  it('maps older spellings and numbered drawings', () => {
    expect([map('grinning-cat-face'), how('grinning-cat-face')]).toEqual(['1F63A', 'rewrite']); // CLDR 5.0 renamed "… cat face"
    expect([map('person-elf-medium'), how('person-elf-medium')]).toEqual(['1F9DD-1F3FD', 'rewrite']);
    expect(map('man-deaf')).toBe('1F9CF-200D-2642-FE0F');
    expect(map('flag-for-brazil')).toBe('1F1E7-1F1F7');
    expect(map('flag-for-flag-brazil')).toBe('1F1E7-1F1F7');
    expect([map('thumbs-up-2'), how('thumbs-up-2')]).toEqual(['1F44D', 'numbered']);
    expect(map('amazed-face')).toBeUndefined();
    expect(map('3d-printer')).toBeUndefined();
  });

  it('refuses a key that names two emoji in its tier', () => {
    const twins = buildEmojiLookup([entry('1F600', 'FACE', ['same'], 'Smileys & Emotion', 1), entry('1F601', 'OTHER FACE', ['same'], 'Smileys & Emotion', 2)], () => undefined);
    expect(lookupName(twins, 'same')).toBeUndefined();
    expect(lookupName(twins, 'other-face')?.target.unified).toBe('1F601');
  });
});

// ---------------------------------------------------------------- the real packages

function installed(): boolean {
  try {
    packageRoot('google');
    packageRoot('twitter');
    for (const s of STYLES) if (s.source === 'iconify-json') npmPackageRoot(s.package);
    npmPackageRoot('@resvg/resvg-js');
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!installed())('v2 plan over the installed packages', () => {
  let plan: PlanV2;
  let entries: EmojiDataEntry[];
  let lookup: EmojiLookup;
  beforeAll(async () => {
    plan = await planEmojiDatasetV2({});
    entries = JSON.parse(await readFile(join(packageRoot('google'), 'emoji.json'), 'utf8')) as EmojiDataEntry[];
    lookup = buildEmojiLookup(entries, cldrNameOf);
  }, 60_000);

  it('holds ≥ 20,000 images in ≥ 6 styles (pinned per style for these package versions)', () => {
    const per = Object.fromEntries(plan.reports.map((r) => [r.style, r.images]));
    expect(per).toEqual({ google: 3786, twitter: 3786, openmoji: 3791, fluent: 3145, 'fluent-flat': 3145, emojione: 1768, fxemoji: 898, streamline: 769 });
    expect(plan.planned.length).toBe(21088);
    expect(plan.planned.length).toBeGreaterThanOrEqual(20_000);
    expect(new Set(plan.planned.map((p) => p.record.vendor)).size).toBeGreaterThanOrEqual(6);
    expect(plan.planned.map((p) => p.record.index)).toEqual([...Array(plan.planned.length).keys()]);
  });

  it('every style maps ≥ 80 % of its icons', () => {
    for (const r of plan.reports) {
      expect(r.mapped, `${r.style}: ${r.mapped}/${r.icons}`).toBeGreaterThanOrEqual(0.8 * r.icons);
      expect(r.unmapped.length).toBe(r.icons - r.mapped);
    }
  });

  it('names map to the same emoji as the packages\' own chars.json codepoints (≥ 99.5 % of icons that have both)', async () => {
    for (const style of ['openmoji', 'fluent-flat'] as const) {
      const set = await loadIconifySet(style);
      let agree = 0;
      let disagree = 0;
      for (const [codes, name] of Object.entries(set.chars)) {
        const byCodes = lookupCodes(lookup, codes);
        const byName = lookupName(lookup, name);
        if (!byCodes || !byName) continue;
        if (byName.target.unified === byCodes.unified) agree++;
        else disagree++;
      }
      expect(agree, style).toBeGreaterThan(3000);
      expect(disagree / (agree + disagree), style).toBeLessThan(0.005);
    }
  });

  it('holds every emoji of a held-out base out in every style', () => {
    const bases = new Set(entries.map((e) => e.unified.toUpperCase()));
    const sides = new Map<string, Set<boolean>>();
    const baseByName = new Map<string, Set<string>>();
    for (const { record: r } of plan.planned) {
      expect(bases.has(r.baseUnified), `${r.vendor} ${r.image} → ${r.baseUnified}`).toBe(true); // one key space for all styles
      sides.set(r.baseUnified, (sides.get(r.baseUnified) ?? new Set()).add(isHeldOut(r)));
      baseByName.set(r.name, (baseByName.get(r.name) ?? new Set()).add(r.baseUnified));
    }
    expect([...sides.values()].every((s) => s.size === 1)).toBe(true);
    // No style spells a base emoji differently (e.g. "2764" next to "2764-FE0F" would split the red heart's side).
    expect([...baseByName.entries()].filter(([, s]) => s.size > 1)).toEqual([]);
    const heldBases = [...sides.entries()].filter(([, s]) => s.has(true)).map(([b]) => b).sort();
    const v1Held = [...new Set(planEmojiRecords(entries, { vendors: ['google', 'twitter'] }).filter(isHeldOut).map((r) => r.baseUnified))].sort();
    expect(heldBases).toEqual(v1Held); // the same 88 emoji as v1: every held-out emoji has a PNG in v1
    expect(heldBases.length).toBe(88);
    const heldImages = plan.planned.filter((p) => isHeldOut(p.record)).length;
    expect(heldImages).toBe(880);
    const perStyleHeld = Object.fromEntries(STYLE_IDS.map((s) => [s, plan.planned.filter((p) => p.record.vendor === s && isHeldOut(p.record)).length]));
    expect(perStyleHeld).toEqual({ google: 163, twitter: 163, openmoji: 164, fluent: 118, 'fluent-flat': 118, emojione: 80, fxemoji: 44, streamline: 30 });
  });

  it('starts with exactly the v1 records (google, twitter)', () => {
    const v1 = planEmojiRecords(entries, { vendors: ['google', 'twitter'] });
    expect(plan.planned.slice(0, v1.length).map((p) => p.record)).toEqual(v1);
    expect(plan.planned[v1.length].record.vendor).toBe('openmoji');
  });

  it('gives iconify skin-tone icons the variation codes and tones of their base emoji', () => {
    const find = (style: EmojiStyle, icon: string) => plan.planned.find((p) => p.record.vendor === style && p.record.image === icon)?.record;
    expect(find('openmoji', 'thumbs-up-medium-skin-tone')).toMatchObject({ unified: '1F44D-1F3FD', baseUnified: '1F44D', name: 'thumbs up', skinTone: 'medium', skinTones: ['medium'] });
    expect(find('fluent', 'thumbs-up-medium-dark')).toMatchObject({ unified: '1F44D-1F3FE', baseUnified: '1F44D', skinTones: ['medium-dark'] });
    expect(find('emojione', 'thumbs-up-light-skin-tone')).toMatchObject({ unified: '1F44D-1F3FB', skinTones: ['light'] });
    expect(find('fxemoji', 'grinwide')).toMatchObject({ baseUnified: '1F603', name: 'grinning face with big eyes' });
    expect(find('streamline', 'brazil')).toMatchObject({ baseUnified: '1F1E7-1F1F7', category: 'Flags' });
    // Fluent draws "pointing right" as a mirrored alias of "pointing left": kept, as it is another emoji.
    expect(find('fluent', 'backhand-index-pointing-right')).toMatchObject({ unified: '1F449' });
  });
});

describe.skipIf(!installed())('npm run data -- --v2 on a few emoji', () => {
  let dir: string;
  const lines: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emoji32-v2-'));
    await dataCommand({ _: [], v2: true, limit: '4', out: dir }, (s) => lines.push(s));
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('logs one mapping line per style, progress and the total', () => {
    expect(lines.filter((l) => /^ {2}[a-z-]+: [\d,]+ of [\d,]+ icons mapped \(\d+\.\d %\), \d+ images/.test(l)).length).toBe(STYLE_IDS.length);
    expect(lines.some((l) => /^ {2}(\d+)\/\1 images \(/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^wrote \d+ images in 8 styles/);
  });

  it('writes a version 2 index with every style, the v1 PNG pixels and drawn SVG pixels', async () => {
    const index = parseEmojiIndex(JSON.parse(await readFile(join(dir, 'emoji32.json'), 'utf8')));
    const buf = new Uint8Array(await readFile(join(dir, 'emoji32.bin'))).buffer;
    expect(index.version).toBe(2);
    expect(buf.byteLength).toBe(index.count * EMOJI_BYTES_PER_IMAGE);
    expect(index.styles!.map((s) => s.style)).toEqual([...STYLE_IDS]);
    expect(Object.keys(index.vendors)).toEqual([...STYLE_IDS]);
    expect(index.source.packages.map((p) => p.name)).toContain('@resvg/resvg-js');
    // The first 4 base emoji in sort order (grinning face … grinning squinting face); every style draws them.
    const names = new Set(index.records.map((r) => r.name));
    expect([...names]).toEqual(['grinning face', 'grinning face with big eyes', 'grinning face with smiling eyes', 'beaming face with smiling eyes']);
    for (const r of index.records) {
      const px = readEmojiPixels(buf, index, r.index);
      if (r.vendor === 'google' || r.vendor === 'twitter') {
        const png = await readPngRgba(join(packageRoot(r.vendor as Vendor), 'img', r.vendor, '64', r.image));
        expect(Buffer.compare(Buffer.from(px), Buffer.from(areaDownsample(png.rgba, 64, 64, 32, 32)))).toBe(0);
      } else {
        for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31]]) expect([...px.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)], `${r.vendor} ${r.image}`).toEqual([255, 255, 255]);
        expect(Math.min(...px), `${r.vendor} ${r.image}`).toBeLessThan(120); // eyes / mouth / outline
        expect(new Set(px).size, `${r.vendor} ${r.image}`).toBeGreaterThan(20);
      }
    }
  });

  it('keeps v1 the default: --vendors is refused with --v2, unknown styles are named', async () => {
    await expect(dataCommand({ _: [], v2: true, vendors: 'google', out: dir }, () => {})).rejects.toThrow(/--styles/);
    await expect(dataCommand({ _: [], styles: 'google,apple', out: dir }, () => {})).rejects.toThrow(/apple/);
  });
});
