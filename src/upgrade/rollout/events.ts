/**
 * What happens in a rollout, as events: each goes to the store's events table (kind `rollout`)
 * and to the listener the caller gave (the CLI's progress display). Device events are recorded
 * under the appliance's name, so they show in its history; the rollout's own under
 * `rollout:ID`, which no appliance name can be (":" is not allowed in one).
 */
import type { EventInput } from '../../store/event-log.js';
import type { RolloutState } from '../../store/rollouts.js';

export type RolloutEvent =
  | { event: 'created'; rollout: number; image: string; version: string; devices: number; waveSizes: number[] }
  /** A run began; `recovered` were left `upgrading` by a run that ended without recording them. */
  | { event: 'run'; rollout: number; recovered: string[] }
  | { event: 'wave'; rollout: number; wave: number; appliances: string[] }
  | { event: 'upgrading'; rollout: number; wave: number; appliance: string }
  | { event: 'succeeded'; rollout: number; wave: number; appliance: string; version: string; seconds: number }
  | { event: 'failed'; rollout: number; wave: number; appliance: string; error: string; seconds: number }
  | { event: 'state'; rollout: number; state: RolloutState; reason: string | null }
  /** Failed devices put back to pending by a resume of a halted rollout. */
  | { event: 'retry'; rollout: number; appliances: string[] };

export const ROLLOUT_EVENT_KIND = 'rollout';

/** Where events are kept: the store's EventLog, or the API's recorder that also streams them. */
export interface EventSink {
  append(event: EventInput): Promise<unknown>;
}

export type RolloutEventListener = (event: RolloutEvent, at: number) => void;

export function rolloutEventSubject(event: RolloutEvent): string {
  return 'appliance' in event ? event.appliance : `rollout:${event.rollout}`;
}

/** Records `event` in the sink, then tells the listener; a listener that throws changes nothing. */
export async function emitRolloutEvent(sink: EventSink, listener: RolloutEventListener | undefined, event: RolloutEvent, at: number): Promise<void> {
  await sink.append({ ts: at, appliance: rolloutEventSubject(event), kind: ROLLOUT_EVENT_KIND, detail: event });
  try {
    listener?.(event, at);
  } catch {
    // A display problem must not stop or corrupt a rollout.
  }
}
