// Store slice for the Moodboard: the images (from IndexedDB, shown as thumbnails), the mark new images get, what the last add or training run said, and the running run's counts (not persisted here — the images live in IndexedDB, the recipe in settings).
import type { StateCreator } from 'zustand';
import type { GeneratedImage } from '../worker/protocol';
import type { StudioState } from './index';

/** One moodboard image as the view shows it. */
export interface MoodboardEntry {
  id: string;
  name: string;
  liked: boolean;
  caption: string;
  image: GeneratedImage; // the 32×32 picture the model trains on
  source: { format: 'png' | 'jpeg'; width: number; height: number };
}

export interface MoodboardState {
  items: MoodboardEntry[]; // oldest first
  loaded: boolean; // read from storage at least once
  busy: boolean; // adding or changing images
  addAs: 'liked' | 'disliked'; // the mark new images get
  run: { liked: number; disliked: number } | null; // the images the running moodboard run learns from
  message: string | null;
  error: string | null;
}

export interface MoodboardSlice {
  moodboard: MoodboardState;
}

export const initialMoodboard: MoodboardState = { items: [], loaded: false, busy: false, addAs: 'liked', run: null, message: null, error: null };

/** "12 liked and 9 disliked" */
export function moodboardCounts(items: readonly { liked: boolean }[]): { liked: number; disliked: number } {
  const liked = items.filter((i) => i.liked).length;
  return { liked, disliked: items.length - liked };
}

export const createMoodboardSlice: StateCreator<StudioState, [], [], MoodboardSlice> = () => ({ moodboard: { ...initialMoodboard } });
