import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SCHEMA_V1 } from '../../../src/store/database.js';
import { openStore, SCHEMA_VERSION } from '../../../src/store/index.js';
import { T0, tempDirs } from './support.js';

const newDir = tempDirs();

/** A database file exactly as version 1 of the agent left it, with an appliance and an event in it. */
function versionOneFile(): string {
  const file = path.join(newDir(), 'fulcrum.db');
  const db = new Database(file);
  db.exec(SCHEMA_V1);
  db.pragma('user_version = 1');
  db.prepare('INSERT INTO appliances (name, target, credentials, created) VALUES (?, ?, ?, ?)').run(
    'edge-1',
    'snmp://127.0.0.1:1161',
    JSON.stringify({ community: 'public' }),
    T0,
  );
  db.prepare('INSERT INTO events (ts, appliance, kind, detail) VALUES (?, ?, ?, ?)').run(T0, 'edge-1', 'trap', '{}');
  db.close();
  return file;
}

const userVersion = (file: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
};

describe('store schema migrations', () => {
  it('upgrades a version 1 file in place: its data stays, tokens and the audit log work', async () => {
    const file = versionOneFile();
    const store = await openStore({ file });
    try {
      expect((await store.inventory.list()).map((a) => [a.name, a.target])).toEqual([['edge-1', 'snmp://127.0.0.1:1161']]);
      expect((await store.events.query()).map((e) => e.kind)).toEqual(['trap']);
      const { token, record } = await store.tokens.create({ role: 'admin', name: 'ops' });
      expect((await store.tokens.verify(token))?.id).toBe(record.id);
      await store.audit.append({ ts: T0, actor: { id: record.id, name: 'ops' }, action: 'POST /x', status: 200, outcome: 'ok' });
      expect(await store.audit.list()).toHaveLength(1);
    } finally {
      await store.close();
    }
    expect(userVersion(file)).toBe(SCHEMA_VERSION);
    // Opening the upgraded file again runs nothing twice.
    await (await openStore({ file })).close();
    expect(userVersion(file)).toBe(SCHEMA_VERSION);
  });

  it('gives a fresh file the same tables as an upgraded one', async () => {
    const tables = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return (
          db.prepare("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name").all() as { name: string; sql: string | null }[]
        ).map((r) => `${r.name}: ${r.sql}`);
      } finally {
        db.close();
      }
    };
    const upgraded = versionOneFile();
    await (await openStore({ file: upgraded })).close();
    const fresh = path.join(newDir(), 'fresh.db');
    await (await openStore({ file: fresh })).close();
    expect(tables(fresh)).toEqual(tables(upgraded));
  });

  it('leaves a file untouched when a migration fails, and says which version failed', async () => {
    const file = versionOneFile();
    const db = new Database(file);
    // Something already in the way of version 2's tables.
    db.exec('CREATE TABLE api_tokens (x INTEGER)');
    db.close();
    await expect(openStore({ file })).rejects.toThrow(/schema version 2 \(API tokens and the audit log\) failed/);
    expect(userVersion(file)).toBe(1);
    const check = new Database(file, { readonly: true });
    expect(check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'audit'").get()).toEqual({ n: 0 });
    check.close();
  });

  it('refuses a file from a newer agent instead of guessing', async () => {
    const file = path.join(newDir(), 'future.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await expect(openStore({ file })).rejects.toThrow(/newer than this agent knows/);
  });
});
