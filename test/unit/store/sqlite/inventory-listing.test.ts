/**
 * The SQLite inventory's kept listing (src/store/sqlite/inventory.ts): served again only while
 * it is what the table holds — a change by another connection (another process on the file) or
 * by this one shows at the next list — and shared records cannot be changed by a caller.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type AgentStore } from '../../../../src/store/index.js';
import { tempDirs } from '../support.js';

const newDir = tempDirs();
const open: AgentStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function twoConnections(): Promise<[AgentStore, AgentStore]> {
  const dir = newDir();
  const options = { file: path.join(dir, 'fulcrum.db'), keyFile: path.join(dir, 'secret.key') };
  const a = await openStore(options);
  const b = await openStore(options);
  open.push(a, b);
  return [a, b];
}

const names = async (s: AgentStore) => (await s.inventory.list()).map((r) => `${r.name} ${r.target}`);

describe('the SQLite inventory listing', () => {
  it("shows another connection's add, update and remove at the next list", async () => {
    const [a, b] = await twoConnections();
    await a.inventory.add({ name: 'lb1', target: 'snmp://127.0.0.1:1161', credentials: { community: 'public' } });
    expect(await names(a)).toEqual(['lb1 snmp://127.0.0.1:1161']);
    await b.inventory.add({ name: 'lb2', target: 'serial:/dev/ttyS1' });
    expect(await names(a)).toEqual(['lb1 snmp://127.0.0.1:1161', 'lb2 serial:/dev/ttyS1']);
    await b.inventory.update('lb1', { target: 'snmp://127.0.0.1:2161' });
    expect(await names(a)).toEqual(['lb1 snmp://127.0.0.1:2161', 'lb2 serial:/dev/ttyS1']);
    await b.inventory.remove('lb2');
    expect(await names(a)).toEqual(['lb1 snmp://127.0.0.1:2161']);
  });

  it("shows this connection's own changes, credentials included", async () => {
    const [a] = await twoConnections();
    await a.inventory.add({ name: 'lb1', target: 'snmp://127.0.0.1:1161', credentials: { community: 'public' } });
    expect((await a.inventory.list())[0]!.credentials).toEqual({ community: 'public' });
    await a.inventory.update('lb1', { credentials: { community: 'other' } });
    expect((await a.inventory.list())[0]!.credentials).toEqual({ community: 'other' });
    await a.inventory.add({ name: 'lb0', target: 'serial:/dev/ttyS0' });
    expect(await names(a)).toEqual(['lb0 serial:/dev/ttyS0', 'lb1 snmp://127.0.0.1:1161']);
    await a.inventory.remove('lb1');
    expect(await names(a)).toEqual(['lb0 serial:/dev/ttyS0']);
  });

  it('hands out records no caller can change for the others, in an array each caller owns', async () => {
    const [a] = await twoConnections();
    await a.inventory.add({ name: 'lb1', target: 'snmp://127.0.0.1:1161', credentials: { community: 'public' } });
    const first = await a.inventory.list();
    expect(() => {
      (first[0] as { target: string }).target = 'elsewhere';
    }).toThrow(TypeError);
    expect(() => {
      (first[0]!.credentials as { community: string }).community = 'leaked';
    }).toThrow(TypeError);
    first.pop();
    expect(await names(a)).toEqual(['lb1 snmp://127.0.0.1:1161']);
  });
});
