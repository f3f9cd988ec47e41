/**
 * A group failover over in-memory members: the active is told to go standby and the call
 * answers once another member reports active; nothing is sent when there is no single active,
 * no standby, or a transport without failover requests; a failover that does not happen fails.
 * Also the group view: members by unit, the active, a split brain seen as several actives.
 */
import { describe, expect, it } from 'vitest';
import type { ApplianceDriver } from '../../../../drivers/driver.js';
import type { GroupAccess } from '../../../../src/provision/groups/access.js';
import { failoverGroup } from '../../../../src/provision/groups/group-failover.js';
import { groupsOf } from '../../../../src/provision/groups/group-view.js';
import type { StoredApplianceState } from '../../../../src/store/appliance-state.js';
import { FakeAppliance } from '../../../support/fake-appliance.js';
import { service, table } from '../../../support/rules.js';

const RULES = table(service({ name: 'web', listen: '127.0.0.1:8000', backends: [{}] }));

function pair(options: { withoutControl?: string } = {}) {
  const a = new FakeAppliance(RULES, 'serial:/dev/a');
  const b = new FakeAppliance(RULES, 'serial:/dev/b');
  a.group = { name: 'pair', unit: 1, state: 'active' };
  b.group = { name: 'pair', unit: 2, state: 'standby' };
  const members: Record<string, FakeAppliance> = { a, b };
  const seen: string[] = [];
  const access: GroupAccess = {
    use: <T>(name: string, work: (d: ApplianceDriver) => Promise<T>) => {
      const f = members[name]!;
      // An SNMP-like driver: everything but groupAction.
      const d = name === options.withoutControl ? { ...f, info: () => f.info(), groupAction: undefined } : f;
      return work(d as unknown as ApplianceDriver);
    },
    observed: async (name, info) => seen.push(`${name} ${info.group?.state}`),
  };
  return { a, b, access, seen };
}

describe('group failover', () => {
  it('moves the active role: the active goes standby and the answer names the new active', async () => {
    const { a, b, access, seen } = pair();
    const actions: string[] = [];
    b.onGroupAction = (action) => actions.push(`b ${action}`);
    a.onGroupAction = (action) => {
      actions.push(`a ${action}`);
      b.group = { ...b.group!, state: 'active' };
    };
    expect(await failoverGroup('pair', ['a', 'b'], access)).toEqual({ group: 'pair', from: 'a', to: 'b' });
    // The standby's hold (from an earlier failover) is lifted before the active yields: two held standbys would leave no active.
    expect(actions).toEqual(['b online', 'a standby']);
    expect([a.group?.state, b.group?.state]).toEqual(['standby', 'active']);
    // What it read on the way reaches the store as a poll's would.
    expect(seen).toContain('b active');
  });

  it('asks a member that missed a read again before judging the group without it', async () => {
    const { a, b, access } = pair();
    a.onGroupAction = () => (b.group = { ...b.group!, state: 'active' });
    let misses = 2;
    const flaky: GroupAccess = {
      ...access,
      use: (name, work) => (name === 'b' && misses-- > 0 ? Promise.reject(new Error('console reconnecting')) : access.use(name, work)),
    };
    expect(await failoverGroup('pair', ['a', 'b'], flaky)).toEqual({ group: 'pair', from: 'a', to: 'b' });
    // Gone for good: it counts as lost, and nothing is sent.
    const gone = pair();
    const dead: GroupAccess = { ...gone.access, use: (name, work) => (name === 'b' ? Promise.reject(new Error('no answer')) : gone.access.use(name, work)) };
    await expect(failoverGroup('pair', ['a', 'b'], dead)).rejects.toMatchObject({ code: 'state', message: expect.stringMatching(/b did not answer/) });
    expect(gone.a.group?.state).toBe('active');
  });

  it('sends nothing without a single active, without a standby, or over a transport that cannot carry it', async () => {
    const none = pair();
    none.a.group = { ...none.a.group!, state: 'standby' };
    await expect(failoverGroup('pair', ['a', 'b'], none.access)).rejects.toMatchObject({
      code: 'state',
      message: expect.stringMatching(/no member reports itself active/),
    });

    const alone = pair();
    alone.b.group = { ...alone.b.group!, state: 'offline' };
    await expect(failoverGroup('pair', ['a', 'b'], alone.access)).rejects.toMatchObject({
      code: 'state',
      message: expect.stringMatching(/no member is standby/),
    });
    expect(alone.a.group?.state).toBe('active');

    const noControl = pair({ withoutControl: 'a' });
    await expect(failoverGroup('pair', ['a', 'b'], noControl.access)).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/cannot send a failover action.*nothing was sent/),
    });
    expect(noControl.a.group?.state).toBe('active');
  });

  it('fails, saying what each member reports, when no other member becomes active', async () => {
    const { access } = pair();
    await expect(failoverGroup('pair', ['a', 'b'], access, { waitMs: 300 })).rejects.toMatchObject({
      code: 'failed',
      message: expect.stringMatching(/a: standby, b: standby/),
    });
  });
});

describe('group view', () => {
  const state = (name: string, group: StoredApplianceState['group'], reachable = true): StoredApplianceState => ({
    name,
    reachable,
    lastPoll: 1,
    lastAttempt: 1,
    error: null,
    model: 'm',
    firmware: '1.0.0',
    configId: 'ab'.repeat(32),
    pendingUntil: null,
    group,
  });

  it('groups members by the group they reported, by unit, with the one active; several actives are named', () => {
    const views = groupsOf([
      state('lb2', { name: 'edge', unit: 2, state: 'standby' }),
      state('solo', null),
      state('lb1', { name: 'edge', unit: 1, state: 'active' }, false),
      state('x1', { name: 'core', unit: 1, state: 'active' }),
      state('x2', { name: 'core', unit: 2, state: 'active' }),
    ]);
    expect(views.map((g) => [g.name, g.members.map((m) => m.appliance), g.active, g.actives])).toEqual([
      ['core', ['x1', 'x2'], null, ['x1', 'x2']],
      ['edge', ['lb1', 'lb2'], 'lb1', ['lb1']],
    ]);
    expect(views[1]!.members[0]).toMatchObject({ reachable: false, unit: 1 });
  });
});
