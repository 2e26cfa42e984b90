/** Several annotators' votes merged into one label per pair by averaging them (Pick-a-Pic label files here, the CLI's pairs-folder votes through mergeVotes), as D3PO's load_data_from_json averages annotator files (yk7333/d3po scripts/utils.py). */
import type { Vote } from '../algorithms/d3po';
import { type PickapicRow, PickapicError, imageUid, pairIdFromUids } from './pickapic';

/** One pair's label averaged over annotator files; image_0 is trajectory 0 whenever the uids are studio uids. */
export interface MergedLabel {
  pairId: string | null; // the studio pair, when the uids are `<pairId>-0/1`
  caption: string;
  image_0_uid: string;
  image_1_uid: string;
  label_0: number; // mean over the annotators who labeled the pair
  label_1: number;
  annotators: number;
  vote: Vote; // 0 / 1 by the mean; 'tie' at exactly 0.5 ('both-bad' if all said both-bad), which D3PO skips
  weight: number; // agreement |2·label_0 − 1|: 1 unanimous, 0 a tie
}

/** One annotator's label of a pair: label_0 in [0, 1] (1 = image 0 better, 0.5 = no preference) and whether they marked both images bad. */
export interface AnnotatorLabel {
  label0: number;
  bothBad: boolean;
}

/** A stored vote as an annotator's label: image 0 better → 1, image 1 better → 0, tie and both-bad → 0.5. */
export function annotatorLabelOf(vote: Vote): AnnotatorLabel {
  return { label0: vote === 0 ? 1 : vote === 1 ? 0 : 0.5, bothBad: vote === 'both-bad' };
}

/** Several annotators' labels of one pair, merged. */
export interface MergedVote {
  vote: Vote; // 0 / 1 by the mean; 'tie' at exactly 0.5 ('both-bad' if all said both-bad), which D3PO skips
  label0: number; // mean label_0 (0.5 for a tie)
  preference: number; // mean of 2·label_0 − 1: the preference for image 0 from −1 (all image 1) to +1 (all image 0); 0 for a tie
  weight: number; // agreement |2·label_0 − 1|: 1 unanimous, 0 a tie
}

/** Averages one pair's labels over the annotators who gave one (at least one), as D3PO's load_data_from_json takes np.mean over annotator files. */
export function mergeVotes(labels: readonly AnnotatorLabel[]): MergedVote {
  const n = labels.length;
  const mean = labels.reduce((a, l) => a + l.label0, 0) / n;
  const tie = Math.abs(mean - 0.5) < 1e-9;
  return {
    vote: tie ? (labels.every((l) => l.bothBad) ? 'both-bad' : 'tie') : mean > 0.5 ? 0 : 1,
    label0: tie ? 0.5 : mean,
    preference: tie ? 0 : labels.reduce((a, l) => a + (2 * l.label0 - 1), 0) / n,
    weight: tie ? 0 : Math.abs(2 * mean - 1),
  };
}

/**
 * Averages label_0 per pair across annotators' files (one file per person, as D3PO's load_data_from_json reads one
 * JSON per annotator and takes np.mean over them). Pairs are matched by their two image uids in either order.
 * `requireAll` keeps only pairs every file labeled (D3PO truncates to the shortest file). Throws PickapicError if a
 * file labels the same pair twice or a label is out of range.
 */
export function mergeAnnotators(files: PickapicRow[][], opts: { requireAll?: boolean } = {}): MergedLabel[] {
  type Acc = { caption: string; u0: string; u1: string; labels: AnnotatorLabel[]; files: Set<number> };
  const acc = new Map<string, Acc>();
  files.forEach((rows, f) => {
    const seen = new Set<string>();
    rows.forEach((r, i) => {
      if (!r.has_label) return;
      if (!(typeof r.label_0 === 'number' && r.label_0 >= 0 && r.label_0 <= 1)) {
        throw new PickapicError(`File ${f + 1}, row ${i + 1}: label_0 must be a number in [0, 1]; load files with jsonlToRows/zipToRows, which validate them.`);
      }
      const key = r.image_0_uid < r.image_1_uid ? `${r.image_0_uid}\u0000${r.image_1_uid}` : `${r.image_1_uid}\u0000${r.image_0_uid}`;
      if (seen.has(key)) throw new PickapicError(`File ${f + 1} labels the pair (${r.image_0_uid}, ${r.image_1_uid}) twice; keep one vote per pair and person.`);
      seen.add(key);
      let a = acc.get(key);
      if (!a) {
        const pid = pairIdFromUids(r.image_0_uid, r.image_1_uid);
        const flip = pid !== null && r.image_0_uid !== imageUid(pid, 0);
        a = { caption: r.caption, u0: flip ? r.image_1_uid : r.image_0_uid, u1: flip ? r.image_0_uid : r.image_1_uid, labels: [], files: new Set() };
        acc.set(key, a);
      }
      a.labels.push({ label0: r.image_0_uid === a.u0 ? r.label_0 : 1 - r.label_0, bothBad: r.studio_vote === 'both-bad' });
      a.files.add(f);
    });
  });
  const out: MergedLabel[] = [];
  for (const a of acc.values()) {
    if (opts.requireAll && a.files.size !== files.length) continue;
    const merged = mergeVotes(a.labels);
    out.push({
      pairId: pairIdFromUids(a.u0, a.u1),
      caption: a.caption,
      image_0_uid: a.u0,
      image_1_uid: a.u1,
      label_0: merged.label0,
      label_1: 1 - merged.label0,
      annotators: a.labels.length,
      vote: merged.vote,
      weight: merged.weight,
    });
  }
  return out;
}
