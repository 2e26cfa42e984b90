// One iconify emoji set as a dataset style: loads @iconify-json/<set> (icons.json, chars.json, package.json) and plans its records, mapping each icon to an emoji of emoji.json (chars.json codepoints first, then ./emojiNameIndex names).

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { EmojiRecord } from '../../src/core/data/emojiDataset';
import { styleInfo, type EmojiStyle } from '../../src/core/data/styles';
import { recordFor, type EmojiDataEntry } from './buildEmojiDataset';
import { FXEMOJI_CODEPOINTS } from './fxemojiCodepoints';
import { lookupCodes, lookupName, type EmojiLookup, type EmojiTarget, type MatchKind } from './emojiNameIndex';
import { resolveIcon, type IconifyJson } from './iconifySvg';

/** An installed iconify set: icon data, the optional chars.json (codepoints without FE0F → icon name), package identity. */
export interface IconifySet {
  style: EmojiStyle;
  json: IconifyJson;
  /** The package's chars.json: codes (lower-case hex, FE0F omitted) → icon name; {} when it ships none. */
  chars: Record<string, string>;
  /** Icon name → codes where the package has no chars.json: upstream file names (fxemoji, ./fxemojiCodepoints) or the sibling fluent-emoji-flat's chars.json (fluent). */
  upstreamCodes: Record<string, string>;
  pkg: { name: string; version: string; license: string };
}

const require = createRequire(import.meta.url);

/** Root folder of an installed npm package; the error says to npm install. */
export function npmPackageRoot(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new Error(`${name} is not installed: run npm install (it is a devDependency of d3po-studio)`);
  }
}

/** Reads an iconify style's package (its `package` in ../../src/core/data/styles). */
export async function loadIconifySet(style: EmojiStyle): Promise<IconifySet> {
  const info = styleInfo(style);
  if (info.source !== 'iconify-json') throw new Error(`style ${style} is not an iconify set (it comes from ${info.package})`);
  const root = npmPackageRoot(info.package);
  const read = async <T>(file: string): Promise<T> => JSON.parse(await readFile(join(root, file), 'utf8')) as T;
  const json = await read<IconifyJson>('icons.json');
  let chars: Record<string, string> = {};
  try {
    chars = await read<Record<string, string>>('chars.json');
  } catch {
    // Not every set ships chars.json content; names alone map it.
  }
  const pkg = await read<{ name: string; version: string; license: string }>('package.json');
  const upstreamCodes = style === 'fxemoji' ? { ...FXEMOJI_CODEPOINTS } : style === 'fluent' ? await siblingCodes('@iconify-json/fluent-emoji-flat', json) : {};
  return { style, json, chars, upstreamCodes, pkg: { name: pkg.name, version: pkg.version, license: pkg.license } };
}

/**
 * Icon name → codes from a sibling package's chars.json, for the icons of `json` that the sibling names alike:
 * @iconify-json/fluent-emoji ships no chars.json, but it and fluent-emoji-flat are both built from
 * microsoft/fluentui-emoji's asset folders and share their icon names ("thumbs-up-medium-dark").
 */
async function siblingCodes(sibling: string, json: IconifyJson): Promise<Record<string, string>> {
  const chars = JSON.parse(await readFile(join(npmPackageRoot(sibling), 'chars.json'), 'utf8')) as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [codes, name] of Object.entries(chars)) if (json.icons[name] || json.aliases?.[name]) out[name] ??= codes;
  return out;
}

/** One planned image of an iconify style (its record's `image` is `icon`; `index` is set when the dataset is laid out). */
export interface PlannedIcon {
  record: EmojiRecord;
  icon: string;
  how: MatchKind;
}

export interface IconifyPlan {
  items: PlannedIcon[];
  /** Icons and aliases considered (aliases that resolve to no drawable icon are not counted). */
  considered: number;
  mapped: number;
  matchedBy: Partial<Record<MatchKind, number>>;
  unmapped: string[];
}

/** Which base emoji to keep (the v1 builder's --limit / codes, applied to every style alike). */
export type BaseFilter = (base: EmojiDataEntry) => boolean;

/**
 * Maps every icon of the set to an emoji and plans one record per mapped icon: chars.json codes first, then upstream
 * codes, then the name (./emojiNameIndex lookupName). Icons come first (sorted by name),
 * then aliases: an alias is kept only when it maps to an emoji no icon of the set already drew (Fluent's mirrored
 * "…-pointing-right" hands), since most aliases are old names of the same drawing. Items are ordered by the base
 * emoji's sort order, then its variant order in emoji.json (base first), then icon name.
 */
export function planIconifyStyle(set: IconifySet, lookup: EmojiLookup, keepBase: BaseFilter = () => true): IconifyPlan {
  const byName = new Map<string, string>(); // icon name → codes, from chars.json
  for (const [codes, name] of Object.entries(set.chars)) if (!byName.has(name) || lookupCodes(lookup, codes)) byName.set(name, codes);
  const match = (name: string): { target: EmojiTarget; how: MatchKind } | undefined => {
    const codes = byName.get(name);
    const t = codes === undefined ? undefined : lookupCodes(lookup, codes);
    if (t) return { target: t, how: 'codepoints' };
    const up = set.upstreamCodes[name];
    const u = up === undefined ? undefined : lookupCodes(lookup, up);
    return u ? { target: u, how: 'upstream-codepoints' } : lookupName(lookup, name);
  };
  const icons = Object.keys(set.json.icons).sort();
  const aliases = Object.keys(set.json.aliases ?? {}).filter((a) => resolveIcon(set.json, a) !== undefined).sort();
  const items: PlannedIcon[] = [];
  const drawn = new Set<string>();
  const matchedBy: Partial<Record<MatchKind, number>> = {};
  const unmapped: string[] = [];
  let mapped = 0;
  for (const [name, isAlias] of [...icons.map((n) => [n, false] as const), ...aliases.map((n) => [n, true] as const)]) {
    const m = match(name);
    if (!m) {
      unmapped.push(name);
      continue;
    }
    mapped++;
    matchedBy[m.how] = (matchedBy[m.how] ?? 0) + 1;
    if (isAlias && drawn.has(m.target.unified)) continue;
    drawn.add(m.target.unified);
    if (!keepBase(m.target.base)) continue;
    items.push({ record: recordFor(m.target.base, { unified: m.target.unified, image: name }, set.style, -1), icon: name, how: m.how });
  }
  const variantRank = (r: EmojiRecord, base: EmojiDataEntry): number =>
    [base.unified, ...Object.values(base.skin_variations ?? {}).map((v) => v.unified)].findIndex((u) => u.toUpperCase() === r.unified);
  const rank = new Map(items.map((it) => [it, 0]));
  for (const it of items) {
    // recordFor keeps the base's sortOrder; the variant's position comes from emoji.json.
    const base = lookupCodes(lookup, it.record.baseUnified)!.base;
    rank.set(it, variantRank(it.record, base));
  }
  items.sort((a, b) => a.record.sortOrder - b.record.sortOrder || rank.get(a)! - rank.get(b)! || (a.icon < b.icon ? -1 : a.icon > b.icon ? 1 : 0));
  return { items, considered: icons.length + aliases.length, mapped, matchedBy, unmapped: unmapped.sort() };
}
