/**
 * An appliance's counters layout: every varbind one walk of its service and backend tables
 * returns, in the order the agent returns them, with what each one is — a counter or a gauge
 * and where it goes in a frame (./frame.ts), or an identity the answer must repeat byte for
 * byte (a service's name, a backend's address: the series keys), or a value the poller does not
 * keep. It is learnt from one ordinary walk (./snmp-driver.ts) and holds for as long as the
 * rule table does: the OIDs of a table are fixed by its rows.
 *
 * Invariant: the readings a frame carries are those snapshotReadings (src/poller/snapshot.ts)
 * takes from the snapshot of the same walk — the same names, widths and values — so a poll read
 * through the layout lands in the store exactly as one read through the snapshot
 * (test/unit/drivers/snmp/frame-layout.test.ts holds the two together).
 */
import type { InterfaceCounters } from '../../src/protocol/counters.js';
import { FulcrumMib as M, formatOid } from '../../src/protocol/mib/index.js';
import { encodeOid } from './ber.js';
import type { Varbind } from './session.js';

/** What the decoder does with a varbind's value. */
export const Action = { ignore: 0, counter: 1, gauge: 2, up: 3, identity: 4 } as const;

/** A reading's series key within its appliance (the appliance's name is the poller's). */
export interface FrameKey {
  service?: string;
  backend?: string;
  counter: string;
}

export interface CounterKey extends FrameKey {
  width: 32 | 64;
}

export interface FrameLayout {
  /** Varbinds in one walk from `startOid` to the end of the backend table. */
  readonly count: number;
  /** OID content bytes of varbind i: oids[oidAt[i] .. oidAt[i + 1]). */
  readonly oids: Uint8Array;
  readonly oidAt: Uint32Array;
  /** The value's BER tag (the SMI type the walk saw). */
  readonly tags: Uint8Array;
  readonly actions: Uint8Array;
  /** Counter or gauge slot; for an identity, the offset of its bytes in `identity`. */
  readonly slots: Uint32Array;
  readonly identity: Uint8Array;
  /** Length of each identity value (0 for the others). */
  readonly identityLength: Uint32Array;
  /** Where the walk starts: the service table. */
  readonly startOid: string;
  /** The backend table's OID bytes: a varbind past the last expected one still under it is a row the layout lacks. */
  readonly lastTable: Uint8Array;
  /** Counters in slot order: the tables' (64-bit, as snapshotReadings widens them), then the interfaces'. */
  readonly counters: readonly CounterKey[];
  readonly gauges: readonly FrameKey[];
  /** The interfaces read with sysUpTime, in order, each with its counters' first slot and whether it has the HC pair. */
  readonly interfaces: ReadonlyArray<{ name: string; hc: boolean; slot: number }>;
}

const UP = M.BackendStateCode.up;
const S = M.ServiceColumn;
const B = M.BackendColumn;
const SERVICE_COUNTERS: ReadonlyArray<[number, string]> = [
  [S.connsTotal, 'connsTotal'],
  [S.bytesIn, 'bytesIn'],
  [S.bytesOut, 'bytesOut'],
  [S.failures, 'failures'],
  [S.fallbackConns, 'fallbackConns'],
];
const BACKEND_COUNTERS: ReadonlyArray<[number, string]> = [
  [B.connsTotal, 'connsTotal'],
  [B.bytesIn, 'bytesIn'],
  [B.bytesOut, 'bytesOut'],
  [B.connectFailures, 'connectFailures'],
];
const BACKEND_GAUGES: ReadonlyArray<[number, string]> = [
  [B.connsActive, 'connsActive'],
  [B.weight, 'weight'],
  [B.state, 'up'],
];

/** One table row as the driver grouped it: index text → column → varbind. */
export type Rows = ReadonlyMap<string, ReadonlyMap<number, Varbind>>;

/**
 * The layout of one walk: `walked` is every varbind of the service-table walk followed by the
 * backend-table walk's, as the agent returned them; `services`/`backends` the same grouped by
 * row, as the snapshot was built from them. Null when the walk cannot be replayed as one
 * (a reading name twice, a value of a type the decoder does not read).
 */
export function buildLayout(walked: readonly Varbind[], services: Rows, backends: Rows, interfaces: readonly InterfaceCounters[]): FrameLayout | null {
  const counters: CounterKey[] = [];
  const gauges: FrameKey[] = [];
  // Slot of each (row, column) the poller keeps, in snapshotReadings' order.
  const slotOf = new Map<string, { action: number; slot: number }>();
  const text = (vb: Varbind | undefined) => (vb?.value instanceof Uint8Array ? Buffer.from(vb.value).toString('utf8') : String(vb?.value ?? ''));
  for (const [index, row] of services) {
    const service = text(row.get(S.name));
    for (const [column, counter] of SERVICE_COUNTERS) {
      slotOf.set(`s${index}.${column}`, { action: Action.counter, slot: counters.length });
      counters.push({ service, counter, width: 64 });
    }
    slotOf.set(`s${index}.${S.connsActive}`, { action: Action.gauge, slot: gauges.length });
    gauges.push({ service, counter: 'connsActive' });
    for (const [key, b] of backends) {
      if (!key.startsWith(`${index}.`)) continue;
      const backend = text(b.get(B.address));
      for (const [column, counter] of BACKEND_COUNTERS) {
        slotOf.set(`b${key}.${column}`, { action: Action.counter, slot: counters.length });
        counters.push({ service, backend, counter, width: 64 });
      }
      for (const [column, counter] of BACKEND_GAUGES) {
        slotOf.set(`b${key}.${column}`, { action: column === B.state ? Action.up : Action.gauge, slot: gauges.length });
        gauges.push({ service, backend, counter });
      }
    }
  }
  const ifaces: Array<{ name: string; hc: boolean; slot: number }> = [];
  for (const i of interfaces) {
    const hc = i.hcInOctets !== null && i.hcOutOctets !== null;
    // snapshotReadings takes each HC counter on its own; a layout takes the pair or neither.
    if ((i.hcInOctets === null) !== (i.hcOutOctets === null)) return null;
    ifaces.push({ name: i.name, hc, slot: counters.length });
    counters.push({ counter: `ifInOctets.${i.name}`, width: 32 }, { counter: `ifOutOctets.${i.name}`, width: 32 });
    if (hc) counters.push({ counter: `ifHCInOctets.${i.name}`, width: 64 }, { counter: `ifHCOutOctets.${i.name}`, width: 64 });
  }
  const names = new Set([...counters, ...gauges].map((k) => `${k.service ?? ''}/${k.backend ?? ''}/${k.counter}`));
  if (names.size !== counters.length + gauges.length) return null;

  const serviceEntry = `${formatOid(M.fulcrumServiceEntry)}.`;
  const backendEntry = `${formatOid(M.fulcrumBackendEntry)}.`;
  const oidBytes = walked.map((vb) => encodeOid(vb.oid));
  const identities: Uint8Array[] = [];
  const count = walked.length;
  const oidAt = new Uint32Array(count + 1);
  const tags = new Uint8Array(count);
  const actions = new Uint8Array(count);
  const slots = new Uint32Array(count);
  const identityLength = new Uint32Array(count);
  let identityBytes = 0;
  for (let i = 0; i < count; i++) {
    const vb = walked[i]!;
    oidAt[i + 1] = oidAt[i]! + oidBytes[i]!.length;
    if (vb.type < 0 || vb.type > 0xff) return null;
    tags[i] = vb.type;
    const table = vb.oid.startsWith(serviceEntry) ? 's' : vb.oid.startsWith(backendEntry) ? 'b' : null;
    const arcs = table ? vb.oid.slice((table === 's' ? serviceEntry : backendEntry).length).split('.') : [];
    const column = Number(arcs[0]);
    const key = `${table}${arcs.slice(1).join('.')}.${column}`;
    const kept = slotOf.get(key);
    const isIdentity = (table === 's' && (column === S.name || column === S.listen)) || (table === 'b' && column === B.address);
    if (kept) {
      if (!readable(vb.type, kept.action)) return null;
      actions[i] = kept.action;
      slots[i] = kept.slot;
    } else if (isIdentity && vb.value instanceof Uint8Array) {
      actions[i] = Action.identity;
      slots[i] = identityBytes;
      identityLength[i] = vb.value.length;
      identities.push(vb.value);
      identityBytes += vb.value.length;
    } else actions[i] = Action.ignore;
  }
  const oids = new Uint8Array(oidAt[count]!);
  oidBytes.forEach((b, i) => oids.set(b, oidAt[i]!));
  const identity = new Uint8Array(identityBytes);
  let at = 0;
  for (const b of identities) {
    identity.set(b, at);
    at += b.length;
  }
  return {
    count,
    oids,
    oidAt,
    tags,
    actions,
    slots,
    identity,
    identityLength,
    startOid: formatOid(M.fulcrumServiceTable),
    lastTable: encodeOid(formatOid(M.fulcrumBackendTable)),
    counters,
    gauges,
    interfaces: ifaces,
  };
}

/** Whether the decoder reads a value of SMI type `tag` for `action` (./frame-decoder.ts). */
function readable(tag: number, action: number): boolean {
  if (action === Action.counter) return tag === 0x46 || tag === 0x41;
  return tag === 0x02 || tag === 0x41 || tag === 0x42 || tag === 0x43;
}

/** Whether `up` is the state code of a backend that is up (the snapshot's state 'up'). */
export const isUpCode = (code: number): boolean => code === UP;
