/**
 * A rollout's upgrade of a failover-group member: the active fails the group over before its
 * upgrade (unless the rollout lost its lease); when the group cannot fail over the member is not upgraded (the group keeps serving
 * on it); an upgraded member that does not come back into its group fails.
 */
import { describe, expect, it } from 'vitest';
import type { ApplianceDriver } from '../../../drivers/driver.js';
import type { GroupAccess } from '../../../src/provision/groups/access.js';
import { groupAwareUpgrade } from '../../../src/upgrade/group-upgrade.js';
import type { UpgradeOne } from '../../../src/upgrade/rollout/index.js';
import { FakeAppliance } from '../../support/fake-appliance.js';
import { service, table } from '../../support/rules.js';

const RULES = table(service({ name: 'web', listen: '127.0.0.1:8000', backends: [{}] }));

function pair() {
  const f = { a: new FakeAppliance(RULES, 'serial:/dev/a'), b: new FakeAppliance(RULES, 'serial:/dev/b') };
  f.a.group = { name: 'pair', unit: 1, state: 'active' };
  f.b.group = { name: 'pair', unit: 2, state: 'standby' };
  f.a.onGroupAction = (action) => {
    if (action === 'standby') f.b.group = { ...f.b.group!, state: 'active' };
  };
  const access: GroupAccess = { use: <T>(name: string, work: (d: ApplianceDriver) => Promise<T>) => work(f[name as 'a' | 'b']) };
  const log: string[] = [];
  const inner: UpgradeOne = async (appliance) => {
    log.push(`upgrade ${appliance} while a ${f.a.group?.state}, b ${f.b.group?.state}`);
    return { version: '2.0.0', confirmed: true };
  };
  const options = {
    membershipOf: async (name: string) => ({ group: 'pair', state: f[name as 'a' | 'b'].group!.state }),
    membersOf: async () => ['a', 'b'],
    access,
    rejoinMs: 300,
    failoverWaitMs: 300,
  };
  return { f, log, upgrade: groupAwareUpgrade(inner, options) };
}

const signal = new AbortController().signal;
const IMAGE = new Uint8Array(1);
/** The rollout still holds its lease. */
const held = async () => undefined;

describe('group-aware upgrade', () => {
  it('fails the group over before upgrading its active, so the member upgraded is never the one serving', async () => {
    const { log, upgrade } = pair();
    await expect(upgrade('a', IMAGE, signal, held)).resolves.toEqual({ version: '2.0.0', confirmed: true });
    expect(log).toEqual(['upgrade a while a standby, b active']);
  });

  it('does not upgrade the active when the group cannot fail over: the group keeps serving on it', async () => {
    const { f, log, upgrade } = pair();
    f.b.group = { ...f.b.group!, state: 'offline' };
    await expect(upgrade('a', IMAGE, signal, held)).rejects.toThrow(
      /a is the active member of group pair and the group did not fail over .*no member is standby.*not upgraded/,
    );
    expect(log).toEqual([]);
    expect(f.a.group?.state).toBe('active');
  });

  it('neither fails the group over nor upgrades when the rollout lost its lease (the fence refuses)', async () => {
    const { f, log, upgrade } = pair();
    const taken = async () => {
      throw new Error('another process took the rollout over');
    };
    await expect(upgrade('a', IMAGE, signal, taken)).rejects.toThrow(/another process took the rollout over/);
    expect(log).toEqual([]);
    expect([f.a.group?.state, f.b.group?.state]).toEqual(['active', 'standby']);
  });

  it('fails a member that does not come back into its group after the upgrade, and passes one that does', async () => {
    const { f } = pair();
    const membership = { membershipOf: async () => ({ group: 'pair', state: 'standby' as const }), membersOf: async () => ['a', 'b'], rejoinMs: 300 };
    const access: GroupAccess = { use: <T>(name: string, work: (d: ApplianceDriver) => Promise<T>) => work(name === 'b' ? f.b : f.a) };
    // The standby comes back from its new image out of the election.
    const broken = groupAwareUpgrade(
      async () => {
        f.b.group = { ...f.b.group!, state: 'offline' };
        return { version: '2.0.0', confirmed: true };
      },
      { ...membership, access },
    );
    await expect(broken('b', IMAGE, signal, held)).rejects.toThrow(
      /b runs 2\.0\.0 but did not come back into group pair within 0\.3 s \(last seen: offline in group pair\)/,
    );
    f.b.group = { ...f.b.group!, state: 'standby' };
    const fine = groupAwareUpgrade(async () => ({ version: '2.0.0', confirmed: true }), { ...membership, access });
    await expect(fine('b', IMAGE, signal, held)).resolves.toEqual({ version: '2.0.0', confirmed: true });
  });
});
