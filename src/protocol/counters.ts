/**
 * The counters snapshot the appliance serves and the agent reads (serial `read counters`), and
 * its binary encoding. Shapes shared by both sides, so they live in the contract.
 *
 *   counters := u8 format (1)  varint service count  service*
 *   service  := str8 name  endpoint listen  u8 protocol (0 tcp, 1 udp)
 *               v64 connsTotal  v32 connsActive  v64 bytesIn  v64 bytesOut  v64 failures
 *               v64 fallbackConns
 *               varint backend count  backend*
 *   backend  := endpoint address  u8 state (0 up, 1 down, 2 drain, 3 disabled)  u16 weight
 *               u8 backup (0/1)
 *               v64 connsTotal  v32 connsActive  v64 bytesIn  v64 bytesOut  v64 connectFailures
 *               varint lastChange (epoch ms)
 *   endpoint := u8 family (4 or 6)  4 or 16 address bytes  u16 port   -- as in the rule codec
 *   str8     := u8 length  UTF-8 bytes
 *
 * v64/v32/varint are unsigned LEB128 (minimal; at most 2^64 − 1, 2^32 − 1, 2^53 − 1). Why
 * varints: most counters are small, and the whole snapshot crosses the console line on every
 * poll — a busy backend takes ~32 bytes instead of 55 fixed-width (lastChange alone is 6), so a
 * 1,000-backend snapshot reads in ~2.8 s instead of ~4.8 s at 115200 baud. Addresses travel as binary endpoints and come back in their
 * canonical spelling; the encoder refuses a non-canonical one rather than change it in transit.
 */

import { formatEndpoint, parseEndpoint } from './rules/endpoint.js';
import type { EndpointText, Protocol } from './rules/model.js';
import { BytesError, ByteReader, ByteWriter } from './bytes/index.js';

/** A backend's operational state: up/down from health checks, drain/disabled from the rule table. */
export type BackendOperState = 'up' | 'down' | 'drain' | 'disabled';

export interface BackendCounters {
  address: string;
  state: BackendOperState;
  weight: number;
  backup: boolean;
  connsTotal: bigint;
  connsActive: number;
  bytesIn: bigint;
  bytesOut: bigint;
  connectFailures: bigint;
  /** Wall-clock ms of the last operational state change. */
  lastChange: number;
}

export interface ServiceCounters {
  name: string;
  listen: string;
  protocol: Protocol;
  connsTotal: bigint;
  connsActive: number;
  bytesIn: bigint;
  bytesOut: bigint;
  /** Flows refused: no backend and no fallback, or every try failed. */
  failures: bigint;
  fallbackConns: bigint;
  backends: BackendCounters[];
}

/**
 * A network interface's octet counters as IF-MIB gives them: ifInOctets/ifOutOctets (Counter32,
 * they wrap) and ifHCInOctets/ifHCOutOctets (Counter64). Read over SNMP only; the console's
 * counters encoding does not carry them.
 */
export interface InterfaceCounters {
  name: string;
  inOctets32: number;
  outOctets32: number;
  /** null when the agent has no ifXTable (an SNMPv1-era box). */
  hcInOctets: bigint | null;
  hcOutOctets: bigint | null;
}

export interface CountersSnapshot {
  services: ServiceCounters[];
  /** Network interfaces, when the transport reports them (SNMP). */
  interfaces?: InterfaceCounters[];
}

export const COUNTERS_FORMAT = 1;

/** Bytes that are not a counters encoding. `offset` is where the decoder found out. */
export class CountersError extends BytesError {
  override readonly name = 'CountersError';
}

const PROTOCOL: Readonly<Record<Protocol, number>> = { tcp: 0, udp: 1 };
const STATE: Readonly<Record<BackendOperState, number>> = { up: 0, down: 1, drain: 2, disabled: 3 };

function writeEndpoint(out: ByteWriter, text: EndpointText, what: string): void {
  const endpoint = parseEndpoint(text);
  if (formatEndpoint(endpoint) !== text) throw new TypeError(`${what} "${text}" is not in canonical form (${formatEndpoint(endpoint)})`);
  out.u8(endpoint.family);
  out.bytes(endpoint.bytes);
  out.u16(endpoint.port);
}

function readEndpoint(input: ByteReader, what: string): EndpointText {
  const at = input.offset;
  const family = input.u8(`${what} family`);
  if (family !== 4 && family !== 6) throw input.error(`${what}: unknown address family ${family}`, at);
  const bytes = input.bytes(family === 4 ? 4 : 16, `${what} address`);
  const portAt = input.offset;
  const port = input.u16(`${what} port`);
  if (port === 0) throw input.error(`${what}: port 0`, portAt);
  return formatEndpoint({ family, bytes, port });
}

function varint32(out: ByteWriter, value: number, what: string): void {
  if (value > 0xffff_ffff) throw new RangeError(`${what} ${value} does not fit 32 bits`);
  out.varint(value, what);
}

/** Wall-clock ms travel whole: a fraction (a simulated clock may have one) is dropped. */
const wholeMs = (ms: number): number => (Number.isFinite(ms) ? Math.floor(ms) : ms);

/**
 * The encoding of `snapshot`. Throws RangeError/TypeError on a value the format cannot carry
 * (a negative counter, a weight above 65535, a non-canonical address): a bug upstream.
 */
export function encodeCounters(snapshot: CountersSnapshot): Uint8Array {
  const out = new ByteWriter(1024);
  out.u8(COUNTERS_FORMAT);
  out.varint(snapshot.services.length);
  for (const s of snapshot.services) {
    out.str8(s.name, 'service name');
    writeEndpoint(out, s.listen, 'service listen');
    out.u8(PROTOCOL[s.protocol], 'service protocol');
    out.varint64(s.connsTotal, 'service connsTotal');
    varint32(out, s.connsActive, 'service connsActive');
    out.varint64(s.bytesIn, 'service bytesIn');
    out.varint64(s.bytesOut, 'service bytesOut');
    out.varint64(s.failures, 'service failures');
    out.varint64(s.fallbackConns, 'service fallbackConns');
    out.varint(s.backends.length);
    for (const b of s.backends) {
      writeEndpoint(out, b.address, 'backend address');
      out.u8(STATE[b.state], 'backend state');
      out.u16(b.weight, 'backend weight');
      out.bool(b.backup);
      out.varint64(b.connsTotal, 'backend connsTotal');
      varint32(out, b.connsActive, 'backend connsActive');
      out.varint64(b.bytesIn, 'backend bytesIn');
      out.varint64(b.bytesOut, 'backend bytesOut');
      out.varint64(b.connectFailures, 'backend connectFailures');
      out.varint(wholeMs(b.lastChange), 'backend lastChange');
    }
  }
  return out.finish();
}

/** The snapshot encoded in `bytes`; throws CountersError unless they are exactly an encoding. */
export function decodeCounters(bytes: Uint8Array): CountersSnapshot {
  const input = new ByteReader(bytes, (message, offset) => new CountersError(message, offset));
  const formatAt = input.offset;
  const format = input.u8('format');
  if (format !== COUNTERS_FORMAT) throw input.error(`unsupported counters format ${format}`, formatAt);
  const services: ServiceCounters[] = [];
  // Counts come from the wire: each entry takes several bytes, so a huge count fails on
  // truncation long before it could make the loop or the arrays expensive.
  const serviceCount = input.varint('service count');
  for (let i = 0; i < serviceCount; i++) {
    const name = input.str8('service name');
    const listen = readEndpoint(input, 'service listen');
    const protocol = input.code(PROTOCOL, 'service protocol');
    const connsTotal = input.varint64('service connsTotal');
    const connsActive = input.varint32('service connsActive');
    const bytesIn = input.varint64('service bytesIn');
    const bytesOut = input.varint64('service bytesOut');
    const failures = input.varint64('service failures');
    const fallbackConns = input.varint64('service fallbackConns');
    const backendCount = input.varint('backend count');
    const backends: BackendCounters[] = [];
    for (let j = 0; j < backendCount; j++) {
      backends.push({
        address: readEndpoint(input, 'backend address'),
        state: input.code(STATE, 'backend state'),
        weight: input.u16('backend weight'),
        backup: input.bool('backend backup'),
        connsTotal: input.varint64('backend connsTotal'),
        connsActive: input.varint32('backend connsActive'),
        bytesIn: input.varint64('backend bytesIn'),
        bytesOut: input.varint64('backend bytesOut'),
        connectFailures: input.varint64('backend connectFailures'),
        lastChange: input.varint('backend lastChange'),
      });
    }
    services.push({ name, listen, protocol, connsTotal, connsActive, bytesIn, bytesOut, failures, fallbackConns, backends });
  }
  input.end();
  return { services };
}
