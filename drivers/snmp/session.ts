import snmp from 'net-snmp';
import { DriverError } from '../driver.js';
import type { SnmpCredentials, SnmpTarget } from './target.js';
import { RawAnswers } from './raw-answers.js';
import { describeError } from '../../src/protocol/describe-error.js';

export type SnmpValue = bigint | number | string | Uint8Array | null;

export interface Varbind {
  oid: string;
  /** Counter64 as bigint; integers, gauges, counters and ticks as numbers; octet strings as bytes. */
  value: SnmpValue;
  type: number;
}

export interface SessionOptions {
  timeoutMs?: number;
  retries?: number;
  /** Rows fetched per GETBULK; lowered automatically when an answer would be too big. */
  maxRepetitions?: number;
  /** Opens the net-snmp session in place of a UDP one to `target` (tests pass a scripted agent). */
  createSession?: (target: SnmpTarget, credentials: SnmpCredentials) => snmp.Session;
}

/**
 * One SNMP session (v2c or v3 authPriv with SHA and AES) with promise-shaped calls. Walks use
 * GETBULK, stop at the end of the subtree, refuse OIDs that do not increase (a broken agent
 * would otherwise loop forever), and halve max-repetitions when the agent says tooBig.
 */
export class SnmpSession {
  private readonly session: snmp.Session;
  private maxRepetitions: number;
  private closed = false;
  /** v2c: GETBULK answers the driver decodes itself (./raw-answers.ts); null for v3, or a session without net-snmp's internals. */
  readonly raw: RawAnswers | null;
  /** The v2c community as it travels, for checking answers; null for v3. */
  readonly community: Uint8Array | null;

  constructor(target: SnmpTarget, credentials: SnmpCredentials, options: SessionOptions = {}) {
    const common = {
      port: target.port,
      transport: target.host.includes(':') ? ('udp6' as const) : ('udp4' as const),
      timeout: options.timeoutMs ?? 1_000,
      retries: options.retries ?? 2,
      backoff: 1.5,
    };
    this.session = options.createSession
      ? options.createSession(target, credentials)
      : credentials.version === '2c'
        ? snmp.createSession(target.host, credentials.community, { ...common, version: snmp.Version2c })
        : snmp.createV3Session(
            target.host,
            {
              name: credentials.user,
              level: snmp.SecurityLevel.authPriv,
              authProtocol: snmp.AuthProtocols.sha,
              authKey: credentials.authKey,
              privProtocol: snmp.PrivProtocols.aes,
              privKey: credentials.privKey,
            },
            { ...common, version: snmp.Version3 },
          );
    // A socket error must reject the calls in flight, not crash the agent.
    this.session.on('error', () => undefined);
    this.maxRepetitions = options.maxRepetitions ?? 50;
    this.raw = credentials.version === '2c' ? RawAnswers.attach(this.session) : null;
    this.community = credentials.version === '2c' ? Buffer.from(credentials.community, 'utf8') : null;
  }

  /** Rows asked for per GETBULK now (halved after a tooBig). */
  get bulkSize(): number {
    return this.maxRepetitions;
  }

  get(oids: string[]): Promise<Varbind[]> {
    return new Promise((resolve, reject) => {
      this.session.get(oids, (err, varbinds) => {
        if (err) return reject(asDriverError(err));
        resolve((varbinds ?? []).map(toVarbind));
      });
    });
  }

  /**
   * One SET request: all of `varbinds` or none (the agent's side of the bargain). Rejects with a
   * SetError naming the agent's error status and the failing varbind, or a DriverError when
   * there is no answer.
   */
  set(varbinds: readonly Varbind[]): Promise<void> {
    const out = varbinds.map((v) => ({ oid: v.oid, type: v.type, value: v.value instanceof Uint8Array ? Buffer.from(v.value) : v.value }));
    return new Promise((resolve, reject) => {
      this.session.set(out, (err) => {
        if (!err) return resolve();
        const status = (err as { status?: unknown }).status;
        if (typeof status === 'number') {
          const index = Math.max(
            0,
            out.findIndex((v) => err.message.endsWith(`: ${v.oid}`)),
          );
          return reject(new SetError(status, index, err.message));
        }
        // A request too large for one datagram never left: the caller splits it like a tooBig.
        if (/EMSGSIZE|too ?big|message too long/i.test(err.message)) return reject(new SetError(TOO_BIG, -1, err.message));
        reject(asDriverError(err));
      });
    });
  }

  /** Every varbind under `root`, in order. */
  async walk(root: string): Promise<Varbind[]> {
    const out: Varbind[] = [];
    const prefix = `${root}.`;
    let from = root;
    for (;;) {
      let batch: Varbind[];
      try {
        batch = await this.bulk(from, this.maxRepetitions);
      } catch (err) {
        if (isTooBig(err) && this.maxRepetitions > 1) {
          this.maxRepetitions = Math.max(1, this.maxRepetitions >> 1);
          continue;
        }
        throw asDriverError(err);
      }
      if (batch.length === 0) return out;
      for (const vb of batch) {
        if (!vb.oid.startsWith(prefix) || vb.type === snmp.ObjectType.EndOfMibView) return out;
        if (compareOids(vb.oid, from) <= 0) throw new DriverError('refused', `the agent returned ${vb.oid} after ${from}: OIDs must increase`);
        out.push(vb);
        from = vb.oid;
      }
    }
  }

  /**
   * One GETBULK: the first `nonRepeaters` OIDs once (their next instance), then up to
   * `maxRepetitions` successors of each other OID. Flat, in the order the agent answered;
   * end-of-MIB markers dropped.
   */
  getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number): Promise<Varbind[]> {
    return new Promise((resolve, reject) => {
      this.session.getBulk(oids, nonRepeaters, maxRepetitions, (err, varbinds) => {
        if (err) return reject(asDriverError(err));
        const flat = (varbinds ?? []).flat() as snmp.Varbind[];
        resolve(flat.filter((vb) => !snmp.isVarbindError(vb)).map(toVarbind));
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
  }

  private bulk(from: string, maxRepetitions: number): Promise<Varbind[]> {
    return new Promise((resolve, reject) => {
      this.session.getBulk([from], 0, maxRepetitions, (err, varbinds) => {
        if (err) return reject(err);
        const flat = (varbinds ?? []).flat() as snmp.Varbind[];
        resolve(flat.filter((vb) => !snmp.isVarbindError(vb) || vb.type === snmp.ObjectType.EndOfMibView).map(toVarbind));
      });
    });
  }
}

const TOO_BIG = 1;

/** The agent refused a SET: RFC 3416 error-status and the 0-based position of the varbind it named (-1: none). */
export class SetError extends Error {
  constructor(
    readonly status: number,
    readonly index: number,
    message: string,
  ) {
    super(message);
    this.name = 'SetError';
  }

  get tooBig(): boolean {
    return this.status === TOO_BIG;
  }
}

function toVarbind(vb: snmp.Varbind): Varbind {
  const { oid, type } = vb;
  const raw = vb.value as unknown;
  let value: SnmpValue;
  if (type === snmp.ObjectType.Counter64) value = Buffer.isBuffer(raw) ? BigInt(`0x${raw.toString('hex') || '0'}`) : BigInt(raw as number);
  else if (Buffer.isBuffer(raw)) value = new Uint8Array(raw);
  else if (typeof raw === 'number' || typeof raw === 'string') value = raw;
  else value = null;
  return { oid, value, type: type ?? 0 };
}

export function compareOids(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function isTooBig(err: unknown): boolean {
  return err instanceof Error && /tooBig/i.test(err.name + err.message);
}

export function asDriverError(err: unknown): DriverError {
  const message = describeError(err);
  // A wrong v3 key is dropped silently by the agent: it looks exactly like an absent one.
  if (/timed? ?out/i.test(message)) return new DriverError('unreachable', `no SNMP answer (${message}); check the address, community or v3 keys`);
  return new DriverError('refused', message);
}
