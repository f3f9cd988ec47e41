/**
 * What the trap receiver lets through, decided per datagram before net-snmp decodes it: only
 * sources that are an inventory appliance's address, each at most `rate` notifications a
 * second (token bucket, `burst` deep). Everything turned away is counted, per reason and per
 * source, and handed over as one summary at a time (the receiver writes it as one event a
 * minute) — a flood costs a counter, not a row per packet.
 */

/** Distinct sources a summary names; the rest are added up under "other". */
const MAX_NAMED_SOURCES = 100;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export type DropReason = 'unknownSource' | 'badCredentials' | 'rateLimited';

export interface DropSummary {
  /** ms: the first and last drop counted. */
  since: number;
  until: number;
  total: number;
  reasons: Record<DropReason, number>;
  /** Per source address: turned away for not being an appliance, or without its credentials. */
  refused: Record<string, number>;
  /** Per source address: over the rate. */
  rateLimited: Record<string, number>;
}

function bump(map: Map<string, number>, source: string): void {
  const key = map.has(source) || map.size < MAX_NAMED_SOURCES ? source : 'other';
  map.set(key, (map.get(key) ?? 0) + 1);
}

export class TrapGate {
  private readonly buckets = new Map<string, TokenBucket>();
  private refused = new Map<string, number>();
  private limited = new Map<string, number>();
  private reasons: Record<DropReason, number> = { unknownSource: 0, badCredentials: 0, rateLimited: 0 };
  private since = 0;
  private until = 0;

  constructor(private readonly options: { rate: number; burst: number; now?: () => number }) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Whether a datagram from `source` may be decoded; `known`: the address is an appliance's. */
  admit(source: string, known: boolean): boolean {
    if (!known) {
      this.drop('unknownSource', source);
      return false;
    }
    const now = this.now();
    let bucket = this.buckets.get(source);
    if (!bucket) this.buckets.set(source, (bucket = new TokenBucket(this.options.rate, this.options.burst, now)));
    if (bucket.take(now)) return true;
    this.drop('rateLimited', source);
    return false;
  }

  /** The inventory changed: forget the buckets of addresses that are no appliance's any more. */
  keepOnly(sources: ReadonlySet<string>): void {
    for (const s of this.buckets.keys()) if (!sources.has(s)) this.buckets.delete(s);
  }

  drop(reason: DropReason, source: string): void {
    const now = this.now();
    if (this.reasons.unknownSource + this.reasons.badCredentials + this.reasons.rateLimited === 0) this.since = now;
    this.until = now;
    this.reasons[reason]++;
    bump(reason === 'rateLimited' ? this.limited : this.refused, source);
  }

  /** What was dropped since the last call, or null for nothing; the counts start over. */
  takeSummary(): DropSummary | null {
    const total = this.reasons.unknownSource + this.reasons.badCredentials + this.reasons.rateLimited;
    if (total === 0) return null;
    const summary: DropSummary = {
      since: this.since,
      until: this.until,
      total,
      reasons: this.reasons,
      refused: Object.fromEntries(this.refused),
      rateLimited: Object.fromEntries(this.limited),
    };
    this.reasons = { unknownSource: 0, badCredentials: 0, rateLimited: 0 };
    this.refused = new Map();
    this.limited = new Map();
    return summary;
  }
}
