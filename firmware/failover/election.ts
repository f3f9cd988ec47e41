/**
 * The election of one failover group member: VRRP's state machine (RFC 5798 §6.4) with
 * standby/active for Backup/Master, an operator-forced `offline`, and two heartbeat paths.
 * Pure: time is whatever `now` the caller passes (its Clock), and every call returns what
 * changed, so the same machine runs under a fake clock in tests and a real one on a box.
 *
 * Invariants the rules keep:
 * - a standby takes over (master-down) only when no active member has been heard on *any* link
 *   for the master-down interval (3 × the active's interval + skew): one live path is enough to
 *   hold it back, which is why the serial cable prevents a split brain when the network fails;
 * - when two members are active (after a split, or a preemption), the one that is outranked
 *   (rank.ts: can serve, then priority, then the lower unit) steps down as soon as it hears the
 *   other, whatever the preemption setting: the group settles on one active by priority;
 * - preemption: a standby that outranks the active takes over after `preemptDelayMs` if
 *   preemption is on, or if the active cannot serve and it can (preemption keeps a working
 *   active in place; it does not keep a broken one);
 * - an operator's "go standby" holds this member back: no preemption until it becomes active or
 *   "go online", and no master-down takeover while a live standby peer can take over instead —
 *   that part lifts once another member is heard active, so members sent to standby one after
 *   the other never all hold back with nobody active.
 * Every transition carries a reason and a sentence, for events, the MIB and the console.
 */
import type { LinkName } from './envelope.js';
import type { ConfigConfirm, Heartbeat } from './heartbeat-codec.js';
import { masterDownMs, skewMs, type GroupConfig } from './group-config.js';
import type { MemberState } from './member-state.js';
import { describeRank, outranks, type Rankable } from './rank.js';

export type TransitionReason =
  | 'startup'
  /** No heartbeat from an active member on any link for the master-down interval. */
  | 'master-down'
  /** The active said it is standing down (standby or offline): taken over after the skew only. */
  | 'peer-resigned'
  /** This standby outranked the active for the preemption delay. */
  | 'preempt'
  /** This active heard another active that outranks it. */
  | 'peer-outranks'
  | 'operator-standby'
  | 'operator-offline'
  | 'operator-online';

export interface Transition {
  from: MemberState;
  to: MemberState;
  reason: TransitionReason;
  detail: string;
  /** The caller's clock (monotonic ms). */
  at: number;
  /** The peer the transition is about, if one. */
  peer: number | null;
}

export interface Step {
  transition: Transition | null;
  /** Send a heartbeat now rather than at the next interval (a state changed, or another active must hear of this one). */
  announce: boolean;
}

export interface PeerView extends Rankable {
  state: MemberState;
  intervalMs: number;
  tcpFlows: number;
  configIdPrefix: Uint8Array;
  /** What its last heartbeat said of its running config (config-agreement.ts); absent: nothing. */
  configConfirm?: ConfigConfirm;
  /** When each link last carried a heartbeat from this peer (null: never). */
  heardAt: Record<LinkName, number | null>;
}

type ElectionConfig = Pick<GroupConfig, 'unit' | 'priority' | 'preempt' | 'preemptDelayMs' | 'intervalMs'>;

const NOTHING: Step = { transition: null, announce: false };

export class Election {
  private mode: MemberState = 'standby';
  private serving = true;
  private readonly peerMap = new Map<number, PeerView>();
  /** Last heartbeat from an active peer, or when this member last became standby: master-down counts from here. */
  private activeHeardAt: number;
  /** The interval the active advertises (RFC 5798: the backup times the master by the master's interval). */
  private activeIntervalMs: number;
  private preemptSince: number | null = null;
  /** An operator's "go standby": no preemption until "go online". */
  private yielded = false;
  /**
   * The other half of "go standby": no master-down takeover while a live standby peer can take
   * over instead. Lifted once an active peer is heard — someone did take over — so that a later
   * "go standby" of that peer finds this member willing, not two members both holding back.
   */
  private holdTakeover = false;
  /** The active that resigned, while its quick takeover is pending. */
  private resignedBy: number | null = null;
  last: Transition;

  constructor(
    private readonly config: ElectionConfig,
    now: number,
    /** The heartbeat paths this member has (for the reasons it gives). */
    private readonly links: readonly LinkName[] = ['udp'],
  ) {
    this.activeHeardAt = now;
    this.activeIntervalMs = config.intervalMs;
    this.last = { from: 'standby', to: 'standby', reason: 'startup', detail: 'joined the group as standby', at: now, peer: null };
  }

  get state(): MemberState {
    return this.mode;
  }

  get canServe(): boolean {
    return this.serving;
  }

  /** Held back by an operator's "go standby". */
  get holding(): boolean {
    return this.yielded;
  }

  get self(): Rankable {
    return { unit: this.config.unit, priority: this.config.priority, canServe: this.serving };
  }

  /** The master-down interval now: by the active's advertised interval and this member's priority. */
  masterDownMs(): number {
    return masterDownMs(this.config.priority, this.activeIntervalMs);
  }

  peers(): PeerView[] {
    return [...this.peerMap.values()].sort((a, b) => a.unit - b.unit);
  }

  /** Whether `peer` was heard on any link within the master-down interval. */
  isLive(peer: PeerView, now: number): boolean {
    return this.lastHeard(peer) !== null && now - this.lastHeard(peer)! < this.masterDownMs();
  }

  receive(unit: number, heartbeat: Heartbeat, link: LinkName, now: number): Step {
    const before = this.peerMap.get(unit);
    const peer: PeerView = {
      unit,
      priority: heartbeat.priority,
      canServe: heartbeat.canServe,
      state: heartbeat.state,
      intervalMs: heartbeat.intervalMs,
      tcpFlows: heartbeat.tcpFlows,
      configIdPrefix: heartbeat.configIdPrefix,
      configConfirm: heartbeat.configConfirm,
      heardAt: { udp: before?.heardAt.udp ?? null, serial: before?.heardAt.serial ?? null, [link]: now },
    };
    this.peerMap.set(unit, peer);
    if (this.mode === 'offline') return NOTHING;
    if (this.mode === 'active') {
      if (heartbeat.state !== 'active') return NOTHING;
      if (outranks(peer, this.self)) {
        this.activeHeardAt = now;
        this.activeIntervalMs = heartbeat.intervalMs;
        const detail = `${describeRank(peer)} is active too and outranks ${describeRank(this.self)}`;
        return { transition: this.become('standby', 'peer-outranks', detail, now, unit), announce: true };
      }
      // Two actives and this one outranks: make sure the other hears it at once.
      return { transition: null, announce: true };
    }
    if (heartbeat.state === 'active') {
      this.activeHeardAt = now;
      this.activeIntervalMs = heartbeat.intervalMs;
      this.resignedBy = null;
      this.holdTakeover = false;
    } else if (before?.state === 'active') {
      // VRRP's priority-0 advertisement: the master resigned, so wait only the skew.
      this.activeHeardAt = now - this.masterDownMs() + skewMs(this.config.priority, this.activeIntervalMs);
      this.resignedBy = unit;
    }
    return this.evaluate(now);
  }

  /** Time passed: a standby may take over. Call at `nextDeadline()` (and whenever convenient). */
  tick(now: number): Step {
    return this.mode === 'standby' ? this.evaluate(now) : NOTHING;
  }

  /** When `tick` may next change something, or null when only a heartbeat or an operator can. */
  nextDeadline(): number | null {
    if (this.mode !== 'standby') return null;
    let down = this.activeHeardAt + this.masterDownMs();
    // Held back by an operator's standby while a live standby peer could take over: nothing
    // changes until that peer goes silent (or a heartbeat or an operator says otherwise) — not
    // the master-down time already past, which would have the caller tick without end.
    const takers = this.holdTakeover ? this.peers().filter((p) => p.state === 'standby' && this.lastHeard(p) !== null) : [];
    if (takers.length > 0) down = Math.max(down, Math.min(...takers.map((p) => this.lastHeard(p)! + this.masterDownMs())));
    return this.preemptSince === null ? down : Math.min(down, this.preemptSince + this.config.preemptDelayMs);
  }

  /** The member's backends changed: one that cannot serve ranks below every member that can. */
  setCanServe(ok: boolean, now: number): Step {
    if (ok === this.serving) return NOTHING;
    this.serving = ok;
    if (this.mode === 'standby') return { ...this.evaluate(now), announce: true };
    return { transition: null, announce: true };
  }

  goStandby(now: number): Step {
    if (this.mode === 'standby') {
      this.yielded = true;
      this.holdTakeover = true;
      this.preemptSince = null;
      return NOTHING;
    }
    const from = this.mode;
    const t = this.become(
      'standby',
      'operator-standby',
      from === 'active' ? 'an operator sent this member to standby' : 'an operator brought this member online as standby',
      now,
      null,
    );
    this.yielded = from === 'active';
    this.holdTakeover = this.yielded;
    return { transition: t, announce: true };
  }

  goOffline(now: number): Step {
    if (this.mode === 'offline') return NOTHING;
    return { transition: this.become('offline', 'operator-offline', 'an operator forced this member offline', now, null), announce: true };
  }

  goOnline(now: number): Step {
    if (this.mode === 'offline')
      return { transition: this.become('standby', 'operator-online', 'an operator brought this member back online', now, null), announce: true };
    if (this.yielded || this.holdTakeover) {
      this.yielded = false;
      this.holdTakeover = false;
      return this.mode === 'standby' ? this.evaluate(now) : NOTHING;
    }
    return NOTHING;
  }

  private lastHeard(peer: PeerView): number | null {
    const { udp, serial } = peer.heardAt;
    if (udp === null) return serial;
    return serial === null ? udp : Math.max(udp, serial);
  }

  private evaluate(now: number): Step {
    const masterDown = this.masterDownMs();
    const active = this.peers().find((p) => p.state === 'active' && this.isLive(p, now));
    if (active) {
      const eligible = !this.yielded && outranks(this.self, active) && (this.config.preempt || (!active.canServe && this.serving));
      if (!eligible) {
        this.preemptSince = null;
        return NOTHING;
      }
      this.preemptSince ??= now;
      if (now - this.preemptSince < this.config.preemptDelayMs) return NOTHING;
      const why = this.config.preempt ? 'preemption is on' : 'the active cannot serve';
      const detail = `${describeRank(this.self)} outranks the active ${describeRank(active)} and ${why}`;
      return { transition: this.become('active', 'preempt', detail, now, active.unit), announce: true };
    }
    this.preemptSince = null;
    if (now - this.activeHeardAt < masterDown) return NOTHING;
    if (this.holdTakeover && this.peers().some((p) => p.state === 'standby' && this.isLive(p, now))) return NOTHING;
    if (this.resignedBy !== null) {
      const unit = this.resignedBy;
      return {
        transition: this.become('active', 'peer-resigned', `the active unit ${unit} stood down; taking over after the skew`, now, unit),
        announce: true,
      };
    }
    const silentFor = Math.round(now - this.activeHeardAt);
    const detail = `no heartbeat from an active member for ${silentFor} ms on ${this.links.join(' or ')} (master-down interval ${Math.round(masterDown)} ms)`;
    return { transition: this.become('active', 'master-down', detail, now, null), announce: true };
  }

  private become(to: MemberState, reason: TransitionReason, detail: string, now: number, peer: number | null): Transition {
    const t: Transition = { from: this.mode, to, reason, detail, at: now, peer };
    this.mode = to;
    this.last = t;
    this.preemptSince = null;
    this.resignedBy = null;
    if (to === 'active') this.yielded = this.holdTakeover = false;
    else this.activeHeardAt = now;
    return t;
  }
}
