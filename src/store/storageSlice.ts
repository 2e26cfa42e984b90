// Store slice for the storage panel: usage / quota, persistence, and the outcome of the last export, import or prune.
import type { StateCreator } from 'zustand';
import type { StudioState } from './index';

export interface StoragePanelState {
  usage: number | null; // bytes used by this origin (navigator.storage.estimate)
  quota: number | null;
  persisted: boolean;
  busy: boolean;
  message: string | null;
  error: string | null;
}

export interface StorageSlice {
  storage: StoragePanelState;
}

export const initialStoragePanel: StoragePanelState = { usage: null, quota: null, persisted: false, busy: false, message: null, error: null };

export const createStorageSlice: StateCreator<StudioState, [], [], StorageSlice> = () => ({ storage: { ...initialStoragePanel } });
