/**
 * The SNMP session's guards against a misbehaving agent (drivers/snmp/session.ts) and what the
 * SNMP driver makes of the varbinds (drivers/snmp/snmp-driver.ts), against a scripted net-snmp
 * Session injected through SessionOptions.createSession: no socket. The scripted agent answers
 * GETBULK, GET and SET from a sorted MIB the way net-snmp hands results over (repeaters as one
 * array per requested OID, Counter64 as the raw bytes of the integer), unless a test scripts a
 * misbehaving answer.
 */
import type snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { SetError, SnmpSession, compareOids, type SessionOptions } from '../../../../drivers/snmp/session.js';
import { SnmpDriver } from '../../../../drivers/snmp/snmp-driver.js';
import { formatOid, FulcrumMib as M, IfMib, SmiType, sysUpTime } from '../../../../src/protocol/mib/index.js';

const END_OF_MIB_VIEW = 130;
const NO_SUCH_INSTANCE = 129;
const o = (x: readonly number[]) => formatOid(x);

interface Raw {
  oid: string;
  type: number;
  value: unknown;
}

type Callback = (err: Error | null, varbinds?: unknown[]) => void;
type BulkAnswer = { error: Error } | { varbinds: unknown[] };

/** net-snmp's error for an agent's error-status (its message is the status name, then the OID). */
function requestFailed(status: number, name: string, oid: string): Error {
  return Object.assign(new Error(`${name}: ${oid}`), { name: 'RequestFailedError', status });
}

/** A net-snmp Session stand-in: the calls the driver makes, answered from `mib` or a script. */
class ScriptedAgent {
  readonly calls: { op: string; oids: string[]; nonRepeaters?: number; maxRepetitions?: number }[] = [];
  closed = 0;
  /** Overrides GETBULK: called with the request and how many GETBULKs came before it. */
  bulk: ((oids: string[], nonRepeaters: number, maxRepetitions: number, n: number) => BulkAnswer | null) | null = null;
  setError: Error | null = null;
  readonly sets: Raw[][] = [];
  private readonly mib: Raw[];

  constructor(mib: Raw[]) {
    this.mib = [...mib].sort((a, b) => compareOids(a.oid, b.oid));
  }

  as(): snmp.Session {
    return this as unknown as snmp.Session;
  }

  options(extra: SessionOptions = {}): SessionOptions {
    return { ...extra, createSession: () => this.as() };
  }

  on(): this {
    return this;
  }

  close(): this {
    this.closed++;
    return this;
  }

  get(oids: string[], cb: Callback): this {
    this.calls.push({ op: 'get', oids });
    const out = oids.map((oid) => this.mib.find((v) => v.oid === oid) ?? { oid, type: NO_SUCH_INSTANCE, value: null });
    queueMicrotask(() => cb(null, out));
    return this;
  }

  set(varbinds: Raw[], cb: Callback): this {
    this.calls.push({ op: 'set', oids: varbinds.map((v) => v.oid) });
    this.sets.push(varbinds);
    queueMicrotask(() => cb(this.setError, varbinds));
    return this;
  }

  getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: Callback): this {
    const n = this.calls.filter((c) => c.op === 'getBulk').length;
    this.calls.push({ op: 'getBulk', oids, nonRepeaters, maxRepetitions });
    const scripted = this.bulk?.(oids, nonRepeaters, maxRepetitions, n) ?? null;
    const answer = scripted ?? { varbinds: this.answerBulk(oids, nonRepeaters, maxRepetitions) };
    queueMicrotask(() => ('error' in answer ? cb(answer.error) : cb(null, answer.varbinds)));
    return this;
  }

  /** RFC 3416 GETBULK over the MIB, shaped as net-snmp returns it. */
  private answerBulk(oids: string[], nonRepeaters: number, maxRepetitions: number): unknown[] {
    const next = (oid: string): Raw => this.mib.find((v) => compareOids(v.oid, oid) > 0) ?? { oid, type: END_OF_MIB_VIEW, value: null };
    const out: unknown[] = oids.slice(0, nonRepeaters).map(next);
    for (const start of oids.slice(nonRepeaters)) {
      const column: Raw[] = [];
      let at = start;
      for (let i = 0; i < maxRepetitions; i++) {
        const vb = next(at);
        column.push(vb);
        at = vb.oid;
      }
      out.push(column);
    }
    return out;
  }
}

const ROOT = '1.3.6.1.4.1.99999.1';
const int = (oid: string, value: number): Raw => ({ oid, type: SmiType.Integer, value });
const c64 = (oid: string, bytes: number[]): Raw => ({ oid, type: SmiType.Counter64, value: Buffer.from(bytes) });
const str = (oid: string, value: string): Raw => ({ oid, type: SmiType.OctetString, value: Buffer.from(value) });
const gauge = (oid: string, value: number): Raw => ({ oid, type: SmiType.Gauge32, value });
const ticks = (oid: string, value: number): Raw => ({ oid, type: SmiType.TimeTicks, value });

/** Ten rows under ROOT, then OIDs that only look like they belong (ROOT0…, a sibling) or do not. */
const TEN = Array.from({ length: 10 }, (_, i) => int(`${ROOT}.${i + 1}`, i * 10));
const NEIGHBOURS = [int('1.3.6.1.4.1.99999.10.1', -1), int('1.3.6.1.4.1.99999.2.1', -2), int('1.3.6.1.4.1.100000.1', -3)];

function session(agent: ScriptedAgent, options: SessionOptions = {}): SnmpSession {
  return new SnmpSession({ host: '192.0.2.1', port: 161 }, { version: '2c', community: 'public' }, agent.options(options));
}

// The walk's guards: subtree end, endOfMibView, non-increasing OIDs, tooBig back-off, error mapping.
describe('walk: GETBULK steps through a subtree and nothing else', () => {
  it('asks from the last OID seen, returns the subtree in order, and stops at the first OID outside it (ROOT.10 is not under ROOT.1)', async () => {
    const agent = new ScriptedAgent([...TEN, ...NEIGHBOURS]);
    const walked = await session(agent, { maxRepetitions: 4 }).walk(ROOT);
    expect(walked.map((v) => v.oid)).toEqual(TEN.map((v) => v.oid));
    expect(walked.map((v) => v.value)).toEqual(TEN.map((v) => v.value));
    const bulks = agent.calls.filter((c) => c.op === 'getBulk');
    expect(bulks.map((c) => c.oids[0])).toEqual([ROOT, `${ROOT}.4`, `${ROOT}.8`]);
    expect(bulks.every((c) => c.nonRepeaters === 0 && c.maxRepetitions === 4)).toBe(true);
  });

  it('stops at endOfMibView, keeping what came before it, and asks no further', async () => {
    const agent = new ScriptedAgent(TEN.slice(0, 3));
    const walked = await session(agent, { maxRepetitions: 10 }).walk(ROOT);
    expect(walked.map((v) => v.oid)).toEqual(TEN.slice(0, 3).map((v) => v.oid));
    expect(agent.calls.filter((c) => c.op === 'getBulk')).toHaveLength(1);
  });

  it('an empty subtree, an endOfMibView first, or an empty answer: no rows, one request', async () => {
    for (const mib of [[], NEIGHBOURS]) {
      const agent = new ScriptedAgent(mib);
      expect(await session(agent).walk(ROOT)).toEqual([]);
      expect(agent.calls).toHaveLength(1);
    }
    const silent = new ScriptedAgent(TEN);
    silent.bulk = () => ({ varbinds: [[]] });
    expect(await session(silent).walk(ROOT)).toEqual([]);
    expect(silent.calls).toHaveLength(1);
  });

  it('refuses an agent that answers with the OID it was asked from, instead of looping on it', async () => {
    const agent = new ScriptedAgent(TEN);
    agent.bulk = (_o, _n, _m, n) => ({ varbinds: [n === 0 ? [int(`${ROOT}.1`, 1), int(`${ROOT}.2`, 2)] : [int(`${ROOT}.2`, 2), int(`${ROOT}.3`, 3)]] });
    const walk = session(agent, { maxRepetitions: 2 }).walk(ROOT);
    await expect(walk).rejects.toBeInstanceOf(DriverError);
    await expect(walk).rejects.toMatchObject({ code: 'refused', message: `the agent returned ${ROOT}.2 after ${ROOT}.2: OIDs must increase` });
    expect(agent.calls).toHaveLength(2);
  });

  it('refuses OIDs that go backwards inside one answer, comparing arcs as numbers (…9 < …10)', async () => {
    const backwards = new ScriptedAgent(TEN);
    backwards.bulk = () => ({ varbinds: [[int(`${ROOT}.10`, 1), int(`${ROOT}.9`, 2)]] });
    await expect(session(backwards).walk(ROOT)).rejects.toMatchObject({
      code: 'refused',
      message: `the agent returned ${ROOT}.9 after ${ROOT}.10: OIDs must increase`,
    });

    // In text order "10" sorts before "9": a string comparison would refuse this good walk.
    const numeric = new ScriptedAgent([int(`${ROOT}.9`, 9), int(`${ROOT}.10`, 10), int(`${ROOT}.10.1`, 11)]);
    expect((await session(numeric).walk(ROOT)).map((v) => v.oid)).toEqual([`${ROOT}.9`, `${ROOT}.10`, `${ROOT}.10.1`]);
  });

  it('halves max-repetitions on tooBig, keeps the smaller value for later walks, and gives up at 1', async () => {
    const agent = new ScriptedAgent(TEN);
    agent.bulk = (oids, _n, max) => (max > 12 ? { error: requestFailed(1, 'TooBig', oids[0]!) } : null);
    const s = session(agent, { maxRepetitions: 50 });
    expect(await s.walk(ROOT)).toHaveLength(10);
    expect(agent.calls.map((c) => c.maxRepetitions)).toEqual([50, 25, 12]);
    agent.calls.length = 0;
    await s.walk(ROOT);
    expect(agent.calls.map((c) => c.maxRepetitions)).toEqual([12]);

    const never = new ScriptedAgent(TEN);
    never.bulk = (oids) => ({ error: requestFailed(1, 'TooBig', oids[0]!) });
    await expect(session(never, { maxRepetitions: 8 }).walk(ROOT)).rejects.toMatchObject({
      name: 'DriverError',
      code: 'refused',
      message: expect.stringContaining('TooBig'),
    });
    expect(never.calls.map((c) => c.maxRepetitions)).toEqual([8, 4, 2, 1]);
  });

  it('a timeout is unreachable with a hint; any other failure is refused with its message', async () => {
    const timeout = new ScriptedAgent(TEN);
    timeout.bulk = () => ({ error: Object.assign(new Error('Request timed out'), { name: 'RequestTimedOutError' }) });
    await expect(session(timeout).walk(ROOT)).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringMatching(/^no SNMP answer \(.*timed out.*\); check the address, community or v3 keys$/),
    });
    const noAccess = new ScriptedAgent(TEN);
    noAccess.bulk = (oids) => ({ error: requestFailed(6, 'NoAccess', oids[0]!) });
    await expect(session(noAccess).walk(ROOT)).rejects.toMatchObject({ code: 'refused', message: expect.stringContaining('NoAccess') });
  });
});

// How net-snmp values are turned into the driver's: Counter64 bytes to exact bigints, buffers to bytes, the rest to null.
describe('varbind values: Counter64 as exact bigints, bytes as bytes, anything else as null', () => {
  it('turns Counter64 bytes into BigInt exactly, beyond 2^53, with or without the BER sign byte', async () => {
    const agent = new ScriptedAgent([
      c64(`${ROOT}.1`, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      c64(`${ROOT}.2`, [0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]),
      c64(`${ROOT}.3`, [0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]),
      c64(`${ROOT}.4`, [0x01, 0x00]),
      c64(`${ROOT}.5`, []),
      { oid: `${ROOT}.6`, type: SmiType.Counter64, value: 42 },
    ]);
    const values = (await session(agent).walk(ROOT)).map((v) => v.value);
    expect(values).toEqual([2n ** 64n - 1n, 2n ** 63n + 1n, 2n ** 53n + 1n, 256n, 0n, 42n]);
    expect(values.every((v) => typeof v === 'bigint')).toBe(true);
  });

  it('octet strings become Uint8Array copies; integers and gauges stay numbers; a value of no known shape becomes null', async () => {
    const buffer = Buffer.from('web');
    const agent = new ScriptedAgent([
      { oid: `${ROOT}.1`, type: SmiType.OctetString, value: buffer },
      gauge(`${ROOT}.2`, 4_294_967_295),
      int(`${ROOT}.3`, -5),
      { oid: `${ROOT}.4`, type: SmiType.ObjectIdentifier, value: '1.3.6.1' },
      { oid: `${ROOT}.5`, type: SmiType.Integer, value: { weird: true } },
      { oid: `${ROOT}.6`, type: 5 /* Null */, value: null },
      { oid: `${ROOT}.7`, type: SmiType.Integer, value: true },
    ]);
    const got = await session(agent).walk(ROOT);
    expect(got[0]!.value).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(got[0]!.value)).toBe(false);
    expect(got[0]!.value).toEqual(new Uint8Array([0x77, 0x65, 0x62]));
    buffer[0] = 0;
    expect((got[0]!.value as Uint8Array)[0]).toBe(0x77);
    expect(got.slice(1).map((v) => v.value)).toEqual([4_294_967_295, -5, '1.3.6.1', null, null, null]);
    expect(got.map((v) => v.type)).toEqual([4, 66, 2, 6, 2, 5, 2]);
  });

  it('get returns a varbind per OID in order, a missing instance as null with its type; getBulk drops end-of-MIB markers', async () => {
    const agent = new ScriptedAgent(TEN.slice(0, 2));
    const got = await session(agent).get([`${ROOT}.2`, `${ROOT}.77`, `${ROOT}.1`]);
    expect(got).toEqual([
      { oid: `${ROOT}.2`, type: SmiType.Integer, value: 10 },
      { oid: `${ROOT}.77`, type: NO_SUCH_INSTANCE, value: null },
      { oid: `${ROOT}.1`, type: SmiType.Integer, value: 0 },
    ]);
    const bulk = await session(agent).getBulk([ROOT, ROOT], 1, 5);
    expect(bulk.map((v) => v.oid)).toEqual([`${ROOT}.1`, `${ROOT}.1`, `${ROOT}.2`]);
  });
});

// SET outcomes: success, an error-status with the varbind's position, an oversize request, no answer.
describe('set: the agent refusal is a SetError naming the varbind; no answer is unreachable', () => {
  const vbs = [
    { oid: `${ROOT}.1`, type: SmiType.Integer, value: 1 },
    { oid: `${ROOT}.2`, type: SmiType.OctetString, value: new Uint8Array([1, 2]) },
  ];

  it('sends bytes as Buffers and resolves when the agent takes them', async () => {
    const agent = new ScriptedAgent([]);
    await session(agent).set(vbs);
    expect(agent.sets[0]!.map((v) => [v.oid, v.type, Buffer.isBuffer(v.value)])).toEqual([
      [`${ROOT}.1`, 2, false],
      [`${ROOT}.2`, 4, true],
    ]);
  });

  it('an error-status names the status and the position of the varbind the agent named', async () => {
    const agent = new ScriptedAgent([]);
    agent.setError = requestFailed(12, 'InconsistentValue', `${ROOT}.2`);
    const err: unknown = await session(agent)
      .set(vbs)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SetError);
    expect(err).toMatchObject({ status: 12, index: 1, tooBig: false });
  });

  it('a request too large for a datagram is a tooBig SetError (-1: no varbind); a timeout is unreachable', async () => {
    const agent = new ScriptedAgent([]);
    agent.setError = new Error('send EMSGSIZE 192.0.2.1:161');
    expect(
      await session(agent)
        .set(vbs)
        .catch((e: unknown) => e),
    ).toMatchObject({ name: 'SetError', status: 1, index: -1, tooBig: true });
    agent.setError = Object.assign(new Error('Request timed out'), { name: 'RequestTimedOutError' });
    expect(
      await session(agent)
        .set(vbs)
        .catch((e: unknown) => e),
    ).toMatchObject({ name: 'DriverError', code: 'unreachable' });
  });

  it('close() closes the net-snmp session once however often it is called', () => {
    const agent = new ScriptedAgent([]);
    const s = session(agent);
    s.close();
    s.close();
    expect(agent.closed).toBe(1);
  });
});

// End to end through SnmpDriver: bigints in the poll, wrong types and malformed rows tolerated, broken answers refused.
describe('the SNMP driver over a scripted agent: what a poll and info make of the varbinds', () => {
  const S = M.ServiceColumn;
  const B = M.BackendColumn;
  const svc = (column: number, ...index: number[]) => o(M.columnInstance(M.fulcrumServiceEntry, column, ...index));
  const be = (column: number, ...index: number[]) => o(M.columnInstance(M.fulcrumBackendEntry, column, ...index));
  const BIG = [0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07]; // 2^63 + 7

  function appliance(extra: Raw[] = []): Raw[] {
    return [
      ticks(`${o(sysUpTime)}.0`, 123_456),
      str(`${o(M.fulcrumModel)}.0`, 'FL-1000'),
      str(`${o(M.fulcrumSerialNumber)}.0`, 'FL0000000001'),
      str(`${o(M.fulcrumFirmwareVersion)}.0`, '1.2.3'),
      { oid: `${o(M.fulcrumConfigId)}.0`, type: SmiType.OctetString, value: Buffer.alloc(32, 0xab) },
      gauge(`${o(M.fulcrumPendingConfirm)}.0`, 0),
      str(`${o(IfMib.ifName)}.1`, 'eth0'),
      { oid: `${o(IfMib.ifInOctets)}.1`, type: SmiType.Counter32, value: 4_000_000_000 },
      { oid: `${o(IfMib.ifOutOctets)}.1`, type: SmiType.Counter32, value: 5 },
      c64(`${o(IfMib.ifHCInOctets)}.1`, BIG),
      c64(`${o(IfMib.ifHCOutOctets)}.1`, [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
      str(svc(S.name, 1), 'web'),
      str(svc(S.listen, 1), '10.0.0.1:80'),
      int(svc(S.protocol, 1), M.ProtocolCode.udp),
      c64(svc(S.connsTotal, 1), BIG),
      gauge(svc(S.connsActive, 1), 3),
      c64(svc(S.bytesIn, 1), [0x10, 0x00]),
      c64(svc(S.bytesOut, 1), [0x20, 0x00]),
      c64(svc(S.failures, 1), [0x01]),
      c64(svc(S.fallbackConns, 1), []),
      str(be(B.address, 1, 1), '10.0.0.2:8080'),
      int(be(B.state, 1, 1), M.BackendStateCode.up),
      gauge(be(B.weight, 1, 1), 7),
      int(be(B.backup, 1, 1), 2),
      c64(be(B.connsTotal, 1, 1), BIG),
      gauge(be(B.connsActive, 1, 1), 1),
      c64(be(B.bytesIn, 1, 1), [0x05]),
      c64(be(B.bytesOut, 1, 1), [0x06]),
      c64(be(B.connectFailures, 1, 1), [0x00]),
      ticks(be(B.lastChange, 1, 1), 123_456),
      ...extra,
    ];
  }

  const connect = (agent: ScriptedAgent) => SnmpDriver.connect('snmp://192.0.2.1', { version: '2c', community: 'public' }, agent.options());

  it('reads Counter64 columns as exact bigints and groups rows by their index', async () => {
    const agent = new ScriptedAgent(appliance());
    const poll = await connect(agent).poll();
    expect(poll.sysUpTime).toBe(123_456);
    const [service] = poll.snapshot.services;
    expect(service).toMatchObject({
      name: 'web',
      listen: '10.0.0.1:80',
      protocol: 'udp',
      connsTotal: 2n ** 63n + 7n,
      connsActive: 3,
      bytesIn: 4096n,
      bytesOut: 8192n,
      failures: 1n,
      fallbackConns: 0n,
    });
    expect(service!.backends).toHaveLength(1);
    expect(service!.backends[0]).toMatchObject({
      address: '10.0.0.2:8080',
      state: 'up',
      weight: 7,
      backup: false,
      connsTotal: 2n ** 63n + 7n,
      bytesIn: 5n,
      bytesOut: 6n,
      connectFailures: 0n,
    });
    expect(poll.snapshot.interfaces).toEqual([{ name: 'eth0', inOctets32: 4_000_000_000, outOctets32: 5, hcInOctets: 2n ** 63n + 7n, hcOutOctets: 2n ** 56n }]);
  });

  it('a varbind of the wrong type does not break the poll: a counter that is not a number reads 0, text that is a number reads as digits', async () => {
    const mib = appliance().map((v) =>
      v.oid === svc(S.bytesIn, 1) ? str(v.oid, 'lots') : v.oid === svc(S.name, 1) ? int(v.oid, 5) : v.oid === be(B.state, 1, 1) ? int(v.oid, 99) : v,
    );
    const poll = await connect(new ScriptedAgent(mib)).poll();
    expect(poll.snapshot.services[0]).toMatchObject({ name: '5', bytesIn: 0n, bytesOut: 8192n });
    // An unknown state code reads as down, not as a crash.
    expect(poll.snapshot.services[0]!.backends[0]!.state).toBe('down');
  });

  it('rows whose index has the wrong number of arcs are skipped, not misfiled', async () => {
    const poll = await connect(new ScriptedAgent(appliance([str(svc(S.name, 2, 9), 'bogus'), str(be(B.address, 3), 'bogus')]))).poll();
    expect(poll.snapshot.services.map((s) => s.name)).toEqual(['web']);
    expect(poll.snapshot.services[0]!.backends.map((b) => b.address)).toEqual(['10.0.0.2:8080']);
  });

  it('refuses a poll whose GETBULK does not start with sysUpTime.0, naming what came instead', async () => {
    const agent = new ScriptedAgent(appliance());
    agent.bulk = (oids, nonRepeaters) => (nonRepeaters === 1 ? { varbinds: [int(`${o(sysUpTime)}.7`, 1)] } : null);
    await expect(connect(agent).poll()).rejects.toMatchObject({ code: 'refused', message: `the agent did not return sysUpTime.0 (got ${o(sysUpTime)}.7)` });
  });

  it('a table walk that loops fails the poll instead of hanging it', async () => {
    const agent = new ScriptedAgent(appliance());
    const table = o(M.fulcrumBackendTable);
    agent.bulk = (oids) => (oids[0]!.startsWith(table) ? { varbinds: [[str(be(B.address, 1, 1), 'x'), str(be(B.address, 1, 1), 'x')]] } : null);
    await expect(connect(agent).poll()).rejects.toMatchObject({ code: 'refused', message: expect.stringContaining('OIDs must increase') });
  });

  it('info: identity from the system scalars; a missing instance reads empty, not as a crash', async () => {
    const agent = new ScriptedAgent(appliance());
    expect(await connect(agent).info()).toEqual({
      model: 'FL-1000',
      serialNumber: 'FL0000000001',
      firmware: '1.2.3',
      configId: 'ab'.repeat(32),
      uptimeSeconds: 1234,
      pendingConfirm: null,
    });
    const bare = new ScriptedAgent([ticks(`${o(sysUpTime)}.0`, 500), gauge(`${o(M.fulcrumPendingConfirm)}.0`, 30)]);
    expect(await connect(bare).info()).toEqual({ model: '', serialNumber: '', firmware: '', configId: '', uptimeSeconds: 5, pendingConfirm: 30 });
  });
});
