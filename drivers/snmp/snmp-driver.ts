import type { BackendCounters, CountersSnapshot, InterfaceCounters, ServiceCounters } from '../../src/protocol/counters.js';
import { formatOid, FulcrumMib as M, IfMib, sysUpTime } from '../../src/protocol/mib/index.js';
import {
  DriverError,
  type ApplianceDriver,
  type ApplianceEvent,
  type ApplianceInfo,
  type FirmwareDriver,
  type FirmwareUpload,
  type GroupAction,
  type GroupControl,
  type PushOptions,
  type PushResult,
} from '../driver.js';
import type { FirmwareStatus } from '../../src/protocol/serial/messages.js';
import { FirmwarePuller } from './firmware-puller.js';
import { ConfigWriter } from './config-writer.js';
import { readRunningEncoding } from './running-reader.js';
import { SnmpSession, type SessionOptions, type Varbind } from './session.js';
import { checkCredentials, parseSnmpTarget, type SnmpCredentials } from './target.js';
import { toHex } from '../../src/protocol/digest.js';
import { GROUP_OIDS, groupOf, writeFailoverAction } from './failover-control.js';
import { FramePoller, type PolledFrame, type WalkedPoll } from './frame-poller.js';

const o = (x: readonly number[]) => formatOid(x);
/** Interface rows asked for with sysUpTime (see uptimeAndInterfaces). */
const IF_BULK = 4;
const STATE_BY_CODE = new Map<number, BackendCounters['state']>(
  Object.entries(M.BackendStateCode).map(([name, code]) => [code, name as BackendCounters['state']]),
);
const PROTOCOL_BY_CODE = new Map<number, ServiceCounters['protocol']>(
  Object.entries(M.ProtocolCode).map(([name, code]) => [code, name as ServiceCounters['protocol']]),
);

/** Counters read in one poll, with the appliance's clock for rate computation. */
export interface SnmpPoll {
  /** sysUpTime in centiseconds (TimeTicks). */
  sysUpTime: number;
  /** When the answer carrying sysUpTime arrived (Date.now() ms): the time the rate rules compare it with. */
  at: number;
  snapshot: CountersSnapshot;
}

/**
 * An appliance reached by SNMP (v2c, or v3 authPriv with SHA and AES): identity from the
 * system scalars, counters from the service and backend tables by GETBULK walks, rule-table
 * pushes, confirm and rollback through the candidate tables and commit scalars
 * (./config-writer.ts), and the running table read back whole from fulcrumRunning
 * (./running-reader.ts), which the counters walks leave alone.
 */
export class SnmpDriver implements ApplianceDriver, FirmwareDriver, GroupControl {
  private readonly writer: ConfigWriter;
  private readonly firmware: FirmwarePuller;
  private readonly frames: FramePoller;

  private constructor(
    readonly target: string,
    private readonly session: SnmpSession,
  ) {
    this.writer = new ConfigWriter(session);
    this.firmware = new FirmwarePuller(session);
    this.frames = new FramePoller(
      session,
      () => this.uptimeAndInterfaces(),
      () => this.walkPoll(),
    );
  }

  static connect(target: string, credentials: SnmpCredentials, options: SessionOptions = {}): SnmpDriver {
    return new SnmpDriver(target, new SnmpSession(parseSnmpTarget(target), checkCredentials(credentials), options));
  }

  async info(): Promise<ApplianceInfo> {
    const [up, model, serial, firmware, id, pending, ...group] = await this.session.get([
      ...[sysUpTime, M.fulcrumModel, M.fulcrumSerialNumber, M.fulcrumFirmwareVersion, M.fulcrumConfigId, M.fulcrumPendingConfirm].map((x) => `${o(x)}.0`),
      ...GROUP_OIDS,
    ]);
    const pendingSeconds = Number(pending?.value ?? 0);
    const membership = groupOf(group);
    return {
      ...(membership ? { group: membership } : {}),
      model: text(model),
      serialNumber: text(serial),
      firmware: text(firmware),
      configId: hex(id),
      uptimeSeconds: Math.floor(Number(up?.value ?? 0) / 100),
      pendingConfirm: pendingSeconds > 0 ? pendingSeconds : null,
    };
  }

  async counters(): Promise<CountersSnapshot> {
    return (await this.poll()).snapshot;
  }

  /**
   * One consistent-enough poll: uptime with the interface octet counters in one request (the
   * Counter32 ones wrap, so they should be read as close to sysUpTime as possible), then the
   * service and backend tables.
   */
  async poll(): Promise<SnmpPoll> {
    const { sysUpTime, at, snapshot } = await this.walkPoll();
    return { sysUpTime, at, snapshot };
  }

  /**
   * The same poll read into a frame of the appliance's counters layout, without an object per
   * varbind on v2c (./frame-poller.ts); the frame is valid until this driver's next poll. An
   * appliance whose tables no layout can replay gets the snapshot instead.
   */
  pollFrame(): Promise<PolledFrame | SnmpPoll> {
    return this.frames.poll();
  }

  private async walkPoll(): Promise<WalkedPoll> {
    const { sysUp, interfaces } = await this.uptimeAndInterfaces();
    const at = Date.now();
    const serviceWalk = await this.session.walk(o(M.fulcrumServiceTable));
    const backendWalk = await this.session.walk(o(M.fulcrumBackendTable));
    const services = rows(serviceWalk, o(M.fulcrumServiceEntry), 1);
    const backends = rows(backendWalk, o(M.fulcrumBackendEntry), 2);
    const now = Date.now();
    const S = M.ServiceColumn;
    const B = M.BackendColumn;
    const snapshot: CountersSnapshot = {
      services: [...services.entries()].map(([index, c]) => ({
        name: text(c.get(S.name)),
        listen: text(c.get(S.listen)),
        protocol: PROTOCOL_BY_CODE.get(Number(c.get(S.protocol)?.value)) ?? 'tcp',
        connsTotal: big(c.get(S.connsTotal)),
        connsActive: Number(c.get(S.connsActive)?.value ?? 0),
        bytesIn: big(c.get(S.bytesIn)),
        bytesOut: big(c.get(S.bytesOut)),
        failures: big(c.get(S.failures)),
        fallbackConns: big(c.get(S.fallbackConns)),
        backends: [...backends.entries()]
          .filter(([key]) => key.startsWith(`${index}.`))
          .map(([, b]) => ({
            address: text(b.get(B.address)),
            state: STATE_BY_CODE.get(Number(b.get(B.state)?.value)) ?? 'down',
            weight: Number(b.get(B.weight)?.value ?? 0),
            backup: Number(b.get(B.backup)?.value) === 1,
            connsTotal: big(b.get(B.connsTotal)),
            connsActive: Number(b.get(B.connsActive)?.value ?? 0),
            bytesIn: big(b.get(B.bytesIn)),
            bytesOut: big(b.get(B.bytesOut)),
            connectFailures: big(b.get(B.connectFailures)),
            // A TimeStamp is the sysUpTime of the change: turn it into wall-clock time.
            lastChange: now - (sysUp - Number(b.get(B.lastChange)?.value ?? sysUp)) * 10,
          })),
      })),
      ...(interfaces.length > 0 ? { interfaces } : {}),
    };
    return { sysUpTime: sysUp, at, snapshot, interfaces, walked: [...serviceWalk, ...backendWalk], services, backends };
  }

  /**
   * sysUpTime.0 (GETNEXT of sysUpTime) and the first IF_BULK instances of each IF-MIB octet
   * column in one GETBULK: an appliance has a handful of interfaces, and asking for more
   * repetitions would make the agent return that many OIDs past each column's end. A column
   * still going after IF_BULK instances is walked to its end.
   */
  private async uptimeAndInterfaces(): Promise<{ sysUp: number; interfaces: InterfaceCounters[] }> {
    const columns = [IfMib.ifName, IfMib.ifInOctets, IfMib.ifOutOctets, IfMib.ifHCInOctets, IfMib.ifHCOutOctets].map(o);
    const answer = await this.session.getBulk([o(sysUpTime), ...columns], 1, IF_BULK);
    const up = answer[0];
    if (!up || up.oid !== `${o(sysUpTime)}.0`) throw new DriverError('refused', `the agent did not return sysUpTime.0 (got ${up?.oid ?? 'nothing'})`);
    const byColumn: Map<string, Varbind>[] = [];
    for (const column of columns) {
      let inColumn = answer.slice(1).filter((vb) => vb.oid.startsWith(`${column}.`));
      if (inColumn.length >= IF_BULK) inColumn = await this.session.walk(column);
      byColumn.push(new Map(inColumn.map((vb) => [vb.oid.slice(column.length + 1), vb])));
    }
    const [names, in32, out32, hcIn, hcOut] = byColumn as [
      Map<string, Varbind>,
      Map<string, Varbind>,
      Map<string, Varbind>,
      Map<string, Varbind>,
      Map<string, Varbind>,
    ];
    const interfaces = [...in32.keys()]
      .filter((index) => out32.has(index))
      .map((index): InterfaceCounters => ({
        name: names.has(index) ? text(names.get(index)) : `if${index}`,
        inOctets32: Number(in32.get(index)!.value),
        outOctets32: Number(out32.get(index)!.value),
        hcInOctets: hcIn.has(index) ? big(hcIn.get(index)) : null,
        hcOutOctets: hcOut.has(index) ? big(hcOut.get(index)) : null,
      }));
    return { sysUp: Number(up.value ?? 0), interfaces };
  }

  /** The running table's canonical encoding, from one consistent walk of fulcrumRunning (./running-reader.ts). */
  readRunning(): Promise<Uint8Array> {
    return readRunningEncoding(this.session);
  }

  /**
   * The whole table, committed whole or not at all (mode 'full': the candidate tables take no
   * patches). `bytes` is 0: net-snmp does not tell how many bytes its messages took.
   */
  push(encoding: Uint8Array, options: PushOptions): Promise<PushResult> {
    return this.writer.push(encoding, options);
  }

  confirm(): Promise<{ configId: string }> {
    return this.writer.confirm();
  }

  rollback(steps: number): Promise<{ configId: string }> {
    return this.writer.rollback(steps);
  }

  firmwareStatus(): Promise<FirmwareStatus> {
    return this.firmware.status();
  }

  /** Over SNMP the appliance pulls the image: `url` is where the agent serves it (HTTP, Range). */
  uploadFirmware(image: Uint8Array, options: { onProgress?: (sent: number, total: number) => void; url?: string } = {}): Promise<FirmwareUpload> {
    if (!options.url)
      return Promise.reject(new DriverError('badTarget', 'over SNMP the appliance fetches the image over HTTP: the agent must serve it (give an image URL)'));
    return this.firmware.pull(image, options.url, options.onProgress);
  }

  async activateFirmware() {
    await this.firmware.activate();
    return this.activeSlot();
  }

  async confirmFirmware() {
    await this.firmware.confirm();
    return this.activeSlot();
  }

  async rollbackFirmware() {
    await this.firmware.rollback();
    return this.activeSlot();
  }

  /** The agent goes quiet while the box restarts; back when it answers with a fresh sysUpTime. */
  async rebootAndWait(timeoutMs: number): Promise<void> {
    const before = await this.firmware.uptime();
    const started = performance.now();
    await this.firmware.reboot();
    await new Promise((r) => setTimeout(r, 500));
    let last: unknown = null;
    while (performance.now() - started < timeoutMs) {
      try {
        const up = await this.firmware.uptime();
        if (up < before + (performance.now() - started) / 10 - 50) return;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new DriverError(
      'unreachable',
      `the appliance did not come back within ${Math.round(timeoutMs / 1000)} s of the reboot${last instanceof Error ? ` (${last.message})` : ''}`,
    );
  }

  private async activeSlot(): Promise<{ slot: 'A' | 'B'; version: string }> {
    const s = await this.firmware.status();
    return { slot: s.active.slot, version: s.active.version };
  }

  /**
   * The operator's failover action on this member (fulcrumFoAction: go standby, offline or
   * online, like `tmsh run sys failover standby`); resolves with the member's group right after.
   * Refused (DriverError 'refused', remote 'notInGroup' for a lone appliance, 'failoverState'
   * when the action is not possible now) with the appliance's reason (./failover-control.ts).
   */
  groupAction(action: GroupAction): Promise<NonNullable<ApplianceInfo['group']>> {
    return writeFailoverAction(this.session, action);
  }

  /** Notifications arrive as traps at the monitor's receiver, not through a polling session. */
  onEvent(_listener: (e: ApplianceEvent) => void): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.session.close();
  }
}

/** Groups a table walk by row index: index text (e.g. "3" or "3.7") → column → varbind. */
function rows(varbinds: Varbind[], entry: string, indexArcs: number): Map<string, Map<number, Varbind>> {
  const out = new Map<string, Map<number, Varbind>>();
  for (const vb of varbinds) {
    const arcs = vb.oid.slice(entry.length + 1).split('.');
    if (arcs.length !== 1 + indexArcs) continue;
    const column = Number(arcs[0]);
    const index = arcs.slice(1).join('.');
    let row = out.get(index);
    if (!row) out.set(index, (row = new Map()));
    row.set(column, vb);
  }
  return out;
}

function text(vb: Varbind | undefined): string {
  const v = vb?.value;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return v === undefined || v === null ? '' : String(v);
}

function hex(vb: Varbind | undefined): string {
  const v = vb?.value;
  return v instanceof Uint8Array ? toHex(v) : '';
}

function big(vb: Varbind | undefined): bigint {
  const v = vb?.value;
  return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n;
}
