import { chmodSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InventoryError, openStore, type AgentStore } from '../../../src/store/index.js';
import { T0, tempDirs } from './support.js';

const newDir = tempDirs();
const open: AgentStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function store(file = path.join(newDir(), 'fulcrum.db')): Promise<AgentStore> {
  const s = await openStore({ file });
  open.push(s);
  return s;
}

async function refusal(action: () => Promise<unknown>): Promise<InventoryError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(InventoryError);
    return error as InventoryError;
  }
  throw new Error('expected an InventoryError');
}

const V3 = { user: 'fulcrum', authProtocol: 'sha', authKey: 'auth-pass-phrase', privProtocol: 'aes', privKey: 'priv-pass-phrase' } as const;

describe('inventory', () => {
  it('adds, lists (by name), gets and removes appliances, and keeps them across reopening', async () => {
    const file = path.join(newDir(), 'fulcrum.db');
    const s = await store(file);
    const lab = await s.inventory.add({ name: 'lab-1', target: 'serial:/dev/ttyUSB0', credentials: {} }, T0);
    expect(lab).toEqual({ name: 'lab-1', target: 'serial:/dev/ttyUSB0', credentials: {}, created: T0 });
    await s.inventory.add({ name: 'edge.paris_2', target: 'snmp://192.0.2.10:1161', credentials: V3 }, T0 + 1);
    await s.inventory.add({ name: 'Core-A', target: 'snmp://lb.example.net', credentials: { community: 'public' } }, T0 + 2);
    expect((await s.inventory.list()).map((a) => a.name)).toEqual(['Core-A', 'edge.paris_2', 'lab-1']);
    await s.close();

    const again = await store(file);
    expect(await again.inventory.get('edge.paris_2')).toEqual({ name: 'edge.paris_2', target: 'snmp://192.0.2.10:1161', credentials: V3, created: T0 + 1 });
    expect(await again.inventory.get('nope')).toBeNull();
    await again.inventory.remove('lab-1');
    expect(await again.inventory.get('lab-1')).toBeNull();
    expect(await again.inventory.list()).toHaveLength(2);
    expect(await refusal(() => again.inventory.remove('lab-1'))).toMatchObject({ code: 'notFound', message: 'no appliance named "lab-1"' });
  });

  it('refuses a duplicate name clearly, leaving the first as it was', async () => {
    const s = await store();
    await s.inventory.add({ name: 'lb1', target: 'serial:/dev/ttyS0' });
    const e = await refusal(() => s.inventory.add({ name: 'lb1', target: 'snmp://10.0.0.1' }));
    expect(e).toMatchObject({ code: 'duplicate', message: 'an appliance named "lb1" already exists' });
    expect((await s.inventory.get('lb1'))?.target).toBe('serial:/dev/ttyS0');
  });

  it('refuses names other than letters, digits, ".", "_" and "-"', async () => {
    const s = await store();
    for (const name of ['', 'a b', 'x/y', '../etc', 'é', 'a;drop', 'x'.repeat(65), 42 as unknown as string]) {
      expect(await refusal(() => s.inventory.add({ name, target: 'serial:/dev/ttyS0' })), JSON.stringify(name)).toMatchObject({ code: 'invalid' });
    }
    expect(await s.inventory.list()).toEqual([]);
  });

  it('refuses targets and credentials it cannot use', async () => {
    const s = await store();
    const bad = (target: string, credentials?: unknown) => refusal(() => s.inventory.add({ name: 'x', target, credentials: credentials as never }));
    expect((await bad('http://x')).message).toMatch(
      /use serial:\/dev\/ttyX\[\?baud=N\], tcp:\/\/HOST:PORT or telnet:\/\/HOST:PORT \(a console server\), snmp:\/\/HOST/,
    );
    expect((await bad('serial:')).code).toBe('invalid');
    expect((await bad('snmp://')).code).toBe('invalid');
    expect((await bad('snmp://h', 'public')).message).toMatch(/expected an object/);
    expect((await bad('snmp://h', { community: '' })).message).toMatch(/community must be a non-empty string/);
    expect((await bad('snmp://h', { user: 'u', privProtocol: 'aes', privKey: 'k' })).message).toMatch(/needs authentication/);
    expect((await bad('snmp://h', { user: 'u', authProtocol: 'sha' })).message).toMatch(/go together/);
    expect((await bad('snmp://h', { user: 'u', authProtocol: 'crc', authKey: 'k' })).message).toMatch(/authProtocol must be one of/);
    expect((await bad('snmp://h', { community: 'c', password: 'p' })).message).toMatch(/unknown field "password"/);
  });

  it('keeps the database (credentials inside) mode 0600, tightening a file found wider', async () => {
    const dir = newDir();
    const file = path.join(dir, 'fulcrum.db');
    const s = await store(file);
    await s.inventory.add({ name: 'lb1', target: 'snmp://10.0.0.1', credentials: V3 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    await s.close();

    const loose = path.join(dir, 'loose.db');
    writeFileSync(loose, '');
    chmodSync(loose, 0o644);
    await store(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o600);
  });
});
