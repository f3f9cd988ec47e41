/**
 * The failover group routes over in-memory appliances (the API's driver pool opens fakes): the
 * groups the store learned from the members, a failover (admin only, audited) that moves the
 * active role, and a group push that leaves both members on one confirmed config id.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configId } from '../../src/protocol/rules/index.js';
import { bearer, startApi, type ApiHarness } from '../support/api.js';
import { FakeAppliance } from '../support/fake-appliance.js';
import { service, table } from '../support/rules.js';

const RULES = table(service({ name: 'web', listen: '127.0.0.1:8000', backends: [{}] }));
const NEXT = { services: [{ name: 'web', listen: '127.0.0.1:8000', algorithm: 'least-connections', backends: [{ address: '127.0.0.1:9000' }] }] };

let api: ApiHarness;
let fakes: Map<string, FakeAppliance>;

beforeEach(async () => {
  fakes = new Map([
    ['lb1', new FakeAppliance(RULES, 'serial:/dev/lb1')],
    ['lb2', new FakeAppliance(RULES, 'serial:/dev/lb2')],
  ]);
  fakes.get('lb1')!.group = { name: 'pair', unit: 1, state: 'active' };
  fakes.get('lb2')!.group = { name: 'pair', unit: 2, state: 'standby' };
  // The active yielding makes the standby take over, as the election does.
  fakes.get('lb1')!.onGroupAction = (action) => {
    if (action === 'standby') fakes.get('lb2')!.group = { name: 'pair', unit: 2, state: 'active' };
  };
  api = await startApi({ openDriver: (record) => Promise.resolve(fakes.get(record.name)!) });
  for (const [name, f] of fakes) {
    await api.store.inventory.add({ name, target: f.target });
    await api.store.applianceState.observed(name, Date.now(), await f.info());
  }
});
afterEach(async () => {
  await api.close();
});

describe('/api/v1/groups', () => {
  it('lists the groups the members reported, and one group by name (404 for an unknown one)', async () => {
    const list = await api.app.inject({ url: '/api/v1/groups', headers: bearer(api.read) });
    expect(list.statusCode).toBe(200);
    expect(list.json().groups).toMatchObject([
      {
        name: 'pair',
        active: 'lb1',
        members: [
          { appliance: 'lb1', unit: 1, state: 'active' },
          { appliance: 'lb2', state: 'standby' },
        ],
      },
    ]);
    expect((await api.app.inject({ url: '/api/v1/groups/pair', headers: bearer(api.read) })).json()).toMatchObject({ name: 'pair', sameConfig: true });
    expect((await api.app.inject({ url: '/api/v1/groups/nope', headers: bearer(api.read) })).statusCode).toBe(404);
  });

  it('fails over with an admin token only, audited, and the store sees the new active and the failover events', async () => {
    const denied = await api.app.inject({ method: 'POST', url: '/api/v1/groups/pair/failover', headers: bearer(api.read) });
    expect(denied.statusCode).toBe(403);
    expect(fakes.get('lb1')!.group?.state).toBe('active');
    const r = await api.app.inject({ method: 'POST', url: '/api/v1/groups/pair/failover', headers: bearer(api.admin) });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ group: 'pair', from: 'lb1', to: 'lb2' });
    expect((await api.app.inject({ url: '/api/v1/groups/pair', headers: bearer(api.read) })).json().active).toBe('lb2');
    expect((await api.store.events.query({ kind: 'failover' })).map((e) => e.appliance).sort()).toEqual(['lb1', 'lb2']);
    expect((await api.store.audit.list()).filter((a) => a.status === 200).map((a) => [a.appliance, a.outcome])).toEqual([['lb1', 'ok']]);
    // A bad wait is refused naming the field, before anything is sent.
    const bad = await api.app.inject({ method: 'POST', url: '/api/v1/groups/pair/failover', headers: bearer(api.admin), payload: { wait: 'soon' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^body\.wait: /);
  });

  it('pushes one table to the group: both members run it, confirmed', async () => {
    const r = await api.app.inject({
      method: 'POST',
      url: '/api/v1/groups/pair/push',
      headers: bearer(api.admin),
      payload: { rules: NEXT, confirmTimeout: '30s' },
    });
    expect(r.statusCode, r.body).toBe(200);
    const report = r.json();
    expect(report.ok).toBe(true);
    expect(report.members.map((m: { appliance: string; outcome: string }) => [m.appliance, m.outcome])).toEqual([
      ['lb2', 'confirmed'],
      ['lb1', 'confirmed'],
    ]);
    const ids = [...fakes.values()].map((f) => configId(f.running));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(report.configId);
    expect([...fakes.values()].map((f) => f.pendingConfirm)).toEqual([null, null]);
  });
});
