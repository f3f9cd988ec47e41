import { describe, expect, it } from 'vitest';
import { BALANCE, planOwners, type PlanAgent } from '../../../../src/poller/ownership/rendezvous.js';

const fleet = (n: number, site = 'default') => Array.from({ length: n }, (_, i) => ({ name: `lb${i}`, site }));
const agents = (n: number, capacity = 1_000_000, site = 'default'): PlanAgent[] => Array.from({ length: n }, (_, i) => ({ id: `agent-${i}`, site, capacity }));
const moved = (a: Map<string, string | null>, b: Map<string, string | null>) => [...a].filter(([k, v]) => b.get(k) !== v).length;

describe('rendezvous ownership plan', () => {
  it('gives every appliance one owner, spread about evenly', () => {
    const plan = planOwners(fleet(3_000), agents(3));
    const load = new Map<string, number>();
    for (const owner of plan.values()) load.set(owner!, (load.get(owner!) ?? 0) + 1);
    expect([...plan.values()].every((o) => o !== null)).toBe(true);
    for (const n of load.values()) expect(Math.abs(n - 1_000)).toBeLessThan(100);
  });

  it('is the same plan whatever the order it is given its inputs in', () => {
    const a = planOwners(fleet(500), agents(4));
    const b = planOwners([...fleet(500)].reverse(), [...agents(4)].reverse());
    expect([...a].sort()).toEqual([...b].sort());
  });

  it('an agent joining takes about 1/N, and only from the others onto itself', () => {
    const before = planOwners(fleet(4_000), agents(3));
    const after = planOwners(fleet(4_000), agents(4));
    const changed = [...before].filter(([k, v]) => after.get(k) !== v);
    // Ideal: 1/4 of 4,000 = 1,000.
    expect(changed.length).toBeGreaterThan(850);
    expect(changed.length).toBeLessThan(1_150);
    expect(changed.every(([k]) => after.get(k) === 'agent-3')).toBe(true);
  });

  it('an agent leaving gives up its own appliances, and the others keep theirs but for the few the load bound moves', () => {
    const before = planOwners(fleet(2_000), agents(4));
    const after = planOwners(
      fleet(2_000),
      agents(4).filter((a) => a.id !== 'agent-1'),
    );
    const mine = [...before].filter(([, v]) => v === 'agent-1');
    for (const [name] of mine) expect(after.get(name)).not.toBe('agent-1');
    expect(moved(before, after) - mine.length).toBeLessThanOrEqual(20);
  });

  it('splits a small fleet: no agent idle while another holds more than its bounded share', () => {
    // Agent ids are random per start: try many, as many starts would.
    for (let seed = 0; seed < 500; seed++) {
      for (const [n, k] of [
        [4, 2],
        [9, 3],
        [9, 2],
      ] as const) {
        const ids = Array.from({ length: k }, (_, i) => ({ id: `host:${seed * 7 + i}:${(seed * 2654435761) >>> 0}`, site: 'default', capacity: 5_000 }));
        const load = new Map(ids.map((a) => [a.id, 0]));
        for (const owner of planOwners(fleet(n), ids).values()) load.set(owner!, load.get(owner!)! + 1);
        for (const held of load.values()) {
          expect(held).toBeGreaterThan(0);
          expect(held).toBeLessThanOrEqual(Math.ceil((BALANCE * n) / k));
        }
      }
    }
  });

  it('lets capacity alone decide when the load bound would leave appliances unowned', () => {
    const plan = planOwners(fleet(10), [
      { id: 'tiny', site: 'default', capacity: 1 },
      { id: 'big', site: 'default', capacity: 100 },
    ]);
    const count = (id: string | null) => [...plan.values()].filter((v) => v === id).length;
    expect([count('tiny'), count('big'), count(null)]).toEqual([1, 9, 0]);
  });

  it('respects capacities, and leaves unowned what nobody has room for', () => {
    const plan = planOwners(fleet(10), [
      { id: 'small', site: 'default', capacity: 2 },
      { id: 'big', site: 'default', capacity: 5 },
    ]);
    const count = (id: string | null) => [...plan.values()].filter((v) => v === id).length;
    expect(count('small')).toBe(2);
    expect(count('big')).toBe(5);
    expect(count(null)).toBe(3);
  });

  it('keeps appliances to the agents of their site', () => {
    const plan = planOwners(
      [...fleet(20, 'paris'), { name: 'nyc-1', site: 'nyc' }],
      [...agents(2, 100, 'paris'), { id: 'only-nyc', site: 'nyc', capacity: 100 }],
    );
    expect(plan.get('nyc-1')).toBe('only-nyc');
    for (const [name, owner] of plan) if (name !== 'nyc-1') expect(owner).not.toBe('only-nyc');
    expect(planOwners([{ name: 'lonely', site: 'tokyo' }], agents(2)).get('lonely')).toBeNull();
  });
});
