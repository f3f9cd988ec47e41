/**
 * Canonical binary encoding of a RuleTable ("FRUL", format version 1).
 *
 * One table has exactly one encoding and one encoding has exactly one table, so the SHA-256 of
 * the bytes is the config id. The decoder therefore rejects every input the encoder would not have
 * produced: unknown versions, enum codes or flag bits, truncation, trailing bytes, unsorted or
 * duplicate entries, and values outside the bounds in limits.ts.
 *
 * All integers are unsigned big-endian. Text fields are ASCII (their alphabets are restricted).
 *
 *   table      := magic "FRUL" (46 52 55 4C)  u8 version = 1
 *                 u16 service count  service*            -- strictly ascending by name bytes
 *   service    := u8 name length (1..63)  name bytes
 *                 endpoint listen
 *                 u8 protocol            0 tcp, 1 udp
 *                 u8 algorithm           0 round-robin, 1 weighted-round-robin, 2 least-connections,
 *                                        3 weighted-least-connections, 4 two-choices,
 *                                        5 least-response-time, 6 maglev
 *                 [maglev only]  u8 hash key (0 source-ip, 1 5-tuple)  u32 table size (prime)
 *                 u8 presence flags      bit 0 persistence, bit 1 health, bit 2 fallback;
 *                                        bits 3..7 must be 0
 *                 [persistence]  u8 type (0 source-ip)  u32 timeout ms
 *                 [health]       u8 type (0 tcp, 1 http)  u32 interval ms  u32 timeout ms
 *                                u8 rise  u8 fall
 *                                [http only]  u16 path length  path bytes
 *                                             u16 lowest healthy status  u16 highest healthy status
 *                 [fallback]     endpoint
 *                 u32 idle timeout ms
 *                 u16 backend count (>= 1)  backend*     -- strictly ascending by endpoint order
 *   backend    := endpoint address  u16 weight  u32 max connections (0 = unlimited)
 *                 u8 state (0 enabled, 1 drain, 2 disabled)  u8 backup (0 or 1)
 *   endpoint   := u8 family (4 or 6)  4 or 16 address bytes  u16 port (1..65535)
 *
 * Endpoint order: family, then address bytes, then port. Fields a service does not use (maglev
 * settings for other algorithms, path and status for tcp checks) are not encoded; the decoder
 * fills in the canonical defaults. A version byte other than 1 is refused, not guessed at.
 */

import { ByteReader, BytesError, ByteWriter } from '../bytes/index.js';
import { formatEndpoint, parseEndpoint } from './endpoint.js';
import { formatPath, type PathSegment } from './problems.js';
import { canonicalProblems } from './invariants.js';
import {
  DEFAULTS,
  type Algorithm,
  type Backend,
  type BackendState,
  type HashKey,
  type HealthCheck,
  type HealthType,
  type Persistence,
  type Protocol,
  type RuleTable,
  type Service,
} from './model.js';

export const RULES_MAGIC = Uint8Array.of(0x46, 0x52, 0x55, 0x4c);
export const RULES_FORMAT_VERSION = 1;

/** Bytes that are not a canonical rule table. `offset` is where the decoder found out. */
export class CodecError extends BytesError {
  override readonly name = 'CodecError';
}

/** Wire codes are spelled out rather than taken from array positions in model.ts, so reordering those lists cannot change the format. */
function codes<T extends string>(table: Record<T, number>) {
  const names = new Map<number, T>(Object.entries<number>(table).map(([name, code]) => [code, name as T]));
  return { encode: (name: T): number => table[name], decode: (code: number): T | undefined => names.get(code) };
}

const PROTOCOL = codes<Protocol>({ tcp: 0, udp: 1 });
const ALGORITHM = codes<Algorithm>({
  'round-robin': 0,
  'weighted-round-robin': 1,
  'least-connections': 2,
  'weighted-least-connections': 3,
  'two-choices': 4,
  'least-response-time': 5,
  maglev: 6,
});
const HASH_KEY = codes<HashKey>({ 'source-ip': 0, '5-tuple': 1 });
const PERSISTENCE = codes<Persistence['type']>({ 'source-ip': 0 });
const HEALTH = codes<HealthType>({ tcp: 0, http: 1 });
const STATE = codes<BackendState>({ enabled: 0, drain: 1, disabled: 2 });

const HAS_PERSISTENCE = 0b001;
const HAS_HEALTH = 0b010;
const HAS_FALLBACK = 0b100;

/** The rule table's endpoint: u8 family, the address bytes, u16 port. */
function writeEndpoint(out: ByteWriter, text: string): void {
  const endpoint = parseEndpoint(text);
  out.u8(endpoint.family);
  out.bytes(endpoint.bytes);
  out.u16(endpoint.port);
}

/**
 * The canonical bytes of `table`. Throws TypeError if the table is not valid and canonical
 * (run it through `canonicalize` first): encoding it anyway would give one meaning two ids.
 */
export function encodeRules(table: RuleTable): Uint8Array {
  const [problem] = canonicalProblems(table);
  if (problem !== undefined) {
    throw new TypeError(`encodeRules: not a canonical rule table: ${formatPath(problem.path)}: ${problem.message}`);
  }
  const out = new ByteWriter(1024);
  out.bytes(RULES_MAGIC);
  out.u8(RULES_FORMAT_VERSION);
  out.u16(table.services.length);
  for (const service of table.services) writeService(out, service);
  return out.finish();
}

function writeService(out: ByteWriter, service: Service): void {
  out.u8(service.name.length);
  out.ascii(service.name);
  writeEndpoint(out, service.listen);
  out.u8(PROTOCOL.encode(service.protocol));
  out.u8(ALGORITHM.encode(service.algorithm));
  if (service.algorithm === 'maglev') {
    out.u8(HASH_KEY.encode(service.hashKey));
    out.u32(service.maglevTableSize);
  }
  const { persistence, health, fallback } = service;
  out.u8((persistence ? HAS_PERSISTENCE : 0) | (health ? HAS_HEALTH : 0) | (fallback !== null ? HAS_FALLBACK : 0));
  if (persistence) {
    out.u8(PERSISTENCE.encode(persistence.type));
    out.u32(persistence.timeoutMs);
  }
  if (health) writeHealth(out, health);
  if (fallback !== null) writeEndpoint(out, fallback);
  out.u32(service.idleTimeoutMs);
  out.u16(service.backends.length);
  for (const backend of service.backends) {
    writeEndpoint(out, backend.address);
    out.u16(backend.weight);
    out.u32(backend.maxConnections);
    out.u8(STATE.encode(backend.state));
    out.u8(backend.backup ? 1 : 0);
  }
}

function writeHealth(out: ByteWriter, health: HealthCheck): void {
  out.u8(HEALTH.encode(health.type));
  out.u32(health.intervalMs);
  out.u32(health.timeoutMs);
  out.u8(health.rise);
  out.u8(health.fall);
  if (health.type === 'http') {
    out.u16(health.path.length);
    out.ascii(health.path);
    out.u16(health.expectStatus[0]);
    out.u16(health.expectStatus[1]);
  }
}

const codecError = (message: string, offset: number): CodecError => new CodecError(message, offset);

/** The byte reader, plus where each field started so a problem found later points into the bytes. */
class RuleReader extends ByteReader {
  readonly marks = new Map<string, number>();

  /**
   * `tracking`: record field offsets. Off for the first decode of a valid table (most of the
   * cost of decoding a large table would be this bookkeeping); on for the second pass that only
   * runs to point at a problem.
   */
  constructor(
    bytes: Uint8Array,
    private readonly tracking = false,
  ) {
    super(bytes, codecError);
  }

  mark(path: string): void {
    if (this.tracking) this.marks.set(path, this.offset);
  }

  lookup<T>(table: { decode(code: number): T | undefined }, what: string): T {
    const at = this.offset;
    const code = this.u8(what);
    const value = table.decode(code);
    if (value === undefined) throw new CodecError(`unknown ${what} code ${code}`, at);
    return value;
  }

  endpoint(what: string): string {
    const at = this.offset;
    const family = this.u8(`${what} family`);
    if (family !== 4 && family !== 6) throw new CodecError(`${what}: unknown address family ${family}`, at);
    const address = this.bytes(family === 4 ? 4 : 16, `${what} address`);
    const portAt = this.offset;
    const port = this.u16(`${what} port`);
    if (port === 0) throw new CodecError(`${what}: port 0`, portAt);
    return formatEndpoint({ family: family, bytes: address, port });
  }
}

/** The table encoded in `bytes`; throws CodecError unless they are exactly a canonical encoding. */
export function decodeRules(bytes: Uint8Array): RuleTable {
  return decodeWith(new RuleReader(bytes), bytes);
}

function decodeWith(input: RuleReader, bytes: Uint8Array, tracking = false): RuleTable {
  for (const expected of RULES_MAGIC) {
    const at = input.offset;
    if (input.u8('magic') !== expected) throw new CodecError('not a rule table (bad magic)', at);
  }
  const versionAt = input.offset;
  const version = input.u8('format version');
  if (version !== RULES_FORMAT_VERSION) throw new CodecError(`unsupported rule table format version ${version}`, versionAt);
  const count = input.u16('service count');
  const services: Service[] = [];
  for (let i = 0; i < count; i++) services.push(readService(input, `services[${i}]`));
  if (input.offset !== bytes.length) throw new CodecError(`${bytes.length - input.offset} trailing byte(s)`, input.offset);
  const table: RuleTable = { services };
  const [problem] = canonicalProblems(table);
  if (problem !== undefined) {
    // Decode again, recording offsets, to say where in the bytes the problem lies.
    if (!tracking) return decodeWith(new RuleReader(bytes, true), bytes, true);
    throw new CodecError(`${formatPath(problem.path)}: ${problem.message}`, offsetOf(input.marks, problem.path));
  }
  return table;
}

function offsetOf(marks: Map<string, number>, path: PathSegment[]): number {
  for (let length = path.length; length > 0; length--) {
    const offset = marks.get(formatPath(path.slice(0, length)));
    if (offset !== undefined) return offset;
  }
  return 0;
}

function readService(input: RuleReader, path: string): Service {
  input.mark(path);
  input.mark(`${path}.name`);
  const name = input.ascii(input.u8('name length'), 'name');
  input.mark(`${path}.listen`);
  const listen = input.endpoint('listen');
  const protocol = input.lookup(PROTOCOL, 'protocol');
  const algorithm = input.lookup(ALGORITHM, 'algorithm');
  let hashKey: HashKey = DEFAULTS.hashKey;
  let maglevTableSize: number = DEFAULTS.maglevTableSize;
  if (algorithm === 'maglev') {
    hashKey = input.lookup(HASH_KEY, 'hash key');
    input.mark(`${path}.maglevTableSize`);
    maglevTableSize = input.u32('maglev table size');
  }
  const flagsAt = input.offset;
  const flags = input.u8('presence flags');
  if ((flags & ~(HAS_PERSISTENCE | HAS_HEALTH | HAS_FALLBACK)) !== 0) {
    throw new CodecError(`reserved presence flag bits set (0x${flags.toString(16)})`, flagsAt);
  }
  let persistence: Persistence | null = null;
  if (flags & HAS_PERSISTENCE) {
    input.mark(`${path}.persistence`);
    const type = input.lookup(PERSISTENCE, 'persistence type');
    input.mark(`${path}.persistence.timeoutMs`);
    persistence = { type, timeoutMs: input.u32('persistence timeout') };
  }
  const health = flags & HAS_HEALTH ? readHealth(input, `${path}.health`) : null;
  input.mark(`${path}.fallback`);
  const fallback = flags & HAS_FALLBACK ? input.endpoint('fallback') : null;
  input.mark(`${path}.idleTimeoutMs`);
  const idleTimeoutMs = input.u32('idle timeout');
  input.mark(`${path}.backends`);
  const count = input.u16('backend count');
  const backends: Backend[] = [];
  for (let i = 0; i < count; i++) backends.push(readBackend(input, `${path}.backends[${i}]`));
  return { name, listen, protocol, algorithm, hashKey, maglevTableSize, persistence, health, fallback, idleTimeoutMs, backends };
}

function readHealth(input: RuleReader, path: string): HealthCheck {
  input.mark(path);
  const type = input.lookup(HEALTH, 'health check type');
  input.mark(`${path}.intervalMs`);
  const intervalMs = input.u32('health interval');
  input.mark(`${path}.timeoutMs`);
  const timeoutMs = input.u32('health timeout');
  input.mark(`${path}.rise`);
  const rise = input.u8('health rise');
  input.mark(`${path}.fall`);
  const fall = input.u8('health fall');
  if (type === 'tcp') return { type, intervalMs, timeoutMs, rise, fall, path: '', expectStatus: [0, 0] };
  input.mark(`${path}.path`);
  const probePath = input.ascii(input.u16('health path length'), 'health path');
  input.mark(`${path}.expectStatus`);
  const expectStatus: [number, number] = [input.u16('lowest healthy status'), input.u16('highest healthy status')];
  return { type, intervalMs, timeoutMs, rise, fall, path: probePath, expectStatus };
}

function readBackend(input: RuleReader, path: string): Backend {
  input.mark(path);
  input.mark(`${path}.address`);
  const address = input.endpoint('backend address');
  input.mark(`${path}.weight`);
  const weight = input.u16('weight');
  input.mark(`${path}.maxConnections`);
  const maxConnections = input.u32('max connections');
  const state = input.lookup(STATE, 'backend state');
  const backupAt = input.offset;
  const backup = input.u8('backup flag');
  if (backup > 1) throw new CodecError(`backup flag must be 0 or 1, not ${backup}`, backupAt);
  return { address, weight, maxConnections, backup: backup === 1, state };
}
