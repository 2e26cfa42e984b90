// One write of the labeling screen (a vote, a grid click, an undo, a re-show): `saving` while it runs, so no second vote starts; a failure is shown and changes nothing else. The caller clears `saving` with what the write changed.
import { errorMessage } from './client';
import { patch } from './index';

/** Runs `write` with `saving` set; false (and the error shown, `saving` cleared) when it failed. */
export async function voteWrite(write: () => Promise<void>): Promise<boolean> {
  patch('labeling', { saving: true });
  try {
    await write();
    return true;
  } catch (e) {
    patch('labeling', { saving: false, error: errorMessage(e) });
    return false;
  }
}
