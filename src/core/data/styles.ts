// Emoji style vocabulary (pure, Node + browser): the artwork sets of the dataset, their caption words ("fluent flat style"), packages and licences; v1 = the two emoji-datasource sets.

/** One artwork set. v1 datasets hold only 'google' and 'twitter' (the `Vendor`s of ./emojiDataset). */
export type EmojiStyle = 'google' | 'twitter' | 'openmoji' | 'fluent' | 'fluent-flat' | 'emojione' | 'fxemoji' | 'streamline';

export interface StyleInfo {
  id: EmojiStyle;
  /** Caption words before "style": "grinning face, fluent flat style". Lower-case letters, single spaces. */
  words: string;
  /** npm package the artwork comes from (the devDependency pinned in package.json). */
  package: string;
  /** Where the images sit in the package: emoji-datasource 64 px PNGs, or an IconifyJSON icon set (SVG bodies). */
  source: 'emoji-datasource-png' | 'iconify-json';
  /** SPDX licence (expression) of the artwork: the installed package's (package.json `license`; info.json for iconify sets), plus the upstream's where it says more. */
  licence: string;
  /** Upstream artwork project. */
  artwork: string;
  upstream: string;
}

/**
 * Every style, in dataset order (v2 builds write them style-major in this order). Licences checked in the installed
 * packages (see public/models/emoji-sd/LICENSE-DATA.md): emoji-datasource-* README "Image Sources"; @iconify-json/*
 * package.json `license` and info.json `license` / `author`.
 */
export const STYLES: readonly StyleInfo[] = [
  { id: 'google', words: 'google', package: 'emoji-datasource-google', source: 'emoji-datasource-png', licence: 'Apache-2.0', artwork: 'Noto Emoji (Google)', upstream: 'https://github.com/googlefonts/noto-emoji' },
  { id: 'twitter', words: 'twitter', package: 'emoji-datasource-twitter', source: 'emoji-datasource-png', licence: 'CC-BY-4.0', artwork: 'Twemoji (Twitter, jdecked fork)', upstream: 'https://github.com/jdecked/twemoji' },
  { id: 'openmoji', words: 'openmoji', package: '@iconify-json/openmoji', source: 'iconify-json', licence: 'CC-BY-SA-4.0', artwork: 'OpenMoji (HfG Schwäbisch Gmünd)', upstream: 'https://github.com/hfg-gmuend/openmoji' },
  { id: 'fluent', words: 'fluent', package: '@iconify-json/fluent-emoji', source: 'iconify-json', licence: 'MIT', artwork: 'Fluent Emoji, colour (Microsoft)', upstream: 'https://github.com/microsoft/fluentui-emoji' },
  { id: 'fluent-flat', words: 'fluent flat', package: '@iconify-json/fluent-emoji-flat', source: 'iconify-json', licence: 'MIT', artwork: 'Fluent Emoji, flat (Microsoft)', upstream: 'https://github.com/microsoft/fluentui-emoji' },
  { id: 'emojione', words: 'emojione', package: '@iconify-json/emojione', source: 'iconify-json', licence: 'CC-BY-4.0', artwork: 'EmojiOne 2 (Emoji One, via EmojiTwo)', upstream: 'https://github.com/EmojiTwo/emojitwo' },
  // The package says Apache-2.0; the LICENSE.md it links (mozilla/fxemoji) puts the code under Apache-2.0 and the visual design under CC BY 4.0: both apply.
  { id: 'fxemoji', words: 'fxemoji', package: '@iconify-json/fxemoji', source: 'iconify-json', licence: 'Apache-2.0 AND CC-BY-4.0', artwork: 'Firefox OS Emoji (Mozilla)', upstream: 'https://github.com/mozilla/fxemoji' },
  { id: 'streamline', words: 'streamline', package: '@iconify-json/streamline-emojis', source: 'iconify-json', licence: 'CC-BY-4.0', artwork: 'Streamline Emojis (Streamline / webalys)', upstream: 'https://github.com/webalys-hq/streamline-vectors' },
];

export const STYLE_IDS: readonly EmojiStyle[] = STYLES.map((s) => s.id);

/** The styles of a v1 dataset (`npm run data` without --v2): the shipped model's data. */
export const V1_STYLES: readonly EmojiStyle[] = ['google', 'twitter'];

/** Style metadata; throws for an unknown id with the list of known ones. */
export function styleInfo(style: string): StyleInfo {
  const info = STYLES.find((s) => s.id === style);
  if (!info) throw new Error(`unknown emoji style "${style}": use one of ${STYLE_IDS.join(', ')}`);
  return info;
}

export function isEmojiStyle(style: string): style is EmojiStyle {
  return STYLES.some((s) => s.id === style);
}

/** Caption words for a style: "google style", "fluent flat style". */
export function stylePhrase(style: EmojiStyle): string {
  return `${styleInfo(style).words} style`;
}

/** Parses a comma-separated style list ("google,fluent-flat"); errors name the unknown ids. */
export function parseStyleList(text: string): EmojiStyle[] {
  const ids = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = ids.filter((s) => !isEmojiStyle(s));
  if (bad.length > 0) throw new Error(`unknown emoji style(s) ${bad.join(', ')}: use a comma-separated subset of ${STYLE_IDS.join(',')}`);
  if (ids.length === 0) throw new Error(`no emoji style given: use a comma-separated subset of ${STYLE_IDS.join(',')}`);
  return [...new Set(ids as EmojiStyle[])];
}
