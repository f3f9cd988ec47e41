/**
 * Rule-table pushes over SNMP (FULCRUM-MIB fulcrumConfig) against a simulated appliance on real
 * UDP: the agent's SnmpDriver over v3 authPriv, raw SETs for what a driver never sends (an
 * invalid candidate), read-only requesters, two managers at once, and the CLI end to end.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import { SetError, SnmpSession } from '../../drivers/snmp/session.js';
import { parseSnmpTarget } from '../../drivers/snmp/target.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { FulcrumMib as M, ErrorStatus, RowStatus, SmiType, formatOid } from '../../src/protocol/mib/index.js';
import { configId, encodeRules, type RuleTable } from '../../src/protocol/rules/index.js';
import { loadRules } from '../../src/rules/index.js';
import { fulcrumAsync } from '../support/cli.js';

const V3 = { version: '3' as const, user: 'ops', authKey: 'auth-pass-1', privKey: 'priv-pass-1' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const scalar = (o: readonly number[]) => `${formatOid(o)}.0`;

function yaml(tag: number): string {
  return `services:
  - name: api-${tag}
    listen: 127.0.0.1:${20_000 + tag}
    protocol: udp
    algorithm: maglev
    backends:
      - { address: 192.0.2.${tag}:53, weight: 7, max-connections: 100 }
      - { address: 192.0.2.200:53, backup: true, state: drain }
  - name: web
    listen: 127.0.0.1:${30_000 + tag}
    algorithm: weighted-round-robin
    fallback: 198.51.100.1:80
    backends:
${Array.from({ length: 40 }, (_, i) => `      - { address: 10.0.${tag}.${i + 1}:8080, weight: ${i} }`).join('\n')}
`;
}
const table = (tag: number): RuleTable => loadRules(yaml(tag), `t${tag}.yaml`);

describe('rule-table push over SNMP', () => {
  let sim: SimulatedAppliance;
  let readOnly: SimulatedAppliance;
  let target: string;
  const drivers: SnmpDriver[] = [];
  const driver = (credentials: Parameters<typeof SnmpDriver.connect>[1] = V3, at = target) => {
    const d = SnmpDriver.connect(at, credentials, { timeoutMs: 2_000, retries: 1 });
    drivers.push(d);
    return d;
  };

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({
      name: 'push-1',
      rules: table(1),
      listen: false,
      snmp: {
        host: '127.0.0.1',
        port: 0,
        community: 'public',
        writeCommunity: 'private',
        v3User: { name: V3.user, authKey: V3.authKey, privKey: V3.privKey, write: true },
      },
    });
    readOnly = await SimulatedAppliance.start({
      name: 'push-ro',
      rules: table(1),
      listen: false,
      snmp: { host: '127.0.0.1', port: 0, v3User: { name: V3.user, authKey: V3.authKey, privKey: V3.privKey, write: false } },
    });
    target = `snmp://${sim.readyInfo().snmp}`;
  });
  afterAll(async () => {
    await Promise.all(drivers.map((d) => d.close()));
    await sim.stop();
    await readOnly.stop();
  });

  it('a push over v3 authPriv makes the new table run, read back by the driver and the appliance', async () => {
    const d = driver();
    const before = sim.appliance.configId;
    const t = table(2);
    const r = await d.push(encodeRules(t), { confirmTimeoutMs: 0 });
    expect(r).toMatchObject({ configId: configId(t), previousConfigId: before, mode: 'full' });
    expect(sim.appliance.configId).toBe(configId(t));
    expect(sim.appliance.configManager.startup.id).toBe(configId(t));
    expect((await d.info()).configId).toBe(configId(t));
    const s = new SnmpSession(parseSnmpTarget(target), V3);
    const [op, status, id] = await s.get([scalar(M.fulcrumLastOperation), scalar(M.fulcrumLastOperationStatus), scalar(M.fulcrumLastOperationConfigId)]);
    s.close();
    expect([op?.value, status?.value, Buffer.from(id!.value as Uint8Array).toString('hex')]).toEqual([
      M.LastOperationCode.commit,
      M.LastOperationStatusCode.succeeded,
      configId(t),
    ]);
  });

  it('a commit confirmed reverts by itself within timeout + 1 s, unless confirmed', async () => {
    const d = driver();
    const base = sim.appliance.configId;
    const t = table(3);
    await d.push(encodeRules(t), { confirmTimeoutMs: 1_000 });
    expect(sim.appliance.configId).toBe(configId(t));
    expect((await d.info()).pendingConfirm).toBe(1);
    const start = Date.now();
    while (sim.appliance.configId !== base && Date.now() - start < 2_000) await sleep(20);
    expect(sim.appliance.configId).toBe(base);

    await d.push(encodeRules(t), { confirmTimeoutMs: 1_000 });
    expect(await d.confirm()).toEqual({ configId: configId(t) });
    await sleep(1_300);
    expect(sim.appliance.configId).toBe(configId(t));
    expect(sim.appliance.configManager.startup.id).toBe(configId(t));
    await expect(d.confirm()).rejects.toMatchObject({ code: 'refused', remote: 'nothingToConfirm' });
  });

  it('rollback N goes back N commits', async () => {
    const d = driver();
    const previous = sim.appliance.configManager.history[0]!.id;
    expect(await d.rollback(1)).toEqual({ configId: previous });
    expect(sim.appliance.configId).toBe(previous);
    await expect(d.rollback(10)).rejects.toMatchObject({ remote: 'noSuchRollback' });
  });

  it('an invalid candidate says why, and committing it fails and changes nothing', async () => {
    const s = new SnmpSession(parseSnmpTarget(target), { version: '2c', community: 'private' });
    try {
      const running = sim.appliance.configId;
      const [lock] = await s.get([scalar(M.fulcrumCandidateSpinLock)]);
      const l = Number(lock!.value);
      const svc = (i: number, name: string) => [
        { oid: formatOid(M.columnInstance(M.fulcrumCandServiceEntry, M.CandServiceColumn.rowStatus, i)), type: SmiType.Integer, value: RowStatus.createAndGo },
        {
          oid: formatOid(M.columnInstance(M.fulcrumCandServiceEntry, M.CandServiceColumn.name, i)),
          type: SmiType.OctetString,
          value: new TextEncoder().encode(name),
        },
        // The same listen address twice: not a valid table.
        {
          oid: formatOid(M.columnInstance(M.fulcrumCandServiceEntry, M.CandServiceColumn.listen, i)),
          type: SmiType.OctetString,
          value: new TextEncoder().encode('127.0.0.1:9999'),
        },
        {
          oid: formatOid(M.columnInstance(M.fulcrumCandBackendEntry, M.CandBackendColumn.rowStatus, i, 1)),
          type: SmiType.Integer,
          value: RowStatus.createAndGo,
        },
        {
          oid: formatOid(M.columnInstance(M.fulcrumCandBackendEntry, M.CandBackendColumn.address, i, 1)),
          type: SmiType.OctetString,
          value: new TextEncoder().encode('192.0.2.1:80'),
        },
      ];
      const lockVb = (v: number) => ({ oid: scalar(M.fulcrumCandidateSpinLock), type: SmiType.Integer, value: v });
      await s.set([
        lockVb(l),
        { oid: scalar(M.fulcrumCandidateLoad), type: SmiType.Integer, value: M.CandidateLoadCode.empty },
        ...svc(1, 'a'),
        ...svc(2, 'b'),
      ]);
      const [id, why] = await s.get([scalar(M.fulcrumCandidateConfigId), scalar(M.fulcrumCandidateError)]);
      expect((id!.value as Uint8Array).length).toBe(0);
      expect(Buffer.from(why!.value as Uint8Array).toString()).toMatch(/service row 2 \(b\).*listen/);
      const err = await s.set([lockVb(l + 1), { oid: scalar(M.fulcrumCommit), type: SmiType.Gauge32, value: 0 }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SetError);
      expect(err).toMatchObject({ status: ErrorStatus.inconsistentValue, index: 1 });
      expect(sim.appliance.configId).toBe(running);
      const [status, message] = await s.get([scalar(M.fulcrumLastOperationStatus), scalar(M.fulcrumLastOperationMessage)]);
      expect(status!.value).toBe(M.LastOperationStatusCode.failed);
      expect(Buffer.from(message!.value as Uint8Array).toString()).toContain('not a valid rule table');
      // All or nothing per request: a bad value in the last varbind leaves the first unapplied.
      const bad = await s
        .set([
          lockVb(l + 1),
          { oid: scalar(M.fulcrumCandidateLoad), type: SmiType.Integer, value: M.CandidateLoadCode.running },
          {
            oid: formatOid(M.columnInstance(M.fulcrumCandServiceEntry, M.CandServiceColumn.listen, 1)),
            type: SmiType.OctetString,
            value: new TextEncoder().encode('nowhere'),
          },
        ])
        .catch((e: unknown) => e);
      expect(bad).toMatchObject({ status: ErrorStatus.wrongValue, index: 2 });
      const [stillBad] = await s.get([scalar(M.fulcrumCandidateError)]);
      expect(Buffer.from(stillBad!.value as Uint8Array).toString()).not.toBe('');
    } finally {
      s.close();
    }
  });

  it('a read-only community or v3 user gets noAccess on every config object, and the driver says so', async () => {
    const objects = [
      { oid: scalar(M.fulcrumCandidateSpinLock), type: SmiType.Integer, value: 0 },
      { oid: scalar(M.fulcrumCandidateLoad), type: SmiType.Integer, value: 3 },
      { oid: formatOid(M.columnInstance(M.fulcrumCandServiceEntry, M.CandServiceColumn.rowStatus, 1)), type: SmiType.Integer, value: RowStatus.createAndWait },
      {
        oid: formatOid(M.columnInstance(M.fulcrumCandBackendEntry, M.CandBackendColumn.rowStatus, 1, 1)),
        type: SmiType.Integer,
        value: RowStatus.createAndWait,
      },
      { oid: scalar(M.fulcrumCommit), type: SmiType.Gauge32, value: 0 },
      { oid: scalar(M.fulcrumConfirm), type: SmiType.Integer, value: 2 },
      { oid: scalar(M.fulcrumRollback), type: SmiType.Gauge32, value: 1 },
    ];
    const sessions = [
      new SnmpSession(parseSnmpTarget(target), { version: '2c', community: 'public' }),
      new SnmpSession(parseSnmpTarget(`snmp://${readOnly.readyInfo().snmp}`), V3),
    ];
    try {
      for (const s of sessions) for (const o of objects) await expect(s.set([o])).rejects.toMatchObject({ status: ErrorStatus.noAccess });
    } finally {
      for (const s of sessions) s.close();
    }
    const before = readOnly.appliance.configId;
    await expect(driver(V3, `snmp://${readOnly.readyInfo().snmp}`).push(encodeRules(table(4)), { confirmTimeoutMs: 0 })).rejects.toMatchObject({
      code: 'refused',
      remote: 'noAccess',
    });
    expect(readOnly.appliance.configId).toBe(before);
  });

  it('two managers pushing at once: the candidate lock fails one cleanly, the other runs', async () => {
    const [a, b] = [table(5), table(6)];
    const results = await Promise.allSettled([driver().push(encodeRules(a), { confirmTimeoutMs: 0 }), driver().push(encodeRules(b), { confirmTimeoutMs: 0 })]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toMatchObject({ code: 'refused', remote: 'locked' });
    expect(sim.appliance.configId).toBe((ok[0] as PromiseFulfilledResult<{ configId: string }>).value.configId);
    expect([configId(a), configId(b)]).toContain(sim.appliance.configId);
  });

  it('splits the rows over as many requests as an agent with small messages takes (tooBig)', async () => {
    const small = await SimulatedAppliance.start({
      name: 'push-small',
      rules: { services: [] },
      listen: false,
      snmp: { host: '127.0.0.1', port: 0, maxMessageSize: 1_400, v3User: { name: V3.user, authKey: V3.authKey, privKey: V3.privKey, write: true } },
    });
    try {
      const t = loadRules(
        `services:\n  - name: big\n    listen: 127.0.0.1:9000\n    backends:\n${Array.from({ length: 300 }, (_, i) => `      - { address: 10.1.${i >> 8}.${i & 255}:80 }`).join('\n')}\n`,
        'big.yaml',
      );
      let requests = 0;
      const r = await driver(V3, `snmp://${small.readyInfo().snmp}`).push(encodeRules(t), { confirmTimeoutMs: 0, onProgress: () => requests++ });
      expect(r.configId).toBe(configId(t));
      expect(small.appliance.configId).toBe(configId(t));
      // ~6 varbinds of ~30 bytes per row: about 8 rows per 1,400-byte message.
      expect(requests).toBeGreaterThan(20);
    } finally {
      await small.stop();
    }
  });

  it('the CLI: fulcrum rules push FILE --to snmp://… --v3-…', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-snmp-push-'));
    const file = path.join(dir, 'rules.yaml');
    writeFileSync(file, yaml(7));
    const r = await fulcrumAsync(['rules', 'push', file, '--to', target, '--v3-user', V3.user, '--v3-auth', V3.authKey, '--v3-priv', V3.privKey, '--json'], {
      FULCRUM_HOME: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ configId: configId(table(7)), mode: 'full' });
    expect(sim.appliance.configId).toBe(configId(table(7)));
  });
});
