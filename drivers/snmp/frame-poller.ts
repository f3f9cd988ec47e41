/**
 * Polls an appliance into frames (./frame-decoder.ts): sysUpTime and the interfaces as an
 * ordinary poll reads them, then the service and backend tables as one GETBULK walk whose
 * answers are read straight into the frame against the appliance's layout (./frame-layout.ts).
 * The layout is learnt from an ordinary walk on the first poll, and again whenever the answers
 * stop matching it (the rule table changed), the agent answers with an error-status, or the
 * session is v3 (whose answers only net-snmp decodes): that poll is the ordinary walk, and its
 * frame is filled from the walk's varbinds. Either way a frame carries the values the snapshot of
 * the same answers would.
 *
 * Invariant: a driver's frame is reused; it is valid until that driver's next poll.
 */
import type { CountersSnapshot, InterfaceCounters } from '../../src/protocol/counters.js';
import { DriverError } from '../driver.js';
import { decodeOid } from './ber.js';
import { BulkStatusError, LayoutMismatchError, decodeInto, newFrame, type Frame } from './frame-decoder.js';
import { Action, buildLayout, isUpCode, type FrameLayout, type Rows } from './frame-layout.js';
import { asDriverError, type SnmpSession, type Varbind } from './session.js';

export interface PolledFrame {
  /** sysUpTime in centiseconds (TimeTicks). */
  sysUpTime: number;
  /** When the answer carrying sysUpTime arrived (Date.now() ms). */
  at: number;
  /** The same object for as long as the appliance's layout holds. */
  layout: FrameLayout;
  frame: Frame;
}

/** An ordinary poll: the snapshot the driver made of it, and what it was read from. */
export interface WalkedPoll {
  sysUpTime: number;
  at: number;
  snapshot: CountersSnapshot;
  interfaces: InterfaceCounters[];
  /** The service-table walk's varbinds, then the backend-table walk's. */
  walked: Varbind[];
  services: Rows;
  backends: Rows;
}

export class FramePoller {
  private layout: FrameLayout | null = null;
  private frame: Frame | null = null;

  constructor(
    private readonly session: SnmpSession,
    private readonly uptimeAndInterfaces: () => Promise<{ sysUp: number; interfaces: InterfaceCounters[] }>,
    private readonly walk: () => Promise<WalkedPoll>,
  ) {}

  /** A frame, or the ordinary poll's snapshot for an appliance whose tables no layout can replay (two readings of one name). */
  async poll(): Promise<PolledFrame | Pick<WalkedPoll, 'sysUpTime' | 'at' | 'snapshot'>> {
    if (this.layout && this.frame && this.session.raw && this.session.community) {
      try {
        return await this.read(this.layout, this.frame);
      } catch (err) {
        if (!(err instanceof LayoutMismatchError || err instanceof BulkStatusError)) throw err;
        this.layout = null;
      }
    }
    return this.learn();
  }

  private async read(layout: FrameLayout, frame: Frame): Promise<PolledFrame> {
    const raw = this.session.raw!;
    const community = this.session.community!;
    const { sysUp, interfaces } = await this.uptimeAndInterfaces();
    const at = Date.now();
    frame.counters.fill(0);
    frame.gauges.fill(0);
    writeInterfaces(layout, interfaces, frame);
    let done = 0;
    let from = layout.startOid;
    while (done < layout.count) {
      const start = done;
      try {
        done = await raw.getBulk(from, this.session.bulkSize, (buf) => decodeInto(buf, community, layout, start, frame));
      } catch (err) {
        throw err instanceof DriverError ? err : asDriverError(err);
      }
      if (done === start) throw new LayoutMismatchError(from, null, 'the walk stopped short of the layout');
      from = decodeOid(layout.oids, layout.oidAt[done - 1]!, layout.oidAt[done]! - layout.oidAt[done - 1]!);
    }
    return { sysUpTime: sysUp, at, layout, frame };
  }

  /** An ordinary walk; its layout is kept when it can be replayed (v2c), its frame filled from its varbinds. */
  private async learn(): Promise<PolledFrame | Pick<WalkedPoll, 'sysUpTime' | 'at' | 'snapshot'>> {
    const w = await this.walk();
    const layout = buildLayout(w.walked, w.services, w.backends, w.interfaces);
    if (!layout) return { sysUpTime: w.sysUpTime, at: w.at, snapshot: w.snapshot };
    const frame = this.frame && sameShape(this.layout, layout) ? this.frame : newFrame(layout);
    frame.counters.fill(0);
    frame.gauges.fill(0);
    writeInterfaces(layout, w.interfaces, frame);
    w.walked.forEach((vb, i) => writeVarbind(layout, i, vb, frame));
    this.layout = this.session.raw ? layout : null;
    this.frame = frame;
    // A v3 session learns every time: the layout object is new, but keys repeat and the recorder carries on.
    return { sysUpTime: w.sysUpTime, at: w.at, layout, frame };
  }
}

function sameShape(a: FrameLayout | null, b: FrameLayout): boolean {
  return a !== null && a.counters.length === b.counters.length && a.gauges.length === b.gauges.length;
}

/** Interface counters into their slots; an interface set other than the layout's is a mismatch. */
function writeInterfaces(layout: FrameLayout, interfaces: readonly InterfaceCounters[], frame: Frame): void {
  if (interfaces.length !== layout.interfaces.length) throw new LayoutMismatchError('IF-MIB', null, 'the interfaces changed');
  for (let k = 0; k < interfaces.length; k++) {
    const i = interfaces[k]!;
    const l = layout.interfaces[k]!;
    if (i.name !== l.name || (i.hcInOctets !== null && i.hcOutOctets !== null) !== l.hc)
      throw new LayoutMismatchError(`IF-MIB ${i.name}`, l.name, 'the interfaces changed');
    const c = frame.counters;
    c[l.slot * 2 + 1] = i.inOctets32;
    c[l.slot * 2 + 3] = i.outOctets32;
    if (l.hc) {
      setBig(c, l.slot + 2, i.hcInOctets!);
      setBig(c, l.slot + 3, i.hcOutOctets!);
    }
  }
}

function setBig(c: Uint32Array, slot: number, v: bigint): void {
  c[slot * 2] = Number((v >> 32n) & 0xffffffffn);
  c[slot * 2 + 1] = Number(v & 0xffffffffn);
}

/** One varbind of an ordinary walk into the frame, as the snapshot reads it. */
function writeVarbind(layout: FrameLayout, i: number, vb: Varbind, frame: Frame): void {
  const action = layout.actions[i]!;
  const slot = layout.slots[i]!;
  const v = vb.value;
  if (action === Action.counter) setBig(frame.counters, slot, typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n);
  else if (action === Action.gauge) frame.gauges[slot] = Number(v ?? 0);
  else if (action === Action.up) frame.gauges[slot] = isUpCode(Number(v)) ? 1 : 0;
}
