/**
 * Durations as each format writes them, to and from milliseconds. HAProxy: an integer with an
 * optional unit (us, ms, s, m, h, d), milliseconds when bare. nginx: one or more number+unit parts
 * (ms, s, m, h, d, w, M, y), seconds when bare. keepalived: decimal seconds. Results that are not
 * whole milliseconds are rounded up (a shorter timeout would be stricter than what was written).
 */

export type DurationResult = { ms: number } | { problem: string };

const HAPROXY_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const NGINX_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_592_000_000,
  y: 31_536_000_000,
};

export function haproxyDuration(text: string): DurationResult {
  const m = /^([0-9]+)([a-z]*)$/.exec(text);
  const unit = m === null ? undefined : HAPROXY_UNITS[m[2] === '' ? 'ms' : m[2]!];
  if (m === null || unit === undefined) return { problem: `"${text}" is not an HAProxy time (a whole number, optionally with us, ms, s, m, h or d)` };
  return { ms: Math.ceil(Number(m[1]) * unit) };
}

/** The shortest single-unit spelling HAProxy reads back exactly (it takes one unit per value). */
export function formatHaproxyDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function nginxDuration(text: string): DurationResult {
  if (/^[0-9]+$/.test(text)) return { ms: Number(text) * 1_000 };
  const part = /([0-9]+)(ms|s|m|h|d|w|M|y)/y;
  let ms = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (m === null) return { problem: `"${text}" is not an nginx time (e.g. 500ms, 30s, 1m30s)` };
    ms += Number(m[1]) * NGINX_UNITS[m[2]!]!;
    at = part.lastIndex;
  }
  return text === '' ? { problem: 'empty time' } : { ms };
}

/** keepalived TIMER: decimal seconds, microsecond resolution; computed in decimal, not floats. */
export function keepalivedSeconds(text: string): DurationResult {
  const m = /^([0-9]*)(?:\.([0-9]+))?$/.exec(text);
  if (m === null || text === '' || text === '.') return { problem: `"${text}" is not a number of seconds` };
  const fraction = m[2] ?? '';
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const below = /[1-9]/.test(fraction.slice(3)) ? 1 : 0;
  return { ms: Number(m[1] === '' ? '0' : m[1]) * 1_000 + millis + below };
}

/** Seconds with the fewest decimals that still say `ms` exactly: 2000 → `2`, 500 → `0.5`. */
export function formatSeconds(ms: number): string {
  const whole = Math.floor(ms / 1_000);
  const rest = ms % 1_000;
  if (rest === 0) return String(whole);
  return `${whole}.${String(rest).padStart(3, '0').replace(/0+$/, '')}`;
}
