/**
 * The bounds of a valid rule table, in one place: the schema publishes them to editors, the
 * loader reports them against the user's file, and the codec enforces them on bytes from the wire.
 * Every bound also fits the field's width in the binary encoding.
 */

import { formatDuration } from './duration.js';

/** Service names end up in SNMP tables, CLI columns and log lines: keep them to a safe alphabet. */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
export const NAME_MAX_LENGTH = 63;

export const MAX_SERVICES = 65_535;
export const MAX_BACKENDS = 65_535;
export const WEIGHT_MAX = 65_535;
export const MAX_CONNECTIONS_MAX = 4_294_967_295;
/** Health rise/fall thresholds (consecutive probes). */
export const HEALTH_COUNT_MIN = 1;
export const HEALTH_COUNT_MAX = 255;

export const MAGLEV_TABLE_MIN = 251;
export const MAGLEV_TABLE_MAX = 1_000_003;

export const HTTP_PATH_MAX_LENGTH = 1_024;
/** Visible ASCII: the probe writes the path verbatim into a request line. */
export const HTTP_PATH_PATTERN = '^/[\\x21-\\x7e]*$';
export const STATUS_MIN = 100;
export const STATUS_MAX = 599;

export interface DurationRange {
  min: number;
  max: number;
}

const DAY = 86_400_000;

export const DURATION_LIMITS = {
  /** Probing faster than 10 Hz is load on the backend, not information. */
  healthInterval: { min: 100, max: 3_600_000 },
  healthTimeout: { min: 10, max: 3_600_000 },
  persistenceTimeout: { min: 1_000, max: 7 * DAY },
  idleTimeout: { min: 1_000, max: 7 * DAY },
} as const satisfies Record<string, DurationRange>;

export type DurationField = keyof typeof DURATION_LIMITS;

export function durationRangeProblem(field: DurationField, ms: number): string | null {
  const { min, max } = DURATION_LIMITS[field];
  if (Number.isInteger(ms) && ms >= min && ms <= max) return null;
  return `must be between ${formatDuration(min)} and ${formatDuration(max)}`;
}

/** A timeout longer than the interval would let probes pile up on a slow backend. */
export function healthTimingProblem(intervalMs: number, timeoutMs: number): string | null {
  if (timeoutMs <= intervalMs) return null;
  return `timeout ${formatDuration(timeoutMs)} is longer than interval ${formatDuration(intervalMs)}`;
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function nearestPrimes(n: number): number[] {
  let below = n - 1;
  while (below >= MAGLEV_TABLE_MIN && !isPrime(below)) below--;
  let above = n + 1;
  while (above <= MAGLEV_TABLE_MAX && !isPrime(above)) above++;
  return [below >= MAGLEV_TABLE_MIN ? below : NaN, above <= MAGLEV_TABLE_MAX ? above : NaN].filter((p) => !Number.isNaN(p));
}

/** Maglev's permutation only visits every slot when the table size is prime. */
export function maglevTableSizeProblem(size: number): string | null {
  if (!Number.isInteger(size) || size < MAGLEV_TABLE_MIN || size > MAGLEV_TABLE_MAX) {
    return `must be a prime between ${MAGLEV_TABLE_MIN} and ${MAGLEV_TABLE_MAX}`;
  }
  if (isPrime(size)) return null;
  return `${size} is not a prime (nearest: ${nearestPrimes(size).join(' or ')})`;
}

/** With no more slots than backends, some backends would receive no traffic at all. */
export function maglevCapacityProblem(size: number, backendCount: number): string | null {
  if (size > backendCount) return null;
  return `table size ${size} must be larger than the number of backends (${backendCount}); aim for 100x`;
}

export function httpPathProblem(path: string): string | null {
  if (!path.startsWith('/')) return `must start with "/", e.g. /healthz`;
  if (path.length > HTTP_PATH_MAX_LENGTH) return `must be at most ${HTTP_PATH_MAX_LENGTH} characters`;
  if (!new RegExp(HTTP_PATH_PATTERN).test(path)) return 'must be visible ASCII without spaces (percent-encode the rest)';
  return null;
}

export function statusRangeProblem(low: number, high: number): string | null {
  const inRange = (n: number) => Number.isInteger(n) && n >= STATUS_MIN && n <= STATUS_MAX;
  if (!inRange(low) || !inRange(high)) return `status codes must be between ${STATUS_MIN} and ${STATUS_MAX}`;
  if (low > high) return `range ${low}-${high} is empty (the first code must not exceed the second)`;
  return null;
}

export function nameProblem(name: string): string | null {
  if (name.length === 0 || name.length > NAME_MAX_LENGTH) return `must be 1..${NAME_MAX_LENGTH} characters`;
  if (!new RegExp(NAME_PATTERN).test(name)) {
    return 'must start with a letter or digit and contain only letters, digits, ".", "_" and "-"';
  }
  return null;
}

/** How many earlier configs an appliance keeps to roll back to (console, SNMP, API, CLI alike). */
export const MAX_ROLLBACK_STEPS = 10;
