/**
 * Durations as operators write them: `500ms`, `2s`, `1m30s`, `1.5s`, `3d`. Always with a unit: a bare
 * `300` could mean milliseconds (keepalived) or seconds (HAProxy), and guessing wrong by a factor of
 * a thousand is how health checks hammer a backend.
 */

/** For the schema, so editors flag a malformed duration as it is typed. */
export const DURATION_PATTERN = '^(?:[0-9]+(?:\\.[0-9]+)?(?:ms|s|m|h|d))+$';

const UNIT_MS: Record<string, bigint> = { ms: 1n, s: 1_000n, m: 60_000n, h: 3_600_000n, d: 86_400_000n };
const COMPONENT = /([0-9]+)(?:\.([0-9]+))?([a-zA-Z]*)/y;

type Parsed = { ms: number } | { problem: string };

function parse(text: string): Parsed {
  const hint = 'write a number with a unit, e.g. "500ms", "2s", "1m30s", "1h" or "3d"';
  if (text.trim() === '') return { problem: `empty duration; ${hint}` };
  if (text.startsWith('-')) return { problem: 'a duration cannot be negative' };
  if (/\s/.test(text)) return { problem: `"${text}": write a duration without spaces, e.g. "${text.replace(/\s+/g, '')}"` };
  if (/^[0-9]+(?:\.[0-9]+)?$/.test(text)) {
    return { problem: `"${text}" has no unit; write "${text}ms" or "${text}s"` };
  }
  // Exact decimal arithmetic: "0.0015s" must be rejected, not rounded by a float.
  let ms = 0n;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < text.length) {
    const start = COMPONENT.lastIndex;
    const m = COMPONENT.exec(text);
    if (m === null || m[0] === '') return { problem: `cannot read "${text.slice(start)}" in "${text}"; ${hint}` };
    const [component, whole = '', fraction = '', unit = ''] = m;
    const unitMs = UNIT_MS[unit];
    if (unitMs === undefined) {
      return { problem: unit === '' ? `missing unit after "${component}" in "${text}"` : `unknown unit "${unit}" in "${text}"; use ms, s, m, h or d` };
    }
    const scale = 10n ** BigInt(fraction.length);
    const scaled = (BigInt(whole) * scale + BigInt(fraction === '' ? '0' : fraction)) * unitMs;
    if (scaled % scale !== 0n) return { problem: `"${component}" is not a whole number of milliseconds` };
    ms += scaled / scale;
  }
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) return { problem: `"${text}" is far too long` };
  return { ms: Number(ms) };
}

/** Why `text` is not a duration, or null if it is one. */
export function durationProblem(text: string): string | null {
  const result = parse(text);
  return 'problem' in result ? result.problem : null;
}

/** Milliseconds; throws TypeError with an operator-readable reason. */
export function parseDuration(text: string): number {
  const result = parse(text);
  if ('problem' in result) throw new TypeError(result.problem);
  return result.ms;
}

/** The shortest exact spelling: 90000 → `1m30s`, 1500 → `1s500ms`, 0 → `0ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration in ms: ${ms}`);
  if (ms === 0) return '0ms';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out;
}
