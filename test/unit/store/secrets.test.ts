import { chmodSync, copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_V1 } from '../../../src/store/database.js';
import { SecretBox } from '../../../src/store/secrets.js';
import { openStore, type AgentStore } from '../../../src/store/index.js';
import { T0, tempDirs } from './support.js';

const newDir = tempDirs();
const open: AgentStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function store(file: string, keyFile: string): Promise<AgentStore> {
  const s = await openStore({ file, keyFile });
  open.push(s);
  return s;
}

const COMMUNITY = 'community-4b1d9e';
const V3 = { user: 'ops', authProtocol: 'sha', authKey: 'auth-77c0aa51', privProtocol: 'aes', privKey: 'priv-e3f90d12' } as const;

/** Whether any of the secrets appears anywhere in the database's files. */
function leaks(file: string): string[] {
  const found: string[] = [];
  for (const f of [file, `${file}-wal`, `${file}-shm`].filter((x) => existsSync(x))) {
    const bytes = readFileSync(f);
    for (const s of [COMMUNITY, V3.authKey, V3.privKey]) if (bytes.includes(Buffer.from(s))) found.push(`${s} in ${path.basename(f)}`);
  }
  return found;
}

describe('inventory secrets at rest', () => {
  it('seals SNMP secrets with a key file kept apart: the database alone holds none of them', async () => {
    const dir = newDir();
    const file = path.join(dir, 'fulcrum.db');
    const keyFile = path.join(dir, 'home', 'secret.key');
    const s = await store(file, keyFile);
    await s.inventory.add({ name: 'v2', target: 'snmp://192.0.2.1', credentials: { community: COMMUNITY } }, T0);
    await s.inventory.add({ name: 'v3', target: 'snmp://192.0.2.2', credentials: V3 }, T0);
    await s.inventory.add({ name: 'serial', target: 'serial:/dev/ttyS0' }, T0);
    expect((await s.inventory.get('v3'))?.credentials).toEqual(V3);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    await s.close();
    expect(leaks(file)).toEqual([]);
    expect((await (await store(file, keyFile)).inventory.get('v2'))?.credentials).toEqual({ community: COMMUNITY });
  });

  it('seals the clear secrets of a file written before, in place (none left behind in the file)', async () => {
    const dir = newDir();
    const file = path.join(dir, 'fulcrum.db');
    const old = new Database(file);
    old.exec(SCHEMA_V1);
    old.pragma('user_version = 1');
    const insert = old.prepare('INSERT INTO appliances (name, target, credentials, created) VALUES (?, ?, ?, ?)');
    insert.run('v2', 'snmp://192.0.2.1', JSON.stringify({ community: COMMUNITY }), T0);
    insert.run('v3', 'snmp://192.0.2.2', JSON.stringify(V3), T0);
    old.close();
    expect(leaks(file)).toHaveLength(3);

    const keyFile = path.join(dir, 'secret.key');
    const s = await store(file, keyFile);
    expect((await s.inventory.list()).map((a) => a.credentials)).toEqual([{ community: COMMUNITY }, V3]);
    await s.close();
    expect(leaks(file)).toEqual([]);
  });

  it('a copy of the database opened without its key fails clearly, naming the key file; a wrong key too', async () => {
    const dir = newDir();
    const file = path.join(dir, 'fulcrum.db');
    await (
      await store(file, path.join(dir, 'a', 'secret.key'))
    ).inventory.add({ name: 'v2', target: 'snmp://192.0.2.1', credentials: { community: COMMUNITY } }, T0);
    await open.pop()!.close();
    const copy = path.join(dir, 'copy.db');
    copyFileSync(file, copy);
    const missing = path.join(dir, 'b', 'secret.key');
    const withoutKey = await store(copy, missing);
    await expect(withoutKey.inventory.list()).rejects.toThrow(missing);
    await expect(withoutKey.inventory.list()).rejects.toThrow(/does not exist/);
    // Adding to it must not make a second key the old rows do not open with.
    await expect(withoutKey.inventory.add({ name: 'x', target: 'snmp://192.0.2.9', credentials: { community: 'c' } })).rejects.toThrow(missing);
    expect(existsSync(missing)).toBe(false);

    const other = path.join(dir, 'c', 'secret.key');
    await (await store(path.join(dir, 'other.db'), other)).inventory.add({ name: 'o', target: 'snmp://192.0.2.3', credentials: { community: 'x' } });
    await expect((await store(copy, other)).inventory.list()).rejects.toThrow(/another key/);
  });

  it('reads an inventory row as often as asked, and a sealed text moved to another appliance still does not open', async () => {
    const dir = newDir();
    const box = new SecretBox(path.join(dir, 'secret.key'));
    const sealed = box.seal(JSON.stringify({ community: COMMUNITY }), 'edge-1', true);
    // Opened once, then again from what the first opening kept: the same answer.
    expect(box.open(sealed, 'edge-1')).toBe(box.open(sealed, 'edge-1'));
    expect(JSON.parse(box.open(sealed, 'edge-1'))).toEqual({ community: COMMUNITY });
    // Sealed for edge-1: copied into edge-2's row it is refused, though edge-1's opening is kept.
    expect(() => box.open(sealed, 'edge-2')).toThrow(/edge-2: its sealed credentials do not open/);
    const altered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(altered, 'edge-1')).toThrow(/altered/);
  });

  it('refuses a key file other users may read', async () => {
    const dir = newDir();
    const keyFile = path.join(dir, 'secret.key');
    const s = await store(path.join(dir, 'fulcrum.db'), keyFile);
    await s.inventory.add({ name: 'v2', target: 'snmp://192.0.2.1', credentials: { community: COMMUNITY } });
    chmodSync(keyFile, 0o644);
    await expect((await store(path.join(dir, 'fulcrum.db'), keyFile)).inventory.list()).rejects.toThrow(/0644/);
  });
});
