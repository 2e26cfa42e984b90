// Keyboard shortcuts of the labeling screen (arrows as in shamangary/Easy-Label-Ordinality-Regression): ←/1 A better, →/2 B better, ↓/T tie, ↑/X/B both bad, Backspace/Z undo, S skip; in best-of-4 mode 1–4 pick an image. Ignored while typing in a field, while the oracle labels pairs, and in reward-driven mode.
import { useEffect } from 'react';
import { useStudioStore } from '../../store';
import { pickGridImage } from '../../store/gridActions';
import { skip, undo, vote } from '../../store/labelingActions';
import type { VoteLetter } from '../../core/preferences/votes';

const CHOICES: Record<string, VoteLetter> = {
  ArrowLeft: 'A',
  '1': 'A',
  ArrowRight: 'B',
  '2': 'B',
  ArrowDown: 'tie',
  t: 'tie',
  ArrowUp: 'both-bad',
  x: 'both-bad',
  b: 'both-bad',
};

/** Whether a key event comes from typing in a field (shortcuts stay out of the way). */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (el == null || typeof el.tagName !== 'string') return false;
  return el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || (el.tagName === 'INPUT' && !['checkbox', 'radio', 'range', 'button'].includes((el as HTMLInputElement).type));
}

export function useLabelKeys(enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const mode = useStudioStore.getState().settings.labelMode;
      if (mode === 'reward') return; // reward-driven mode has no pairs (human ratings have their own keys: useRatingKeys)
      if (mode === 'oracle' && !useStudioStore.getState().settings.gridMode) return; // the oracle clicks
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      const gridMode = useStudioStore.getState().settings.gridMode;
      const choice = gridMode ? undefined : CHOICES[key];
      if (gridMode && /^[1-9]$/.test(key)) {
        e.preventDefault();
        void pickGridImage(Number(key) - 1);
      } else if (choice) {
        e.preventDefault();
        void vote(choice);
      } else if (key === 'Backspace' || key === 'z') {
        e.preventDefault();
        void undo();
      } else if (key === 's') {
        e.preventDefault();
        void skip();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}
