/** Lists of status codes and ranges (HAProxy `status 200,300-399`, keepalived `status_code 200-299 301`) → one range. */

export interface StatusRange {
  value: [number, number];
  /** The list had gaps: `value` is its first part only. */
  partial: boolean;
}

/** Contiguous parts merge into one range; with gaps the first part is kept. Null if a part is not a code or range. */
export function statusRange(parts: readonly string[]): StatusRange | null {
  const ranges: [number, number][] = [];
  for (const item of parts) {
    const m = /^([0-9]{3})(?:-([0-9]{3}))?$/.exec(item);
    if (m === null) return null;
    ranges.push([Number(m[1]), Number(m[2] ?? m[1])]);
  }
  if (ranges.length === 0) return null;
  const merged: [number, number][] = [];
  for (const [low, high] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last !== undefined && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else merged.push([low, high]);
  }
  if (merged.length === 1) return { value: merged[0]!, partial: false };
  return { value: ranges[0]!, partial: true };
}
