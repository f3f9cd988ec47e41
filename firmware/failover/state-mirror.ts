/**
 * Forwarding state carried from the active to the standby, so that after a failover a client
 * keeps its backend: source-IP persistence entries and UDP session → backend mappings.
 *
 * Active side: the forwarding core reports each choice (FlowMirror) into a bounded ring of
 * fixed-size records — no allocation on the forwarding path; `take` drains it, duplicates
 * folded, into batches for the heartbeat channel. A full ring drops new records (counted) and
 * asks for a resync; a resync (a new standby appeared, the config changed, the ring overflowed)
 * queues a copy of every entry, sent at the same bounded pace.
 * Standby side: `apply` writes persistence entries into the running services and keeps UDP
 * sessions in a table of its own, which the core asks (`recall`) when a session it does not
 * know arrives after the takeover. Indexes are only meaningful under the same config: the
 * caller applies batches whose config id prefix matches, and this refuses indexes out of range.
 */
import type { FlowMirror, ForwardingCore } from '../forwarding/forwarding-core.js';
import { FlowTable } from '../forwarding/flow/flow-table.js';
import { FALLBACK_BACKEND, type MirrorEntry } from './mirror-codec.js';

/** Records the ring holds: a few seconds of new clients at a high connection rate. */
export const OUTBOX_CAPACITY = 8192;
const WORDS = 9; // kind, service, width, 4 address words, port, backend
const PERSISTENCE = 1;
const SESSION = 2;
/** Sessions the standby remembers per address width. */
const MAX_MIRRORED_SESSIONS = 65_536;

export interface MirrorStats {
  /** Records the ring had no room for (a resync follows). */
  dropped: number;
  /** Entries applied from the active. */
  applied: number;
  /** Entries refused: an index the running table does not have. */
  refused: number;
}

export class StateMirror implements FlowMirror {
  private readonly ring = new Uint32Array(OUTBOX_CAPACITY * WORDS);
  private head = 0;
  private size = 0;
  private resyncQueue: MirrorEntry[] = [];
  /** Only an active records: a standby's core sees no traffic, and its entries would echo back. */
  recording = false;
  resyncWanted = false;
  readonly stats: MirrorStats = { dropped: 0, applied: 0, refused: 0 };
  private sessions4: FlowTable;
  private sessions6: FlowTable;
  private readonly key = { 3: new Uint32Array(3), 6: new Uint32Array(6) };

  constructor(private readonly core: ForwardingCore) {
    const idle = sessionIdleMs(core);
    this.sessions4 = new FlowTable({ keyWords: 3, maxEntries: MAX_MIRRORED_SESSIONS, idleTimeoutMs: idle });
    this.sessions6 = new FlowTable({ keyWords: 6, maxEntries: MAX_MIRRORED_SESSIONS, idleTimeoutMs: idle });
  }

  persisted(service: number, words: Uint32Array, at: number, count: 1 | 4, backend: number): void {
    if (!this.recording) return;
    const o = this.slot();
    if (o < 0) return;
    const r = this.ring;
    r[o] = PERSISTENCE;
    r[o + 1] = service;
    r[o + 2] = count;
    for (let w = 0; w < count; w++) r[o + 3 + w] = words[at + w]!;
    r[o + 7] = 0;
    r[o + 8] = backend;
  }

  session(key: Uint32Array, backend: number): void {
    if (!this.recording) return;
    const o = this.slot();
    if (o < 0) return;
    const r = this.ring;
    const count = key.length - 2;
    r[o] = SESSION;
    r[o + 1] = key[0]!;
    r[o + 2] = count;
    for (let w = 0; w < count; w++) r[o + 3 + w] = key[1 + w]!;
    r[o + 7] = key[key.length - 1]!;
    r[o + 8] = backend;
  }

  recall(key: Uint32Array, now: number): number {
    const table = key.length === 3 ? this.sessions4 : this.sessions6;
    return table.size === 0 ? -1 : table.get(key, now);
  }

  /** Records waiting in the ring. */
  get pending(): number {
    return this.size + this.resyncQueue.length;
  }

  /** Queues a copy of every persistence entry and UDP session (replacing a resync in progress). */
  resync(): void {
    this.resyncWanted = false;
    const queue: MirrorEntry[] = [];
    this.core.services.forEach((svc, service) => {
      svc.persistence?.forEach((words, _count, backend) => queue.push({ kind: 'persistence', service, words: Uint32Array.from(words), backend }));
    });
    this.core.forEachUdpSession((key, backend) =>
      queue.push({ kind: 'udp-session', service: key[0]!, words: key.slice(1, key.length - 1), port: key[key.length - 1]!, backend }),
    );
    this.resyncQueue = queue;
  }

  /** Up to `max` entries to send: new choices first (duplicates folded), then the resync copy. */
  take(max: number): MirrorEntry[] {
    // The newest choice of each flow or client wins: a client re-picked within one batch must
    // land on the standby with its last backend, not its first.
    const byId = new Map<string, MirrorEntry>();
    const r = this.ring;
    while (this.size > 0 && byId.size < max) {
      const o = this.head * WORDS;
      this.head = (this.head + 1) % OUTBOX_CAPACITY;
      this.size--;
      const count = r[o + 2]!;
      const words = r.slice(o + 3, o + 3 + count);
      const kind = r[o] === PERSISTENCE ? 'persistence' : 'udp-session';
      const id = `${kind} ${r[o + 1]} ${words.join('.')} ${r[o + 7]}`;
      const service = r[o + 1]!;
      const backend = r[o + 8]!;
      byId.delete(id);
      byId.set(id, kind === 'persistence' ? { kind, service, words, backend } : { kind, service, words, port: r[o + 7]!, backend });
    }
    const out = [...byId.values()];
    while (this.resyncQueue.length > 0 && out.length < max) out.push(this.resyncQueue.pop()!);
    return out;
  }

  /** Forgets what was waiting to go out (this member is no longer active). */
  discardOutgoing(): void {
    this.head = 0;
    this.size = 0;
    this.resyncQueue = [];
  }

  /** Applies entries from the active (the caller checked that both run the same config). */
  apply(entries: readonly MirrorEntry[], now: number): void {
    for (const e of entries) {
      const svc = this.core.services[e.service];
      const valid = svc !== undefined && (e.backend < svc.size || (e.kind === 'udp-session' && e.backend === FALLBACK_BACKEND));
      if (!valid || (e.kind === 'persistence' && svc.persistence === null) || (e.kind === 'udp-session' && svc.config.protocol !== 'udp')) {
        this.stats.refused++;
        continue;
      }
      if (e.kind === 'persistence') svc.persistence!.remember(e.words, 0, e.words.length as 1 | 4, e.backend, now);
      else if (e.backend !== FALLBACK_BACKEND) {
        const key = e.words.length === 1 ? this.key[3] : this.key[6];
        key[0] = e.service;
        key.set(e.words, 1);
        key[key.length - 1] = e.port;
        (e.words.length === 1 ? this.sessions4 : this.sessions6).set(key, e.backend, now);
      }
      this.stats.applied++;
    }
  }

  /** The running config changed: indexes of the old one mean nothing now. */
  configChanged(): void {
    const idle = sessionIdleMs(this.core);
    this.sessions4 = new FlowTable({ keyWords: 3, maxEntries: MAX_MIRRORED_SESSIONS, idleTimeoutMs: idle });
    this.sessions6 = new FlowTable({ keyWords: 6, maxEntries: MAX_MIRRORED_SESSIONS, idleTimeoutMs: idle });
    this.discardOutgoing();
    this.resyncWanted = true;
  }

  /** The ring's next free record, or -1 when it is full (counted; a resync will cover it). */
  private slot(): number {
    if (this.size === OUTBOX_CAPACITY) {
      this.stats.dropped++;
      this.resyncWanted = true;
      return -1;
    }
    const o = ((this.head + this.size) % OUTBOX_CAPACITY) * WORDS;
    this.size++;
    return o;
  }
}

/** Mirrored sessions live as long as the longest UDP idle timeout of the running table. */
function sessionIdleMs(core: ForwardingCore): number {
  let idle = 1_000;
  for (const s of core.rules.services) if (s.protocol === 'udp') idle = Math.max(idle, s.idleTimeoutMs);
  return Math.min(idle, 2 ** 31 - 1);
}
