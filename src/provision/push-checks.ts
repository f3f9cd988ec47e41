/**
 * Whether an appliance is still healthy after a push, as a careful operator judges it before
 * confirming: it answers, it runs the config that was pushed, no backend that was up went down,
 * and every service that was taking connections still takes them. Traffic is judged over two
 * windows of equal length, one just before the push and one just after, so a service is only
 * held to the traffic it actually had; a service that had none, or that the new table removed,
 * is not judged.
 */
import type { ApplianceInfo } from '../../drivers/driver.js';
import type { CountersSnapshot, ServiceCounters } from '../protocol/counters.js';

/** Two counter snapshots taken `seconds` apart, on one side of the push. */
export interface CounterWindow {
  start: CountersSnapshot;
  end: CountersSnapshot;
  seconds: number;
}

export interface PushEvidence {
  /** The config id that was pushed. */
  configId: string;
  /** What the appliance said about itself once the settle time had passed. */
  info: ApplianceInfo;
  /** Ends just before the push. */
  before: CounterWindow;
  /** Starts just after the push. */
  after: CounterWindow;
}

const backendKey = (service: string, address: string): string => `${service}\u0000${address}`;

function backendStates(snapshot: CountersSnapshot): Map<string, string> {
  const states = new Map<string, string>();
  for (const s of snapshot.services) for (const b of s.backends) states.set(backendKey(s.name, b.address), b.state);
  return states;
}

const byName = (snapshot: CountersSnapshot): Map<string, ServiceCounters> => new Map(snapshot.services.map((s) => [s.name, s]));

/** Connections a service took between two snapshots; null when either lacks it or its counter went back (a reset). */
function connectionsBetween(start: Map<string, ServiceCounters>, end: Map<string, ServiceCounters>, name: string): bigint | null {
  const a = start.get(name);
  const b = end.get(name);
  if (!a || !b || b.connsTotal < a.connsTotal) return null;
  return b.connsTotal - a.connsTotal;
}

const secondsText = (s: number): string => `${Number(s.toFixed(1))} s`;

/** What is wrong with the appliance after the push, one sentence each; empty when nothing is. */
export function pushProblems(evidence: PushEvidence): string[] {
  const problems: string[] = [];
  const { info, before, after } = evidence;
  if (info.configId !== evidence.configId) {
    problems.push(`it runs config ${info.configId.slice(0, 12)}, not the pushed ${evidence.configId.slice(0, 12)} (reverted or changed by someone else)`);
  }

  const was = backendStates(before.end);
  for (const s of after.end.services) {
    for (const b of s.backends) {
      if (b.state === 'down' && was.get(backendKey(s.name, b.address)) === 'up')
        problems.push(`backend ${b.address} of service ${s.name} went down (it was up before the push)`);
    }
  }

  const [beforeStart, beforeEnd, afterStart, afterEnd] = [before.start, before.end, after.start, after.end].map(byName) as [
    Map<string, ServiceCounters>,
    Map<string, ServiceCounters>,
    Map<string, ServiceCounters>,
    Map<string, ServiceCounters>,
  ];
  for (const name of beforeEnd.keys()) {
    const had = connectionsBetween(beforeStart, beforeEnd, name);
    if (had === null || had === 0n) continue;
    // A service the new table removed carries no traffic by design.
    if (!afterEnd.has(name)) continue;
    const has = connectionsBetween(afterStart, afterEnd, name);
    if (has === null || has === 0n) {
      problems.push(
        `service ${name} stopped taking connections: ${had} in the ${secondsText(before.seconds)} before the push, none in the ${secondsText(after.seconds)} after`,
      );
    }
  }
  return problems;
}
