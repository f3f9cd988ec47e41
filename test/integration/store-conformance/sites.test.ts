/** Appliance sites behave the same on every engine: default unless given, checked, kept across updates, changed alone. */
import { expect, it } from 'vitest';
import { InventoryError } from '../../../src/store/index.js';
import { describeEachEngine } from './engines.js';

describeEachEngine('store conformance: appliance sites', ({ open, reopen }) => {
  it('leaves the default site out of the record, keeps a given one, and changes it alone', async () => {
    const s = await open();
    const plain = await s.inventory.add({ name: 'lb-1', target: 'snmp://127.0.0.1:1161', credentials: { community: 'public' } }, 1_000);
    expect(plain).toEqual({ name: 'lb-1', target: 'snmp://127.0.0.1:1161', credentials: { community: 'public' }, created: 1_000 });
    const paris = await s.inventory.add({ name: 'lb-2', target: 'snmp://127.0.0.1:1162', credentials: { community: 'public' }, site: 'paris' }, 2_000);
    expect(paris.site).toBe('paris');
    // A new address keeps the site; a site alone keeps the address and credentials.
    expect((await s.inventory.update('lb-2', { target: 'snmp://127.0.0.1:1163' })).site).toBe('paris');
    const moved = await s.inventory.update('lb-1', { site: 'nyc' });
    expect(moved).toMatchObject({ target: 'snmp://127.0.0.1:1161', credentials: { community: 'public' }, site: 'nyc' });
    // Back to the default: the field goes away again.
    expect((await s.inventory.update('lb-1', { site: 'default' })).site).toBeUndefined();
    const again = await reopen(s);
    expect((await again.inventory.list()).map((r) => [r.name, r.site ?? 'default'])).toEqual([
      ['lb-1', 'default'],
      ['lb-2', 'paris'],
    ]);
  });

  it('refuses a site that is not a name, changing nothing', async () => {
    const s = await open();
    await s.inventory.add({ name: 'lb-1', target: 'snmp://127.0.0.1:1161', credentials: { community: 'public' }, site: 'paris' });
    for (const bad of ['', 'two words', 'x'.repeat(65)]) {
      await expect(s.inventory.update('lb-1', { site: bad })).rejects.toBeInstanceOf(InventoryError);
      await expect(s.inventory.add({ name: `lb-${bad.length + 2}`, target: 'snmp://127.0.0.1:1170', site: bad })).rejects.toBeInstanceOf(InventoryError);
    }
    expect((await s.inventory.list()).map((r) => [r.name, r.site])).toEqual([['lb-1', 'paris']]);
  });
});
