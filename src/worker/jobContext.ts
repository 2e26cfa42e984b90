// What a worker job gets from the worker entry (studio.worker.ts): a way to post events, its own cancel flag, and a hook for urgent requests.
import type { StudioEvent } from './protocolEvents';

/** What a job needs from the worker entry: posting events and its own cancel flag. */
export interface JobContext {
  post(event: StudioEvent, transfer?: Transferable[]): void;
  cancelled(): boolean;
  /** Long jobs (training) call this between steps: runs the pair requests that arrived meanwhile, so labeling never waits for a round. */
  runUrgent?(): Promise<void>;
}
