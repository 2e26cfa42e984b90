// `data`: builds the 32×32 emoji dataset (binary + JSON index) from the emoji-datasource packages.
import { buildEmojiDataset } from '../data/buildEmojiDataset';
import { str, type Args } from '../args';

export const dataHelp = `data [--out data] [--limit N] [--vendors google,twitter]
  Reads the emoji-datasource-google/-twitter PNGs, composites them on white, area-downsamples to 32×32 and writes
  data/emoji32.bin (uint8 RGB) + data/emoji32.json (names, keywords, categories, vendor, skin tone).`;

export async function dataCommand(args: Args): Promise<void> {
  const r = await buildEmojiDataset({
    outDir: str(args, 'out', 'data'),
    limit: args.limit ? Number(args.limit) : undefined,
    vendors: args.vendors ? (str(args, 'vendors', '').split(',') as ('google' | 'twitter')[]) : undefined,
    onProgress: (done, total) => {
      if (done % 500 === 0 || done === total) process.stdout.write(`\r  ${done}/${total}`);
    },
  });
  console.log(`\nwrote ${r.count} images (${Object.entries(r.perVendor).map(([k, v]) => `${k} ${v}`).join(', ')}) in ${r.seconds.toFixed(1)} s`);
}
