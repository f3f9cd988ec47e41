/**
 * The appliance as SNMP sees it: every readable object of FULCRUM-MIB and of the MIB-II
 * `system` group, computed from one consistent snapshot of the appliance's state.
 *
 * Why a built view rather than per-object callbacks: an agent answering a walk of a
 * 1,000-backend table reads ~11,000 instances in a few hundred requests. Building every
 * instance once per snapshot into one array already in walk order makes each GETNEXT a
 * binary search (no per-step sorting, no allocation), and makes a walk consistent: every
 * counter of a response comes from the same instant as the sysUpTime next to it, which is
 * what a poller divides by.
 *
 * Pure: no I/O, no SNMP library. An agent (the simulator's sim/snmp/, a real box's own)
 * encodes these varbinds on its wire.
 */

import type { CountersSnapshot } from '../../src/protocol/counters.js';
import { fromHex } from '../../src/protocol/digest.js';
import {
  BackendColumn,
  BackendStateCode,
  LastOperationCode,
  LastOperationStatusCode,
  ProtocolCode,
  ServiceColumn,
  SystemScalar,
  fulcrumBackendEntry,
  fulcrumCandBackendEntry,
  fulcrumCandServiceEntry,
  fulcrumCandidateConfigId,
  fulcrumCandidateError,
  fulcrumCandidateLoad,
  fulcrumCandidateSpinLock,
  fulcrumCommit,
  fulcrumConfirm,
  fulcrumRollback,
  CandBackendColumn,
  CandServiceColumn,
  fulcrumFL1000,
  fulcrumLastOperation,
  fulcrumLastOperationConfigId,
  fulcrumLastOperationMessage,
  fulcrumLastOperationStatus,
  fulcrumProducts,
  fulcrumServiceEntry,
  fulcrumSystem,
} from '../../src/protocol/mib/fulcrum-mib.js';
import { SYS_SERVICES_LOAD_BALANCER, sysContact, sysDescr, sysLocation, sysName, sysObjectID, sysServices, sysUpTime } from '../../src/protocol/mib/mib2.js';
import { compareOids, startsWith, type Oid } from '../../src/protocol/mib/oid.js';
import { emptyCandidate, type CandidateState } from './mib/candidate.js';
import { candidateVarbinds } from './mib/candidate-view.js';
import { SmiType, TruthValue, type Varbind } from '../../src/protocol/mib/smi.js';
import { INTERFACE_OBJECTS, interfaceVarbinds, type InterfaceState } from './mib/interfaces-view.js';
import { FIRMWARE_OBJECTS, firmwareVarbinds, type FirmwareViewInput } from './mib/firmware-view.js';
import { RUNNING_OBJECTS, runningVarbinds } from './mib/running-view.js';
import { FAILOVER_OBJECTS, failoverVarbinds, type FailoverViewInput } from './mib/failover-view.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';

/** A configuration operation requested over SNMP, for the fulcrumLastOperation* read-back. */
export interface LastOperation {
  kind: Exclude<keyof typeof LastOperationCode, 'none'>;
  status: 'inProgress' | 'succeeded' | 'failed';
  /** Why it failed; '' otherwise. */
  message: string;
  /** Running config id (hex) after it succeeded; '' otherwise. */
  configId: string;
}

export interface MibViewInput {
  identity: { model: string; serialNumber: string; firmware: string };
  /** MIB-II sysName, sysContact, sysLocation: set by whoever runs the box. */
  sysName: string;
  sysContact: string;
  sysLocation: string;
  /** Running and startup config ids (hex). */
  configId: string;
  startupConfigId: string;
  /** 0 when no commit awaits confirmation. */
  pendingConfirmMs: number;
  /** Milliseconds since the management agent started: sysUpTime of this snapshot. */
  uptimeMs: number;
  /** Wall-clock time of this snapshot: turns the wall-clock times of events into TimeStamps. */
  nowEpochMs: number;
  /** Wall-clock time of the last change of the running config; null if none since the agent started. */
  lastCommitEpochMs: number | null;
  counters: CountersSnapshot;
  /** Firmware slots and network download; fulcrumFirmware is not served when absent. */
  firmware?: FirmwareViewInput;
  /** IF-MIB interfaces (the data plane's); none when absent. */
  interfaces?: readonly InterfaceState[];
  lastOperation: LastOperation | null;
  /** The candidate SNMP edits (fulcrumConfig 1..9); an empty one when absent. */
  candidate?: CandidateState;
  /**
   * The running rule table (fulcrumRunning), the one `configId` names; fulcrumRunning is not
   * served when absent. Its order is the counters' (both are the running table's).
   */
  running?: RuleTable;
  /** Failover group membership (fulcrumFailover); not served when absent. */
  failover?: FailoverViewInput;
}

const U32 = 0xffff_ffff;
const U64 = (1n << 64n) - 1n;

/** Objects (scalars without their .0, table columns) the view serves, in walk order. */
export const SERVED_OBJECTS: readonly Oid[] = [
  sysDescr,
  sysObjectID,
  sysUpTime,
  sysContact,
  sysName,
  sysLocation,
  sysServices,
  ...INTERFACE_OBJECTS,
  ...Object.values(SystemScalar).map((n) => [...fulcrumSystem, n]),
  ...serviceColumns().map((c) => [...fulcrumServiceEntry, c]),
  ...backendColumns().map((c) => [...fulcrumBackendEntry, c]),
  fulcrumCandidateSpinLock,
  fulcrumCandidateLoad,
  ...Object.values(CandServiceColumn)
    .filter((c) => c !== CandServiceColumn.index)
    .map((c) => [...fulcrumCandServiceEntry, c]),
  ...Object.values(CandBackendColumn)
    .filter((c) => c !== CandBackendColumn.index)
    .map((c) => [...fulcrumCandBackendEntry, c]),
  fulcrumCandidateConfigId,
  fulcrumCandidateError,
  fulcrumCommit,
  fulcrumConfirm,
  fulcrumRollback,
  fulcrumLastOperation,
  fulcrumLastOperationStatus,
  fulcrumLastOperationMessage,
  fulcrumLastOperationConfigId,
  ...FIRMWARE_OBJECTS,
  ...RUNNING_OBJECTS,
  ...FAILOVER_OBJECTS,
];

function serviceColumns(): number[] {
  return Object.values(ServiceColumn).filter((c) => c !== ServiceColumn.index);
}

function backendColumns(): number[] {
  return Object.values(BackendColumn).filter((c) => c !== BackendColumn.index);
}

export class MibView {
  private constructor(
    /** Every instance, strictly ascending by OID. */
    readonly varbinds: readonly Varbind[],
    /** sysUpTime of the snapshot, in hundredths of a second (TimeTicks). */
    readonly uptimeTicks: number,
  ) {}

  static build(input: MibViewInput): MibView {
    const out: Varbind[] = [];
    const ticks = Math.floor(input.uptimeMs / 10) % (U32 + 1);
    // TimeStamp (RFC 2579): the sysUpTime at which something happened; 0 if before the agent started.
    const stamp = (epochMs: number | null): number => {
      if (epochMs === null) return 0;
      const t = ticks - Math.round((input.nowEpochMs - epochMs) / 10);
      return Math.min(ticks, Math.max(0, t));
    };
    const text = (o: Oid, value: string) => out.push({ oid: o, type: SmiType.OctetString, value });
    const bytes = (o: Oid, hex: string) => out.push({ oid: o, type: SmiType.OctetString, value: fromHex(hex) });
    const int = (o: Oid, value: number) => out.push({ oid: o, type: SmiType.Integer, value });
    const gauge = (o: Oid, value: number) => out.push({ oid: o, type: SmiType.Gauge32, value: Math.min(U32, Math.max(0, Math.floor(value))) });
    const timeticks = (o: Oid, value: number) => out.push({ oid: o, type: SmiType.TimeTicks, value });
    const c64 = (o: Oid, value: bigint) => out.push({ oid: o, type: SmiType.Counter64, value: value < 0n ? 0n : value > U64 ? U64 : value });
    const { identity, counters } = input;
    const services = counters.services;

    // MIB-II system group (1.3.6.1.2.1.1) sorts before the enterprise subtree (1.3.6.1.4.1).
    text([...sysDescr, 0], `Fulcrum ${identity.model} load balancer, firmware ${identity.firmware}, serial ${identity.serialNumber}`);
    out.push({ oid: [...sysObjectID, 0], type: SmiType.ObjectIdentifier, value: identity.model === 'FL-1000' ? fulcrumFL1000 : fulcrumProducts });
    timeticks([...sysUpTime, 0], ticks);
    text([...sysContact, 0], input.sysContact);
    text([...sysName, 0], input.sysName);
    text([...sysLocation, 0], input.sysLocation);
    int([...sysServices, 0], SYS_SERVICES_LOAD_BALANCER);
    // IF-MIB (1.3.6.1.2.1.2 and .31) sorts between the system group and the enterprise subtree.
    if (input.interfaces) out.push(...interfaceVarbinds(input.interfaces));

    const sys = (n: number): Oid => [...fulcrumSystem, n, 0];
    text(sys(SystemScalar.firmwareVersion), identity.firmware);
    text(sys(SystemScalar.model), identity.model);
    text(sys(SystemScalar.serialNumber), identity.serialNumber);
    bytes(sys(SystemScalar.configId), input.configId);
    bytes(sys(SystemScalar.startupConfigId), input.startupConfigId);
    gauge(sys(SystemScalar.pendingConfirm), Math.ceil(input.pendingConfirmMs / 1000));
    timeticks(sys(SystemScalar.lastCommitTime), stamp(input.lastCommitEpochMs));
    gauge(sys(SystemScalar.serviceCount), services.length);
    gauge(
      sys(SystemScalar.backendCount),
      services.reduce((n, s) => n + s.backends.length, 0),
    );

    // A table walks column by column, rows in index order within each column.
    for (const column of serviceColumns()) {
      services.forEach((s, i) => {
        const o: Oid = [...fulcrumServiceEntry, column, i + 1];
        switch (column) {
          case ServiceColumn.name:
            return text(o, s.name);
          case ServiceColumn.listen:
            return text(o, s.listen);
          case ServiceColumn.protocol:
            return int(o, ProtocolCode[s.protocol]);
          case ServiceColumn.connsTotal:
            return c64(o, s.connsTotal);
          case ServiceColumn.connsActive:
            return gauge(o, s.connsActive);
          case ServiceColumn.bytesIn:
            return c64(o, s.bytesIn);
          case ServiceColumn.bytesOut:
            return c64(o, s.bytesOut);
          case ServiceColumn.failures:
            return c64(o, s.failures);
          case ServiceColumn.fallbackConns:
            return c64(o, s.fallbackConns);
          case ServiceColumn.backendCount:
            return gauge(o, s.backends.length);
        }
      });
    }
    for (const column of backendColumns()) {
      services.forEach((s, i) => {
        s.backends.forEach((b, j) => {
          const o: Oid = [...fulcrumBackendEntry, column, i + 1, j + 1];
          switch (column) {
            case BackendColumn.address:
              return text(o, b.address);
            case BackendColumn.state:
              return int(o, BackendStateCode[b.state]);
            case BackendColumn.weight:
              return gauge(o, b.weight);
            case BackendColumn.backup:
              return int(o, b.backup ? TruthValue.true : TruthValue.false);
            case BackendColumn.connsTotal:
              return c64(o, b.connsTotal);
            case BackendColumn.connsActive:
              return gauge(o, b.connsActive);
            case BackendColumn.bytesIn:
              return c64(o, b.bytesIn);
            case BackendColumn.bytesOut:
              return c64(o, b.bytesOut);
            case BackendColumn.connectFailures:
              return c64(o, b.connectFailures);
            case BackendColumn.lastChange:
              return timeticks(o, stamp(b.lastChange));
          }
        });
      });
    }

    // The candidate and the operation scalars (fulcrumConfig 1..9), already in walk order.
    out.push(...candidateVarbinds(input.candidate ?? emptyCandidate()));

    // The read-back of configuration over SNMP (fulcrumConfig 10..13).
    const op = input.lastOperation;
    int([...fulcrumLastOperation, 0], op ? LastOperationCode[op.kind] : LastOperationCode.none);
    int([...fulcrumLastOperationStatus, 0], op ? LastOperationStatusCode[op.status] : LastOperationStatusCode.none);
    text([...fulcrumLastOperationMessage, 0], op?.message ?? '');
    bytes([...fulcrumLastOperationConfigId, 0], op?.configId ?? '');
    // fulcrumFirmware (fulcrumObjects 6) follows fulcrumConfig (4).
    if (input.firmware) out.push(...firmwareVarbinds(input.firmware));
    // fulcrumRunning (fulcrumObjects 7) follows fulcrumFirmware (6).
    if (input.running) out.push(...runningVarbinds(input.running));
    // fulcrumFailover (fulcrumObjects 8) follows fulcrumRunning (7).
    if (input.failover) out.push(...failoverVarbinds(input.failover, ticks));
    return new MibView(out, ticks);
  }

  /** The position of the instance `o`, or -1 when the view has no such instance. */
  indexOf(o: Oid): number {
    const i = this.lowerBound(o);
    const v = this.varbinds[i];
    return v && compareOids(v.oid, o) === 0 ? i : -1;
  }

  /** The position of the first instance after `o` in walk order (GETNEXT); varbinds.length past the end. */
  nextIndex(o: Oid): number {
    const i = this.lowerBound(o);
    const v = this.varbinds[i];
    return v && compareOids(v.oid, o) === 0 ? i + 1 : i;
  }

  /** First position whose OID is >= `o`. */
  private lowerBound(o: Oid): number {
    let lo = 0;
    let hi = this.varbinds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareOids(this.varbinds[mid]!.oid, o) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * The object `o` is an instance of, among those the view serves, or null. Lets an agent tell
 * noSuchInstance (a served object, no such row) from noSuchObject (an object it does not serve).
 */
export function servedObjectOf(o: Oid): Oid | null {
  for (const object of SERVED_OBJECTS) if (startsWith(o, object)) return object;
  return null;
}
