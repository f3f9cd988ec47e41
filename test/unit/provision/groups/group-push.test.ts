/**
 * The two-phase group push over in-memory appliances: standby first and the active last, each
 * commit confirmed only once every member runs the new id; any failure rolls back the members
 * already pushed; refusals (a pending commit, members on different ids, a member not answering)
 * come before anything is sent.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriverError, type ApplianceDriver, type PushOptions } from '../../../../drivers/driver.js';
import { configId, type RuleTable } from '../../../../src/protocol/rules/index.js';
import type { GroupAccess } from '../../../../src/provision/groups/access.js';
import { GroupError } from '../../../../src/provision/groups/errors.js';
import { pushToGroup } from '../../../../src/provision/groups/group-push.js';
import { PushRefused } from '../../../../src/provision/push-preflight.js';
import { ConfigCache } from '../../../../src/store/config-cache.js';
import { FakeAppliance } from '../../../support/fake-appliance.js';
import { service, table } from '../../../support/rules.js';

const tableOf = (...names: string[]): RuleTable => table(...names.map((name, i) => service({ name, listen: `127.0.0.1:${8000 + i}`, backends: [{}] })));
const OLD = tableOf('api', 'web');
const NEW = tableOf('api', 'dns', 'web');

/** `a` (unit 1, active) and `b` (unit 2, standby) running OLD; `order` logs every push, confirm and rollback by member. */
function pair() {
  const order: string[] = [];
  const make = (name: string, unit: number, state: 'active' | 'standby') => {
    const f = new FakeAppliance(OLD, `serial:/dev/${name}`);
    f.group = { name: 'pair', unit, state };
    const push = f.push.bind(f);
    const confirm = f.confirm.bind(f);
    const rollback = f.rollback.bind(f);
    f.push = (e: Uint8Array, o: PushOptions) => (order.push(`push ${name}`), push(e, o));
    f.confirm = () => (order.push(`confirm ${name}`), confirm());
    f.rollback = () => (order.push(`rollback ${name}`), rollback());
    return f;
  };
  const members = new Map([
    ['a', make('a', 1, 'active')],
    ['b', make('b', 2, 'standby')],
  ]);
  const down = new Set<string>();
  const access: GroupAccess = {
    use: <T>(name: string, work: (d: ApplianceDriver) => Promise<T>) =>
      down.has(name) ? Promise.reject(new DriverError('unreachable', `${name}: no answer`)) : work(members.get(name)!),
  };
  return { a: members.get('a')!, b: members.get('b')!, access, order, down };
}

const request = (rules: RuleTable) => ({
  group: 'pair',
  members: ['a', 'b'],
  rules,
  confirmTimeoutMs: 30_000,
  cache: new ConfigCache(mkdtempSync(path.join(tmpdir(), 'fulcrum-group-push-'))),
});

describe('group push', () => {
  it('pushes the standby first, the active last, and confirms both only once both run the new id', async () => {
    const { a, b, access, order } = pair();
    const report = await pushToGroup(request(NEW), access);
    expect(report.ok).toBe(true);
    expect(order).toEqual(['push b', 'push a', 'confirm b', 'confirm a']);
    expect([a, b].map((f) => configId(f.running))).toEqual([configId(NEW), configId(NEW)]);
    expect([a, b].map((f) => f.pendingConfirm)).toEqual([null, null]);
    // Every push went out commit confirmed: had the agent died before confirming, each would have reverted.
    expect([...a.pushes, ...b.pushes].map((p) => p.confirmTimeoutMs)).toEqual([30_000, 30_000]);
    expect(report.members.map((m) => [m.appliance, m.outcome, m.after])).toEqual([
      ['b', 'confirmed', configId(NEW)],
      ['a', 'confirmed', configId(NEW)],
    ]);
  });

  it('rolls back the standby when the push to the active fails: both run the old id, nothing confirmed', async () => {
    const { a, b, access, order } = pair();
    a.push = () => (order.push('push a'), Promise.reject(new DriverError('refused', 'listen address in use', 'applyFailed')));
    const report = await pushToGroup(request(NEW), access);
    expect(report.ok).toBe(false);
    expect(report.failure).toEqual({ appliance: 'a', reason: 'push: listen address in use' });
    expect(order).toEqual(['push b', 'push a', 'rollback b']);
    expect([a, b].map((f) => configId(f.running))).toEqual([configId(OLD), configId(OLD)]);
    expect(report.members.find((m) => m.appliance === 'b')).toMatchObject({ outcome: 'rolledBack', after: configId(OLD) });
  });

  it('rolls back every member when a confirm fails, the one confirmed already too', async () => {
    const { a, b, access, order } = pair();
    a.confirm = () => (order.push('confirm a'), Promise.reject(new DriverError('unreachable', 'a stopped answering')));
    const report = await pushToGroup(request(NEW), access);
    expect(report.ok).toBe(false);
    expect(order).toEqual(['push b', 'push a', 'confirm b', 'confirm a', 'rollback a', 'rollback b']);
    expect([a, b].map((f) => configId(f.running))).toEqual([configId(OLD), configId(OLD)]);
  });

  it('a member that stops answering at its confirm leaves the others confirmed, not rolled back: it settles on their id', async () => {
    const { a, b, access, order, down } = pair();
    // b may have confirmed before it went (the answer lost), or be down pending: rolling a back
    // could not undo the first, and from the second b takes the commit up again and confirms on
    // hearing a (firmware/failover/rejoin.ts).
    b.confirm = () => (order.push('confirm b'), down.add('b'), Promise.reject(new DriverError('unreachable', 'b stopped answering')));
    const report = await pushToGroup(request(NEW), access);
    expect(report.ok).toBe(false);
    expect(order).toEqual(['push b', 'push a', 'confirm b', 'confirm a']);
    expect(report.failure).toMatchObject({ appliance: 'b', reason: expect.stringContaining('the other members were confirmed anyway') });
    expect([configId(a.running), a.pendingConfirm]).toEqual([configId(NEW), null]);
    expect(report.members.map((m) => [m.appliance, m.outcome, m.after])).toEqual([
      ['b', 'pending', null],
      ['a', 'confirmed', configId(NEW)],
    ]);
  });

  it('a member its peer confirmed before the agent did counts as confirmed, not as a failure to undo', async () => {
    const { a, b, access, order } = pair();
    const confirm = a.confirm.bind(a);
    // a hears b run the new id confirmed and confirms itself; the agent's confirm then finds nothing pending.
    a.confirm = async () => {
      await confirm();
      throw new DriverError('refused', 'no commit is pending confirmation', 'nothingToConfirm');
    };
    const report = await pushToGroup(request(NEW), access);
    expect(report.ok).toBe(true);
    expect(order).toEqual(['push b', 'push a', 'confirm b', 'confirm a']);
    expect(report.members.map((m) => [m.appliance, m.outcome])).toEqual([
      ['b', 'confirmed'],
      ['a', 'confirmed'],
    ]);
    expect([a, b].map((f) => [configId(f.running), f.pendingConfirm])).toEqual([
      [configId(NEW), null],
      [configId(NEW), null],
    ]);
  });

  it('a confirm refused by a member that still has the new id pending is a failure: everything is rolled back', async () => {
    const { a, b, access, order } = pair();
    a.confirm = () => (order.push('confirm a'), Promise.reject(new DriverError('refused', 'storage failed', 'storage')));
    const report = await pushToGroup(request(NEW), access);
    expect(report.ok).toBe(false);
    expect(order).toEqual(['push b', 'push a', 'confirm b', 'confirm a', 'rollback a', 'rollback b']);
    expect([a, b].map((f) => configId(f.running))).toEqual([configId(OLD), configId(OLD)]);
  });

  it('confirms nothing when a member does not run the new id after its push', async () => {
    const { a, b, access, order } = pair();
    // a takes the push, then something else runs (its operator, a revert): phase 2 sees it.
    const push = a.push.bind(a);
    a.push = async (e, o) => {
      const r = await push(e, o);
      a.running = tableOf('other');
      return r;
    };
    const report = await pushToGroup(request(NEW), access);
    expect(report.ok).toBe(false);
    expect(report.failure?.appliance).toBe('a');
    expect(order.filter((s) => s.startsWith('confirm'))).toEqual([]);
    expect(configId(b.running)).toBe(configId(OLD));
  });

  it('refuses before sending anything: a pending commit, members on different ids, a member not answering', async () => {
    const pending = pair();
    pending.a.pendingConfirm = 20;
    await expect(pushToGroup(request(NEW), pending.access)).rejects.toBeInstanceOf(PushRefused);
    expect(pending.order).toEqual([]);

    const split = pair();
    split.b.running = tableOf('web');
    await expect(pushToGroup(request(NEW), split.access)).rejects.toMatchObject({ code: 'state', message: expect.stringMatching(/do not run one config id/) });
    expect(split.order).toEqual([]);

    const lost = pair();
    lost.down.add('b');
    const err = await pushToGroup(request(NEW), lost.access).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GroupError);
    expect((err as GroupError).message).toMatch(/b: b: no answer/);
    expect(lost.order).toEqual([]);
  });

  it('a member already on the table is left alone; a dry run sends nothing', async () => {
    const { a, b, access, order } = pair();
    const dry = await pushToGroup({ ...request(NEW), dryRun: true }, access);
    expect(dry.members.map((m) => m.outcome)).toEqual(['planned', 'planned']);
    expect(order).toEqual([]);
    a.running = NEW;
    b.running = NEW;
    const same = await pushToGroup(request(NEW), access);
    expect(same.ok).toBe(true);
    expect(same.members.map((m) => m.outcome)).toEqual(['unchanged', 'unchanged']);
    expect(order).toEqual([]);
  });
});
