// The vote vocabulary: votes are stored as core `Vote` (0 | 1 = which trajectory is better, 'tie', 'both-bad'); people see and write letters ('A' | 'B' | 'tie' | 'both-bad'), which name a screen side in the studio (A = the left image) and an image of the pair in the CLI's pairs folder (A = image 0). These are the mappings between them.
import type { Vote } from '../algorithms/d3po';

/** A vote as a letter: A or B better, no difference, or both unusable. */
export type VoteLetter = 'A' | 'B' | 'tie' | 'both-bad';
export const VOTE_LETTERS: readonly VoteLetter[] = ['A', 'B', 'tie', 'both-bad'];

/** The same vote with the two images swapped. */
function swapped(vote: Vote): Vote {
  return vote === 0 ? 1 : vote === 1 ? 0 : vote;
}

/** A letter naming an image of the pair: 'A' → image 0 preferred, 'B' → image 1; ties and both-bad carry no preference. */
export function voteFromLetter(letter: VoteLetter): Vote {
  return letter === 'A' ? 0 : letter === 'B' ? 1 : letter;
}

/** The letter of a vote, A for image 0 and B for image 1. */
export function letterFromVote(vote: Vote): VoteLetter {
  return vote === 0 ? 'A' : vote === 1 ? 'B' : vote;
}

/** A screen-side choice in trajectory order: A is the left image, which is trajectory 0 when leftIsFirst. */
export function voteFromSide(side: VoteLetter, leftIsFirst: boolean): Vote {
  const vote = voteFromLetter(side);
  return leftIsFirst ? vote : swapped(vote);
}

/** Which side a stored vote chose, as it was shown (A = left). */
export function sideFromVote(vote: Vote, leftIsFirst: boolean): VoteLetter {
  return letterFromVote(leftIsFirst ? vote : swapped(vote));
}
