/**
 * The owner's side of the control socket: each request runs on the appliance's driver through
 * the owner's pool, queued with its polls (src/provision/driver-pool.ts), so a CLI push and the
 * poller share one console line without either losing the port. The socket is the owner's user's
 * only (0600 in a 0700 directory): whoever can reach it could run the owner's own driver.
 *
 * An operation a client started runs to its end even when the client goes away: a push or an
 * upload is applied whole or not at all by the appliance, never abandoned half-sent by us.
 */
import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import {
  DriverError,
  hasConfigSlots,
  hasFirmwareSlots,
  hasGroupControl,
  type ApplianceDriver,
  type ApplianceEvent,
  type CommitNoteText,
  type ConfigSlotChoice,
  type ConfigSlotsDriver,
  type FirmwareDriver,
  type GroupAction,
} from '../../drivers/driver.js';
import type { ConfigCache } from '../store/config-cache.js';
import type { ApplianceRecord } from '../store/inventory.js';
import { decodeLine, encodeLine, readLines, type Reply, type Request, type WireError } from './wire.js';

export interface HeldConsoles {
  /** The appliance held under this inventory name, if any. */
  record(name: string): ApplianceRecord | undefined;
  use<T>(record: ApplianceRecord, work: (driver: ApplianceDriver) => Promise<T>): Promise<T>;
}

type Args = Record<string, unknown>;
type Send = (reply: Reply) => void;

class BadRequest extends Error {}

function number(args: Args, key: string): number {
  const v = args[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BadRequest(`${key}: expected a number`);
  return v;
}

function bytes(args: Args, key: string): Uint8Array {
  const v = args[key];
  if (!(v instanceof Uint8Array)) throw new BadRequest(`${key}: expected bytes`);
  return v;
}

/** A push's or rollback's note, when the client sent one. */
function noteArg(args: Args): CommitNoteText | undefined {
  const note = args.note as { by?: unknown; comment?: unknown } | undefined;
  if (note === undefined) return undefined;
  if (typeof note.by !== 'string' || typeof note.comment !== 'string') throw new BadRequest('note: expected {by, comment} strings');
  return { by: note.by, comment: note.comment };
}

function slotArg(args: Args): ConfigSlotChoice {
  const slot = args.slot;
  if (slot === 'startup' || slot === 'candidate') return { slot };
  if (slot === 'rollback') return { slot, steps: number(args, 'steps') };
  throw new BadRequest('slot: expected startup, candidate or rollback');
}

function configSlots(d: ApplianceDriver): ApplianceDriver & ConfigSlotsDriver {
  if (!hasConfigSlots(d))
    throw new DriverError('refused', `${d.target}: reading config slots other than running is unsupported over this transport`, 'unsupported');
  return d;
}

function slots(d: ApplianceDriver): ApplianceDriver & FirmwareDriver {
  if (!hasFirmwareSlots(d)) throw new DriverError('refused', `${d.target}: this transport has no firmware slots`, 'noFirmwareSlots');
  return d;
}

export class ControlServer {
  private readonly subscribers = new Map<string, Set<Send>>();

  private constructor(
    private readonly server: net.Server,
    readonly socket: string,
  ) {}

  /** Listens on `socket` (a stale file of an earlier run of this pid is replaced). */
  static async listen(socket: string, held: HeldConsoles, cache: ConfigCache): Promise<ControlServer> {
    rmSync(socket, { force: true });
    let self: ControlServer | null = null;
    const server = net.createServer((conn) => self!.serve(conn, held, cache));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => (server.off('error', reject), resolve()));
    });
    chmodSync(socket, 0o600);
    self = new ControlServer(server, socket);
    return self;
  }

  /** Hands an appliance's event to the clients that subscribed to it. */
  emit(appliance: string, event: ApplianceEvent): void {
    for (const send of this.subscribers.get(appliance) ?? []) send({ event: { appliance, event } });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.socket, { force: true });
  }

  private serve(conn: net.Socket, held: HeldConsoles, cache: ConfigCache): void {
    const mine: { appliance: string; send: Send }[] = [];
    const send: Send = (reply) => {
      if (!conn.destroyed) conn.write(encodeLine(reply));
    };
    conn.on('error', () => undefined);
    conn.on('close', () => {
      for (const { appliance, send: s } of mine) this.subscribers.get(appliance)?.delete(s);
    });
    readLines(
      conn,
      (line) => {
        let request: Request;
        try {
          request = parseRequest(decodeLine(line));
        } catch (err) {
          send({ id: -1, error: { code: 'owner', message: `bad control request: ${(err as Error).message}` } });
          return;
        }
        const record = held.record(request.appliance);
        if (!record) {
          send({ id: request.id, error: { code: 'owner', message: `${request.appliance}: not held by this agent (its inventory changed?)` } });
          return;
        }
        if (request.op === 'subscribe') {
          let set = this.subscribers.get(request.appliance);
          if (!set) this.subscribers.set(request.appliance, (set = new Set()));
          set.add(send);
          mine.push({ appliance: request.appliance, send });
          send({ id: request.id, result: true });
          return;
        }
        const progress = (sent: number, total: number) => send({ id: request.id, progress: [sent, total] });
        held
          .use(record, (d) => runOperation(d, request, progress, cache))
          .then(
            (result) => send({ id: request.id, result: result ?? null }),
            (err: unknown) => send({ id: request.id, error: wireError(err) }),
          );
      },
      () => conn.destroy(),
    );
  }
}

export function parseRequest(value: unknown): Request {
  const r = value as Partial<Request>;
  if (typeof r.id !== 'number' || typeof r.appliance !== 'string' || typeof r.op !== 'string') throw new Error('expected {id, appliance, op, args}');
  return { id: r.id, appliance: r.appliance, op: r.op, args: r.args ?? {} };
}

export function wireError(err: unknown): WireError {
  if (err instanceof DriverError) return { code: err.code, message: err.message, ...(err.remote ? { remote: err.remote } : {}) };
  return { code: 'owner', message: err instanceof Error ? err.message : String(err) };
}

/** One operation on the driver; what it returns goes back as the result (also the API's driver route). */
export function runOperation(d: ApplianceDriver, request: Request, progress: (sent: number, total: number) => void, cache: ConfigCache): Promise<unknown> {
  const args = request.args ?? {};
  switch (request.op) {
    case 'hello':
      return Promise.resolve({ target: d.target, firmware: hasFirmwareSlots(d) });
    case 'info':
      return d.info();
    case 'readRunning':
      return d.readRunning();
    case 'push':
      return d.push(bytes(args, 'encoding'), {
        confirmTimeoutMs: number(args, 'confirmTimeoutMs'),
        baseFor: (id) => cache.get(id),
        onProgress: progress,
        note: noteArg(args),
      });
    case 'confirm':
      return d.confirm();
    case 'rollback':
      return d.rollback(number(args, 'steps'), noteArg(args));
    case 'readSlot':
      return configSlots(d).readSlot(slotArg(args));
    case 'history':
      return configSlots(d).history();
    case 'counters':
      return d.counters();
    case 'firmwareStatus':
      return slots(d).firmwareStatus();
    case 'uploadFirmware': {
      const url = typeof args.url === 'string' ? args.url : undefined;
      return slots(d).uploadFirmware(bytes(args, 'image'), { onProgress: progress, ...(url !== undefined ? { url } : {}) });
    }
    case 'activateFirmware':
      return slots(d).activateFirmware();
    case 'confirmFirmware':
      return slots(d).confirmFirmware();
    case 'rollbackFirmware':
      return slots(d).rollbackFirmware();
    case 'rebootAndWait':
      return slots(d).rebootAndWait(number(args, 'timeoutMs'));
    case 'groupAction': {
      if (!hasGroupControl(d))
        return Promise.reject(new DriverError('refused', `${d.target}: this transport cannot steer a failover group member`, 'unsupported'));
      const action = args.action;
      if (action !== 'standby' && action !== 'offline' && action !== 'online')
        return Promise.reject(new BadRequest('action: expected standby, offline or online'));
      return d.groupAction(action as GroupAction);
    }
    case 'subscribe':
      return Promise.resolve(true);
  }
  return Promise.reject(new BadRequest(`unknown operation "${String(request.op)}"`));
}
