// The page's one worker client, held at module level so actions (not components) talk to the worker; tests swap in a fake.
import type { StudioClient } from '../worker/client';

/** The client methods actions use (a fake in unit tests implements just these). */
export type StudioApi = Pick<
  StudioClient,
  'init' | 'load' | 'generate' | 'pair' | 'grid' | 'train' | 'rollback' | 'newAdapter' | 'exportLora' | 'importLora' | 'setLoraScale' | 'compare' | 'reference' | 'rewardTrain' | 'moodboardTrain' | 'rate' | 'blind' | 'gallery' | 'profile' | 'blend' | 'subscribe'
>;

let current: StudioApi | null = null;

export function setClient(client: StudioApi | null): void {
  current = client;
}

export function getClient(): StudioApi {
  if (current == null) throw new Error('The compute worker has not started yet; wait for the page to finish loading.');
  return current;
}

export function hasClient(): boolean {
  return current != null;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isAbort(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}
