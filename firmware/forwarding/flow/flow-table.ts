import { hashWords } from './hash.js';

export interface FlowTableOptions {
  /** Key width in 32-bit words: 3 for [service, IPv4 source, source port], 6 for IPv6. */
  keyWords: number;
  /** The most entries held at once. The slot count is the next power of two ≥ maxEntries / 0.75. */
  maxEntries: number;
  /** An entry not touched for this long is expired. Below 2^31 ms. */
  idleTimeoutMs: number;
  /**
   * Told the value of every entry that expires, whether found by `sweep` or reclaimed by
   * `get`/`set` on the way, so the owner can close the session behind it. It must not modify
   * the table: it runs in the middle of a probe.
   */
  onExpire?: (value: number) => void;
}

/** A tag of 0 marks an empty slot; real hashes of 0 are stored as 1. */
const EMPTY = 0;
const MAX_LOAD = 0.75;

/**
 * A bounded connection table: open addressing with linear probing over one Uint32Array.
 *
 * Each slot is a record `[tag, key words…, value, last seen]` laid out contiguously, so a hit
 * usually costs one cache miss where parallel arrays would cost four. The tag is the key's
 * 32-bit hash: it rejects most non-matching slots without comparing keys, and gives each
 * entry's home slot back during deletion without rehashing.
 *
 * Deletion shifts later entries of the cluster back (no tombstones), so lookups never slow
 * down with churn. Time is whatever millisecond clock the caller passes; it is stored modulo
 * 2^32 and ages are compared as signed 32-bit differences, which is exact as long as every
 * entry is swept within 2^31 ms (~24 days) of its last use, and tolerates a caller whose `now`
 * is slightly behind the one that touched the entry.
 */
export class FlowTable {
  readonly keyWords: number;
  readonly maxEntries: number;
  readonly idleTimeoutMs: number;
  /** Number of slots, a power of two. */
  readonly slots: number;

  private readonly mask: number;
  private readonly stride: number;
  private readonly end: number;
  private readonly data: Uint32Array;
  private readonly onExpire: ((value: number) => void) | undefined;
  private count = 0;
  /** Next slot `sweep` examines. */
  private cursor = 0;

  constructor(options: FlowTableOptions) {
    const { keyWords, maxEntries, idleTimeoutMs } = options;
    if (!Number.isInteger(keyWords) || keyWords < 1) throw new RangeError(`keyWords must be a positive integer, got ${keyWords}`);
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    if (!(idleTimeoutMs >= 1 && idleTimeoutMs < 2 ** 31)) throw new RangeError(`idleTimeoutMs must be in [1, 2^31), got ${idleTimeoutMs}`);
    let slots = 2;
    while (slots * MAX_LOAD < maxEntries) slots *= 2;
    this.keyWords = keyWords;
    this.maxEntries = maxEntries;
    this.idleTimeoutMs = idleTimeoutMs;
    this.slots = slots;
    this.mask = slots - 1;
    this.stride = keyWords + 3;
    this.end = slots * this.stride;
    this.data = new Uint32Array(this.end);
    this.onExpire = options.onExpire;
  }

  get size(): number {
    return this.count;
  }

  /** The value stored for `key`, or -1 if absent or expired. A hit refreshes the entry's last-seen time. */
  get(key: Uint32Array, now: number): number {
    // The hot path, written out in one body with locals: at a million entries every lookup
    // waits on a cache miss, and the fewer instructions each takes, the more lookups the CPU
    // keeps in flight at once (measured: about twice the rate of the same code split into
    // helper methods).
    const data = this.data;
    const keyWords = this.keyWords;
    const stride = this.stride;
    const end = this.end;
    const tag = hashWords(key, keyWords) || 1;
    let o = (tag & this.mask) * stride;
    for (;;) {
      const t = data[o]!;
      if (t === EMPTY) return -1;
      if (t === tag) {
        let i = 0;
        while (i < keyWords && data[o + 1 + i] === key[i]) i++;
        if (i === keyWords) break;
      }
      o += stride;
      if (o === end) o = 0;
    }
    const seenAt = o + keyWords + 2;
    const nowU = now >>> 0;
    if (((nowU - data[seenAt]!) | 0) >= this.idleTimeoutMs) {
      this.expireAt(o);
      return -1;
    }
    data[seenAt] = nowU;
    return data[seenAt - 1]! | 0;
  }

  /**
   * Insert or overwrite `key` with `value`. Expired entries met on the probe path are reclaimed
   * (and reported) first; returns false only when the table still holds `maxEntries` entries.
   */
  set(key: Uint32Array, value: number, now: number): boolean {
    const { data, keyWords, stride, end } = this;
    const tag = tagOf(key, keyWords);
    let o = (tag & this.mask) * stride;
    for (;;) {
      const t = data[o]!;
      if (t === EMPTY) break;
      if (t === tag && this.keyEquals(o, key)) {
        // The same key after its flow timed out is a new flow: the old one is reported first.
        if (this.isExpired(o + keyWords + 2, now)) this.onExpire?.(data[o + keyWords + 1]! | 0);
        data[o + keyWords + 1] = value;
        data[o + keyWords + 2] = now >>> 0;
        return true;
      }
      if (this.isExpired(o + keyWords + 2, now)) {
        // Backward shift may move a later entry into this slot: look at it again.
        this.expireAt(o);
        continue;
      }
      o += stride;
      if (o === end) o = 0;
    }
    if (this.count >= this.maxEntries) return false;
    data[o] = tag;
    for (let i = 0; i < keyWords; i++) data[o + 1 + i] = key[i]!;
    data[o + keyWords + 1] = value;
    data[o + keyWords + 2] = now >>> 0;
    this.count++;
    return true;
  }

  /** Remove `key` without reporting it. Returns whether it was present (expired or not). */
  delete(key: Uint32Array): boolean {
    const o = this.find(key, tagOf(key, this.keyWords));
    if (o < 0) return false;
    this.removeAt(o);
    return true;
  }

  /**
   * Move over up to `maxSlots` slots from where the last sweep stopped, removing and reporting
   * expired entries; `sweep(now, slots)` covers the whole table. Called a little at a time
   * (e.g. slots / 64 every tick) so no single call stalls the data path. Returns the number of
   * entries expired.
   */
  sweep(now: number, maxSlots: number): number {
    const { data, stride, mask, keyWords } = this;
    let expired = 0;
    for (let n = 0; n < maxSlots; n++) {
      const o = this.cursor * stride;
      // Removal shifts the next entry of the cluster into this slot: examine it too.
      while (data[o] !== EMPTY && this.isExpired(o + keyWords + 2, now)) {
        this.expireAt(o);
        expired++;
      }
      this.cursor = (this.cursor + 1) & mask;
    }
    return expired;
  }

  /** Visit every entry, expired or not. `key` is a view into the table, valid during the call only. */
  forEach(visit: (value: number, key: Uint32Array) => void): void {
    const { data, stride, keyWords } = this;
    for (let o = 0; o < this.end; o += stride) {
      if (data[o] !== EMPTY) visit(data[o + keyWords + 1]! | 0, data.subarray(o + 1, o + 1 + keyWords));
    }
  }

  /** Forget every entry without reporting any. */
  clear(): void {
    this.data.fill(0);
    this.count = 0;
    this.cursor = 0;
  }

  private find(key: Uint32Array, tag: number): number {
    const { data, stride, end } = this;
    let o = (tag & this.mask) * stride;
    // Terminates: maxEntries < slots, so every cluster ends at an empty slot.
    for (;;) {
      const t = data[o]!;
      if (t === EMPTY) return -1;
      if (t === tag && this.keyEquals(o, key)) return o;
      o += stride;
      if (o === end) o = 0;
    }
  }

  private keyEquals(o: number, key: Uint32Array): boolean {
    const data = this.data;
    for (let i = 0; i < this.keyWords; i++) {
      if (data[o + 1 + i] !== key[i]) return false;
    }
    return true;
  }

  private isExpired(seenAt: number, now: number): boolean {
    return (((now >>> 0) - this.data[seenAt]!) | 0) >= this.idleTimeoutMs;
  }

  private expireAt(o: number): void {
    const value = this.data[o + this.keyWords + 1]! | 0;
    this.removeAt(o);
    this.onExpire?.(value);
  }

  /** Empty slot offset `o`, then pull back each later entry of the cluster that may legally sit in the hole. */
  private removeAt(o: number): void {
    const { data, stride, end, mask } = this;
    let hole = o;
    let holeSlot = o / stride;
    let j = o;
    let slot = holeSlot;
    for (;;) {
      j += stride;
      slot++;
      if (j === end) {
        j = 0;
        slot = 0;
      }
      const t = data[j]!;
      if (t === EMPTY) break;
      // The entry at `slot` may move to the hole only if its home is not cyclically after the hole.
      const home = t & mask;
      if (((slot - home) & mask) >= ((slot - holeSlot) & mask)) {
        for (let i = 0; i < stride; i++) data[hole + i] = data[j + i]!;
        hole = j;
        holeSlot = slot;
      }
    }
    data[hole] = EMPTY;
    this.count--;
  }
}

function tagOf(key: Uint32Array, keyWords: number): number {
  return hashWords(key, keyWords) || 1;
}
