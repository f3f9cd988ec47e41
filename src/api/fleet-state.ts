/**
 * What the agent last knew of each appliance: reachable or not, identity (firmware, config id,
 * pending confirm), the last counters and the rates since the poll before. Fed by the poll loop
 * and by the API's own changes; read by the appliance list, the SSE stream, /metrics and the
 * dashboard. Changes between two polls become events (unreachable, config changed, backend
 * state), so the event log tells what happened even without traps.
 *
 * Drift: a running config id that changed without a change by this agent (an `snmpset` of a
 * weight, a push from elsewhere, someone at the console). The agent's own changes are those it
 * noted (noteConfig, the API's) and those in the audit log (the CLI's, the API's), read through
 * a ChangeLedger. A CLI push audits itself once its answer is back, which can be after the next
 * poll read the new id, so a change nothing explains yet is judged at the following poll: the
 * drift event comes one poll after the change, and never for a change of the agent's own.
 * Reverts of the agent's own commits confirmed (the appliance's confirm timeout) are not drift.
 */
import type { ApplianceInfo } from '../../drivers/driver.js';
import { computeDeltas, type PollSample } from '../poller/rates.js';
import { snapshotReadings, readingName } from '../poller/snapshot.js';
import type { BackendOperState, CountersSnapshot } from '../protocol/counters.js';
import type { AgentStore } from '../store/index.js';

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
  /** Config changes seen but not explained yet (see Drift above). */
  unexplained: ConfigChange[];
  /** Config ids the agent noted setting itself (noteConfig), with the id they replaced. */
  noted: { at: number; before: string | null; after: string }[];
}

interface ConfigChange {
  before: string;
  after: string;
  /** When the poll that saw it ran. */
  seenAt: number;
  /** The poll before, which still saw `before`: a change of ours to `after` is recorded after it. */
  since: number;
  /** Whether `before` was a commit awaiting confirmation (its revert is not drift). */
  pendingBefore: boolean;
}

/** One change the agent recorded making to an appliance: config ids before and after. */
export interface RecordedChange {
  ts: number;
  before: string | null;
  after: string | null;
}

/** Where the agent's own changes are recorded (the audit log: auditLedger). */
export interface ChangeLedger {
  /** Successful changes of `appliance` recorded at or after `sinceMs`. */
  changes(appliance: string, sinceMs: number): Promise<RecordedChange[]>;
}

/** Clock skew allowed between the poller and whoever wrote the audit entry (another process on this host). */
const LEDGER_SLACK_MS = 2_000;
/** How many noted changes an appliance keeps (the API's own: a handful between two polls). */
const NOTED_KEEP = 16;

/**
 * The audit log as a ChangeLedger. A CLI change names the appliance as `--to` did: by its
 * inventory name or by its target, so both are asked.
 */
export function auditLedger(store: Pick<AgentStore, 'audit' | 'inventory'>): ChangeLedger {
  return {
    async changes(appliance, sinceMs) {
      const target = (await store.inventory.get(appliance))?.target;
      const names = target && target !== appliance ? [appliance, target] : [appliance];
      const lists = await Promise.all(names.map((name) => store.audit.list({ appliance: name, from: Math.max(0, Math.floor(sinceMs)), limit: 100 })));
      return lists
        .flat()
        .filter((e) => e.outcome === 'ok')
        .map((e) => ({ ts: e.ts, before: e.configBefore, after: e.configAfter }));
    },
  };
}

/** Something that changed on an appliance, as the event log keeps it. */
export interface FleetEvent {
  ts: number;
  appliance: string;
  kind: 'unreachable' | 'reachable' | 'config-changed' | 'drift' | 'backend-state';
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

  constructor(
    private readonly expectedIntervalMs = 10_000,
    /** The agent's recorded changes; without one, only noteConfig's count as the agent's own. */
    private readonly ledger: ChangeLedger | null = null,
  ) {}

  get(name: string): ApplianceState | null {
    return this.states.get(name) ?? null;
  }

  all(): ApplianceState[] {
    return [...this.states.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A successful poll; returns what changed since the last one. */
  async observe(name: string, poll: ObservedPoll): Promise<FleetEvent[]> {
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
      state.unexplained.push({
        before: state.info.configId,
        after: poll.info.configId,
        seenAt: at,
        since: state.lastPoll ?? at,
        pendingBefore: state.info.pendingConfirm !== null,
      });
    }
    events.push(...(await this.drift(name, state, at)));
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
    // Before the first poll there is nothing to compare with, hence nothing to note.
    const state = this.states.get(name);
    if (!state?.info) return;
    state.noted = [...state.noted, { at: Date.now(), before: state.info.configId, after: configId }].slice(-NOTED_KEEP);
    Object.assign(state.info, { configId, pendingConfirm });
  }

  /**
   * Drift events for the changes seen at earlier polls that nothing explains by now; changes
   * seen at this poll wait for the next one unless already explained.
   */
  private async drift(name: string, state: ApplianceState, at: number): Promise<FleetEvent[]> {
    const events: FleetEvent[] = [];
    const waiting: ConfigChange[] = [];
    for (const change of state.unexplained) {
      if (await this.isOwn(name, state, change)) continue;
      if (change.seenAt >= at) {
        waiting.push(change);
        continue;
      }
      events.push({
        ts: at,
        appliance: name,
        kind: 'drift',
        detail: { before: change.before, after: change.after, seenAt: change.seenAt, reason: 'the running config changed without a change by this agent' },
      });
    }
    state.unexplained = waiting;
    return events;
  }

  /** Whether the agent made `change` itself, or the appliance reverted a commit confirmed of the agent's. */
  private async isOwn(name: string, state: ApplianceState, change: ConfigChange): Promise<boolean> {
    const since = change.since - LEDGER_SLACK_MS;
    if (state.noted.some((n) => n.after === change.after && n.at >= since)) return true;
    const recorded = (await this.ledger?.changes(name, since)) ?? [];
    if (recorded.some((r) => r.after === change.after)) return true;
    if (!change.pendingBefore) return false;
    // The confirm timeout brought back what our commit replaced.
    const ours = [...state.noted.map((n) => ({ ts: n.at, before: n.before, after: n.after })), ...((await this.ledger?.changes(name, 0)) ?? [])]
      .filter((r) => r.after === change.before)
      .sort((a, b) => b.ts - a.ts)[0];
    return ours !== undefined && ours.before === change.after;
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
        unexplained: [],
        noted: [],
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
