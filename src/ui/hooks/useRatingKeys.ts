// Keyboard shortcuts of human ratings in reward-driven mode: U/↑ thumbs up, D/↓ thumbs down, S/0 skip (each rates the highlighted image and moves to the next unrated one), ←/→ move, Enter sends the round's ratings. Ignored while typing in a field.
import { useEffect } from 'react';
import { moveRatingCursor, rateCurrent, sendRatings } from '../../store/ratingActions';
import type { Rating } from '../../core/rewards/humanRating';
import { isTyping } from './useLabelKeys';

const RATING_KEYS: Record<string, Rating> = { u: 'up', ArrowUp: 'up', d: 'down', ArrowDown: 'down', s: 'skip', '0': 'skip' };

export function useRatingKeys(enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      const rating = RATING_KEYS[key];
      if (rating) rateCurrent(rating);
      else if (key === 'ArrowLeft') moveRatingCursor(-1);
      else if (key === 'ArrowRight') moveRatingCursor(1);
      else if (key === 'Enter') sendRatings();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}
