/**
 * Prometheus exposition (`GET /metrics`): the fleet's counters from the last poll, per
 * appliance, service and backend; how polling goes; and the agent's own process metrics. A
 * larger fleet hands these to an existing time-series engine instead of the agent's SQLite.
 *
 * The appliances' counters are cumulative on the appliance, so they are exposed as Prometheus
 * counters with the appliance's values (a reset on the appliance shows as a reset here, which
 * Prometheus' rate() handles). They are read from the fleet state at scrape time: an appliance
 * removed from the inventory disappears from the next scrape.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackendCounters, ServiceCounters } from '../protocol/counters.js';
import type { FleetState } from './fleet-state.js';

const BACKEND_STATES = ['up', 'down', 'drain', 'disabled'] as const;

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly pollDuration: Histogram<'appliance'>;
  private readonly pollErrors: Counter<'appliance'>;
  private readonly cycleDuration: Gauge;

  constructor(private readonly fleet: FleetState) {
    const register = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.pollDuration = new Histogram({
      name: 'fulcrum_poll_duration_seconds',
      help: 'Time to poll one appliance (identity and counters)',
      labelNames: ['appliance'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: register,
    });
    this.pollErrors = new Counter({ name: 'fulcrum_poll_errors_total', help: 'Polls that failed', labelNames: ['appliance'], registers: register });
    this.cycleDuration = new Gauge({
      name: 'fulcrum_poll_cycle_duration_seconds',
      help: 'Time the last poll cycle of the whole inventory took',
      registers: register,
    });
    this.defineFleetMetrics();
  }

  observePoll(appliance: string, seconds: number, ok: boolean): void {
    if (ok) this.pollDuration.observe({ appliance }, seconds);
    else this.pollErrors.inc({ appliance });
  }

  observeCycle(seconds: number): void {
    this.cycleDuration.set(seconds);
  }

  /** Forget an appliance's poll series (removed from the inventory). */
  forget(appliance: string): void {
    this.pollDuration.remove({ appliance });
    this.pollErrors.remove({ appliance });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private defineFleetMetrics(): void {
    const fleet = this.fleet;
    const registers = [this.registry];
    const svc = ['appliance', 'service'] as const;
    const be = ['appliance', 'service', 'backend'] as const;
    /** A counter whose values are the appliances' own, set afresh at every scrape. */
    const mirrored = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      fill: (set: (labels: Record<L, string>, value: number) => void) => void,
    ) =>
      new Counter<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          fill((labels, value) => this.inc(labels as never, value));
        },
      });
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      fill: (set: (labels: Record<L, string>, value: number) => void) => void,
    ) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          fill((labels, value) => this.set(labels as never, value));
        },
      });
    const services = (visit: (appliance: string, s: ServiceCounters) => void) => {
      for (const a of fleet.all()) for (const s of a.snapshot?.services ?? []) visit(a.name, s);
    };

    gauge('fulcrum_appliance_up', 'Whether the last poll of the appliance succeeded', ['appliance'], (set) => {
      for (const a of fleet.all()) if (a.reachable !== null) set({ appliance: a.name }, a.reachable ? 1 : 0);
    });
    gauge('fulcrum_appliance_info', 'Identity of the appliance as last polled (value 1)', ['appliance', 'model', 'firmware', 'config_id'], (set) => {
      for (const a of fleet.all()) if (a.info) set({ appliance: a.name, model: a.info.model, firmware: a.info.firmware, config_id: a.info.configId }, 1);
    });
    gauge('fulcrum_appliance_pending_confirm_seconds', 'Seconds until an unconfirmed commit reverts (0: none pending)', ['appliance'], (set) => {
      for (const a of fleet.all()) if (a.info) set({ appliance: a.name }, a.info.pendingConfirm ?? 0);
    });
    gauge('fulcrum_appliance_last_poll_timestamp_seconds', 'When the appliance was last polled successfully', ['appliance'], (set) => {
      for (const a of fleet.all()) if (a.lastPoll !== null) set({ appliance: a.name }, a.lastPoll / 1000);
    });

    mirrored('fulcrum_service_connections_total', 'Connections (TCP) or sessions (UDP) the virtual service accepted', svc, (set) =>
      services((appliance, s) => set({ appliance, service: s.name }, Number(s.connsTotal))),
    );
    mirrored('fulcrum_service_received_bytes_total', 'Bytes from clients to the virtual service', svc, (set) =>
      services((appliance, s) => set({ appliance, service: s.name }, Number(s.bytesIn))),
    );
    mirrored('fulcrum_service_sent_bytes_total', 'Bytes from the virtual service to clients', svc, (set) =>
      services((appliance, s) => set({ appliance, service: s.name }, Number(s.bytesOut))),
    );
    mirrored('fulcrum_service_failures_total', 'Flows the service refused: no backend could take them', svc, (set) =>
      services((appliance, s) => set({ appliance, service: s.name }, Number(s.failures))),
    );
    gauge('fulcrum_service_active_connections', 'Connections open through the virtual service', svc, (set) =>
      services((appliance, s) => set({ appliance, service: s.name }, s.connsActive)),
    );

    const backends = (visit: (labels: Record<(typeof be)[number], string>, b: BackendCounters) => void) =>
      services((appliance, s) => {
        for (const b of s.backends) visit({ appliance, service: s.name, backend: b.address }, b);
      });
    mirrored('fulcrum_backend_connections_total', 'Connections the backend was given', be, (set) => backends((l, b) => set(l, Number(b.connsTotal))));
    mirrored('fulcrum_backend_received_bytes_total', 'Bytes from clients forwarded to the backend', be, (set) => backends((l, b) => set(l, Number(b.bytesIn))));
    mirrored('fulcrum_backend_sent_bytes_total', 'Bytes from the backend forwarded to clients', be, (set) => backends((l, b) => set(l, Number(b.bytesOut))));
    mirrored('fulcrum_backend_connect_failures_total', 'Connects to the backend that failed', be, (set) =>
      backends((l, b) => set(l, Number(b.connectFailures))),
    );
    gauge('fulcrum_backend_active_connections', 'Connections open to the backend', be, (set) => backends((l, b) => set(l, b.connsActive)));
    gauge('fulcrum_backend_weight', "The backend's weight in its service", be, (set) => backends((l, b) => set(l, b.weight)));
    gauge(
      'fulcrum_backend_state',
      "The backend's operational state: 1 for the state it is in (up, down, drain, disabled), 0 for the others",
      [...be, 'state'],
      (set) =>
        backends((l, b) => {
          for (const state of BACKEND_STATES) set({ ...l, state }, b.state === state ? 1 : 0);
        }),
    );
  }
}
