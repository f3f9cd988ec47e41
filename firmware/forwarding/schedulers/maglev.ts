import type { PoolView, Scheduler, SchedulerFactory, SchedulerOptions } from '../scheduler.js';
import { hashString } from '../flow/hash.js';

/** Two unrelated seeds: offset and skip must come from independent hashes of the key. */
const OFFSET_SEED = 0x2545f491;
const SKIP_SEED = 0x6c8e9cf5;
/** Table entries tried after the flow's own before falling back to a scan of the pool. */
const PROBE_LIMIT = 64;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016) with weights.
 *
 * Each backend walks its own permutation of the M table slots (start `offset`, step `skip`,
 * both from hashes of its key; M prime makes every step a full cycle) and claims the next slot
 * still free. Claims are interleaved by rounds: a backend of weight w makes its k-th claim in
 * round ⌈(k - ½)·maxWeight/w⌉, so with equal weights this is the paper's round robin (entries
 * per backend ⌊M/N⌋ or ⌈M/N⌉), and in general shares follow weights to within about one
 * entry. The
 * rounds are a bucket queue, so a skewed pool (one backend of 65,535, many of 1) costs O(M)
 * rather than one pass over every backend per round.
 *
 * A flow maps to table[hash mod M]. If that backend is momentarily not eligible (full, or it
 * already refused this flow), the next table entries are tried in order: deterministic, and
 * spread over other backends in proportion to their shares.
 */
export class Maglev implements Scheduler {
  readonly algorithm = 'maglev';
  readonly tableSize: number;
  /** The backend index for each slot; -1 everywhere while there is no candidate. */
  readonly table: Int32Array;
  private readonly pool: PoolView;

  // Build scratch, indexed by member (position among the candidates), reused across builds.
  private members = new Int32Array(0);
  private nextSlot = new Int32Array(0);
  private skip = new Int32Array(0);
  private claims = new Int32Array(0);
  private link = new Int32Array(0);
  // Bucket queue of members by the round of their next claim (FIFO, so round 1 is index order).
  private roundHead = new Int32Array(0);
  private roundTail = new Int32Array(0);

  constructor(pool: PoolView, tableSize: number) {
    if (!isPrime(tableSize)) throw new RangeError(`maglev table size must be a prime, got ${tableSize}`);
    this.pool = pool;
    this.tableSize = tableSize;
    this.table = new Int32Array(tableSize).fill(-1);
  }

  update(candidates: Uint8Array): void {
    const M = this.tableSize;
    const table = this.table;
    const { size: n, weights, keys } = this.pool;
    this.reserve(n);
    const { members, nextSlot, skip } = this;
    table.fill(-1);

    let count = 0;
    let maxWeight = 0;
    for (let i = 0; i < n; i++) {
      const weight = weights[i]!;
      if (candidates[i] !== 1 || weight === 0) continue;
      const key = keys[i]!;
      members[count] = i;
      nextSlot[count] = hashString(key, OFFSET_SEED) % M;
      skip[count] = (hashString(key, SKIP_SEED) % (M - 1)) + 1;
      if (weight > maxWeight) maxWeight = weight;
      count++;
    }
    if (count === 0) return;

    // Claims by round r total at least r·Σweight/maxWeight - count/2, so the table is full by
    // round M + count at the latest: claims due later never happen and are not queued.
    const lastRound = M + count + 1;
    const { roundHead, link, claims } = this;
    roundHead.fill(-1, 0, lastRound + 1);
    for (let m = 0; m < count; m++) {
      claims[m] = 0;
      this.enqueue(m, claimRound(1, maxWeight, weights[members[m]!]!), lastRound);
    }

    let filled = 0;
    for (let round = 1; filled < M && round <= lastRound; round++) {
      let m = roundHead[round]!;
      while (m >= 0 && filled < M) {
        const following = link[m]!;
        const step = skip[m]!;
        let slot = nextSlot[m]!;
        // Ends: M is prime, so the walk visits every slot, and one is still free.
        while (table[slot]! >= 0) {
          slot += step;
          if (slot >= M) slot -= M;
        }
        const backend = members[m]!;
        table[slot] = backend;
        filled++;
        slot += step;
        nextSlot[m] = slot >= M ? slot - M : slot;
        const made = ++claims[m]!;
        this.enqueue(m, claimRound(made + 1, maxWeight, weights[backend]!), lastRound);
        m = following;
      }
    }
  }

  pick(flowHash: number, eligible: Uint8Array): number {
    const M = this.tableSize;
    const table = this.table;
    let slot = (flowHash >>> 0) % M;
    for (let probe = 0; probe < PROBE_LIMIT; probe++) {
      const backend = table[slot]!;
      if (backend >= 0 && eligible[backend] === 1) return backend;
      if (++slot === M) slot = 0;
    }
    return this.fallback(flowHash, eligible);
  }

  /** Nearly the whole table is ineligible: take the first eligible backend from a hash-chosen start. */
  private fallback(flowHash: number, eligible: Uint8Array): number {
    const { size: n, weights } = this.pool;
    if (n === 0) return -1;
    let i = (flowHash >>> 0) % n;
    for (let k = 0; k < n; k++) {
      if (eligible[i] === 1 && weights[i]! > 0) return i;
      if (++i === n) i = 0;
    }
    return -1;
  }

  private enqueue(member: number, round: number, lastRound: number): void {
    if (round > lastRound) return;
    this.link[member] = -1;
    if (this.roundHead[round] === -1) this.roundHead[round] = member;
    else this.link[this.roundTail[round]!] = member;
    this.roundTail[round] = member;
  }

  private reserve(n: number): void {
    if (this.members.length < n) {
      this.members = new Int32Array(n);
      this.nextSlot = new Int32Array(n);
      this.skip = new Int32Array(n);
      this.claims = new Int32Array(n);
      this.link = new Int32Array(n);
    }
    const rounds = this.tableSize + n + 2;
    if (this.roundHead.length < rounds) {
      this.roundHead = new Int32Array(rounds);
      this.roundTail = new Int32Array(rounds);
    }
  }
}

/**
 * The round of a backend's k-th claim: the first round r with r·weight/maxWeight ≥ k - ½, so
 * claims track the weight rounded to nearest. Rounding down instead would starve small
 * backends next to a huge one: at 65,535 against 1s, each 1 is owed 0.98 entries and would get none.
 */
function claimRound(k: number, maxWeight: number, weight: number): number {
  return Math.ceil(((2 * k - 1) * maxWeight) / (2 * weight));
}

function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

export const maglev: SchedulerFactory = (pool, options: SchedulerOptions) => new Maglev(pool, options.tableSize);
