// Review of stored votes (Teachable Machine's per-sample view/delete): this model's labeled pairs newest first with their images, changing a vote (D3PO retrains on the new one) and deleting a vote with or without its pair.
import { sideFromVote, voteFromSide, type VoteLetter } from '../core/preferences/votes';
import { deleteLabel, listLabels, saveLabel, type Label } from '../storage/labels';
import { deletePairs, getPairSummary } from '../storage/pairs';
import type { GeneratedImage } from '../worker/protocol';
import { errorMessage } from './client';
import { patch, useStudioStore } from './index';
import { countLabels } from './labelingSlice';

export interface LabeledPairView {
  label: Label;
  left: GeneratedImage | null; // the image shown on the left when voted (null: pruned or imported as PNG)
  right: GeneratedImage | null;
  hasTrajectories: boolean; // false after pruning: the vote stays, D3PO can no longer train on it
}

/** Which side a stored vote chose, as it was shown (A = left). */
export function choiceOf(l: Label): VoteLetter {
  return sideFromVote(l.vote, l.leftIsFirst);
}

/** This model's votes, newest first, `limit` of them from `offset`, with the images in the order they were shown. */
export async function listLabeledPairs(offset: number, limit: number): Promise<{ total: number; items: LabeledPairView[] }> {
  const modelId = useStudioStore.getState().session.model?.name;
  const size = useStudioStore.getState().session.model?.imageSize ?? 32;
  const mine = (await listLabels()).filter((l) => l.modelId === modelId).reverse();
  const items: LabeledPairView[] = [];
  for (const label of mine.slice(offset, offset + limit)) {
    const summary = await getPairSummary(label.pairId).catch(() => undefined);
    const raw = summary?.images.every((b) => b.byteLength === size * size * 4) ? summary.images : null;
    const img = (b: Uint8Array): GeneratedImage => ({ width: size, height: size, rgba: b.slice().buffer as ArrayBuffer });
    const [first, second] = raw ? [img(raw[0]), img(raw[1])] : [null, null];
    items.push({ label, left: label.leftIsFirst ? first : second, right: label.leftIsFirst ? second : first, hasTrajectories: summary?.hasTrajectories ?? false });
  }
  return { total: mine.length, items };
}

/** Re-reads this model's votes into the labeling counters and undo stack after an edit here. */
async function syncCounts(): Promise<void> {
  const modelId = useStudioStore.getState().session.model?.name;
  const mine = (await listLabels()).filter((l) => l.modelId === modelId);
  patch('labeling', { undo: mine, counts: countLabels(mine) });
}

/** Replaces a stored vote by a person's new choice (same sides, new time). -> null, or what went wrong */
export async function changeVote(label: Label, choice: VoteLetter): Promise<string | null> {
  try {
    await saveLabel({ ...label, vote: voteFromSide(choice, label.leftIsFirst), time: Date.now(), annotator: useStudioStore.getState().settings.annotator || undefined, rewards: undefined, weight: undefined });
    await syncCounts();
    return null;
  } catch (e) {
    return `The vote could not be changed: ${errorMessage(e)}`;
  }
}

/** Deletes a vote; with `withPair`, also the pair's images and trajectories (frees storage). -> null, or what went wrong */
export async function deleteLabeledPair(pairId: string, withPair: boolean): Promise<string | null> {
  try {
    await deleteLabel(pairId);
    if (withPair) await deletePairs([pairId]);
    await syncCounts();
    return null;
  } catch (e) {
    return `The vote could not be deleted: ${errorMessage(e)}`;
  }
}
