// Emoji text side (pure): caption normalisation, captions (with the style words of ./styles) and their parser, word vocabulary + tokenizer, held-out prompt split and flip policy; follows EmojiRecord in ./emojiDataset.

import type { EmojiRecord, SkinTone } from './emojiDataset';
import { STYLES, V1_STYLES, stylePhrase, type EmojiStyle } from './styles';

// ---------------------------------------------------------------- normalisation

/** Symbols that carry meaning in emoji names and become words instead of being stripped. */
const SYMBOL_WORDS: Readonly<Record<string, string>> = { '&': 'and', '*': 'asterisk', '#': 'hash' };

/**
 * Canonical text form shared by captions, vocabulary and tokenizer:
 * NFKD + drop accents ("São Tomé" → "sao tome"), lower-case, drop apostrophes ("worker’s" → "workers"),
 * & * # → words, every other non-letter/non-digit → space, single spaces, trimmed.
 * "flag: brazil" → "flag brazil"; "KEYCAP: *" → "keycap asterisk"; "T-SHIRT" → "t shirt".
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/['’ʼ]/g, '')
    .replace(/[&*#]/g, (s) => ` ${SYMBOL_WORDS[s]} `)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Words of `text` after normalizeText. */
export function toWords(text: string): string[] {
  const norm = normalizeText(text);
  return norm === '' ? [] : norm.split(' ');
}

/** Name words + short-name words, de-duplicated, first occurrence order (emoji.json has no keywords field). */
export function keywordsFor(name: string, shortNames: readonly string[]): string[] {
  return [...new Set([...toWords(name), ...shortNames.flatMap(toWords)])];
}

// ---------------------------------------------------------------- captions

export interface CaptionOptions {
  /** Append the style words ("google style", "fluent flat style"; see ./styles). */
  vendor: boolean;
  /** Append the skin tone words ("medium skin tone") when the image has one. */
  skinTone: boolean;
  /**
   * Style dropout for training captions (used only with `rng`): the probability that an allowed style phrase is left
   * out, so the plain caption stays meaningful for every style. Default 0.5, the v1 behaviour (same rng draws).
   */
  styleDropout?: number;
}

/** Caption words for a style (v1 name: vendor): "google style", "fluent flat style". */
export function vendorPhrase(vendor: EmojiStyle): string {
  return stylePhrase(vendor);
}

/** Caption words for a skin tone: "medium-light" → "medium light skin tone". */
export function skinTonePhrase(tone: Exclude<SkinTone, 'none'>): string {
  return `${normalizeText(tone)} skin tone`;
}

/** Skin-tone part of a caption; repeated tones are named once ("light, light" → "light skin tone"). '' when none. */
function skinTonesPhrase(tones: readonly Exclude<SkinTone, 'none'>[]): string {
  return [...new Set(tones)].map(skinTonePhrase).join(', ');
}

/** The caption core: the normalised emoji name, e.g. "grinning face", "brazil flag". */
export function baseCaption(record: Pick<EmojiRecord, 'name'>): string {
  return normalizeText(record.name);
}

/**
 * Caption for one image: "<name>[, <tone> skin tone][, <style> style]", e.g. "thumbs up sign, medium skin tone",
 * "grinning face, fluent style". Options say which optional parts may appear. Without `rng` every allowed part is
 * included; with `rng` (uniform [0,1)) the skin tone is kept with probability 1/2 and the style with probability
 * 1 − styleDropout (default 1/2), so training sees both forms. One rng draw per allowed part, tone first.
 */
export function captionFor(
  record: Pick<EmojiRecord, 'name' | 'vendor' | 'skinTones'>,
  opts: CaptionOptions,
  rng?: () => number,
): string {
  const dropout = opts.styleDropout ?? 0.5;
  if (!(dropout >= 0 && dropout <= 1)) throw new RangeError(`styleDropout must be within [0, 1], got ${dropout}`);
  const keep = (allowed: boolean, pKeep: number): boolean => allowed && (rng === undefined || rng() < pKeep);
  const parts = [baseCaption(record)];
  const tones = skinTonesPhrase(record.skinTones);
  if (tones !== '' && keep(opts.skinTone, 0.5)) parts.push(tones);
  if (keep(opts.vendor, 1 - dropout)) parts.push(vendorPhrase(record.vendor));
  return parts.join(', ');
}

/** A caption split into its parts (the inverse of captionFor, for any caption a person types). */
export interface ParsedCaption {
  /** The emoji words, normalised: "grinning face". '' when the caption has only style / tone words. */
  name: string;
  /** Skin tones named at the end, in caption order ([] for none). */
  skinTones: Exclude<SkinTone, 'none'>[];
  /** The style named at the end, or undefined for a plain caption. */
  style?: EmojiStyle;
}

/** Style phrases as word lists, longest first, so "fluent flat style" is not read as "… flat, fluent style". */
const STYLE_WORDS: readonly { style: EmojiStyle; words: string[] }[] = STYLES.map((s) => ({ style: s.id, words: toWords(stylePhrase(s.id)) }))
  .sort((a, b) => b.words.length - a.words.length);

const TONE_WORDS: readonly { tone: Exclude<SkinTone, 'none'>; words: string[] }[] = (['medium-light', 'medium-dark', 'light', 'medium', 'dark'] as const)
  .map((tone) => ({ tone, words: toWords(skinTonePhrase(tone)) }));

function endsWith(words: readonly string[], tail: readonly string[]): boolean {
  return words.length >= tail.length && tail.every((w, i) => words[words.length - tail.length + i] === w);
}

/**
 * Parses "<name>[, <tone> skin tone]…[, <style> style]" (commas optional, any case or punctuation: the words are
 * those of normalizeText): a trailing style phrase of ./styles, then trailing skin-tone phrases, the rest is the name.
 * "grinning face, fluent style" → { name: "grinning face", skinTones: [], style: "fluent" }; "red heart" → no style.
 */
export function parseCaption(text: string): ParsedCaption {
  let words = toWords(text);
  let style: EmojiStyle | undefined;
  const s = STYLE_WORDS.find((sw) => endsWith(words, sw.words));
  if (s) {
    style = s.style;
    words = words.slice(0, words.length - s.words.length);
  }
  const tones: Exclude<SkinTone, 'none'>[] = [];
  for (;;) {
    // Two-word tones ("medium light skin tone") are listed first, so they win over "light skin tone".
    const t = TONE_WORDS.find((tw) => endsWith(words, tw.words));
    if (!t) break;
    tones.unshift(t.tone);
    words = words.slice(0, words.length - t.words.length);
  }
  // The skin-tone component emoji are named by a tone phrase ("dark skin tone"): a caption of tones only names that emoji.
  if (words.length === 0 && tones.length > 0) words = toWords(skinTonePhrase(tones.shift()!));
  return { name: words.join(' '), skinTones: tones, ...(style ? { style } : {}) };
}

/** The caption with a style phrase appended (a plain caption's style variant): "grinning face" → "grinning face, openmoji style". */
export function withStyle(caption: string, style: EmojiStyle): string {
  const base = caption.trim();
  return base === '' ? stylePhrase(style) : `${base}, ${stylePhrase(style)}`;
}

/** All distinct captions captionFor can give for this image (bare, +tone, +vendor, +both), bare first. */
export function captionVariants(record: Pick<EmojiRecord, 'name' | 'vendor' | 'skinTones'>): string[] {
  const combos: CaptionOptions[] = [
    { vendor: false, skinTone: false },
    { vendor: false, skinTone: true },
    { vendor: true, skinTone: false },
    { vendor: true, skinTone: true },
  ];
  return [...new Set(combos.map((o) => captionFor(record, o)))];
}

// ---------------------------------------------------------------- vocabulary + tokenizer

export const PAD_TOKEN = '<pad>';
export const UNK_TOKEN = '<unk>';
export const PAD_ID = 0;
export const UNK_ID = 1;

const ALL_TONES: readonly Exclude<SkinTone, 'none'>[] = ['light', 'medium-light', 'medium', 'medium-dark', 'dark'];

/**
 * Word vocabulary: ['<pad>', '<unk>', ...sorted unique words] over every caption variant, short name and keyword,
 * plus the fixed style/skin-tone phrase words (so any subset's vocab covers the caption template). `styles` are the
 * styles whose words are always included: the default V1_STYLES keeps the shipped model's vocabulary (its
 * config.json) exactly; styles of the records themselves come in through their caption variants anyway.
 */
export function buildVocab(records: readonly EmojiRecord[], styles: readonly EmojiStyle[] = V1_STYLES): string[] {
  const words = new Set<string>();
  const add = (text: string): void => toWords(text).forEach((w) => words.add(w));
  styles.forEach((v) => add(vendorPhrase(v)));
  ALL_TONES.forEach((t) => add(skinTonePhrase(t)));
  for (const r of records) {
    captionVariants(r).forEach(add);
    r.shortNames.forEach(add);
    r.keywords.forEach(add);
  }
  words.delete(PAD_TOKEN);
  words.delete(UNK_TOKEN);
  return [PAD_TOKEN, UNK_TOKEN, ...[...words].sort()];
}

const vocabMaps = new WeakMap<readonly string[], Map<string, number>>();

/** word → id map for a vocab array (memoised per array). */
function vocabMap(vocab: readonly string[]): Map<string, number> {
  let map = vocabMaps.get(vocab);
  if (!map) {
    map = new Map(vocab.map((w, i) => [w, i]));
    vocabMaps.set(vocab, map);
  }
  return map;
}

/**
 * Text → fixed-length ids: normalizeText words, unknown → 1 (<unk>), truncated to maxLen, padded with 0.
 * Shapes: ids Int32[maxLen], mask Float32[maxLen] (1 for real tokens, 0 for padding).
 */
export function tokenize(text: string, vocab: readonly string[], maxLen: number): { ids: Int32Array; mask: Float32Array } {
  if (!Number.isInteger(maxLen) || maxLen <= 0) throw new RangeError(`tokenize maxLen must be a positive integer, got ${maxLen}`);
  const map = vocabMap(vocab);
  const ids = new Int32Array(maxLen).fill(PAD_ID);
  const mask = new Float32Array(maxLen);
  toWords(text)
    .slice(0, maxLen)
    .forEach((w, i) => {
      ids[i] = map.get(w) ?? UNK_ID;
      mask[i] = 1;
    });
  return { ids, mask };
}

/**
 * What the text encoder will make of a prompt: the words it does not know (read as <unk>, unique, in order) and how
 * many words fall beyond maxLen (cut off by tokenize). A prompt "pizza, fluent style" on a model without the v2 style
 * words gives unknown ["fluent"].
 */
export function promptCoverage(text: string, vocab: readonly string[], maxLen: number): { unknown: string[]; cutWords: number } {
  const words = toWords(text);
  const map = vocabMap(vocab);
  const read = words.slice(0, maxLen);
  const unknown = [...new Set(read.filter((w) => !map.has(w) || map.get(w)! <= UNK_ID))];
  return { unknown, cutWords: Math.max(0, words.length - maxLen) };
}

// ---------------------------------------------------------------- held-out split

/** FNV-1a 32-bit over the string's UTF-16 code units (= bytes for the ASCII unified codes). Unsigned result. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One prompt in HELD_OUT_MODULUS is held out (≈5%). */
export const HELD_OUT_MODULUS = 20;

/**
 * Held-out prompt split, fixed forever: an emoji is held out iff fnv1a32(upper-case base unified code) % 20 === 0.
 * Keyed on the base emoji, so every vendor and skin-tone variant of a held-out emoji is held out together;
 * depends on nothing else (not order, not the subset built).
 */
export function isHeldOut(record: Pick<EmojiRecord, 'baseUnified'>): boolean {
  return fnv1a32(record.baseUnified.toUpperCase()) % HELD_OUT_MODULUS === 0;
}

// ---------------------------------------------------------------- flip policy

/** Symbols category subcategories whose glyphs survive mirroring; every other Symbols subcategory is text-like. */
const FLIPPABLE_SYMBOL_SUBCATEGORIES = new Set(['geometric', 'math']);

/** Subcategories outside Symbols where mirroring changes meaning (clock hands / dials). */
const NO_FLIP_SUBCATEGORIES = new Set(['time']);

/** Name words that forbid flipping: direction, text, letters, digits and money glyphs drawn in the image. */
const NO_FLIP_NAME_WORDS = new Set([
  'left', 'right', 'leftwards', 'rightwards', 'clockwise', 'anticlockwise', 'counterclockwise',
  'text', 'letters', 'latin', 'keycap', 'squared', 'circled', 'ideograph', 'katakana', 'cjk', 'input',
  'hundred', 'eighteen', 'zzz', 'calendar', 'newspaper', 'dollar', 'yen', 'euro', 'pound', 'trend',
  'clock', 'oclock', 'watch', 'stopwatch',
]);

/** Whole names (normalised) drawn with letters that no word above catches ("zzz" in the artwork). */
const NO_FLIP_NAMES = new Set(['sleeping face', 'sleeping symbol']);

/**
 * People & Body words of the people-in-motion emoji that since Emoji 15.1 have a distinct "… facing right" twin
 * (their mirror image IS that twin): runner/running, pedestrian/walking, kneeling, white cane, wheelchair.
 */
const FACING_TWIN_WORDS = new Set(['runner', 'running', 'pedestrian', 'walking', 'kneeling', 'cane', 'wheelchair']);

/**
 * Whether a horizontal flip keeps the caption true. False for: the Flags category; every Symbols subcategory except
 * geometric and math (arrows, keycaps, alphanumerics, av-symbols, punctuation, currency, zodiac, religion, signs…);
 * the time subcategory (clocks); any name containing a word of NO_FLIP_NAME_WORDS (left/right/text/letters/digits…)
 * or listed in NO_FLIP_NAMES; People & Body emoji with a "facing right" twin (FACING_TWIN_WORDS).
 * True otherwise. Best effort: a few flippable symbols are excluded to stay safe.
 */
export function canFlip(record: Pick<EmojiRecord, 'name' | 'category' | 'subcategory'>): boolean {
  if (record.category === 'Flags') return false;
  if (record.category === 'Symbols' && !FLIPPABLE_SYMBOL_SUBCATEGORIES.has(record.subcategory)) return false;
  if (NO_FLIP_SUBCATEGORIES.has(record.subcategory)) return false;
  const words = toWords(record.name);
  if (NO_FLIP_NAMES.has(words.join(' ')) || words.some((w) => NO_FLIP_NAME_WORDS.has(w))) return false;
  return !(record.category === 'People & Body' && words.some((w) => FACING_TWIN_WORDS.has(w)));
}
