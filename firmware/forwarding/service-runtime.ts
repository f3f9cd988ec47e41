import type { BackendOperState } from '../../src/protocol/counters.js';
import type { Backend, Service } from '../../src/protocol/rules/model.js';
import { Counter64Array } from './counter64.js';
import { hashString } from './flow/hash.js';
import type { PoolView, Random, Scheduler } from './scheduler.js';
import { SourcePersistence } from './persistence.js';
import { createScheduler } from './schedulers/index.js';

const PRIMARY = 0;
const BACKUP = 1;
const ADMIN = { enabled: 0, drain: 1, disabled: 2 } as const;
/** Weight of a fresh connect-time sample in the EWMA (least-response-time). */
const EWMA_ALPHA = 0.2;

export type { BackendOperState };

/**
 * One virtual service at run time: its backends' live state, the schedulers of its two tiers
 * (primaries, and backups that serve only when no primary can), and its counters.
 * Everything per backend lives in typed arrays indexed like `service.backends`.
 */
export class ServiceRuntime implements PoolView {
  readonly size: number;
  readonly weights: Uint32Array;
  readonly active: Int32Array;
  readonly connectEwmaMs: Float64Array;
  readonly keys: readonly string[];
  private readonly byAddress: Map<string, number>;

  private readonly maxConns: Uint32Array;
  private readonly tierOf: Uint8Array;
  private readonly admin: Uint8Array;
  private readonly healthy: Uint8Array;
  private readonly candidates = [] as Uint8Array[];
  private readonly candidateCount = [0, 0];
  private readonly eligible: Uint8Array;
  private readonly schedulers: (Scheduler | null)[];
  readonly persistence: SourcePersistence | null;
  /** Seed for the 5-tuple hash: the VIP and protocol, the tuple's constant half. */
  readonly vipSeed: number;
  /** Wall-clock ms of each backend's last operational state change. */
  readonly lastChange: Float64Array;

  // Counters, per backend and for the service as a whole.
  readonly connsTotal: Counter64Array;
  readonly bytesIn: Counter64Array;
  readonly bytesOut: Counter64Array;
  readonly connectFailures: Counter64Array;
  readonly service = {
    connsTotal: new Counter64Array(1),
    connsActive: 0,
    bytesIn: new Counter64Array(1),
    bytesOut: new Counter64Array(1),
    /** Flows that found no backend and no fallback. */
    failures: new Counter64Array(1),
    /** Flows served by the fallback (sorry) server. */
    fallbackConns: new Counter64Array(1),
  };

  constructor(
    readonly config: Service,
    readonly index: number,
    random: Random,
    nowEpochMs: number,
    /** Health state carried over from a previous table, by backend address. */
    initialHealth: (b: Backend) => boolean = () => true,
  ) {
    const n = config.backends.length;
    this.size = n;
    this.weights = new Uint32Array(n);
    this.active = new Int32Array(n);
    this.connectEwmaMs = new Float64Array(n);
    this.maxConns = new Uint32Array(n);
    this.tierOf = new Uint8Array(n);
    this.admin = new Uint8Array(n);
    this.healthy = new Uint8Array(n);
    this.eligible = new Uint8Array(n);
    this.lastChange = new Float64Array(n).fill(nowEpochMs);
    this.keys = config.backends.map((b) => b.address);
    this.byAddress = new Map(this.keys.map((k, i) => [k, i]));
    config.backends.forEach((b, i) => {
      this.weights[i] = b.weight;
      this.maxConns[i] = b.maxConnections;
      this.tierOf[i] = b.backup ? BACKUP : PRIMARY;
      this.admin[i] = ADMIN[b.state];
      this.healthy[i] = initialHealth(b) ? 1 : 0;
    });
    this.connsTotal = new Counter64Array(n);
    this.bytesIn = new Counter64Array(n);
    this.bytesOut = new Counter64Array(n);
    this.connectFailures = new Counter64Array(n);
    const options = { random, tableSize: config.maglevTableSize };
    // A tier without members gets no scheduler: a maglev table is 256 KiB at the default size.
    const tierHas = (tier: number) => config.backends.some((b) => (b.backup ? BACKUP : PRIMARY) === tier);
    this.schedulers = [PRIMARY, BACKUP].map((tier) => (tierHas(tier) ? createScheduler(config.algorithm, this, options) : null));
    this.candidates = [new Uint8Array(n), new Uint8Array(n)];
    this.persistence = config.persistence ? new SourcePersistence(config.persistence) : null;
    this.vipSeed = hashString(`${config.protocol} ${config.listen}`);
    this.refresh();
  }

  /** Recomputes each tier's candidates after a health, state or weight change. */
  private refresh(): void {
    this.candidateCount[PRIMARY] = 0;
    this.candidateCount[BACKUP] = 0;
    for (let i = 0; i < this.size; i++) {
      const ok = this.healthy[i] === 1 && this.admin[i] === ADMIN.enabled && this.weights[i]! > 0;
      const tier = this.tierOf[i]!;
      this.candidates[PRIMARY]![i] = ok && tier === PRIMARY ? 1 : 0;
      this.candidates[BACKUP]![i] = ok && tier === BACKUP ? 1 : 0;
      if (ok) this.candidateCount[tier]!++;
    }
    this.schedulers[PRIMARY]?.update(this.candidates[PRIMARY]!);
    this.schedulers[BACKUP]?.update(this.candidates[BACKUP]!);
  }

  /**
   * Chooses a backend for a new flow, or -1. Backups are considered only when no primary is a
   * candidate (up, enabled, weight > 0); a primary at its max-connections is not eligible for
   * this flow but still keeps the backups out, as the rule table says backups stand in for
   * primaries that are down, not for primaries that are busy.
   */
  choose(flowHash: number, tried: ArrayLike<number>, triedCount: number): number {
    const tier = this.candidateCount[PRIMARY]! > 0 ? PRIMARY : this.candidateCount[BACKUP]! > 0 ? BACKUP : -1;
    if (tier < 0) return -1;
    const cand = this.candidates[tier]!;
    const eligible = this.eligible;
    let any = 0;
    for (let i = 0; i < this.size; i++) {
      const max = this.maxConns[i]!;
      const e = cand[i] === 1 && (max === 0 || this.active[i]! < max) ? 1 : 0;
      eligible[i] = e;
      any |= e;
    }
    for (let t = 0; t < triedCount; t++) eligible[tried[t]!] = 0;
    if (any === 0) return -1;
    // A tier with candidates has members, hence a scheduler.
    return this.schedulers[tier]!.pick(flowHash, eligible);
  }

  /** Is backend i still a place where an existing (persistent) client may be sent? */
  acceptsNew(i: number): boolean {
    const max = this.maxConns[i]!;
    const tier = this.tierOf[i]!;
    if (this.candidates[tier]![i] !== 1) return false;
    if (tier === BACKUP && this.candidateCount[PRIMARY]! > 0) return false;
    return max === 0 || this.active[i]! < max;
  }

  indexOf(address: string): number {
    return this.byAddress.get(address) ?? -1;
  }

  /** The health of the backend at `address`, if this service has it. */
  healthOf(address: string): boolean | undefined {
    const i = this.byAddress.get(address);
    return i === undefined ? undefined : this.healthy[i] === 1;
  }

  /** Takes over the counters of the same service in the previous table, backend by address. */
  carryOver(old: ServiceRuntime): void {
    const s = this.service;
    s.connsTotal.set(0, old.service.connsTotal.get(0));
    s.bytesIn.set(0, old.service.bytesIn.get(0));
    s.bytesOut.set(0, old.service.bytesOut.get(0));
    s.failures.set(0, old.service.failures.get(0));
    s.fallbackConns.set(0, old.service.fallbackConns.get(0));
    for (let i = 0; i < this.size; i++) {
      const j = old.indexOf(this.keys[i]!);
      if (j < 0) continue;
      this.connsTotal.set(i, old.connsTotal.get(j));
      this.bytesIn.set(i, old.bytesIn.get(j));
      this.bytesOut.set(i, old.bytesOut.get(j));
      this.connectFailures.set(i, old.connectFailures.get(j));
      this.connectEwmaMs[i] = old.connectEwmaMs[j]!;
      if (old.operState(j) === this.operState(i)) this.lastChange[i] = old.lastChange[j]!;
    }
  }

  /** A live flow from the previous table now belongs here (its counters were carried over). */
  adopted(i: number): void {
    this.service.connsActive++;
    if (i >= 0) this.active[i]!++;
  }

  operState(i: number): BackendOperState {
    if (this.admin[i] === ADMIN.disabled) return 'disabled';
    if (this.healthy[i] !== 1) return 'down';
    if (this.admin[i] === ADMIN.drain || this.weights[i] === 0) return 'drain';
    return 'up';
  }

  isHealthy(i: number): boolean {
    return this.healthy[i] === 1;
  }

  setHealth(i: number, up: boolean, atEpochMs: number): void {
    if ((this.healthy[i] === 1) === up) return;
    this.healthy[i] = up ? 1 : 0;
    this.lastChange[i] = atEpochMs;
    this.refresh();
  }

  setWeight(i: number, weight: number, atEpochMs: number): void {
    if (this.weights[i] === weight) return;
    const before = this.operState(i);
    this.weights[i] = weight;
    if (this.operState(i) !== before) this.lastChange[i] = atEpochMs;
    this.refresh();
  }

  /**
   * A flow was handed to backend i (or to the fallback when i < 0). It holds a slot against
   * max-connections from now on; it counts as a backend connection once the connect succeeds.
   */
  opened(i: number): void {
    this.service.connsTotal.add(0, 1);
    this.service.connsActive++;
    if (i >= 0) this.active[i]!++;
    else this.service.fallbackConns.add(0, 1);
  }

  closed(i: number): void {
    this.service.connsActive--;
    if (i >= 0) this.active[i]!--;
  }

  /** Moves an open flow to another target (a redispatch after a failed connect). */
  moved(from: number, to: number): void {
    if (from >= 0) this.active[from]!--;
    if (to >= 0) this.active[to]!++;
    else this.service.fallbackConns.add(0, 1);
  }

  /** The connection to backend i is up: count it and feed its connect time to the EWMA. */
  connected(i: number, connectMs: number): void {
    if (i < 0) return;
    this.connsTotal.add(i, 1);
    const prev = this.connectEwmaMs[i]!;
    // Never let a sample be exactly 0: 0 means "no sample yet" to the scheduler.
    const sample = Math.max(connectMs, 0.001);
    this.connectEwmaMs[i] = prev === 0 ? sample : prev + EWMA_ALPHA * (sample - prev);
  }

  connectFailed(i: number): void {
    if (i >= 0) this.connectFailures.add(i, 1);
  }

  rejected(): void {
    this.service.failures.add(0, 1);
  }

  account(i: number, bytesIn: number, bytesOut: number): void {
    if (bytesIn > 0) this.service.bytesIn.add(0, bytesIn);
    if (bytesOut > 0) this.service.bytesOut.add(0, bytesOut);
    if (i < 0) return;
    if (bytesIn > 0) this.bytesIn.add(i, bytesIn);
    if (bytesOut > 0) this.bytesOut.add(i, bytesOut);
  }
}
