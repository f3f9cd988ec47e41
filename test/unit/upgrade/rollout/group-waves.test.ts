/**
 * Wave planning with failover groups: members of a group never share a wave, the standby goes
 * before the active, lone appliances keep the operator's waves, and a rollout created by the
 * engine with group memberships stores that plan.
 */
import { describe, expect, it } from 'vitest';
import { planWaves, plannedWaveSizes, RolloutEngine, type Membership } from '../../../../src/upgrade/rollout/index.js';
import { FakeFleet, fleetOnDisk } from './support.js';

const groups = (map: Record<string, Membership>) => (name: string) => map[name] ?? null;

describe('group-aware waves', () => {
  it('never puts two members of a group in one wave, and takes the standby first', () => {
    // One wave for all (100%): without groups every device would go at once.
    const plan = planWaves(
      ['100%'],
      ['a1', 'a2', 'solo', 'b1', 'b2'],
      groups({
        a1: { group: 'A', state: 'active' },
        a2: { group: 'A', state: 'standby' },
        b1: { group: 'B', state: 'standby' },
        b2: { group: 'B', state: 'active' },
      }),
    );
    expect(plan).toEqual([
      { appliance: 'a2', wave: 1 },
      { appliance: 'a1', wave: 2 },
      { appliance: 'solo', wave: 1 },
      { appliance: 'b1', wave: 1 },
      { appliance: 'b2', wave: 2 },
    ]);
    expect(plannedWaveSizes(plan)).toEqual([3, 2]);
  });

  it('keeps the operator waves for lone appliances, moves only the members that would collide, and leaves no empty wave', () => {
    const targets = ['p1', 'p2', 'x', 'y', 'z', 'w'];
    const plan = planWaves([1, '50%', '100%'], targets, groups({ p1: { group: 'P', state: 'standby' }, p2: { group: 'P', state: 'active' } }));
    const wave = Object.fromEntries(plan.map((d) => [d.appliance, d.wave]));
    // Without groups: p1 | p2 x | y z w. p2 already follows p1's wave, so nothing moves.
    expect(wave).toEqual({ p1: 1, p2: 2, x: 2, y: 3, z: 3, w: 3 });
    // A group of three in one 100% wave spreads over three waves.
    const three = planWaves(
      ['100%'],
      ['t1', 't2', 't3'],
      groups({
        t1: { group: 'T', state: 'active' },
        t2: { group: 'T', state: 'standby' },
        t3: { group: 'T', state: 'offline' },
      }),
    );
    expect(three).toEqual([
      { appliance: 't2', wave: 1 },
      { appliance: 't3', wave: 2 },
      { appliance: 't1', wave: 3 },
    ]);
    for (const p of [plan, three]) {
      const numbers = [...new Set(p.map((d) => d.wave))].sort();
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    }
  });

  it('without groups the plan is the operator waves', () => {
    const plan = planWaves([1, '50%'], ['a', 'b', 'c', 'd'], () => null);
    expect(plan.map((d) => d.wave)).toEqual([1, 2, 3, 3]);
  });

  it('the engine stores the group plan, and a standby that fails halts before its active is touched', async () => {
    const fleet = await fleetOnDisk(4);
    const { engine, store } = await fleet.engine();
    // dev-01/dev-02 are a pair (dev-01 active); dev-03/dev-04 are alone.
    const members: Record<string, Membership> = { 'dev-01': { group: 'pair', state: 'active' }, 'dev-02': { group: 'pair', state: 'standby' } };
    const grouped = new RolloutEngine({
      rollouts: store.rollouts,
      catalog: engine.catalog,
      inventory: store.inventory,
      events: store.events,
      membershipOf: async (name) => groups(members)(name),
    });
    const { id, devices } = await grouped.start({ image: fleet.image.sha256, targets: 'all', waves: ['100%'] });
    expect(Object.fromEntries(devices.map((d) => [d.appliance, d.wave]))).toEqual({ 'dev-01': 2, 'dev-02': 1, 'dev-03': 1, 'dev-04': 1 });
    const fake = new FakeFleet();
    fake.behaviour.set('dev-02', 'fail');
    const status = await grouped.run(id, { upgrade: fake.upgrade });
    expect(status.state).toBe('halted');
    // The active was never upgraded: its group still serves on it, on the old image.
    expect(fake.callsOf('dev-01')).toBe(0);
    expect(fake.callsOf('dev-02')).toBe(1);
  });
});
