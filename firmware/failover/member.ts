/**
 * One appliance's membership of a failover group: it sends heartbeats on every link at the
 * group's interval, feeds what it hears to the election (election.ts), keeps the floating
 * services open exactly while active (floating-services.ts), and, while active, streams the
 * forwarding state the standby needs (state-mirror.ts), and confirms a pending commit that a
 * peer runs confirmed (config-agreement.ts). Invariants: nothing a peer sends can throw out of
 * here (refused messages are counted, and reported at most once per code per REPORT_EVERY_MS);
 * every state change is one `failover` event with its reason; every confirm on a peer's word is
 * one `failover-config` event naming the peer.
 */
import { fromHex } from '../../src/protocol/digest.js';
import type { ForwardingCore } from '../forwarding/forwarding-core.js';
import type { Cancel, Clock, StoragePort } from '../ports.js';
import { configStatement, peerConfirms } from './config-agreement.js';
import { Election, type PeerView, type Step, type Transition } from './election.js';
import type { Header, LinkName } from './envelope.js';
import { nextEpoch } from './epoch.js';
import { HEARTBEAT_ERROR_CODES, HeartbeatError, type HeartbeatErrorCode } from './errors.js';
import { FloatingServices, type ServicesEvent } from './floating-services.js';
import type { GroupConfig } from './group-config.js';
import { CONFIG_PREFIX_BYTES, encodeHeartbeat, type ConfigConfirm, type Heartbeat } from './heartbeat-codec.js';
import type { MemberState } from './member-state.js';
import { decodeMessage } from './message-codec.js';
import { encodeMirror, MAX_MIRROR_ENTRIES, type MirrorBatch } from './mirror-codec.js';
import type { FloatingServicesPort, HeartbeatLink } from './ports.js';
import { ReplayGuard } from './replay-guard.js';
import { canServe, tcpFlows } from './serving.js';
import { StateMirror } from './state-mirror.js';

/** Mirror batches sent per heartbeat at most: ~1,500 entries per interval, ~10,000/s at 150 ms. */
const MAX_BATCHES_PER_BEAT = 32;
const REPORT_EVERY_MS = 10_000;
const SEQ_MAX = 0xffff_ffff;
/** After a confirm on a peer's word failed (storage, the core), a heartbeat calling for it again waits this long. */
export const AGREEMENT_RETRY_MS = 1_000;

/** This member confirmed its pending commit because `peer` states it runs that config confirmed. */
export interface ConfigAgreementEvent {
  type: 'failover-config';
  group: string;
  unit: number;
  configId: string;
  peer: number;
  detail: string;
}

export type FailoverEvent = (
  | ({ type: 'failover'; group: string; unit: number; lostConnections: number } & Omit<Transition, 'at'>)
  | ServicesEvent
  | ConfigAgreementEvent
  | { type: 'problem'; detail: string }
) & { at: number };

export interface MemberHost {
  clock: Clock;
  storage: StoragePort;
  core: ForwardingCore;
  /** The running config id (hex). */
  configId(): string;
  /** Whether the running config is a commit confirmed whose timer still runs. */
  configPending(): boolean;
  /**
   * Confirms the pending commit exactly as an operator's confirm would, provided `configId` is
   * still the one pending when its turn comes; `by` says why, for the record. Resolves false
   * when that config is no longer pending (confirmed, reverted or replaced meanwhile: nothing
   * to do); rejects when the confirm itself failed.
   */
  confirmConfig(configId: string, by: string): Promise<boolean>;
  links: readonly HeartbeatLink[];
  services: FloatingServicesPort;
  onEvent(e: FailoverEvent): void;
}

export interface GroupIdentity {
  name: string;
  unit: number;
  state: MemberState;
}

export interface PeerStatus extends Omit<PeerView, 'configIdPrefix' | 'heardAt'> {
  /** Per link: heard within the master-down interval. */
  links: Partial<Record<LinkName, 'up' | 'silent'>>;
  sameConfig: boolean;
  /** When any link last carried a heartbeat from this peer (the member's clock, ms). */
  lastHeardAt: number;
}

export interface GroupStatus extends GroupIdentity {
  priority: number;
  canServe: boolean;
  preempt: boolean;
  /** Held back by an operator's "go standby". */
  holding: boolean;
  listening: boolean;
  last: Transition;
  peers: PeerStatus[];
  counters: {
    /** Times this member became active. */
    takeovers: number;
    /** Established TCP connections the previous active held when this member took over from it (they died with it). */
    connectionsLost: number;
    /** Established TCP connections this member cut when it stopped being active. */
    connectionsDropped: number;
    heartbeatsSent: number;
    heartbeatsReceived: number;
    mirrorSent: number;
    mirrorApplied: number;
    mirrorRefused: number;
    mirrorDropped: number;
    rejected: Record<HeartbeatErrorCode, number>;
  };
}

export class FailoverMember {
  private readonly election: Election;
  private readonly guard = new ReplayGuard();
  private readonly services: FloatingServices;
  private readonly mirror: StateMirror;
  private readonly seq: Record<LinkName, number> = { udp: 0, serial: 0 };
  private readonly peerEpochs = new Map<number, number>();
  private readonly reported = new Map<HeartbeatErrorCode, { at: number; since: number }>();
  private readonly unsubscribe: (() => void)[] = [];
  private beatTimer: Cancel | null = null;
  private deadlineTimer: Cancel | null = null;
  private configId: string;
  private stopped = false;
  /** A confirm on a peer's word in flight: heartbeats meanwhile do not start another. */
  private agreeing = false;
  private agreeRetryAt = -Infinity;
  private readonly counters: GroupStatus['counters'] = {
    takeovers: 0,
    connectionsLost: 0,
    connectionsDropped: 0,
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    mirrorSent: 0,
    mirrorApplied: 0,
    mirrorRefused: 0,
    mirrorDropped: 0,
    rejected: Object.fromEntries(HEARTBEAT_ERROR_CODES.map((c) => [c, 0])) as Record<HeartbeatErrorCode, number>,
  };

  private constructor(
    readonly config: GroupConfig,
    private readonly host: MemberHost,
    private epoch: number,
  ) {
    const now = host.clock.now();
    this.election = new Election(
      config,
      now,
      host.links.map((l) => l.name),
    );
    this.configId = host.configId();
    this.mirror = new StateMirror(host.core);
    host.core.attachMirror(this.mirror);
    this.services = new FloatingServices(host.services, host.clock, (e) => {
      if (e.type === 'failover-services' && !e.listening) this.counters.connectionsDropped += e.droppedConnections;
      this.emit(e);
    });
    this.election.setCanServe(canServe(host.core), now);
    for (const link of host.links) this.unsubscribe.push(link.onMessage((bytes) => this.receive(link.name, bytes)));
  }

  /** Joins the group as standby and starts heartbeats; a standby waits the master-down interval before it takes over. */
  static async join(config: GroupConfig, host: MemberHost): Promise<FailoverMember> {
    const member = new FailoverMember(config, host, await nextEpoch(host.storage, host.clock));
    member.beat();
    member.schedule();
    return member;
  }

  get identity(): GroupIdentity {
    return { name: this.config.name, unit: this.config.unit, state: this.election.state };
  }

  status(): GroupStatus {
    const now = this.host.clock.now();
    const down = this.election.masterDownMs();
    const mine = this.prefix();
    const peers = this.election.peers().map(({ configIdPrefix, heardAt, ...p }) => ({
      ...p,
      sameConfig: equalBytes(configIdPrefix, mine),
      lastHeardAt: Math.max(...Object.values(heardAt).map((t) => t ?? -Infinity)),
      links: Object.fromEntries(this.host.links.map((l) => [l.name, heardAt[l.name] !== null && now - heardAt[l.name]! < down ? 'up' : 'silent'])),
    }));
    const m = this.mirror.stats;
    return {
      ...this.identity,
      priority: this.config.priority,
      canServe: this.election.canServe,
      preempt: this.config.preempt,
      holding: this.election.holding,
      listening: this.services.isListening,
      last: this.election.last,
      peers,
      counters: { ...this.counters, mirrorApplied: m.applied, mirrorRefused: m.refused, mirrorDropped: m.dropped, rejected: { ...this.counters.rejected } },
    };
  }

  goStandby(): void {
    this.handle(this.election.goStandby(this.host.clock.now()));
  }

  goOffline(): void {
    this.handle(this.election.goOffline(this.host.clock.now()));
  }

  goOnline(): void {
    this.handle(this.election.goOnline(this.host.clock.now()));
  }

  /** Resolves when the floating services caught up with the state (tests). */
  settled(): Promise<void> {
    return this.services.settled();
  }

  /**
   * Leaves the group: one last heartbeat saying offline, so a standby takes over after its skew
   * instead of the whole master-down interval (VRRP's priority-0 advertisement), then silence.
   */
  stop(): void {
    if (this.stopped) return;
    this.sendHeartbeats('offline');
    this.stopped = true;
    this.beatTimer?.();
    this.deadlineTimer?.();
    this.services.stop();
    this.host.core.attachMirror(null);
    for (const u of this.unsubscribe) u();
  }

  private beat(): void {
    if (this.stopped) return;
    this.refreshLocal();
    this.sendHeartbeats(this.election.state);
    if (this.election.state === 'active') this.sendMirror();
    this.beatTimer = this.host.clock.after(this.config.intervalMs, () => this.beat());
  }

  /** Notices what changed on this member since the last beat: its backends, its config. */
  private refreshLocal(): void {
    const id = this.host.configId();
    if (id !== this.configId) {
      this.configId = id;
      this.mirror.configChanged();
    }
    this.handle(this.election.setCanServe(canServe(this.host.core), this.host.clock.now()), false);
  }

  private header(link: LinkName): Header {
    if (this.seq[link] === SEQ_MAX) {
      // A sequence space used up: a new epoch keeps every later message above every earlier one.
      this.epoch++;
      this.seq.udp = 0;
      this.seq.serial = 0;
    }
    return { group: this.config.name, unit: this.config.unit, epoch: this.epoch, seq: ++this.seq[link], link };
  }

  private prefix(): Uint8Array {
    return fromHex(this.configId).subarray(0, CONFIG_PREFIX_BYTES);
  }

  private sendHeartbeats(state: MemberState): void {
    const body = {
      priority: this.config.priority,
      state,
      canServe: this.election.canServe,
      intervalMs: this.config.intervalMs,
      tcpFlows: tcpFlows(this.host.core),
      configIdPrefix: this.prefix(),
      configConfirm: this.configConfirm(),
    };
    for (const link of this.host.links) {
      link.send(encodeHeartbeat(this.header(link.name), body, this.config.key));
      this.counters.heartbeatsSent++;
    }
  }

  private configConfirm(): ConfigConfirm | undefined {
    const now = this.host.clock.now();
    return configStatement(this.host.configPending(), this.election.peers(), (p) => this.election.isLive(p, now));
  }

  /**
   * A peer states it runs its config confirmed: if that config is the one pending here, confirm
   * it. A member forced offline does it too: agreeing on the config is independent of serving,
   * and one brought back online must not then run a config the rest of its group left.
   */
  private agree(peer: number, heard: Heartbeat, now: number): void {
    if (this.agreeing || now < this.agreeRetryAt) return;
    const id = this.host.configId();
    if (!peerConfirms(this.host.configPending(), id, heard)) return;
    this.agreeing = true;
    const by = `failover peer unit ${peer} runs it confirmed`;
    this.host.confirmConfig(id, by).then(
      (confirmed) => {
        this.agreeing = false;
        if (!confirmed) return;
        const detail = `confirmed config ${id.slice(0, 12)}: ${by}`;
        this.emit({ type: 'failover-config', group: this.config.name, unit: this.config.unit, configId: id, peer, detail });
      },
      (err: unknown) => {
        this.agreeing = false;
        this.agreeRetryAt = this.host.clock.now() + AGREEMENT_RETRY_MS;
        const why = err instanceof Error ? err.message : String(err);
        this.emit({
          type: 'problem',
          detail: `failover group ${this.config.name}: confirming ${id.slice(0, 12)}, which peer unit ${peer} runs confirmed, failed: ${why}`,
        });
      },
    );
  }

  private sendMirror(): void {
    const udp = this.host.links.find((l) => l.name === 'udp');
    if (!udp) return;
    if (this.mirror.resyncWanted) this.mirror.resync();
    for (let n = 0; n < MAX_BATCHES_PER_BEAT && this.mirror.pending > 0; n++) {
      const entries = this.mirror.take(MAX_MIRROR_ENTRIES);
      if (entries.length === 0) break;
      const batch: MirrorBatch = { configIdPrefix: this.prefix(), entries };
      udp.send(encodeMirror(this.header('udp'), batch, this.config.key));
      this.counters.mirrorSent += entries.length;
    }
  }

  private receive(link: LinkName, bytes: Uint8Array): void {
    if (this.stopped) return;
    const now = this.host.clock.now();
    let message;
    try {
      message = decodeMessage(bytes, { group: this.config.name, key: this.config.key, link, ownUnit: this.config.unit, guard: this.guard });
    } catch (err) {
      if (!(err instanceof HeartbeatError)) throw err;
      this.refused(err, now);
      return;
    }
    const { unit, epoch } = message.header;
    if (message.kind === 'mirror') {
      const sender = this.election.peers().find((p) => p.unit === unit);
      // Only the active's state counts, and only under the same config; an active takes none.
      if (this.election.state !== 'active' && sender?.state === 'active' && equalBytes(message.mirror.configIdPrefix, this.prefix()))
        this.mirror.apply(message.mirror.entries, now);
      return;
    }
    this.counters.heartbeatsReceived++;
    const before = this.election.peers().find((p) => p.unit === unit);
    // A standby that is new (another boot) or newly standby gets a full copy from the active.
    if (this.peerEpochs.get(unit) !== epoch || (before?.state !== 'standby' && message.heartbeat.state === 'standby')) this.mirror.resyncWanted = true;
    this.peerEpochs.set(unit, epoch);
    this.handle(this.election.receive(unit, message.heartbeat, link, now));
    this.agree(unit, message.heartbeat, now);
  }

  private refused(err: HeartbeatError, now: number): void {
    this.counters.rejected[err.code]++;
    const last = this.reported.get(err.code);
    if (last && now - last.at < REPORT_EVERY_MS) return;
    const total = this.counters.rejected[err.code];
    const more = last ? ` (${total - last.since} refused since the last report)` : '';
    this.reported.set(err.code, { at: now, since: total });
    this.emit({ type: 'problem', detail: `failover group ${this.config.name}: refused a message: ${err.message}${more}` });
  }

  private handle(step: Step, reschedule = true): void {
    if (this.stopped) return;
    if (step.transition) this.transitioned(step.transition);
    if (step.announce && step.transition === null) this.sendHeartbeats(this.election.state);
    if (step.transition) {
      this.sendHeartbeats(this.election.state);
      if (this.election.state === 'active') this.sendMirror();
    }
    if (reschedule || step.transition) this.schedule();
  }

  private transitioned(t: Transition): void {
    const active = t.to === 'active';
    this.services.want(active);
    this.mirror.recording = active;
    let lostConnections = 0;
    if (active) {
      this.counters.takeovers++;
      this.mirror.resyncWanted = true;
      // An active that fell silent or resigned took its established connections with it.
      if (t.reason === 'master-down' || t.reason === 'peer-resigned')
        for (const p of this.election.peers()) if (p.state === 'active' || p.unit === t.peer) lostConnections += p.tcpFlows;
      this.counters.connectionsLost += lostConnections;
    } else this.mirror.discardOutgoing();
    const { at: _at, ...rest } = t;
    this.emit({ type: 'failover', group: this.config.name, unit: this.config.unit, lostConnections, ...rest });
  }

  private schedule(): void {
    this.deadlineTimer?.();
    this.deadlineTimer = null;
    const deadline = this.election.nextDeadline();
    if (deadline === null || this.stopped) return;
    const wait = Math.max(0, deadline - this.host.clock.now());
    this.deadlineTimer = this.host.clock.after(wait, () => {
      this.deadlineTimer = null;
      this.handle(this.election.tick(this.host.clock.now()));
    });
  }

  private emit(e: Omit<FailoverEvent, 'at'> | FailoverEvent): void {
    this.host.onEvent({ ...e, at: this.host.clock.epochMs() } as FailoverEvent);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
