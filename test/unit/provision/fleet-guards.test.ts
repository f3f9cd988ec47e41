/**
 * A fleet push applies the rules of push-guards.ts at planning, before anything is sent: a plan
 * that removes most services of any appliance stops the run (unless allowed, or confirmed by the
 * operator), a pending commit is named with its config id and deadline, and a dry run plans only.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApplianceDriver } from '../../../drivers/driver.js';
import { configId, type RuleTable } from '../../../src/protocol/rules/index.js';
import { pushToFleet, type FleetAccess, type PlannedAppliance } from '../../../src/provision/fleet-push.js';
import type { ApplianceRecord } from '../../../src/store/inventory.js';
import { ConfigCache } from '../../../src/store/config-cache.js';
import { FakeAppliance } from '../../support/fake-appliance.js';
import { service, table } from '../../support/rules.js';

const tableOf = (...names: string[]): RuleTable => table(...names.map((name, i) => service({ name, listen: `127.0.0.1:${8000 + i}`, backends: [{}] })));

function fleet(running: Record<string, RuleTable>, snmp: readonly string[] = []) {
  const appliances = new Map(
    Object.entries(running).map(([name, t]) => [name, new FakeAppliance(t, snmp.includes(name) ? `snmp://${name}` : `serial:/dev/${name}`)]),
  );
  const records: ApplianceRecord[] = [...appliances.entries()].map(([name, a]) => ({ name, target: a.target, credentials: {}, created: 0 }));
  const access: FleetAccess = { use: <T>(r: ApplianceRecord, work: (d: ApplianceDriver) => Promise<T>) => work(appliances.get(r.name)!) };
  const sent = () => [...appliances.values()].reduce((n, a) => n + a.pushes.length, 0);
  return { appliances, records, access, sent };
}

const request = (rules: RuleTable, records: ApplianceRecord[]) => ({
  rules,
  targets: records,
  canary: 1,
  confirmTimeoutMs: 10_000,
  settleMs: 0,
  cache: new ConfigCache(mkdtempSync(path.join(tmpdir(), 'fulcrum-fleet-guards-'))),
});

describe('fleet push guards', () => {
  it('refuses a plan that removes most services on some appliance, naming it; nothing is sent', async () => {
    const f = fleet({ a: tableOf('x', 'y'), b: tableOf('x', 'y', 'z') }, ['b']);
    let planned: readonly PlannedAppliance[] = [];
    const report = await pushToFleet(request(tableOf('x'), f.records), f.access, { onPlan: (p) => (planned = p) });
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({ appliance: 'b', code: 'destructivePlan' });
    expect(report.failure!.reason).toMatch(/^the plan removes most services on b \(/);
    // b is over SNMP: what it runs comes from its counters.
    expect(planned.map((p) => [p.name, p.destructive])).toEqual([
      ['a', null],
      ['b', 'removes 2 of the 3 services (more than half)'],
    ]);
    expect(report.results.map((r) => [r.name, r.result, r.error ?? null])).toEqual([
      ['a', 'not pushed', null],
      ['b', 'not pushed', 'the plan removes 2 of the 3 services (more than half)'],
    ]);
    expect(f.sent()).toBe(0);
  });

  it('goes ahead when allowed, or when the operator says yes', async () => {
    const asked: string[][] = [];
    const f = fleet({ a: tableOf('x', 'y') });
    const no = await pushToFleet(
      { ...request(tableOf('z'), f.records), confirmDestructive: (p) => (asked.push(p.map((x) => x.appliance)), Promise.resolve(false)) },
      f.access,
    );
    expect([no.ok, f.sent(), asked]).toEqual([false, 0, [['a']]]);
    const yes = await pushToFleet({ ...request(tableOf('z'), f.records), confirmDestructive: () => Promise.resolve(true) }, f.access);
    expect(yes.ok).toBe(true);
    expect(f.appliances.get('a')!.running).toEqual(tableOf('z'));
    const g = fleet({ a: tableOf('x', 'y') });
    expect((await pushToFleet({ ...request(table(), g.records), allowDestructive: true }, g.access)).ok).toBe(true);
  });

  it('names a pending commit by config id and deadline', async () => {
    const f = fleet({ a: tableOf('x') });
    f.appliances.get('a')!.pendingConfirm = 30;
    const report = await pushToFleet(request(tableOf('x', 'y'), f.records), f.access);
    expect(report.failure!.reason).toMatch(
      new RegExp(`^planning: a commit confirmed is pending there: config ${configId(tableOf('x'))}, which reverts at \\d{4}-.*\\(in 30 s\\)`),
    );
    expect(f.sent()).toBe(0);
  });

  it('a dry run plans everywhere, destructive or not, and sends nothing', async () => {
    const f = fleet({ a: tableOf('x', 'y'), b: tableOf('q') });
    const report = await pushToFleet({ ...request(tableOf('x', 'y', 'z'), f.records), dryRun: true }, f.access);
    expect(report).toMatchObject({ ok: true, dryRun: true, failure: null });
    expect(report.results.map((r) => r.result)).toEqual(['not pushed', 'not pushed']);
    expect(f.sent()).toBe(0);
  });
});
