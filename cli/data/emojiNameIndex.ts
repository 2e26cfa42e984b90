// Icon name / codepoints → emoji of emoji.json (pure): lookup tiers over CLDR names, Unicode names and short names, skin-tone suffixes and numbered variants; the v2 builder maps every iconify icon through it.

import { normalizeText } from '../../src/core/data/captions';
import { SKIN_TONE_BY_CODEPOINT, type SkinTone } from '../../src/core/data/emojiDataset';
import type { EmojiDataEntry } from './buildEmojiDataset';

/** One image target: the base emoji entry and the exact codes (the base's or one skin variation's, emoji.json spelling). */
export interface EmojiTarget {
  base: EmojiDataEntry;
  /** emoji.json `unified` of the base or of the skin variation, upper-case, e.g. "1F44D-1F3FD". */
  unified: string;
}

/**
 * How an icon was matched (reported per style): 'codepoints' from the package's chars.json, 'upstream-codepoints' from
 * the upstream file names (./fxemojiCodepoints) or a sibling package's chars.json (fluent ← fluent-emoji-flat), 'name' a CLDR name, 'alias-name' a Unicode/short name, 'squashed'
 * a name without separators, 'tone' a skin-tone suffix, 'rewrite' an older spelling (./emojiNameIndex NAME_REWRITES),
 * 'numbered' a numbered drawing.
 */
export type MatchKind = 'codepoints' | 'upstream-codepoints' | 'name' | 'alias-name' | 'squashed' | 'tone' | 'rewrite' | 'numbered';

export interface EmojiLookup {
  /** Codes without FE0F (iconify chars.json spelling, upper-case) → target. */
  byCodes: Map<string, EmojiTarget>;
  /**
   * Name keys by tier, tried in order; a key that names two different emoji within a tier maps to null (ambiguous).
   * 0: CLDR names; 1: Unicode names, short names, "<country> flag"; 2: the same with separators removed
   * ("admissiontickets", Firefox OS Emoji's spelling) and the bare country of a flag.
   */
  tiers: Map<string, EmojiTarget | null>[];
}

/** Icon-name key of a text: normalizeText words joined by '-' ("Flag: Brazil" → "flag-brazil", "+1" → "1"). */
export function nameKey(text: string): string {
  return normalizeText(text.replace(/_/g, ' ')).replace(/ /g, '-');
}

/** Codes key: upper-case, FE0F dropped (chars.json keys and emoji.json `non_qualified` drop it). */
export function codesKey(hex: string): string {
  return hex
    .toUpperCase()
    .split(/[-_ ]/)
    .filter((c) => c !== '' && c !== 'FE0F')
    .join('-');
}

const TONE_CODE: Readonly<Record<Exclude<SkinTone, 'none'>, string>> = Object.fromEntries(
  Object.entries(SKIN_TONE_BY_CODEPOINT).map(([cp, tone]) => [tone, cp]),
) as Record<Exclude<SkinTone, 'none'>, string>;

/** Tone words as they appear in icon names, two-word tones first so "medium-light" is not read as "…-medium" + "light". */
const TONE_SUFFIXES: readonly [string, Exclude<SkinTone, 'none'>][] = [
  ['medium-light', 'medium-light'],
  ['medium-dark', 'medium-dark'],
  ['light', 'light'],
  ['medium', 'medium'],
  ['dark', 'dark'],
];

/**
 * Builds the lookup from emoji.json entries and a CLDR name source (unicode-emoji-json, see cldrNameOf in
 * ./buildEmojiDataset). Skin variations get CLDR-style keys "<base>-<tone>-skin-tone…" (each tone, and the
 * de-duplicated list as CLDR writes "kiss: man, man, dark skin tone").
 */
export function buildEmojiLookup(entries: readonly EmojiDataEntry[], cldrName: (unified: string) => string | undefined): EmojiLookup {
  const byCodes = new Map<string, EmojiTarget>();
  const tiers: Map<string, EmojiTarget | null>[] = [new Map(), new Map(), new Map()];
  const put = (tier: number, key: string, t: EmojiTarget): void => {
    if (key === '') return;
    const m = tiers[tier];
    const old = m.get(key);
    if (old === undefined) m.set(key, t);
    else if (old !== null && old.unified !== t.unified) m.set(key, null);
  };
  const squash = (k: string): string => k.replace(/-/g, '');
  for (const base of entries) {
    const target: EmojiTarget = { base, unified: base.unified.toUpperCase() };
    byCodes.set(codesKey(base.unified), target);
    if (base.non_qualified) byCodes.set(codesKey(base.non_qualified), target);
    const cldr = cldrName(base.unified);
    const names: [number, string][] = [];
    if (cldr) names.push([0, nameKey(cldr)]);
    // "A button (blood type)" is drawn as "a-button" by older sets.
    if (cldr?.includes('(')) names.push([1, nameKey(cldr.replace(/\(.*?\)/g, ''))]);
    names.push([1, nameKey(base.name)]);
    for (const s of base.short_names) names.push([1, nameKey(s)]);
    // unicode-emoji-json writes "flag Brazil" (CLDR "flag: Brazil"); Streamline names the bare country.
    if (base.category === 'Flags' && cldr && /^flag[: ]/i.test(cldr)) {
      const country = nameKey(cldr.slice(5));
      names.push([1, `${country}-flag`], [2, country]);
    }
    for (const [tier, key] of names) {
      put(tier, key, target);
      put(2, squash(key), target);
    }
    for (const v of Object.values(base.skin_variations ?? {})) {
      const vt: EmojiTarget = { base, unified: v.unified.toUpperCase() };
      byCodes.set(codesKey(v.unified), vt);
    }
  }
  return { byCodes, tiers };
}

/** Target of a codes string ("1f44d-1f3fd", FE0F optional), or undefined. */
export function lookupCodes(lookup: EmojiLookup, hex: string): EmojiTarget | undefined {
  return lookup.byCodes.get(codesKey(hex));
}

/** Target of a name key in the first tier that has it (undefined when absent or ambiguous there). */
function lookupKey(lookup: EmojiLookup, key: string): { target: EmojiTarget; tier: number } | undefined {
  for (let tier = 0; tier < lookup.tiers.length; tier++) {
    const t = lookup.tiers[tier].get(key);
    if (t === null) return undefined; // ambiguous at the most specific tier that knows the key: do not guess further
    if (t) return { target: t, tier };
  }
  return undefined;
}

/** Splits trailing skin-tone words off an icon name: "thumbs-up-medium-dark-skin-tone" → ["thumbs-up", ["medium-dark"]]. */
export function splitToneSuffix(name: string): { stem: string; tones: Exclude<SkinTone, 'none'>[] } | undefined {
  let stem = name;
  const tones: Exclude<SkinTone, 'none'>[] = [];
  for (;;) {
    const hit = TONE_SUFFIXES.find(([word]) => stem.endsWith(`-${word}-skin-tone`) || stem.endsWith(`-${word}`));
    if (!hit) break;
    const [word, tone] = hit;
    stem = stem.endsWith(`-${word}-skin-tone`) ? stem.slice(0, -`-${word}-skin-tone`.length) : stem.slice(0, -`-${word}`.length);
    tones.unshift(tone);
  }
  return tones.length > 0 && stem !== '' ? { stem, tones } : undefined;
}

/** The skin variation of `base` with these tones (one tone also matches a two-person "T-T" variation). */
function variationOf(base: EmojiDataEntry, tones: readonly Exclude<SkinTone, 'none'>[]): EmojiTarget | undefined {
  const vars = base.skin_variations ?? {};
  const key = tones.map((t) => TONE_CODE[t]).join('-');
  const v = vars[key] ?? (tones.length === 1 ? vars[`${key}-${key}`] : undefined);
  return v ? { base, unified: v.unified.toUpperCase() } : undefined;
}

/** Older or set-specific spellings of CLDR names, tried only when a name matched nothing (each: key → key or undefined). */
export const NAME_REWRITES: readonly ((key: string) => string | undefined)[] = [
  // EmojiOne: "flag-for-brazil", and its aliases "flag-for-flag-brazil".
  (k) => (k.startsWith('flag-for-') ? `flag-${k.slice('flag-for-'.length).replace(/^flag-/, '')}` : undefined),
  // Spelling: Fluent "blonde", "keycap-hashtag" (CLDR "blond", "keycap: #" = "keycap hash").
  (k) => (/(^|-)(blonde|hashtag)(-|$)/.test(k) ? k.replace(/(^|-)blonde(?=-|$)/g, '$1blond').replace(/(^|-)hashtag(?=-|$)/g, '$1hash') : undefined),
  // CLDR 5.0 renamed "grinning cat face" → "grinning cat" (Emoji 5.0 names; EmojiOne and Streamline keep the old ones).
  (k) => (/-cat-face(-|$)/.test(k) ? k.replace(/-cat-face(?=-|$)/, '-cat') : undefined),
  // Fluent "person-elf", "person-vampire": CLDR "elf", "vampire".
  (k) => (k.startsWith('person-') ? k.slice('person-'.length) : undefined),
  // Fluent "man-deaf": CLDR "deaf man".
  (k) => {
    const m = /^(man|woman|person)-(.+)$/.exec(k);
    return m ? `${m[2]}-${m[1]}` : undefined;
  },
  // Renamed CLDR names still used by EmojiOne 2 (CLDR 31 and earlier).
  (k) =>
    ({
      'anticlockwise-arrows-button': 'counterclockwise-arrows-button',
      'blond-haired-person': 'person-blond-hair',
      'face-with-stuck-out-tongue-and-closed-eyes': 'squinting-face-with-tongue',
    })[k],
];

/** The emoji of a name key, whole or with a skin-tone suffix on a known base that has that skin variation. */
function lookupStem(lookup: EmojiLookup, key: string): { target: EmojiTarget; how: MatchKind } | undefined {
  const whole = lookupKey(lookup, key);
  if (whole) return { target: whole.target, how: whole.tier === 0 ? 'name' : whole.tier === 1 ? 'alias-name' : 'squashed' };
  const split = splitToneSuffix(key);
  if (split) {
    const base = lookupKey(lookup, split.stem);
    const v = base && variationOf(base.target.base, split.tones);
    if (v) return { target: v, how: 'tone' };
  }
  return undefined;
}

/**
 * Emoji of an icon name: the whole name in the tiers; else a skin-tone suffix ("-medium-dark-skin-tone" as OpenMoji
 * and EmojiOne write it, "-medium-dark" as Fluent Emoji does) on a known base with that skin variation; else one of
 * NAME_REWRITES (on the name, or on the stem before a tone suffix); else a numbered drawing ("baby-2", Streamline's
 * variants) of a name that maps. Undefined when nothing fits.
 */
export function lookupName(lookup: EmojiLookup, iconName: string): { target: EmojiTarget; how: MatchKind } | undefined {
  const key = nameKey(iconName);
  const direct = lookupStem(lookup, key);
  if (direct) return direct;
  const split = splitToneSuffix(key);
  for (const rewrite of NAME_REWRITES) {
    const k = rewrite(key);
    const hit = k !== undefined && k !== key ? lookupStem(lookup, k) : undefined;
    if (hit) return { target: hit.target, how: 'rewrite' };
    const stem = split && rewrite(split.stem);
    const base = stem !== undefined && stem !== split?.stem ? lookupKey(lookup, stem) : undefined;
    const v = base && variationOf(base.target.base, split!.tones);
    if (v) return { target: v, how: 'rewrite' };
  }
  const numbered = /^(.+)-\d+$/.exec(key);
  if (numbered) {
    const inner = lookupName(lookup, numbered[1]);
    if (inner) return { target: inner.target, how: 'numbered' };
  }
  return undefined;
}
