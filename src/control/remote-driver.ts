/**
 * A driver for an appliance whose console another process owns: every call goes over that
 * process's control socket (src/control/server.ts) and runs on its driver, so a CLI command gets
 * the same answers, refusals and progress as with the console in hand. Errors come back as the
 * DriverErrors the owner's driver threw, so exit codes are the same as a direct call's.
 */
import net from 'node:net';
import type {
  ApplianceDriver,
  ApplianceEvent,
  ApplianceInfo,
  CommitNoteText,
  ConfigSlotChoice,
  ConfigSlotsDriver,
  FirmwareDriver,
  FirmwareUpload,
  GroupAction,
  GroupControl,
  HistorySlot,
  PushOptions,
  PushResult,
} from '../../drivers/driver.js';
import { DriverError, type DriverErrorCode } from '../../drivers/driver.js';
import type { CountersSnapshot } from '../protocol/counters.js';
import type { FirmwareStatus } from '../protocol/serial/messages.js';
import { describeOwner, type OwnerRecord } from './owners.js';
import { decodeLine, encodeLine, readLines, type Op, type Reply } from './wire.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: ((sent: number, total: number) => void) | undefined;
}

const DRIVER_CODES: readonly string[] = ['unreachable', 'refused', 'badTarget'] satisfies DriverErrorCode[];

/** How a remote driver's operations travel: the owner's control socket, or a remote agent's API. */
export interface Channel {
  call<T>(op: Op, args?: Record<string, unknown>, onProgress?: (sent: number, total: number) => void): Promise<T>;
  onEvent(listener: (e: ApplianceEvent) => void): () => void;
  close(): Promise<void>;
}

class ControlClient implements Channel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: ApplianceEvent) => void>();
  private gone: Error | null = null;

  constructor(
    private readonly conn: net.Socket,
    readonly appliance: string,
    private readonly where: string,
  ) {
    readLines(
      conn,
      (line) => this.receive(line),
      () => conn.destroy(new Error('an oversized answer')),
    );
    conn.on('error', (err) => (this.gone ??= err));
    conn.on('close', () => {
      const err = new DriverError(
        'unreachable',
        `${this.where}: the agent owning this console closed the connection${this.gone ? ` (${this.gone.message})` : ''}`,
      );
      this.gone ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  call<T>(op: Op, args: Record<string, unknown> = {}, onProgress?: (sent: number, total: number) => void): Promise<T> {
    if (this.gone) return Promise.reject(new DriverError('unreachable', `${this.where}: the agent owning this console is gone`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      this.conn.write(encodeLine({ id, appliance: this.appliance, op, args }));
    });
  }

  onEvent(listener: (e: ApplianceEvent) => void): () => void {
    if (this.listeners.size === 0) void this.call('subscribe').catch(() => undefined);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.conn.destroyed) return resolve();
      this.conn.once('close', () => resolve());
      this.conn.end();
    });
  }

  private receive(line: string): void {
    let reply: Reply;
    try {
      reply = decodeLine(line) as Reply;
    } catch {
      return; // not from a Fulcrum owner; the pending call fails when the connection ends
    }
    if ('event' in reply) {
      for (const l of this.listeners) l(reply.event.event as ApplianceEvent);
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return;
    if ('progress' in reply) return p.onProgress?.(reply.progress[0], reply.progress[1]);
    this.pending.delete(reply.id);
    if ('result' in reply) return p.resolve(reply.result);
    const { code, message, remote } = reply.error;
    p.reject(DRIVER_CODES.includes(code) ? new DriverError(code as DriverErrorCode, message, remote) : new Error(`${this.where}: ${message}`));
  }
}

class RemoteDriver implements ApplianceDriver {
  constructor(
    protected readonly client: Channel,
    readonly target: string,
  ) {}
  info = () => this.client.call<ApplianceInfo>('info');
  readRunning = () => this.client.call<Uint8Array>('readRunning');
  // baseFor is the owner's: it keeps the same config cache ($FULCRUM_HOME/configs).
  push = (encoding: Uint8Array, options: PushOptions) =>
    this.client.call<PushResult>(
      'push',
      { encoding, confirmTimeoutMs: options.confirmTimeoutMs, ...(options.note ? { note: options.note } : {}) },
      options.onProgress,
    );
  confirm = () => this.client.call<{ configId: string }>('confirm');
  rollback = (steps: number, note?: CommitNoteText) => this.client.call<{ configId: string }>('rollback', { steps, ...(note ? { note } : {}) });
  counters = () => this.client.call<CountersSnapshot>('counters');
  onEvent = (listener: (e: ApplianceEvent) => void) => this.client.onEvent(listener);
  close = () => this.client.close();
}

/** A console held by another process: firmware slots and failover membership go through its owner. */
class RemoteFirmwareDriver extends RemoteDriver implements FirmwareDriver, GroupControl, ConfigSlotsDriver {
  readSlot = (choice: ConfigSlotChoice) => this.client.call<Uint8Array>('readSlot', { ...choice });
  history = () => this.client.call<HistorySlot[]>('history');
  groupAction = (action: GroupAction) => this.client.call<NonNullable<ApplianceInfo['group']>>('groupAction', { action });
  firmwareStatus = () => this.client.call<FirmwareStatus>('firmwareStatus');
  uploadFirmware = (image: Uint8Array, options: { onProgress?: (sent: number, total: number) => void; url?: string } = {}) =>
    this.client.call<FirmwareUpload>('uploadFirmware', { image, ...(options.url !== undefined ? { url: options.url } : {}) }, options.onProgress);
  activateFirmware = () => this.client.call<{ slot: 'A' | 'B'; version: string }>('activateFirmware');
  confirmFirmware = () => this.client.call<{ slot: 'A' | 'B'; version: string }>('confirmFirmware');
  rollbackFirmware = () => this.client.call<{ slot: 'A' | 'B'; version: string }>('rollbackFirmware');
  rebootAndWait = async (timeoutMs: number) => {
    await this.client.call('rebootAndWait', { timeoutMs });
  };
}

/** Opens a driver for `appliance` through the owner's control socket; fails naming the owner if it does not answer. */
export async function connectThroughOwner(owner: OwnerRecord, appliance: string): Promise<ApplianceDriver> {
  const where = `${appliance} (held by ${describeOwner(owner)})`;
  const conn = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(owner.socket);
    s.once('connect', () => (s.off('error', reject), resolve(s)));
    s.once('error', reject);
  }).catch((err: Error) => {
    throw new DriverError(
      'unreachable',
      `${appliance}: its console is held by ${describeOwner(owner)}, whose control socket ${owner.socket} does not answer (${err.message}); stop that process, or pass --direct to open the console anyway`,
    );
  });
  return driverOver(new ControlClient(conn, appliance, where));
}

/** The driver for the appliance a channel leads to, with firmware slots when it has them. */
export async function driverOver(client: Channel): Promise<ApplianceDriver> {
  try {
    const hello = await client.call<{ target: string; firmware: boolean }>('hello');
    return hello.firmware ? new RemoteFirmwareDriver(client, hello.target) : new RemoteDriver(client, hello.target);
  } catch (err) {
    await client.close();
    throw err;
  }
}
