/**
 * GETBULK requests whose answers the driver reads itself, on a net-snmp v2c session: net-snmp
 * still builds and sends each request, times it out and retries it; only the answer's decoding
 * is ours (./frame-decoder.ts), so that a poll makes no object per varbind. The session's
 * datagrams are looked at first here: an answer to one of these requests (found by its request
 * id among the session's requests in flight) is taken off the session's books and handed to the
 * caller's decoder; every other datagram goes on to net-snmp as before.
 *
 * This leans on net-snmp 3.29's session internals (its socket `dgram`, the requests in flight
 * `reqs` by id, `unregisterRequest`, each request's `responseCb`, `Session.prototype.onMsg`);
 * `attach` checks they are there and returns null when not (another version, a scripted
 * session), and the driver then decodes through net-snmp. v3 sessions are never attached: their
 * answers are authenticated and encrypted, which stays net-snmp's.
 */
import type snmp from 'net-snmp';
import type { RemoteInfo } from 'node:dgram';
import { DriverError } from '../driver.js';
import { BerCursor, Tag } from './ber.js';

type ResponseCb = (err: Error | null) => void;

interface SessionInternals {
  dgram: {
    listeners(event: 'message'): Array<(buf: Buffer, rinfo: RemoteInfo) => void>;
    removeAllListeners(event: 'message'): void;
    on(event: 'message', listener: (buf: Buffer, rinfo: RemoteInfo) => void): void;
  };
  reqs: Record<number, { responseCb?: unknown } | undefined>;
  unregisterRequest(id: number): unknown;
  getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: ResponseCb): void;
}

interface Pending {
  decode: (buf: Buffer) => number;
  resolve: (n: number) => void;
  reject: (err: unknown) => void;
}

export class RawAnswers {
  private readonly pending = new Map<ResponseCb, Pending>();

  private constructor(private readonly session: SessionInternals) {
    const netSnmp = session.dgram.listeners('message');
    session.dgram.removeAllListeners('message');
    session.dgram.on('message', (buf, rinfo) => {
      if (!this.take(buf)) for (const l of netSnmp) l(buf, rinfo);
    });
  }

  /** Hooks onto a v2c `session`, or null when its internals are not the ones this was written for. */
  static attach(session: snmp.Session): RawAnswers | null {
    const s = session as unknown as Partial<SessionInternals>;
    const ok =
      typeof s.dgram?.listeners === 'function' &&
      typeof s.dgram.removeAllListeners === 'function' &&
      typeof s.reqs === 'object' &&
      typeof s.unregisterRequest === 'function' &&
      typeof s.getBulk === 'function' &&
      s.dgram.listeners('message').length === 1;
    return ok ? new RawAnswers(s as SessionInternals) : null;
  }

  /**
   * One GETBULK of `maxRepetitions` successors of `from`; its answer goes to `decode` (what it
   * returns, this resolves with; what it throws, this rejects with). A timeout or socket error
   * rejects with net-snmp's error (the caller words it, as the session does its own).
   */
  getBulk(from: string, maxRepetitions: number, decode: (buf: Buffer) => number): Promise<number> {
    return new Promise((resolve, reject) => {
      const cb: ResponseCb = (err) => {
        this.pending.delete(cb);
        // net-snmp calls back only to fail (the answer itself never reaches it).
        reject(err ?? new DriverError('refused', 'the request ended without an answer'));
      };
      this.pending.set(cb, { decode, resolve, reject });
      this.session.getBulk([from], 0, maxRepetitions, cb);
    });
  }

  /** Whether `buf` answers one of our requests (then it is dealt with here). */
  private take(buf: Buffer): boolean {
    if (this.pending.size === 0) return false;
    const id = requestId(buf);
    if (id === null) return false;
    const cb = this.session.reqs[id]?.responseCb as ResponseCb | undefined;
    const p = cb ? this.pending.get(cb) : undefined;
    if (!cb || !p) return false;
    this.pending.delete(cb);
    // Stops net-snmp's retry timer: the request is answered.
    this.session.unregisterRequest(id);
    try {
      p.resolve(p.decode(buf));
    } catch (err) {
      p.reject(err);
    }
    return true;
  }
}

/** The request id of a v2c/v1 message, or null if `buf` does not start like one (a v3 message, noise). */
export function requestId(buf: Uint8Array): number | null {
  try {
    const c = new BerCursor(buf);
    c.header(Tag.Sequence, 'message');
    const version = c.int32('version');
    if (version !== 0 && version !== 1) return null;
    c.pos = c.enter(Tag.OctetString, 'community');
    c.anyHeader('PDU');
    return c.int32('request-id');
  } catch {
    return null;
  }
}
