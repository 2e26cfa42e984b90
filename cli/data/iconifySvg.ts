// IconifyJSON icon → standalone SVG (pure): alias chains merged and flips/rotation applied as the IconifyJSON format defines them (@iconify/types types.d.ts; @iconify/utils icon/merge.ts and svg/build.ts).

/** Icon dimensions and transforms shared by icons, aliases and the set's defaults (IconifyDimenisons + IconifyTransformations in @iconify/types). */
export interface IconifyProps {
  left?: number;
  top?: number;
  width?: number;
  height?: number;
  /** Quarter turns clockwise, 0..3. */
  rotate?: number;
  hFlip?: boolean;
  vFlip?: boolean;
}

export interface IconifyIcon extends IconifyProps {
  /** SVG content without the <svg> element, e.g. '<path fill="#f00" d="…"/>'. */
  body: string;
}

export interface IconifyAlias extends IconifyProps {
  parent: string;
}

/** The parts of an @iconify-json/<set>/icons.json file this builder reads. */
export interface IconifyJson extends Pick<IconifyProps, 'left' | 'top' | 'width' | 'height'> {
  prefix: string;
  icons: Record<string, IconifyIcon>;
  aliases?: Record<string, IconifyAlias>;
}

/** An icon with every property resolved (set defaults, alias chain). */
export interface ResolvedIcon {
  body: string;
  left: number;
  top: number;
  width: number;
  height: number;
  rotate: number;
  hFlip: boolean;
  vFlip: boolean;
}

/** Iconify's default icon size when a set gives none (@iconify/utils defaultIconDimensions). */
const DEFAULT_SIZE = 16;

/**
 * Resolves an icon or alias name: dimensions from the nearest definition (alias over parent over set defaults);
 * flips combine by XOR and rotations add modulo 4 along the chain (@iconify/utils mergeIconData). Undefined for an
 * unknown name or a broken / circular alias chain.
 */
export function resolveIcon(set: IconifyJson, name: string): ResolvedIcon | undefined {
  const chain: IconifyProps[] = [];
  let current = name;
  for (let depth = 0; depth < 16; depth++) {
    const icon = set.icons[current];
    if (icon) {
      // chain[0] is the requested alias, then its parents: the nearest definition wins.
      const pick = (k: 'left' | 'top' | 'width' | 'height', fallback: number): number =>
        chain.find((p) => p[k] !== undefined)?.[k] ?? icon[k] ?? set[k] ?? fallback;
      const all = [icon, ...chain];
      return {
        body: icon.body,
        left: pick('left', 0),
        top: pick('top', 0),
        width: pick('width', DEFAULT_SIZE),
        height: pick('height', DEFAULT_SIZE),
        rotate: all.reduce((r, p) => r + (p.rotate ?? 0), 0) % 4,
        hFlip: all.reduce((f, p) => f !== !!p.hFlip, false),
        vFlip: all.reduce((f, p) => f !== !!p.vFlip, false),
      };
    }
    const alias = set.aliases?.[current];
    if (!alias) return undefined;
    chain.push(alias);
    current = alias.parent;
  }
  return undefined;
}

/**
 * Standalone SVG of `size`×`size` pixels showing the icon's box (viewBox), centred with its aspect kept
 * (SVG's default preserveAspectRatio xMidYMid meet) when the box is not square. Flips mirror the body about the
 * box centre, then the rotation turns it about the centre (iconify applies rotation outermost).
 */
export function iconToSvg(icon: ResolvedIcon, size: number): string {
  const { left, top, width, height } = icon;
  const cx = left + width / 2;
  const cy = top + height / 2;
  const transforms: string[] = [];
  if (icon.rotate) transforms.push(`rotate(${icon.rotate * 90} ${cx} ${cy})`);
  if (icon.hFlip) transforms.push(`translate(${2 * left + width} 0) scale(-1 1)`);
  if (icon.vFlip) transforms.push(`translate(0 ${2 * top + height}) scale(1 -1)`);
  const body = transforms.length > 0 ? `<g transform="${transforms.join(' ')}">${icon.body}</g>` : icon.body;
  // A quarter turn swaps the box's sides about its centre.
  const [vw, vh] = icon.rotate % 2 === 1 ? [height, width] : [width, height];
  const viewBox = `${cx - vw / 2} ${cy - vh / 2} ${vw} ${vh}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
    `width="${size}" height="${size}" viewBox="${viewBox}">${body}</svg>`
  );
}
