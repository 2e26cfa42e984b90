// `label`: imports annotators' votes for a pairs folder into DIR/labels.json, one file per annotator averaged as D3PO's load_data_from_json does (see cli/experiment/labels.ts).
import fs from 'node:fs';
import path from 'node:path';
import { str, type Args } from '../args';
import { aggregateLabels, parseAnnotatorFile } from '../experiment/labels';
import { LABEL_FORMAT, LABELS_FILE, readJsonFile, readPairsManifest } from '../experiment/pairFolder';

export const labelHelp = `label --pairs DIR --labels FILE.json[,FILE2.json…|FOLDER]
  Label files: ${LABEL_FORMAT}. A folder means every *.json in it (as D3PO reads a directory).
  Votes are averaged per pair over the annotators who voted on it; pairs with no preference after averaging stay in
  ${LABELS_FILE} as tie/both-bad and are skipped by \`train\`. Unknown pair ids and bad votes are errors.`;

/** --labels (comma-separated, folders expanded to their sorted *.json) plus any extra positional files. */
export function labelFiles(args: Args): string[] {
  const given = [...str(args, 'labels', '').split(','), ...args._.slice(1)].map((s) => s.trim()).filter((s) => s !== '');
  if (given.length === 0) throw new Error(`label needs the annotators' votes: --labels FILE.json\n${labelHelp}`);
  return given.flatMap((f) => {
    if (!fs.existsSync(f)) throw new Error(`Labels file not found: ${f}. Write it as ${LABEL_FORMAT}.`);
    if (!fs.statSync(f).isDirectory()) return [f];
    const inside = fs.readdirSync(f).filter((n) => n.endsWith('.json')).sort().map((n) => path.join(f, n));
    if (inside.length === 0) throw new Error(`${f} has no *.json label files; put one file per annotator there.`);
    return inside;
  });
}

export async function labelCommand(args: Args, log: (s: string) => void = console.log): Promise<void> {
  const dir = str(args, 'pairs', '');
  if (!dir) throw new Error(`label needs the pairs folder: --pairs DIR\n${labelHelp}`);
  const manifest = readPairsManifest(dir);
  const ids = manifest.pairs.map((p) => p.id);
  const files = labelFiles(args);
  const annotators = files.map((f) => parseAnnotatorFile(f, readJsonFile(f, `write it as ${LABEL_FORMAT}.`), ids)); // a UTF-8 BOM is fine
  const { labels, ties, unlabeled } = aggregateLabels(annotators, ids);
  if (labels.length === 0) throw new Error(`None of the ${ids.length} pairs in ${dir} has a vote in ${files.join(', ')}; check the pair ids.`);
  fs.writeFileSync(path.join(dir, LABELS_FILE), JSON.stringify(labels, null, 1) + '\n');
  const count = (v: string) => labels.filter((l) => l.vote === v).length;
  log(
    `${files.length} annotator file(s) → ${labels.length}/${ids.length} pairs labeled: A ${count('A')}, B ${count('B')}, ` +
      `no preference ${ties.length} (tie ${count('tie')}, both-bad ${count('both-bad')}; skipped in training)` +
      (unlabeled.length > 0 ? `, ${unlabeled.length} without votes` : ''),
  );
  log(`wrote ${path.join(dir, LABELS_FILE)}; next: \`train --pairs ${dir}\``);
}
