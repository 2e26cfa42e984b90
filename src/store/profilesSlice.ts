// Store slice for taste profiles: the list, the open one, the blend weights the person set (the open profile's too) and what the worker blended (each part's checkpoint step).
import type { StateCreator } from 'zustand';
import { DEFAULT_PROFILE_ID } from '../storage/keys';
import type { Profile } from '../storage/profiles';
import type { StudioState } from './index';

export interface ProfilesState {
  list: Profile[];
  active: string;
  weights: Record<string, number>; // blend weight per profile id (missing: the open one 1, others 0)
  applied: { profile: string; weight: number; step: number | null }[]; // the blend in use (empty: the open profile alone)
  busy: boolean;
  message: string | null;
  error: string | null;
}

export interface ProfilesSlice {
  profiles: ProfilesState;
}

export const initialProfiles: ProfilesState = { list: [], active: DEFAULT_PROFILE_ID, weights: {}, applied: [], busy: false, message: null, error: null };

/** A profile's blend weight as the sliders show it. */
export function blendWeightOf(p: ProfilesState, id: string): number {
  return p.weights[id] ?? (id === p.active ? 1 : 0);
}

/** The blend parts to send: none when the open profile is alone at weight 1 (plain sampling). */
export function blendParts(p: ProfilesState): { profile: string; weight: number }[] {
  const parts = p.list.map((x) => ({ profile: x.id, weight: blendWeightOf(p, x.id) })).filter((x) => x.profile === p.active || x.weight !== 0);
  return parts.length === 1 && parts[0].weight === 1 ? [] : parts;
}

export const createProfilesSlice: StateCreator<StudioState, [], [], ProfilesSlice> = () => ({ profiles: { ...initialProfiles } });
