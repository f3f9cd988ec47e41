/**
 * The control socket's messages: one JSON object per line, in both directions. Bytes travel as
 * {"$bytes": base64} and 64-bit counters as {"$bigint": decimal}, so every value a driver takes or
 * gives (rule encodings, firmware images, counter snapshots) crosses unchanged.
 *
 * client → owner: {id, appliance, op, args}
 * owner → client: {id, progress: [sent, total]} while an operation runs, then {id, result} or
 *                 {id, error: {code, message, remote?}}; {event: {appliance, event}} once subscribed.
 */
import type { Socket } from 'node:net';

/** The longest line accepted: a firmware image in base64 with room to spare. */
export const MAX_LINE_BYTES = 96 * 1024 * 1024;

export type Op =
  | 'hello'
  | 'info'
  | 'readRunning'
  | 'push'
  | 'confirm'
  | 'rollback'
  | 'counters'
  | 'subscribe'
  | 'firmwareStatus'
  | 'uploadFirmware'
  | 'activateFirmware'
  | 'confirmFirmware'
  | 'rollbackFirmware'
  | 'rebootAndWait'
  | 'groupAction'
  | 'readSlot'
  | 'history';

export interface Request {
  id: number;
  appliance: string;
  op: Op;
  args?: Record<string, unknown>;
}

export interface WireError {
  /** A DriverError's code ('unreachable', 'refused', 'badTarget'), or 'owner' for the owner's own refusals. */
  code: string;
  message: string;
  remote?: string;
}

export type Reply =
  | { id: number; progress: [number, number] }
  | { id: number; result: unknown }
  | { id: number; error: WireError }
  | { event: { appliance: string; event: unknown } };

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.$bigint === 'string') return BigInt(o.$bigint);
    if (keys.length === 1 && typeof o.$bytes === 'string') return new Uint8Array(Buffer.from(o.$bytes, 'base64'));
  }
  return value;
}

export const encodeLine = (message: Request | Reply): string => `${encodeJson(message)}\n`;

/** A value as JSON text with bytes and 64-bit numbers kept (the HTTP form of a request). */
export const encodeJson = (value: unknown): string => JSON.stringify(value, replacer);

/** A value already parsed from JSON (an HTTP body) with its bytes and 64-bit numbers restored. */
export function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const restored = reviver('', o);
  if (restored !== o) return restored;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, revive(v)]));
}

/** Operations that change the appliance: an admin's, and audited, when they come over the API. */
export const CHANGING_OPS: ReadonlySet<Op> = new Set<Op>([
  'push',
  'confirm',
  'rollback',
  'uploadFirmware',
  'activateFirmware',
  'confirmFirmware',
  'rollbackFirmware',
  'rebootAndWait',
  'groupAction',
]);

/** The message a line holds; throws a SyntaxError on anything but one JSON object. */
export function decodeLine(line: string): unknown {
  const value: unknown = JSON.parse(line, reviver);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SyntaxError('a control message is one JSON object');
  return value;
}

/**
 * Calls `onLine` with each complete line the socket brings; a line longer than MAX_LINE_BYTES
 * ends the connection (`onTooLong`), since nothing legitimate is that big.
 */
export function readLines(socket: Socket, onLine: (line: string) => void, onTooLong: () => void): void {
  let pending: Buffer[] = [];
  let size = 0;
  socket.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      const line = Buffer.concat(pending).toString('utf8');
      pending = [];
      size = 0;
      start = nl + 1;
      onLine(line);
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      size += chunk.length - start;
      if (size > MAX_LINE_BYTES) {
        pending = [];
        size = 0;
        onTooLong();
      }
    }
  });
}
