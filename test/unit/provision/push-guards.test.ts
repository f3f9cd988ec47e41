/**
 * The rules every front end applies before a push (src/provision/push-guards.ts) and the checked
 * push that applies them (push-preflight.ts), against an in-memory appliance: what counts as
 * destructive, the confirm-timeout floor, pending commits, the table already running, dry runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configId, encodeRules, type RuleTable } from '../../../src/protocol/rules/index.js';
import { checkConfirmTimeout, destructiveReason, MIN_CONFIRM_TIMEOUT_MS } from '../../../src/provision/push-guards.js';
import { preflightPush, pushChecked, PushRefused } from '../../../src/provision/push-preflight.js';
import { ProvisionError } from '../../../src/provision/push.js';
import { ConfigCache } from '../../../src/store/config-cache.js';
import { FakeAppliance } from '../../support/fake-appliance.js';
import { service, table } from '../../support/rules.js';

const tableOf = (...names: string[]): RuleTable => table(...names.map((name, i) => service({ name, listen: `127.0.0.1:${8000 + i}`, backends: [{}] })));

const newCache = () => new ConfigCache(mkdtempSync(path.join(tmpdir(), 'fulcrum-guards-')));

describe('destructiveReason', () => {
  it('calls a plan destructive when it removes every service, or more than half of them', () => {
    expect(destructiveReason(3, 3)).toBe('removes every service (3 of 3)');
    expect(destructiveReason(1, 1)).toBe('removes every service (1 of 1)');
    expect(destructiveReason(3, 5)).toBe('removes 3 of the 5 services (more than half)');
    expect(destructiveReason(2, 4)).toBeNull();
    expect(destructiveReason(0, 4)).toBeNull();
    // Nothing runs: nothing can be removed.
    expect(destructiveReason(0, 0)).toBeNull();
  });
});

describe('checkConfirmTimeout', () => {
  it('refuses a timeout under 10 s, naming the value and the minimum, unless forced', () => {
    expect(MIN_CONFIRM_TIMEOUT_MS).toBe(10_000);
    expect(() => checkConfirmTimeout('5ms')).toThrowError(ProvisionError);
    expect(() => checkConfirmTimeout('5ms')).toThrowError(/^5ms is too short: .*at least 10 s/);
    expect(() => checkConfirmTimeout('9s')).toThrowError(/^9s is too short/);
    expect(checkConfirmTimeout('5ms', { force: true })).toBe(5);
    expect(checkConfirmTimeout('10s')).toBe(10_000);
    expect(checkConfirmTimeout('5m')).toBe(300_000);
  });

  it('takes 0 as a plain commit, and still refuses what is not a duration', () => {
    expect(checkConfirmTimeout('0s')).toBe(0);
    expect(() => checkConfirmTimeout('5 minutes', { force: true })).toThrowError(ProvisionError);
  });
});

describe('pushChecked', () => {
  it('sends nothing when the appliance already runs the table, even with a confirm timeout', async () => {
    const d = new FakeAppliance(tableOf('a', 'b'));
    const r = await pushChecked(d, { rules: tableOf('a', 'b'), confirmTimeoutMs: 30_000, cache: newCache() });
    expect(r.outcome).toBe('unchanged');
    expect(r.result).toBeNull();
    expect(d.pushes).toEqual([]);
    expect(d.pendingConfirm).toBeNull();
  });

  it('refuses a plan that removes most services, and asks when it can', async () => {
    const d = new FakeAppliance(tableOf('a', 'b', 'c'));
    const cache = newCache();
    const refused = await pushChecked(d, { rules: tableOf('a'), cache }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PushRefused);
    expect(refused).toMatchObject({
      code: 'destructivePlan',
      preflight: { destructive: 'removes 2 of the 3 services (more than half)', plan: { removed: [{ name: 'b' }, { name: 'c' }] } },
    });
    expect((refused as Error).message).toMatch(/^the plan removes 2 of the 3 services/);
    expect(d.pushes).toEqual([]);

    const asked: string[] = [];
    const no = pushChecked(d, { rules: tableOf('a'), cache, confirmDestructive: (p) => (asked.push(p.destructive!), Promise.resolve(false)) });
    await expect(no).rejects.toMatchObject({ code: 'destructivePlan' });
    expect(asked).toEqual(['removes 2 of the 3 services (more than half)']);
    expect(d.pushes).toEqual([]);

    const yes = await pushChecked(d, { rules: tableOf('a'), cache, confirmDestructive: () => Promise.resolve(true) });
    expect(yes.outcome).toBe('pushed');
    expect(d.running.services.map((s) => s.name)).toEqual(['a']);
  });

  it('lets a destructive plan through with allowDestructive, and half a table through without it', async () => {
    const d = new FakeAppliance(tableOf('a', 'b', 'c', 'd'));
    expect((await pushChecked(d, { rules: tableOf('a', 'b'), cache: newCache() })).outcome).toBe('pushed');
    expect((await pushChecked(d, { rules: table(), cache: newCache(), allowDestructive: true })).outcome).toBe('pushed');
    expect(d.running.services).toEqual([]);
  });

  it('knows what runs from the counters when the running table cannot be read (SNMP)', async () => {
    const d = new FakeAppliance(tableOf('a'), 'snmp://127.0.0.1:1161');
    const p = await preflightPush(d, tableOf('b'), newCache());
    expect(p).toMatchObject({
      plan: null,
      runningServices: 1,
      removed: [{ name: 'a', listen: '127.0.0.1:8000' }],
      destructive: 'removes every service (1 of 1)',
    });
    // SNMP carries rows, never a patch.
    expect(p.bytes).toEqual({ full: encodeRules(tableOf('b')).length, patch: null });
  });

  it('refuses a push over a pending commit, naming it; replacePending replaces it and says what it was', async () => {
    const d = new FakeAppliance(tableOf('a'));
    d.pendingConfirm = 42;
    const pendingId = configId(tableOf('a'));
    const before = Date.now();
    const refused = await pushChecked(d, { rules: tableOf('a', 'b'), cache: newCache() }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'pendingCommit', preflight: { pending: { configId: pendingId, seconds: 42 } } });
    expect((refused as Error).message).toContain(`config ${pendingId}`);
    expect((refused as Error).message).toMatch(/reverts at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 42 s\)/);
    expect(d.pushes).toEqual([]);

    const r = await pushChecked(d, { rules: tableOf('a', 'b'), cache: newCache(), replacePending: true });
    expect(r.outcome).toBe('pushed');
    expect(r.replaced).toMatchObject({ configId: pendingId, seconds: 42 });
    expect(r.replaced!.deadline).toBeGreaterThanOrEqual(before + 42_000);
  });

  it('a dry run reports the plan, refusals and sizes, and sends nothing', async () => {
    const d = new FakeAppliance(tableOf('a', 'b'));
    d.pendingConfirm = 10;
    const cache = newCache();
    cache.put(encodeRules(d.running));
    const next = table(
      service({ name: 'a', listen: '127.0.0.1:8000', backends: [{ weight: 7 }] }),
      service({ name: 'b', listen: '127.0.0.1:8001', backends: [{}] }),
    );
    const r = await pushChecked(d, { rules: next, cache, dryRun: true });
    expect(r.outcome).toBe('dryRun');
    expect(r.preflight.plan!.changed).toEqual([{ name: 'a', changes: [{ path: 'backends[127.0.0.1:9001].weight', from: 1, to: 7 }] }]);
    expect(r.preflight.pending).toMatchObject({ seconds: 10 });
    expect(r.preflight.bytes.full).toBe(encodeRules(next).length);
    expect(r.preflight.bytes.patch).toBeLessThan(r.preflight.bytes.full);
    expect(d.pushes).toEqual([]);
  });
});
