// Store slice for the checkpoint gallery: fixed prompts × seeds sampled with the base model and each checkpoint (as LoRA trainers' sample-every-N-steps), one row per model.
import type { StateCreator } from 'zustand';
import type { GeneratedImage } from '../worker/protocol';
import type { StudioState } from './index';

export interface GalleryRow {
  key: string; // 'base' or the checkpoint id
  label: string; // "base model" / "step 32"
  checkpointId: string | null;
  step: number | null;
  images: GeneratedImage[]; // prompts × seeds, seed-major
}

export interface GalleryState {
  prompts: string[];
  steps: number; // DDIM steps the rows were sampled with (the recipe's sampleSteps; rows of another count are sampled again)
  seeds: number[];
  rows: GalleryRow[];
  loading: boolean;
  error: string | null;
}

export interface GallerySlice {
  gallery: GalleryState;
}

export const initialGallery: GalleryState = { prompts: [], seeds: [], steps: 0, rows: [], loading: false, error: null };

export const createGallerySlice: StateCreator<StudioState, [], [], GallerySlice> = () => ({ gallery: { ...initialGallery } });
