// The vote vocabulary's mappings (src/core/preferences/votes.ts): letters by image and by screen side to stored votes and back.
import { describe, expect, it } from 'vitest';
import { letterFromVote, sideFromVote, voteFromLetter, voteFromSide, VOTE_LETTERS } from '../../src/core/preferences/votes';

describe('vote letters', () => {
  it('name image 0 (A) and image 1 (B) of a pair; ties and both-bad pass through', () => {
    expect(VOTE_LETTERS.map(voteFromLetter)).toEqual([0, 1, 'tie', 'both-bad']);
    for (const letter of VOTE_LETTERS) expect(letterFromVote(voteFromLetter(letter))).toBe(letter);
  });

  it('name a screen side: A is trajectory 0 only when it was shown on the left, and a stored vote maps back to the side chosen', () => {
    expect(voteFromSide('A', false)).toBe(1);
    expect(voteFromSide('B', false)).toBe(0);
    for (const leftIsFirst of [true, false]) {
      for (const side of VOTE_LETTERS) expect(sideFromVote(voteFromSide(side, leftIsFirst), leftIsFirst)).toBe(side);
    }
  });
});
