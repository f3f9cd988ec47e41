/**
 * The simulator's SNMP agent against Debian's Net-SNMP tools: an appliance carrying real HTTP
 * traffic, walked with snmpwalk over v2c and v3 authPriv with FULCRUM-MIB loaded, its answers
 * checked against the appliance's own counters; GETBULK sizes, weight writes, access refusals
 * and notifications to a real UDP receiver.
 */

import snmp from 'net-snmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpBackends, type HttpBackend } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import * as Mib from '../../src/protocol/mib/fulcrum-mib.js';
import { snmpTrapOID } from '../../src/protocol/mib/mib2.js';
import { formatOid, type Oid } from '../../src/protocol/mib/oid.js';
import { loadRules } from '../../src/rules/index.js';
import { MIB_ARGS, V3_ARGS, V3_USER, has, parseWalk, run } from '../support/debian-snmp.js';

/** net-snmp's receiver (typed `any` by @types/net-snmp): a real UDP trap sink. */
interface Receiver {
  close(cb?: () => void): void;
  getAuthorizer(): { addCommunity(community: string): void };
}

interface Trap {
  trapOid: string;
  varbinds: Map<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('SNMP agent of a simulated appliance (Debian Net-SNMP tools)', () => {
  let backends: HttpBackend[] = [];
  let sim: SimulatedAppliance;
  let at: string;
  let receiver: Receiver | null = null;
  const traps: Trap[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    backends = await startHttpBackends(3);
    const vip = await freePort();
    const trapPort = await freePort();
    receiver = snmp.createReceiver(
      { port: trapPort, address: '127.0.0.1', transport: 'udp4' },
      (err: Error | null, n?: { pdu: { varbinds: { oid: string; value: unknown }[] } }) => {
        if (err || !n) return;
        const vbs = new Map(n.pdu.varbinds.map((v) => [v.oid, v.value]));
        traps.push({ trapOid: String(vbs.get(formatOid([...snmpTrapOID, 0]))), varbinds: vbs });
      },
    ) as Receiver;
    receiver.getAuthorizer().addCommunity('public');
    const rules = loadRules(
      `services:
  - name: web
    listen: 127.0.0.1:${vip}
    health: { type: tcp, interval: 200ms, timeout: 150ms, rise: 1, fall: 1 }
    backends:
${backends.map((b) => `      - { address: ${b.address} }`).join('\n')}
`,
      'snmp.yaml',
    );
    sim = await SimulatedAppliance.start({
      name: 'edge-1',
      rules,
      snmp: {
        host: '127.0.0.1',
        port: 0,
        community: 'public',
        writeCommunity: 'private',
        v3User: { ...V3_USER, write: false },
        trapTo: { host: '127.0.0.1', port: trapPort },
        location: 'lab rack 4',
        onProblem: (m) => problems.push(m),
      },
    });
    at = sim.readyInfo().snmp!;
    const load = await httpLoad('127.0.0.1', vip, 60, 4);
    expect(load.failed).toBe(0);
    // Every flow closed, and the agent's snapshot (at most 1 s old) taken after that.
    await until('flows to close', () => sim.appliance.counters().services[0]!.connsActive === 0);
    await sleep(1_100);
  });

  afterAll(async () => {
    await sim?.stop();
    await Promise.all(backends.map((b) => b.kill()));
    receiver?.close();
  });

  it('the ready line gives the agent as HOST:PORT', () => {
    expect(at).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it.skipIf(!has('snmpwalk'))('snmpwalk -v2c names every object and reads the counters the appliance holds', async () => {
    const r = await run('snmpwalk', ['-v2c', '-c', 'public', ...MIB_ARGS, '-OtU', at, 'fulcrumMIB']);
    expect(r.code, r.stderr).toBe(0);
    const walk = parseWalk(r.stdout);
    const counters = sim.appliance.counters();
    const web = counters.services[0]!;
    expect(walk.get('fulcrumConfigId.0')).toEqual({ type: 'STRING', value: sim.appliance.configId });
    expect(walk.get('fulcrumModel.0')).toEqual({ type: 'STRING', value: 'FL-1000' });
    expect(walk.get('fulcrumSerialNumber.0')?.value).toBe(sim.appliance.identity.serialNumber);
    expect(walk.get('fulcrumBackendCount.0')).toEqual({ type: 'Gauge32', value: '3' });
    // A lone appliance: in no failover group, and it says so rather than answering noSuchObject.
    expect(walk.get('fulcrumFoState.0')).toEqual({ type: 'INTEGER', value: 'none(1)' });
    expect(walk.get('fulcrumFoUnit.0')).toEqual({ type: 'Gauge32', value: '0' });
    expect([...walk.keys()].filter((k) => k.startsWith('fulcrumFoPeer'))).toEqual([]);
    expect(walk.get('fulcrumServiceName.1')).toEqual({ type: 'STRING', value: 'web' });
    expect(walk.get('fulcrumServiceProtocol.1')).toEqual({ type: 'INTEGER', value: 'tcp(1)' });
    expect(walk.get('fulcrumServiceConnsTotal.1')).toEqual({ type: 'Counter64', value: '60' });
    expect(web.connsTotal).toBe(60n);
    expect(walk.get('fulcrumServiceBytesIn.1')).toEqual({ type: 'Counter64', value: String(web.bytesIn) });
    expect(walk.get('fulcrumServiceBytesOut.1')).toEqual({ type: 'Counter64', value: String(web.bytesOut) });
    expect(web.bytesOut).toBeGreaterThan(0n);
    web.backends.forEach((b, i) => {
      const row = `1.${i + 1}`;
      expect(walk.get(`fulcrumBackendAddress.${row}`)).toEqual({ type: 'STRING', value: b.address });
      expect(walk.get(`fulcrumBackendState.${row}`)).toEqual({ type: 'INTEGER', value: 'up(1)' });
      expect(walk.get(`fulcrumBackendWeight.${row}`)).toEqual({ type: 'Gauge32', value: '1' });
      expect(walk.get(`fulcrumBackendBackup.${row}`)).toEqual({ type: 'INTEGER', value: 'false(2)' });
      expect(walk.get(`fulcrumBackendConnsTotal.${row}`)).toEqual({ type: 'Counter64', value: '20' });
      expect(walk.get(`fulcrumBackendBytesIn.${row}`)).toEqual({ type: 'Counter64', value: String(b.bytesIn) });
      expect(walk.get(`fulcrumBackendBytesOut.${row}`)).toEqual({ type: 'Counter64', value: String(b.bytesOut) });
      expect(walk.get(`fulcrumBackendConnectFailures.${row}`)).toEqual({ type: 'Counter64', value: '0' });
      // -Ot prints TimeTicks as a bare number of hundredths.
      expect(walk.get(`fulcrumBackendLastChange.${row}`)?.value).toMatch(/^\d+$/);
    });
    // Only the read-back of configuration is served from fulcrumConfig; nothing is unnamed.
    expect(walk.get('fulcrumLastOperation.0')).toEqual({ type: 'INTEGER', value: 'none(1)' });
    expect([...walk.keys()].filter((k) => /^\d|^iso|^enterprises/.test(k))).toEqual([]);
  });

  it.skipIf(!has('snmpwalk'))('the MIB-II system group answers too', async () => {
    const r = await run('snmpwalk', ['-v2c', '-c', 'public', ...MIB_ARGS, '-OtU', at, 'system']);
    const walk = parseWalk(r.stdout);
    expect(walk.get('sysDescr.0')?.value).toContain('Fulcrum FL-1000');
    expect(walk.get('sysObjectID.0')).toEqual({ type: 'OID', value: 'FULCRUM-MIB::fulcrumFL1000' });
    expect(Number(walk.get('sysUpTime.0')?.value)).toBeGreaterThan(100);
    expect(walk.get('sysName.0')).toEqual({ type: 'STRING', value: 'edge-1' });
    expect(walk.get('sysLocation.0')).toEqual({ type: 'STRING', value: 'lab rack 4' });
    expect(walk.has('sysContact.0')).toBe(true);
  });

  it.skipIf(!has('snmpwalk'))("IF-MIB: the data interface with Counter32 octets and their Counter64 twins, equal to the services' bytes", async () => {
    const [table, x] = await Promise.all([
      run('snmpwalk', ['-v2c', '-c', 'public', ...MIB_ARGS, '-m', '+IF-MIB', '-OtU', at, 'ifTable']),
      run('snmpwalk', ['-v2c', '-c', 'public', ...MIB_ARGS, '-m', '+IF-MIB', '-OtU', at, 'ifXTable']),
    ]);
    const walk = new Map([...parseWalk(table.stdout), ...parseWalk(x.stdout)]);
    expect(walk.get('ifDescr.1')?.value).toContain('data plane');
    expect(walk.get('ifName.1')).toEqual({ type: 'STRING', value: 'data0' });
    expect(walk.get('ifInOctets.1')?.type).toBe('Counter32');
    expect(walk.get('ifHCInOctets.1')?.type).toBe('Counter64');
    const bytesIn = sim.appliance.counters().services.reduce((n, s) => n + s.bytesIn, 0n);
    expect(bytesIn).toBeGreaterThan(0n);
    expect(BigInt(walk.get('ifHCInOctets.1')!.value)).toBe(bytesIn);
    expect(BigInt(walk.get('ifInOctets.1')!.value)).toBe(bytesIn % 2n ** 32n);
  });

  it.skipIf(!has('snmpwalk'))('snmpwalk -v3 -l authPriv -a SHA -x AES reads the same tables', async () => {
    const [v2, v3] = await Promise.all([
      run('snmpwalk', ['-v2c', '-c', 'public', ...MIB_ARGS, '-OtU', at, 'fulcrumBackendTable']),
      run('snmpwalk', [...V3_ARGS, ...MIB_ARGS, '-OtU', at, 'fulcrumBackendTable']),
    ]);
    expect(v3.code, v3.stderr).toBe(0);
    expect(parseWalk(v3.stdout).size).toBe(3 * 10);
    expect(v3.stdout).toBe(v2.stdout);
  });

  it.skipIf(!has('snmpget'))('an unknown community or a wrong v3 key gets no answer at all', async () => {
    const wrong = await run('snmpget', ['-v2c', '-c', 'nope', '-t', '0.3', '-r', '0', at, '1.3.6.1.2.1.1.3.0']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toMatch(/Timeout/);
    const badKey = V3_ARGS.map((a) => (a === V3_USER.privKey ? 'wrong-priv-key' : a));
    const v3 = await run('snmpget', [...badKey, '-t', '0.3', '-r', '0', at, '1.3.6.1.2.1.1.3.0']);
    expect(v3.code).not.toBe(0);
    expect(v3.stdout).toBe('');
  });

  it.skipIf(!has('snmpbulkget'))('GETBULK returns N + max-repetitions × repeaters varbinds (RFC 3416), crossing into the next columns', async () => {
    const r = await run('snmpbulkget', [
      '-v2c',
      '-c',
      'public',
      ...MIB_ARGS,
      '-Cn1',
      '-Cr5',
      at,
      'sysUpTime',
      'fulcrumBackendAddress',
      'fulcrumBackendConnsTotal',
    ]);
    const names = [...parseWalk(r.stdout).keys()];
    expect(names).toEqual([
      'sysUpTime.0',
      'fulcrumBackendAddress.1.1',
      'fulcrumBackendConnsTotal.1.1',
      'fulcrumBackendAddress.1.2',
      'fulcrumBackendConnsTotal.1.2',
      'fulcrumBackendAddress.1.3',
      'fulcrumBackendConnsTotal.1.3',
      'fulcrumBackendState.1.1',
      'fulcrumBackendConnsActive.1.1',
      'fulcrumBackendState.1.2',
      'fulcrumBackendConnsActive.1.2',
    ]);
  });

  it.skipIf(!has('snmpset'))('SET: a read-only community gets noAccess, read-only objects notWritable, out-of-range wrongValue', async () => {
    const before = sim.appliance.configId;
    const ro = await run('snmpset', ['-v2c', '-c', 'public', ...MIB_ARGS, at, 'fulcrumBackendWeight.1.2', 'u', '5']);
    expect(ro.stderr).toMatch(/noAccess/);
    const rov3 = await run('snmpset', [...V3_ARGS, ...MIB_ARGS, at, 'fulcrumBackendWeight.1.2', 'u', '5']);
    expect(rov3.stderr).toMatch(/noAccess/);
    const descr = await run('snmpset', ['-v2c', '-c', 'private', ...MIB_ARGS, at, 'sysDescr.0', 's', 'mine now']);
    expect(descr.stderr).toMatch(/notWritable/);
    // -Ir: let the value through the tool's own range check, to see the agent's.
    const big = await run('snmpset', ['-v2c', '-c', 'private', ...MIB_ARGS, '-Ir', at, 'fulcrumBackendWeight.1.2', 'u', '70000']);
    expect(big.stderr).toMatch(/wrongValue/);
    const missing = await run('snmpset', ['-v2c', '-c', 'private', ...MIB_ARGS, at, 'fulcrumBackendWeight.1.9', 'u', '5']);
    expect(missing.stderr).toMatch(/noCreation/);
    expect(sim.appliance.configId).toBe(before);
  });

  it.skipIf(!has('snmpset'))('SET fulcrumBackendWeight via the write community commits a new config, read back at once, and notifies', async () => {
    const before = sim.appliance.configId;
    const r = await run('snmpset', ['-v2c', '-c', 'private', ...MIB_ARGS, at, 'fulcrumBackendWeight.1.2', 'u', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('fulcrumBackendWeight.1.2 = Gauge32: 5');
    const after = sim.appliance.configId;
    expect(after).not.toBe(before);
    expect(sim.appliance.rules.services[0]!.backends[1]!.weight).toBe(5);
    const get = await run('snmpget', [
      '-v2c',
      '-c',
      'public',
      ...MIB_ARGS,
      at,
      'fulcrumBackendWeight.1.2',
      'fulcrumConfigId.0',
      'fulcrumLastOperation.0',
      'fulcrumLastOperationStatus.0',
      'fulcrumLastOperationConfigId.0',
    ]);
    const read = parseWalk(get.stdout);
    expect(read.get('fulcrumBackendWeight.1.2')?.value).toBe('5');
    expect(read.get('fulcrumConfigId.0')?.value).toBe(after);
    expect(read.get('fulcrumLastOperation.0')?.value).toBe('weight(5)');
    expect(read.get('fulcrumLastOperationStatus.0')?.value).toBe('succeeded(3)');
    expect(read.get('fulcrumLastOperationConfigId.0')?.value).toBe(after);
    const trap = await until('fulcrumConfigCommitted', () => traps.find((t) => t.trapOid === formatOid(Mib.fulcrumConfigCommitted)));
    expect((trap.varbinds.get(formatOid([...Mib.fulcrumConfigId, 0])) as Buffer).toString('hex')).toBe(after);
    expect(trap.varbinds.get(formatOid([...Mib.fulcrumPendingConfirm, 0]))).toBe(0);
  });

  it('a rollback through another channel is notified with its reason, and the view follows at once', async () => {
    const target = sim.appliance.configManager.history[0]!.id;
    await sim.appliance.management.rollback(1);
    const trap = await until('fulcrumConfigRolledBack', () => traps.find((t) => t.trapOid === formatOid(Mib.fulcrumConfigRolledBack)));
    expect((trap.varbinds.get(formatOid([...Mib.fulcrumConfigId, 0])) as Buffer).toString('hex')).toBe(target);
    expect(trap.varbinds.get(formatOid([...Mib.fulcrumNotifyRollbackReason, 0]))).toBe(Mib.RollbackReasonCode.operator);
    if (!has('snmpget')) return;
    const read = parseWalk(
      (await run('snmpget', ['-v2c', '-c', 'public', ...MIB_ARGS, '-OtU', at, 'fulcrumConfigId.0', 'fulcrumLastCommitTime.0', 'fulcrumBackendWeight.1.2']))
        .stdout,
    );
    expect(read.get('fulcrumConfigId.0')?.value).toBe(target);
    expect(Number(read.get('fulcrumLastCommitTime.0')?.value)).toBeGreaterThan(0);
    expect(read.get('fulcrumBackendWeight.1.2')?.value).toBe('1');
  });

  it('a backend whose health checks fail is notified as fulcrumBackendStateChange and reads down(2)', async () => {
    const victim = backends[2]!;
    // Backends are rows in address order, not in the order they were started.
    const b = sim.appliance.rules.services[0]!.backends.findIndex((x) => x.address === victim.address) + 1;
    const row = (o: Oid) => formatOid([...o, 1, b]);
    await victim.kill();
    const trap = await until('fulcrumBackendStateChange', () =>
      traps.find((t) => t.trapOid === formatOid(Mib.fulcrumBackendStateChange) && t.varbinds.get(row(Mib.fulcrumBackendState)) === Mib.BackendStateCode.down),
    );
    expect(String(trap.varbinds.get(row(Mib.fulcrumBackendAddress)))).toBe(victim.address);
    expect(String(trap.varbinds.get(formatOid([...Mib.fulcrumServiceName, 1])))).toBe('web');
    expect(String(trap.varbinds.get(formatOid([...Mib.fulcrumNotifyDetail, 0])))).toContain('ECONNREFUSED');
    if (!has('snmpget')) return;
    const read = parseWalk((await run('snmpget', ['-v2c', '-c', 'public', ...MIB_ARGS, at, `fulcrumBackendState.1.${b}`])).stdout);
    expect(read.get(`fulcrumBackendState.1.${b}`)?.value).toBe('down(2)');
  });

  it('answered every request it accepted: no response failed to encode', () => {
    expect(problems.filter((p) => p.includes('answering'))).toEqual([]);
    // What it dropped on purpose, it logged: the unknown community and the bad v3 key above.
    expect(problems.some((p) => p.includes('nope'))).toBe(true);
  });
});
