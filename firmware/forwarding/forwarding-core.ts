import type { RuleTable } from '../../src/protocol/rules/model.js';
import { parseEndpoint } from '../../src/protocol/rules/index.js';
import { clientWords } from './client-address.js';
import { FlowTable } from './flow/flow-table.js';
import { hashWords } from './flow/hash.js';
import type { Random } from './scheduler.js';
import { ServiceRuntime } from './service-runtime.js';

/** How many times a flow whose connect failed is sent elsewhere before it fails (HAProxy's `retries`). */
export const MAX_TRIES = 4;
const NO_TARGET = -2;
const NEVER = 2 ** 31 - 1;
export const FALLBACK = -1;

export interface Target {
  host: string;
  port: number;
}

export interface ForwardingOptions {
  random: Random;
  /** Bound on concurrently tracked flows (the connection table's size). */
  maxFlows: number;
  nowEpochMs: number;
}

/** Allocated to a service that a new rule table removed: the data plane ends it, then closes it. */
const ENDED = -2;
/** A live UDP session is mirrored again at most this often (or at half its idle timeout if that is sooner). */
const MIRROR_REFRESH_MS = 10_000;

/**
 * Failover state mirroring (firmware/failover/state-mirror.ts): told of every backend choice
 * worth keeping across a failover, and asked first for the choice a previous active made.
 * Outside a failover group there is none, and the forwarding path pays one null check.
 */
export interface FlowMirror {
  /** A source-IP persistence entry was made or used: address words[at .. at+count) → backend. */
  persisted(service: number, words: Uint32Array, at: number, count: 1 | 4, backend: number): void;
  /** A UDP session is open (new, or still in use): key = [service, address words…, port]. */
  session(key: Uint32Array, backend: number): void;
  /** The backend a previous active gave the UDP session of `key` ([service, words…, port]), or -1. */
  recall(key: Uint32Array, now: number): number;
}

/**
 * The forwarding core: the compiled rule table plus the connection table.
 * A flow is opened once (a TCP accept, the first datagram of a UDP session), keeps its backend
 * for its life, and is closed once. Flows are numbered 0..maxFlows-1; per-flow state sits in
 * typed arrays indexed by that number, and a typed-array hash table maps (service, client
 * address, client port) to it so datagrams of a session find their flow.
 */
export class ForwardingCore {
  services: ServiceRuntime[] = [];
  rules: RuleTable = { services: [] };
  private byName = new Map<string, number>();
  private targets: Target[][] = [];
  private fallbacks: (Target | null)[] = [];

  // Per flow.
  private readonly flowService: Int32Array;
  private readonly flowTarget: Int32Array;
  private readonly flowTries: Int32Array;
  private readonly flowTryCount: Uint8Array;
  private readonly flowLastSeen: Float64Array;
  private readonly flowKeyWidth: Uint8Array;
  private readonly flowKeys: Uint32Array;
  private readonly flowHash: Uint32Array;
  private readonly freeFlows: Int32Array;
  private freeTop: number;
  private sweepCursor = 0;
  private mirror: FlowMirror | null = null;
  /** When each UDP flow was last told to the mirror; allocated with the mirror. */
  private flowMirroredAt: Float64Array | null = null;

  // (service, address words, port) → flow; one table per address width.
  private readonly table4: FlowTable;
  private readonly table6: FlowTable;
  private readonly scratchWords = new Uint32Array(4);
  private readonly key4 = new Uint32Array(3);
  private readonly key6 = new Uint32Array(6);

  constructor(
    rules: RuleTable,
    private readonly options: ForwardingOptions,
  ) {
    this.compile(rules, options.nowEpochMs);
    const n = options.maxFlows;
    this.flowService = new Int32Array(n).fill(-1);
    this.flowTarget = new Int32Array(n);
    this.flowTries = new Int32Array(n * MAX_TRIES);
    this.flowTryCount = new Uint8Array(n);
    this.flowLastSeen = new Float64Array(n);
    this.flowKeyWidth = new Uint8Array(n);
    this.flowKeys = new Uint32Array(n * 6);
    this.flowHash = new Uint32Array(n);
    this.freeFlows = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeFlows[i] = n - 1 - i;
    this.freeTop = n;
    // Idle flows are found by sweepIdle (per-service timeouts), so the tables never expire entries themselves.
    this.table4 = new FlowTable({ keyWords: 3, maxEntries: n, idleTimeoutMs: NEVER });
    this.table6 = new FlowTable({ keyWords: 6, maxEntries: n, idleTimeoutMs: NEVER });
  }

  /** Builds the run-time services of `rules`, carrying over what `previous` knew of the same services and backends. */
  private compile(rules: RuleTable, nowEpochMs: number, previous: ServiceRuntime[] = []): void {
    const before = new Map(previous.map((s) => [s.config.name, s]));
    this.services = rules.services.map((s, i) => {
      const old = before.get(s.name);
      const runtime = new ServiceRuntime(s, i, this.options.random, nowEpochMs, old ? (b) => old.healthOf(b.address) ?? true : undefined);
      if (old) runtime.carryOver(old);
      return runtime;
    });
    this.rules = rules;
    this.byName = new Map(rules.services.map((s, i) => [s.name, i]));
    this.targets = rules.services.map((s) => s.backends.map((b) => toTarget(b.address)));
    this.fallbacks = rules.services.map((s) => (s.fallback ? toTarget(s.fallback) : null));
  }

  /**
   * Switches to a new rule table in place. Counters, health and live flows carry over by
   * service name and backend address: a flow keeps its backend if the new table still has
   * that service (same listen address and protocol) with that backend not disabled, or keeps
   * the fallback if the service still has one. Every other flow is returned: the data plane
   * ends it and closes it as usual.
   */
  reconfigure(rules: RuleTable, nowEpochMs: number): number[] {
    const old = this.services;
    this.compile(rules, nowEpochMs, old);
    const ended: number[] = [];
    const live: number[] = [];
    const n = this.options.maxFlows;
    for (let flow = 0; flow < n && live.length < this.activeFlows; flow++) if (this.flowService[flow] !== -1) live.push(flow);
    // Keys carry the service index, which the new table may renumber: take every live key out
    // first, then put the kept ones back, so an old key never shadows a new one.
    for (const flow of live) if (this.flowService[flow]! >= 0) this.tableDelete(flow);
    for (const flow of live) {
      const was = this.flowService[flow]!;
      if (was < 0 || !this.remap(flow, old[was]!)) {
        this.flowService[flow] = ENDED;
        ended.push(flow);
        continue;
      }
      const width = this.flowKeyWidth[flow]!;
      const key = this.flowKeys.subarray(flow * 6, flow * 6 + width);
      key[0] = this.flowService[flow]!;
      if (width === 3) this.table4.set(key, flow, this.flowLastSeen[flow]!);
      else this.table6.set(key, flow, this.flowLastSeen[flow]!);
    }
    return ended;
  }

  private tableDelete(flow: number): void {
    const width = this.flowKeyWidth[flow]!;
    const key = this.flowKeys.subarray(flow * 6, flow * 6 + width);
    if (width === 3) this.table4.delete(key);
    else this.table6.delete(key);
  }

  /** Points a live flow at its service and backend in the new table; false if it has none. */
  private remap(flow: number, oldService: ServiceRuntime): boolean {
    const index = this.byName.get(oldService.config.name);
    if (index === undefined) return false;
    const svc = this.services[index]!;
    if (svc.config.listen !== oldService.config.listen || svc.config.protocol !== oldService.config.protocol) return false;
    const oldTarget = this.flowTarget[flow]!;
    let target = FALLBACK;
    if (oldTarget === FALLBACK) {
      if (!svc.config.fallback) return false;
    } else {
      target = svc.indexOf(oldService.keys[oldTarget]!);
      if (target < 0 || svc.operState(target) === 'disabled') return false;
    }
    // Tries name backends by index: keep those that still exist.
    const base = flow * MAX_TRIES;
    let kept = 0;
    for (let t = 0; t < this.flowTryCount[flow]!; t++) {
      const tried = svc.indexOf(oldService.keys[this.flowTries[base + t]!]!);
      if (tried >= 0) this.flowTries[base + kept++] = tried;
    }
    this.flowTryCount[flow] = kept;
    this.flowService[flow] = index;
    this.flowTarget[flow] = target;
    svc.adopted(target);
    return true;
  }

  /** Connects (or with null, disconnects) failover state mirroring. */
  attachMirror(mirror: FlowMirror | null): void {
    this.mirror = mirror;
    this.flowMirroredAt = mirror ? new Float64Array(this.options.maxFlows) : null;
  }

  /** Every open UDP session with a backend: key = [service, address words…, port], valid during the call only. */
  forEachUdpSession(visit: (key: Uint32Array, backend: number) => void): void {
    for (let flow = 0; flow < this.options.maxFlows; flow++) {
      const service = this.flowService[flow]!;
      if (service < 0 || this.services[service]!.config.protocol !== 'udp' || this.flowTarget[flow]! < 0) continue;
      visit(this.flowKeys.subarray(flow * 6, flow * 6 + this.flowKeyWidth[flow]!), this.flowTarget[flow]!);
    }
  }

  serviceIndex(name: string): number {
    return this.byName.get(name) ?? -1;
  }

  get activeFlows(): number {
    return this.options.maxFlows - this.freeTop;
  }

  /** The flow of an existing session from this client, or -1. Refreshes its idle timer. */
  lookup(service: number, address: string, port: number, now: number): number {
    const key = this.keyFor(service, address, port);
    const flow = key.length === 3 ? this.table4.get(key, now) : this.table6.get(key, now);
    if (flow >= 0) {
      this.flowLastSeen[flow] = now;
      // A long-lived session is told to the mirror again before the standby's copy times out.
      const mirroredAt = this.flowMirroredAt;
      if (mirroredAt !== null && this.flowTarget[flow]! >= 0) {
        const refresh = Math.min(MIRROR_REFRESH_MS, this.services[service]!.config.idleTimeoutMs / 2);
        if (now - mirroredAt[flow]! >= refresh) {
          mirroredAt[flow] = now;
          this.mirror!.session(key, this.flowTarget[flow]!);
        }
      }
    }
    return flow;
  }

  /**
   * Opens a flow for a new client connection or session and chooses its target. Returns the
   * flow number, or -1 when the flow is refused (no backend and no fallback, or the
   * connection table is full); a refusal is counted as a failure of the service.
   */
  open(service: number, address: string, port: number, now: number): number {
    const svc = this.services[service]!;
    const key = this.keyFor(service, address, port);
    const width = key.length;
    if (this.freeTop === 0) {
      svc.rejected();
      return -1;
    }
    const flow = this.freeFlows[--this.freeTop]!;
    const inserted = width === 3 ? this.table4.set(key, flow, now) : this.table6.set(key, flow, now);
    if (!inserted) {
      this.freeFlows[this.freeTop++] = flow;
      svc.rejected();
      return -1;
    }
    this.flowService[flow] = service;
    this.flowKeyWidth[flow] = width;
    this.flowKeys.set(key, flow * 6);
    this.flowLastSeen[flow] = now;
    this.flowTryCount[flow] = 0;
    this.flowHash[flow] = this.hashFor(svc, key);
    const target = this.chooseTarget(svc, flow, now);
    if (target === NO_TARGET) {
      this.release(flow);
      svc.rejected();
      return -1;
    }
    this.flowTarget[flow] = target;
    svc.opened(target);
    if (this.mirror !== null && svc.config.protocol === 'udp' && target >= 0) {
      this.flowMirroredAt![flow] = now;
      this.mirror.session(key, target);
    }
    return flow;
  }

  /** The backend index of a flow, or FALLBACK. */
  targetIndex(flow: number): number {
    return this.flowTarget[flow]!;
  }

  /** Where to connect a flow. */
  target(flow: number): Target {
    const service = this.flowService[flow]!;
    const t = this.flowTarget[flow]!;
    return t === FALLBACK ? this.fallbacks[service]! : this.targets[service]![t]!;
  }

  serviceOf(flow: number): number {
    return this.flowService[flow]!;
  }

  connected(flow: number, connectMs: number): void {
    if (this.flowService[flow]! < 0) return;
    this.services[this.flowService[flow]!]!.connected(this.flowTarget[flow]!, connectMs);
  }

  /**
   * The connect for this flow failed. Chooses another target (never one already tried,
   * the fallback last) and returns true; returns false when there is none left, in which case
   * the flow is closed and counted as a failure.
   */
  failed(flow: number, now: number): boolean {
    if (this.flowService[flow] === ENDED) {
      this.close(flow);
      return false;
    }
    const svc = this.services[this.flowService[flow]!]!;
    const from = this.flowTarget[flow]!;
    svc.connectFailed(from);
    let to = NO_TARGET;
    if (from !== FALLBACK && this.flowTryCount[flow]! < MAX_TRIES) to = this.chooseTarget(svc, flow, now);
    if (to === NO_TARGET) {
      svc.closed(from);
      svc.rejected();
      this.release(flow);
      return false;
    }
    svc.moved(from, to);
    this.flowTarget[flow] = to;
    return true;
  }

  account(flow: number, bytesIn: number, bytesOut: number, now: number): void {
    if (this.flowService[flow]! < 0) return;
    this.flowLastSeen[flow] = now;
    this.services[this.flowService[flow]!]!.account(this.flowTarget[flow]!, bytesIn, bytesOut);
  }

  close(flow: number): void {
    const service = this.flowService[flow]!;
    if (service === -1) return;
    if (service === ENDED) {
      // Its table entry went with the old table; release the number only.
      this.flowService[flow] = -1;
      this.freeFlows[this.freeTop++] = flow;
      return;
    }
    this.services[service]!.closed(this.flowTarget[flow]!);
    this.release(flow);
  }

  /** Allocated: opened and not yet closed (it may have been ended by a new table). */
  isOpen(flow: number): boolean {
    return this.flowService[flow]! !== -1;
  }

  /**
   * Finds flows idle past their service's idle timeout, visiting at most `budget` slots so a
   * huge table is swept a slice at a time. The caller closes each one reported.
   */
  sweepIdle(now: number, budget: number, onIdle: (flow: number) => void): void {
    const n = this.options.maxFlows;
    for (let visited = 0; visited < Math.min(budget, n); visited++) {
      const flow = this.sweepCursor;
      this.sweepCursor = flow + 1 === n ? 0 : flow + 1;
      const service = this.flowService[flow]!;
      if (service === -1) continue;
      if (service === ENDED || now - this.flowLastSeen[flow]! > this.services[service]!.config.idleTimeoutMs) onIdle(flow);
    }
  }

  private chooseTarget(svc: ServiceRuntime, flow: number, now: number): number {
    const base = flow * MAX_TRIES;
    const tried = this.flowTryCount[flow]!;
    let pick = -1;
    const count = this.flowKeyWidth[flow] === 3 ? 1 : 4;
    // A UDP session the previous active of a failover group had keeps its backend.
    if (tried === 0 && this.mirror !== null && svc.config.protocol === 'udp') {
      pick = this.mirror.recall(this.flowKeys.subarray(flow * 6, flow * 6 + this.flowKeyWidth[flow]!), now);
      if (pick >= svc.size || (pick >= 0 && !svc.acceptsNew(pick))) pick = -1;
    }
    if (pick < 0 && tried === 0 && svc.persistence) pick = svc.persistence.recall(this.flowKeys, flow * 6 + 1, count, now);
    if (pick >= 0 && !svc.acceptsNew(pick)) pick = -1;
    if (pick < 0) {
      pick = svc.choose(this.flowHash[flow]!, this.flowTries.subarray(base, base + tried), tried);
      if (pick >= 0 && svc.persistence) svc.persistence.remember(this.flowKeys, flow * 6 + 1, count, pick, now);
    }
    if (pick >= 0 && svc.persistence && this.mirror !== null) this.mirror.persisted(svc.index, this.flowKeys, flow * 6 + 1, count, pick);
    if (pick >= 0) {
      if (tried < MAX_TRIES) {
        this.flowTries[base + tried] = pick;
        this.flowTryCount[flow] = tried + 1;
      }
      return pick;
    }
    return this.fallbacks[svc.index] ? FALLBACK : NO_TARGET;
  }

  /**
   * The flow's hash for hashing schedulers. The key is [service, address words..., port]:
   * `source-ip` hashes the address words; `5-tuple` adds the port and the VIP's seed.
   */
  private hashFor(svc: ServiceRuntime, key: Uint32Array): number {
    const addressWords = key.length - 2;
    if (svc.config.hashKey === 'source-ip') return hashWords(key.subarray(1, 1 + addressWords), addressWords);
    return hashWords(key.subarray(1), addressWords + 1, svc.vipSeed);
  }

  private keyFor(service: number, address: string, port: number): Uint32Array {
    const words = this.scratchWords;
    const count = clientWords(address, words);
    const key = count === 1 ? this.key4 : this.key6;
    key[0] = service;
    for (let w = 0; w < count; w++) key[1 + w] = words[w]!;
    key[1 + count] = port;
    return key;
  }

  private release(flow: number): void {
    this.tableDelete(flow);
    this.flowService[flow] = -1;
    this.freeFlows[this.freeTop++] = flow;
  }
}

function toTarget(address: string): Target {
  const { host, port } = parseEndpoint(address);
  return { host, port };
}
