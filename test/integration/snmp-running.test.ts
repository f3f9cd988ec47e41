/**
 * The whole rule table over SNMP against a simulated appliance on real UDP: a table with health
 * checks, persistence, Maglev settings and idle timeouts pushed through the candidate and read
 * back from fulcrumRunning with the same config id; Debian's snmpwalk reading fulcrumRunning by
 * name; `fulcrum rules diff` showing a weight changed out of band by Debian's snmpset; a bad
 * health path refused on its own varbind, by name.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnName } from '../../drivers/snmp/column-names.js';
import { rowVarbinds } from '../../drivers/snmp/config-writer.js';
import { SetError, SnmpSession } from '../../drivers/snmp/session.js';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import { parseSnmpTarget } from '../../drivers/snmp/target.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { FulcrumMib as M, ErrorStatus, SmiType, formatOid } from '../../src/protocol/mib/index.js';
import { configId, decodeRules, encodeRules, type RuleTable } from '../../src/protocol/rules/index.js';
import { loadRules } from '../../src/rules/index.js';
import { fulcrumAsync } from '../support/cli.js';
import { MIB_ARGS, V3_ARGS, V3_USER, has, parseWalk, run } from '../support/debian-snmp.js';

const V3 = { version: '3' as const, user: V3_USER.name, authKey: V3_USER.authKey, privKey: V3_USER.privKey };
const scalar = (o: readonly number[]) => `${formatOid(o)}.0`;

/** Backends on closed local ports: health probes fail fast, nothing waits on them. */
const YAML = `services:
  - name: dns
    listen: 127.0.0.1:25353
    protocol: udp
    algorithm: maglev
    hash-key: 5-tuple
    maglev-table-size: 1009
    idle-timeout: 45s
    backends:
      - { address: 127.0.0.1:1053, weight: 4, max-connections: 100 }
      - { address: 127.0.0.1:1054, backup: true, state: drain }
  - name: web
    listen: 127.0.0.1:28080
    algorithm: weighted-round-robin
    fallback: 127.0.0.1:1999
    persistence: { type: source-ip, timeout: 10m }
    health: { type: http, interval: 2s, timeout: 500ms, rise: 1, fall: 5, path: /healthz?full=1, expect: 200-204 }
    backends:
      - { address: 127.0.0.1:1081, weight: 3 }
      - { address: 127.0.0.1:1082 }
`;

describe('the whole rule table over SNMP', () => {
  let sim: SimulatedAppliance;
  let target: string;
  let hostPort: string;
  let dir: string;
  const table: RuleTable = loadRules(YAML, 'full.yaml');
  const drivers: SnmpDriver[] = [];
  const driver = () => {
    const d = SnmpDriver.connect(target, V3, { timeoutMs: 2_000, retries: 1 });
    drivers.push(d);
    return d;
  };

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({
      name: 'whole-1',
      rules: { services: [] },
      listen: false,
      snmp: { host: '127.0.0.1', port: 0, community: 'public', writeCommunity: 'private', v3User: { ...V3_USER, write: true } },
    });
    hostPort = sim.readyInfo().snmp!;
    target = `snmp://${hostPort}`;
    dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-snmp-running-'));
  });
  afterAll(async () => {
    await Promise.all(drivers.map((d) => d.close()));
    await sim.stop();
  });

  it('pushes health checks, persistence, Maglev settings and idle timeouts, and reads them back with the same config id', async () => {
    const d = driver();
    const r = await d.push(encodeRules(table), { confirmTimeoutMs: 0 });
    expect(r.configId).toBe(configId(table));
    expect(sim.appliance.rules).toEqual(table);
    const back = await d.readRunning();
    expect(decodeRules(back)).toEqual(table);
    expect(configId(decodeRules(back))).toBe((await d.info()).configId);
  });

  it.skipIf(!has('snmpwalk'))("Debian's snmpwalk reads fulcrumRunning by name, rows numbered as fulcrumServiceTable's", async () => {
    const r = await run('snmpwalk', [...MIB_ARGS, ...V3_ARGS, '-OtU', hostPort, 'FULCRUM-MIB::fulcrumRunning']);
    expect(r.code, r.stderr).toBe(0);
    const rows = parseWalk(r.stdout);
    const value = (name: string) => rows.get(name)?.value;
    // Services by name: dns is 1, web is 2, as in the counters table.
    expect(value('fulcrumRunServiceName.1')).toBe('dns');
    expect(value('fulcrumRunServiceName.2')).toBe('web');
    expect(value('fulcrumRunServiceAlgorithm.1')).toBe('maglev(7)');
    expect(value('fulcrumRunServiceHashKey.1')).toBe('fiveTuple(2)');
    expect(value('fulcrumRunServiceMaglevSize.1')).toBe('1009');
    expect(value('fulcrumRunServiceIdleTimeout.1')).toBe('45000');
    expect(value('fulcrumRunServicePersistType.2')).toBe('sourceIp(2)');
    expect(value('fulcrumRunServicePersistTimeout.2')).toBe('600000');
    expect(value('fulcrumRunServiceHealthType.2')).toBe('http(3)');
    expect(value('fulcrumRunServiceHealthPath.2')).toBe('/healthz?full=1');
    expect(value('fulcrumRunServiceHealthExpectHi.2')).toBe('204');
    expect(value('fulcrumRunServiceFallback.2')).toBe('127.0.0.1:1999');
    expect(value('fulcrumRunBackendWeight.2.1')).toBe('3');
    expect(value('fulcrumRunBackendBackup.1.2')).toBe('true(1)');
    expect(value('fulcrumRunBackendAdminState.1.2')).toBe('drain(2)');
    expect(value('fulcrumRunBackendMaxConns.1.1')).toBe('100');
    // 2 services × 18 columns + 4 backends × 5 columns, nothing else under fulcrumRunning.
    expect(rows.size).toBe(2 * 18 + 4 * 5);
    const counters = parseWalk((await run('snmpwalk', [...MIB_ARGS, ...V3_ARGS, '-OtU', hostPort, 'FULCRUM-MIB::fulcrumServiceName'])).stdout);
    expect([...counters.values()].map((v) => v.value)).toEqual(['dns', 'web']);
  });

  it.skipIf(!has('snmpset'))('`fulcrum rules diff --to snmp://…` shows a weight changed out of band with snmpset, read from the appliance', async () => {
    const file = path.join(dir, 'full.yaml');
    writeFileSync(file, YAML);
    const env = { FULCRUM_HOME: dir };
    const args = ['rules', 'diff', file, '--to', target, '--community', 'public'];
    const same = await fulcrumAsync(args, env);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('No changes');

    const set = await run('snmpset', [...MIB_ARGS, '-v2c', '-c', 'private', hostPort, 'FULCRUM-MIB::fulcrumBackendWeight.2.1', 'u', '42']);
    expect(set.code, set.stderr).toBe(0);
    expect(sim.appliance.configId).not.toBe(configId(table));

    const drift = await fulcrumAsync([...args, '--json'], env);
    expect(drift.code, drift.stderr).toBe(0);
    const plan = JSON.parse(drift.stdout) as {
      added: unknown[];
      removed: unknown[];
      changed: { name: string; changes: { path: string; from: unknown; to: unknown }[] }[];
    };
    expect(plan.added).toEqual([]);
    expect(plan.removed).toEqual([]);
    expect(plan.changed).toEqual([{ name: 'web', changes: [expect.objectContaining({ from: 42, to: 3 })] }]);
    expect(plan.changed[0]!.changes[0]!.path).toMatch(/weight/);
    const text = await fulcrumAsync(args, env);
    expect(text.stdout).toMatch(/~ service web[\s\S]*42 → 3/);
  });

  it.skipIf(!has('snmpset'))('a bad health path is refused on its own varbind, named, and the candidate stays as it was', async () => {
    const s = new SnmpSession(parseSnmpTarget(target), V3);
    try {
      const [lock] = await s.get([scalar(M.fulcrumCandidateSpinLock)]);
      const bad: RuleTable = { services: [{ ...table.services[1]!, health: { ...table.services[1]!.health!, path: 'healthz' } }] };
      const rows = rowVarbinds(bad).flat();
      const err = await s
        .set([{ oid: scalar(M.fulcrumCandidateSpinLock), type: SmiType.Integer, value: Number(lock!.value) }, ...rows])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SetError);
      const { status, index } = err as SetError;
      expect(status).toBe(ErrorStatus.wrongValue);
      expect(columnName([{ oid: scalar(M.fulcrumCandidateSpinLock) }, ...rows][index]!.oid)).toBe('fulcrumCandServiceHealthPath.1');
      // Nothing of the request was applied: the lock did not move on.
      const [after] = await s.get([scalar(M.fulcrumCandidateSpinLock)]);
      expect(after!.value).toBe(lock!.value);
    } finally {
      s.close();
    }
    // Debian's snmpset names the object too.
    const r = await run('snmpset', [
      ...MIB_ARGS,
      '-v2c',
      '-c',
      'private',
      hostPort,
      'FULCRUM-MIB::fulcrumCandServiceRowStatus.7',
      'i',
      '5',
      'FULCRUM-MIB::fulcrumCandServiceHealthPath.7',
      's',
      'no-slash',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/wrongValue/);
    expect(r.stderr).toContain('fulcrumCandServiceHealthPath.7');
    // The loader refuses such a file before any appliance is asked, naming the field and its line.
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, YAML.replace('path: /healthz?full=1', 'path: healthz'));
    const push = await fulcrumAsync(['rules', 'push', file, '--to', target, '--community', 'private'], { FULCRUM_HOME: dir });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/bad\.yaml:\d+:\d+.*path/);
  });
});
