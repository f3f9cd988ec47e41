/**
 * The inventory answer kept per appliance (src/api/inventory-body.ts): the same JSON the
 * schema's serializer makes, and never a stale item — any value an item is made of that changes
 * (its record, its poll state, its owner) shows in the next answer.
 */
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import type { ApplianceInfo } from '../../../drivers/driver.js';
import { ITEM_FIELDS, InventoryBody, applianceItem } from '../../../src/api/inventory-body.js';
import type { ApplianceState } from '../../../src/api/fleet-state.js';
import { ApplianceItem, ApplianceList } from '../../../src/api/schemas.js';
import type { ApplianceRecord } from '../../../src/store/inventory.js';

const record = (name: string, target = `snmp://127.0.0.1:1161/${name}`): ApplianceRecord => ({
  name,
  target,
  credentials: { community: 'public' },
  created: 1_700_000_000_000,
});
const info: ApplianceInfo = { model: 'FL-1000', serialNumber: 'S1', firmware: '1.0.0', configId: 'a'.repeat(64), uptimeSeconds: 5, pendingConfirm: null };
const state = (name: string, over: Partial<ApplianceState> = {}): ApplianceState => ({
  name,
  reachable: true,
  lastPoll: 1_700_000_010_000,
  error: null,
  info: { ...info },
  snapshot: null,
  pollMs: 3,
  rates: new Map(),
  increases: new Map(),
  sample: null,
  unexplained: [],
  noted: [],
  ...over,
});

const parse = (body: Buffer): unknown => JSON.parse(body.toString('utf8'));

describe('the inventory answer', () => {
  it('compares every field of the schema', () => {
    expect([...ITEM_FIELDS].sort()).toEqual(Object.keys(ApplianceItem.properties).sort());
  });

  it('is the JSON of the items, valid against the schema', () => {
    const states = new Map([['lb1', state('lb1')]]);
    const body = new InventoryBody().render(
      [record('lb1'), record('lb2')],
      (n) => states.get(n) ?? null,
      (n) => (n === 'lb1' ? 'agent-a' : null),
    );
    const parsed = parse(body);
    expect(Value.Check(ApplianceList, parsed)).toBe(true);
    expect(parsed).toEqual({
      appliances: [
        applianceItem({ record: record('lb1'), state: states.get('lb1')!, owner: 'agent-a' }),
        applianceItem({ record: record('lb2'), state: null, owner: null }),
      ],
    });
    expect((parsed as { appliances: Array<{ reachable: unknown }> }).appliances[1]!.reachable).toBeNull();
  });

  it('shows at once whatever an item is made of changing, even when the state object is changed in place', () => {
    const view = new InventoryBody();
    const s = state('lb1');
    let owner: string | null = 'agent-a';
    let records = [record('lb1')];
    const render = () =>
      (
        parse(
          view.render(
            records,
            () => s,
            () => owner,
          ),
        ) as { appliances: Array<Record<string, unknown>> }
      ).appliances;
    expect(render()[0]).toMatchObject({ lastPoll: 1_700_000_010_000, configId: 'a'.repeat(64), owner: 'agent-a' });
    Object.assign(s, { lastPoll: 1_700_000_020_000 });
    expect(render()[0]!.lastPoll).toBe(1_700_000_020_000);
    Object.assign(s.info!, { configId: 'b'.repeat(64), pendingConfirm: 30 });
    expect(render()[0]).toMatchObject({ configId: 'b'.repeat(64), pendingConfirm: 30 });
    Object.assign(s, { reachable: false, error: 'timeout' });
    expect(render()[0]).toMatchObject({ reachable: false, error: 'timeout' });
    owner = null;
    expect(render()[0]!.owner).toBeNull();
    records = [record('lb1', 'serial:/dev/ttyS0')];
    expect(render()[0]).toMatchObject({ address: 'serial:/dev/ttyS0' });
    records = [{ ...record('lb1', 'serial:/dev/ttyS0'), credentials: {} }];
    expect(render()[0]!.credentials).toBe('none');
  });

  it('follows the inventory: appliances added, removed, reordered', () => {
    const view = new InventoryBody();
    const names = (rs: ApplianceRecord[]) => (parse(view.render(rs, () => null)) as { appliances: Array<{ name: string }> }).appliances.map((a) => a.name);
    expect(names([record('a'), record('b'), record('c')])).toEqual(['a', 'b', 'c']);
    expect(names([record('c'), record('a')])).toEqual(['c', 'a']);
    expect(names([])).toEqual([]);
    expect(names([record('b')])).toEqual(['b']);
  });

  it('over several runs of items, shows a change in any run and sends the answer before again only when nothing changed', () => {
    const view = new InventoryBody();
    const states = new Map<string, ApplianceState>();
    let records = Array.from({ length: 200 }, (_, i) => record(`a${String(i).padStart(3, '0')}`));
    for (const r of records) states.set(r.name, state(r.name));
    const render = () => view.render(records, (n) => states.get(n) ?? null);
    const expected = () => ({ appliances: records.map((r) => applianceItem({ record: r, state: states.get(r.name) ?? null, owner: undefined })) });
    const first = render();
    expect(parse(first)).toEqual(expected());
    expect(render()).toBe(first);
    for (const i of [0, 63, 64, 130, 199]) {
      const before = render();
      states.get(records[i]!.name)!.lastPoll = 1_700_000_100_000 + i;
      const after = render();
      expect(after).not.toBe(before);
      expect(parse(after)).toEqual(expected());
    }
    records = records.filter((_, i) => i !== 64);
    expect(parse(render())).toEqual(expected());
    records = records.slice(0, 128);
    expect(parse(render())).toEqual(expected());
    records = [...records, record('zzz')];
    expect(parse(render())).toEqual(expected());
    records = [];
    expect(parse(render())).toEqual({ appliances: [] });
  });

  it('writes the schema integers as its serializer does', () => {
    const s = state('lb1', { info: { ...info, pendingConfirm: 29.7 } });
    const item = (parse(new InventoryBody().render([record('lb1')], () => s)) as { appliances: Array<{ pendingConfirm: number }> }).appliances[0]!;
    expect(item.pendingConfirm).toBe(29);
  });
});
