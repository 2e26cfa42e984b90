// Store slice for the worker session: boot phase, backend, model, adapter status, fatal errors and the active view (not persisted).
import type { StateCreator } from 'zustand';
import type { BackendReport } from '../platform/backendTypes';
import type { LoraStatus, ModelInfo } from '../worker/protocol';
import type { StudioState } from './index';

/** starting: worker picks a backend · downloading · compiling · ready · generating (playground) · failed: load failed */
export type Phase = 'starting' | 'downloading' | 'compiling' | 'ready' | 'generating' | 'failed';
export type View = 'label' | 'train' | 'moodboard' | 'blind' | 'compare' | 'generate' | 'data';
export const VIEWS: View[] = ['label', 'train', 'moodboard', 'blind', 'compare', 'generate', 'data'];

export interface SessionState {
  phase: Phase;
  modelFolder: string; // ?model=
  backend: BackendReport | null;
  model: ModelInfo | null;
  download: { loaded: number; total: number | null };
  loadTimes: { downloadMs: number; compileMs: number } | null;
  lora: LoraStatus | null;
  loadError: string | null; // the model failed to load
  fatal: string | null; // the worker can no longer compute: offer a reload
  urlWarning: string | null;
  view: View;
}

export interface SessionSlice {
  session: SessionState;
}

export const initialSession: SessionState = {
  phase: 'starting',
  modelFolder: 'emoji-sd',
  backend: null,
  model: null,
  download: { loaded: 0, total: null },
  loadTimes: null,
  lora: null,
  loadError: null,
  fatal: null,
  urlWarning: null,
  view: 'label',
};

export const createSessionSlice: StateCreator<StudioState, [], [], SessionSlice> = () => ({ session: { ...initialSession } });
