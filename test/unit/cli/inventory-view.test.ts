import { describe, expect, it } from 'vitest';
import { ApplianceItem } from '../../../src/api/schemas.js';
import { ago, inventoryTable, liveItem, storedItem } from '../../../src/cli/inventory-view.js';
import { cycleLine } from '../../../src/cli/monitor-line.js';

const record = { name: 'edge-1', target: 'snmp://10.0.0.5', credentials: { community: 'secret' }, created: 1 };
const NOW = Date.UTC(2025, 0, 1, 12);

describe('appliance list', () => {
  it('names its JSON fields as the API appliance list does, and shows no secret', () => {
    const item = storedItem(record, null, NOW);
    expect(Object.keys(item).sort()).toEqual(Object.keys(ApplianceItem.properties).sort());
    expect(JSON.stringify(item)).not.toContain('secret"');
    expect(item).toMatchObject({ address: 'snmp://10.0.0.5', credentials: 'v2c community', reachable: null });
  });

  it('counts a pending commit down to now from what the poller saw', () => {
    const state = {
      name: 'edge-1',
      reachable: true,
      lastPoll: NOW - 20_000,
      lastAttempt: NOW - 20_000,
      error: null,
      model: 'm',
      firmware: '1.1.0',
      configId: 'cd'.repeat(32),
      pendingUntil: NOW + 40_000,
      group: null,
    };
    expect(storedItem(record, state, NOW)).toMatchObject({ reachable: true, firmware: '1.1.0', pendingConfirm: 40 });
    expect(storedItem(record, { ...state, pendingUntil: NOW - 1 }, NOW).pendingConfirm).toBe(0);
    const text = inventoryTable([storedItem(record, state, NOW), liveItem({ ...record, name: 'edge-2' }, { error: 'no SNMP answer' }, NOW)], NOW, false);
    expect(text).toMatch(/edge-1 .* reachable .* 1\.1\.0 .* cdcdcdcdcdcd .* reverts in 40s .* 20s ago/);
    expect(text).toMatch(/edge-2 .* UNREACHABLE/);
    expect(text.split('\n').at(-1)).toBe('edge-2: no SNMP answer');
  });

  it('says how long ago in the largest sensible unit', () => {
    expect([ago(null, NOW), ago(NOW - 5_000, NOW), ago(NOW - 600_000, NOW), ago(NOW - 3 * 86_400_000, NOW)]).toEqual(['never', '5s ago', '10m ago', '3d ago']);
  });

  it('monitor on a terminal: one line per cycle', () => {
    const line = cycleLine(NOW, { polled: 3, failed: 1, points: 420, ms: 83.4 }, 10_000);
    expect(line).toMatch(/^\d\d:\d\d:\d\d {2}3 appliances polled, 1 FAILED .*, 420 points stored in 83 ms; next cycle in 10s$/);
  });
});
