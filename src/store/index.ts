// The studio's one zustand store, built from slices with persist at the root; only `settings` is persisted (partialize, version, migrate; zustand docs slices-pattern.md, persisting-store-data.md).
import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { createLabelingSlice, type LabelingSlice } from './labelingSlice';
import { createSessionSlice, type SessionSlice } from './sessionSlice';
import { createSettingsSlice, mergeSettings, migrateSettings, SETTINGS_VERSION, type SettingsSlice, type SettingsState } from './settingsSlice';
import { createStorageSlice, type StorageSlice } from './storageSlice';
import { createTrainingSlice, type TrainingSlice } from './trainingSlice';
import { createBlindSlice, type BlindSlice } from './blindSlice';
import { createGallerySlice, type GallerySlice } from './gallerySlice';
import { createMoodboardSlice, type MoodboardSlice } from './moodboardSlice';
import { createProfilesSlice, type ProfilesSlice } from './profilesSlice';

export type StudioState = SessionSlice & LabelingSlice & TrainingSlice & SettingsSlice & StorageSlice & BlindSlice & GallerySlice & MoodboardSlice & ProfilesSlice;

// DO NOT RENAME WITHOUT A MIGRATION: users' settings live under this localStorage key.
export const SETTINGS_STORAGE_KEY = 'd3po-studio-settings-v1';

export const useStudioStore = create<StudioState>()(
  persist(
    (...a) => ({
      ...createSessionSlice(...a),
      ...createLabelingSlice(...a),
      ...createTrainingSlice(...a),
      ...createSettingsSlice(...a),
      ...createStorageSlice(...a),
      ...createBlindSlice(...a),
      ...createGallerySlice(...a),
      ...createMoodboardSlice(...a),
      ...createProfilesSlice(...a),
    }),
    {
      name: SETTINGS_STORAGE_KEY,
      version: SETTINGS_VERSION,
      storage: createJSONStorage(() => globalThis.localStorage),
      partialize: (s) => ({ settings: s.settings }),
      migrate: (persisted, version) => {
        const settings = (persisted as { settings?: Partial<SettingsState> & Record<string, unknown> } | undefined)?.settings ?? {};
        return { settings: migrateSettings(settings, version) } as { settings: SettingsState };
      },
      merge: (persisted, current) => ({ ...current, settings: mergeSettings((persisted as { settings?: Partial<SettingsState> } | undefined)?.settings) }),
    },
  ),
);

/** Shallow-merges into one slice (the store's slices are nested objects). */
export function patch<K extends keyof StudioState>(key: K, value: Partial<StudioState[K]>): void {
  useStudioStore.setState((s) => ({ [key]: { ...s[key], ...value } }) as Partial<StudioState>);
}
