/**
 * The body of `GET …/counters/history` (without step=), written by JSON.stringify instead of the
 * response schema's serializer. The schema is a union of two answers with nullable members, and
 * the serializer checks every object and every point against the union's branches as it writes:
 * at 1,000 requests/s that was the API's largest source of garbage (a fifth of what it allocated,
 * docs/PERFORMANCE.md). Invariant: the text is byte for byte what the schema's serializer writes
 * for the same history — the fields picked in the schema's order, nothing else — which a unit
 * test holds it to. (`from` and `to` are whole ms by construction; a fraction, which the union's
 * check would refuse with a 500, is truncated.)
 */
import type { History } from '../store/history.js';

const int = (n: number): number => (Number.isInteger(n) ? n : Math.trunc(n));

export function historyBody(h: History): string {
  return JSON.stringify({
    appliance: h.appliance,
    from: int(h.from),
    to: int(h.to),
    resolution: h.resolution,
    unit: h.unit,
    series: h.series.map((s) => ({ service: s.service, backend: s.backend, counter: s.counter, kind: s.kind, points: s.points })),
  });
}
