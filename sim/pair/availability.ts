/**
 * What a client of a VIP saw, from a probe's attempts (failover-pair.ts): the stretches when it
 * could not be served, each from the end of the last success before a failure to the end of the
 * first success after it. Pure. Invariant: every failed attempt lies in exactly one stretch.
 */
import type { Attempt } from './failover-pair.js';

export interface Unavailable {
  /** End of the last success before the first failure of the stretch (the probe's start if none). */
  from: number;
  /** End of the first success after the last failure (the probe's last end if none came). */
  to: number;
  failed: number;
}

/** The stretches of `attempts` (in any order) with failures, in time order. */
export function unavailableStretches(attempts: readonly Attempt[]): Unavailable[] {
  // By end: a failure is known when it ends, and so is a success.
  const byEnd = [...attempts].sort((a, b) => a.endedAt - b.endedAt);
  const stretches: Unavailable[] = [];
  let lastOk = byEnd[0]?.startedAt ?? 0;
  let open: Unavailable | null = null;
  for (const a of byEnd) {
    if (!a.ok) {
      open ??= { from: lastOk, to: a.endedAt, failed: 0 };
      open.failed++;
      open.to = a.endedAt;
    } else {
      if (open) {
        open.to = a.endedAt;
        stretches.push(open);
        open = null;
      }
      lastOk = a.endedAt;
    }
  }
  if (open) stretches.push(open);
  return stretches;
}

/** The failed attempts and the longest stretch without service (0 when nothing failed). */
export function availability(attempts: readonly Attempt[]): { attempts: number; failed: number; longestUnavailableMs: number } {
  const stretches = unavailableStretches(attempts);
  return {
    attempts: attempts.length,
    failed: stretches.reduce((n, s) => n + s.failed, 0),
    longestUnavailableMs: Math.max(0, ...stretches.map((s) => s.to - s.from)),
  };
}
