/**
 * What the agent last knew of each appliance: reachable or not, identity (firmware, config id,
 * pending confirm), the last counters and the rates since the poll before. Fed by the poll loop
 * and by the API's own changes; read by the appliance list, the SSE stream, /metrics and the
 * dashboard. Changes between two polls become events (unreachable, config changed, backend
 * state), so the event log tells what happened even without traps.
 */
import type { ApplianceInfo } from '../../drivers/driver.js';
import { computeDeltas, type PollSample } from '../poller/rates.js';
import { snapshotReadings, readingName } from '../poller/snapshot.js';
import type { BackendOperState, CountersSnapshot } from '../protocol/counters.js';

export interface ApplianceState {
  name: string;
  /** null until the first poll. */
  reachable: boolean | null;
  /** ms of the last successful poll. */
  lastPoll: number | null;
  /** Why the last poll failed; null after a success. */
  error: string | null;
  /** Identity as of the last successful poll (kept while unreachable: last known). */
  info: ApplianceInfo | null;
  snapshot: CountersSnapshot | null;
  /** How long the last poll took, ms. */
  pollMs: number | null;
  /** Per-second rates over the last interval, by reading name (service/backend/counter); empty after a gap. */
  rates: Map<string, number>;
  /** Increases over the last interval, by reading name; null entries are gaps (first poll, reset). */
  increases: Map<string, bigint | null>;
  /** The sample rates are computed from. */
  sample: PollSample | null;
}

/** Something that changed on an appliance, as the event log keeps it. */
export interface FleetEvent {
  ts: number;
  appliance: string;
  kind: 'unreachable' | 'reachable' | 'config-changed' | 'backend-state';
  detail: Record<string, unknown>;
}

export interface ObservedPoll {
  timeMs: number;
  pollMs: number;
  info: ApplianceInfo;
  sysUpTime: number;
  snapshot: CountersSnapshot;
}

export class FleetState {
  private readonly states = new Map<string, ApplianceState>();

  constructor(private readonly expectedIntervalMs = 10_000) {}

  get(name: string): ApplianceState | null {
    return this.states.get(name) ?? null;
  }

  all(): ApplianceState[] {
    return [...this.states.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A successful poll; returns what changed since the last one. */
  observe(name: string, poll: ObservedPoll): FleetEvent[] {
    const state = this.entry(name);
    const events: FleetEvent[] = [];
    const at = poll.timeMs;
    if (state.reachable === false) events.push({ ts: at, appliance: name, kind: 'reachable', detail: { previousError: state.error } });
    if (state.info && state.info.configId !== poll.info.configId) {
      events.push({
        ts: at,
        appliance: name,
        kind: 'config-changed',
        detail: { before: state.info.configId, after: poll.info.configId, pendingConfirm: poll.info.pendingConfirm },
      });
    }
    if (state.snapshot) events.push(...backendChanges(name, at, state.snapshot, poll.snapshot));

    const readings = snapshotReadings(name, poll.snapshot);
    const sample: PollSample = { timeMs: poll.timeMs, sysUpTime: poll.sysUpTime, counters: readings.counters };
    const interval = computeDeltas(state.sample, sample, { expectedIntervalMs: this.expectedIntervalMs });
    state.rates = new Map();
    state.increases = new Map();
    for (const [reading, d] of interval.counters) {
      state.increases.set(reading, d.delta);
      if (d.rate !== null) state.rates.set(reading, d.rate);
    }
    Object.assign(state, { reachable: true, lastPoll: at, error: null, info: poll.info, snapshot: poll.snapshot, pollMs: poll.pollMs, sample });
    return events;
  }

  /** A failed poll; an event only when the appliance was reachable (or never polled) before. */
  failed(name: string, error: string, at: number): FleetEvent[] {
    const state = this.entry(name);
    const was = state.reachable;
    state.reachable = false;
    state.error = error;
    return was === false ? [] : [{ ts: at, appliance: name, kind: 'unreachable', detail: { error } }];
  }

  /** A change the agent made itself (push, rollback, confirm): known before the next poll. */
  noteConfig(name: string, configId: string, pendingConfirm: number | null): void {
    const info = this.states.get(name)?.info;
    if (info) Object.assign(info, { configId, pendingConfirm });
  }

  forget(name: string): void {
    this.states.delete(name);
  }

  private entry(name: string): ApplianceState {
    let state = this.states.get(name);
    if (!state) {
      state = {
        name,
        reachable: null,
        lastPoll: null,
        error: null,
        info: null,
        snapshot: null,
        pollMs: null,
        rates: new Map(),
        increases: new Map(),
        sample: null,
      };
      this.states.set(name, state);
    }
    return state;
  }
}

/** Backends whose operational state differs between two snapshots. */
function backendChanges(appliance: string, at: number, before: CountersSnapshot, after: CountersSnapshot): FleetEvent[] {
  const was = new Map<string, BackendOperState>();
  for (const s of before.services) for (const b of s.backends) was.set(`${s.name} ${b.address}`, b.state);
  const events: FleetEvent[] = [];
  for (const s of after.services) {
    for (const b of s.backends) {
      const previous = was.get(`${s.name} ${b.address}`);
      if (previous !== undefined && previous !== b.state) {
        events.push({ ts: at, appliance, kind: 'backend-state', detail: { service: s.name, backend: b.address, before: previous, after: b.state } });
      }
    }
  }
  return events;
}

/** The reading name of a service-wide or backend counter, as `rates`/`increases` are keyed. */
export function counterName(service: string, backend: string | null, counter: string): string {
  return readingName({ appliance: '', service, ...(backend ? { backend } : {}), counter });
}
