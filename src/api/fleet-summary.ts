/**
 * The fleet as the live stream and the dashboard see it after each poll: per appliance, its
 * state, totals and per-second rates, per service and backend. Counters become JSON numbers
 * here (exact up to 2^53, about 9 PB): what a browser can hold. The REST routes keep them exact.
 */
import type { ApplianceState } from './fleet-state.js';
import { counterName } from './fleet-state.js';

export interface Rates {
  /** New connections per second over the last poll interval; null after a gap. */
  conns: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
}

export interface BackendSummary {
  address: string;
  state: string;
  weight: number;
  backup: boolean;
  connsTotal: number;
  connsActive: number;
  bytesIn: number;
  bytesOut: number;
  connectFailures: number;
  rates: Rates;
}

export interface ServiceSummary {
  name: string;
  listen: string;
  protocol: string;
  connsTotal: number;
  connsActive: number;
  bytesIn: number;
  bytesOut: number;
  failures: number;
  rates: Rates;
  backends: BackendSummary[];
}

export interface ApplianceSummary {
  name: string;
  reachable: boolean | null;
  lastPoll: number | null;
  error: string | null;
  configId: string | null;
  firmware: string | null;
  pendingConfirm: number | null;
  totals: { connsTotal: number; connsActive: number; bytesIn: number; bytesOut: number; failures: number };
  rates: Rates;
  services: ServiceSummary[];
}

const sumOrNull = (values: (number | null)[]): number | null => (values.some((v) => v === null) ? null : values.reduce<number>((a, b) => a + (b ?? 0), 0));

function ratesOf(state: ApplianceState, service: string, backend: string | null): Rates {
  const rate = (counter: string) => state.rates.get(counterName(service, backend, counter)) ?? null;
  return { conns: rate('connsTotal'), bytesIn: rate('bytesIn'), bytesOut: rate('bytesOut') };
}

export function summarize(state: ApplianceState): ApplianceSummary {
  const services: ServiceSummary[] = (state.snapshot?.services ?? []).map((s) => ({
    name: s.name,
    listen: s.listen,
    protocol: s.protocol,
    connsTotal: Number(s.connsTotal),
    connsActive: s.connsActive,
    bytesIn: Number(s.bytesIn),
    bytesOut: Number(s.bytesOut),
    failures: Number(s.failures),
    rates: ratesOf(state, s.name, null),
    backends: s.backends.map((b) => ({
      address: b.address,
      state: b.state,
      weight: b.weight,
      backup: b.backup,
      connsTotal: Number(b.connsTotal),
      connsActive: b.connsActive,
      bytesIn: Number(b.bytesIn),
      bytesOut: Number(b.bytesOut),
      connectFailures: Number(b.connectFailures),
      rates: ratesOf(state, s.name, b.address),
    })),
  }));
  const total = (f: (s: ServiceSummary) => number) => services.reduce((n, s) => n + f(s), 0);
  return {
    name: state.name,
    reachable: state.reachable,
    lastPoll: state.lastPoll,
    error: state.error,
    configId: state.info?.configId ?? null,
    firmware: state.info?.firmware ?? null,
    pendingConfirm: state.info?.pendingConfirm ?? null,
    totals: {
      connsTotal: total((s) => s.connsTotal),
      connsActive: total((s) => s.connsActive),
      bytesIn: total((s) => s.bytesIn),
      bytesOut: total((s) => s.bytesOut),
      failures: total((s) => s.failures),
    },
    rates: {
      conns: sumOrNull(services.map((s) => s.rates.conns)),
      bytesIn: sumOrNull(services.map((s) => s.rates.bytesIn)),
      bytesOut: sumOrNull(services.map((s) => s.rates.bytesOut)),
    },
    services,
  };
}
