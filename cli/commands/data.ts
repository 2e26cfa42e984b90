// `data`: builds the 32×32 emoji dataset (binary + JSON index): v1 (the shipped model's data) from the emoji-datasource packages by default, v2 (every style of src/core/data/styles.ts) with --v2 / --styles.
import { buildEmojiDataset } from '../data/buildEmojiDataset';
import { V2_DIR, buildEmojiDatasetV2, formatStyleReport } from '../data/buildEmojiDatasetV2';
import { STYLE_IDS, parseStyleList } from '../../src/core/data/styles';
import { flag, str, type Args } from '../args';

export const dataHelp = `data [--out data] [--limit N] [--vendors google,twitter]
data --v2 [--out ${V2_DIR}] [--styles ${STYLE_IDS.join(',')}] [--limit N]
  v1 (default, the shipped model's data): reads the emoji-datasource-google/-twitter PNGs, composites them on white,
  area-downsamples to 32×32 and writes data/emoji32.bin (uint8 RGB) + data/emoji32.json (names, keywords,
  categories, vendor, skin tone).
  v2 (--v2, or --styles with any subset): those two sets plus the iconify emoji sets rendered with resvg, each icon
  mapped to its emoji; writes ${V2_DIR}/emoji32.bin + emoji32.json (index version 2, the style in each record's
  \`vendor\`, a per-style mapping report). Read it with --data ${V2_DIR} (pretrain, eval, latent-subset).`;

function limitOf(args: Args): number | undefined {
  if (args.limit === undefined) return undefined;
  const n = Number(args.limit);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--limit must be a positive integer, got ${String(args.limit)}`);
  return n;
}

export async function dataCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  if (flag(args, 'v2') || typeof args.styles === 'string') {
    if (args.vendors !== undefined) throw new Error('--vendors is the v1 option: with --v2 use --styles');
    const styles = typeof args.styles === 'string' ? parseStyleList(args.styles) : undefined;
    const r = await buildEmojiDatasetV2({
      outDir: str(args, 'out', V2_DIR),
      styles,
      limit: limitOf(args),
      onStyle: (rep) => log(`  ${formatStyleReport(rep)}`),
      onProgress: (done, total, style) => {
        if (done % 1000 === 0 || done === total) log(`  ${done}/${total} images (${style})`);
      },
    });
    log(
      `wrote ${r.count} images in ${Object.keys(r.perStyle).length} styles (${Object.entries(r.perStyle).map(([k, v]) => `${k} ${v}`).join(', ')}) ` +
        `→ ${r.binPath}, index → ${r.indexPath} in ${r.seconds.toFixed(1)} s`,
    );
    return;
  }
  const r = await buildEmojiDataset({
    outDir: str(args, 'out', 'data'),
    limit: limitOf(args),
    vendors: args.vendors ? (str(args, 'vendors', '').split(',') as ('google' | 'twitter')[]) : undefined,
    onProgress: (done, total) => {
      if (done % 500 === 0 || done === total) process.stdout.write(`\r  ${done}/${total}`);
    },
  });
  log(`\nwrote ${r.count} images (${Object.entries(r.perVendor).map(([k, v]) => `${k} ${v}`).join(', ')}) in ${r.seconds.toFixed(1)} s`);
}
