import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach } from 'vitest';
import { openStore, type AgentStore } from '../../../src/store/index.js';

/** A fresh temp directory per call, removed after the test. */
export function tempDirs(): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-store-'));
    made.push(dir);
    return dir;
  };
}

/** 2025-06-15T00:00:00Z: on the hour, so bucket arithmetic in tests is easy to read. */
export const T0 = Date.UTC(2025, 5, 15);

/** |actual − expected| within `rel` of the expected value's size (at least `rel`). */
export function near(actual: number | null, expected: number, rel = 1e-9): boolean {
  return actual !== null && Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected));
}

/**
 * `look` at a SQLite store's tables through a second, read-only connection to its file (the
 * store keeps its own to itself); what the store has committed is what this sees.
 */
export function inspect<T>(store: AgentStore, look: (db: Database.Database) => T): T {
  const db = new Database(store.location, { readonly: true, fileMustExist: true });
  try {
    return look(db);
  } finally {
    db.close();
  }
}

/** A fresh store in a fresh directory per call, closed (and removed) after the test. */
export function tempStores(): () => Promise<AgentStore> {
  const newDir = tempDirs();
  const open: AgentStore[] = [];
  // Registered after tempDirs' hook, so it runs first: stores close before their directories go.
  // close() is idempotent, so a test that closed its store itself is fine.
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  return async () => {
    const s = await openStore({ file: path.join(newDir(), 'fulcrum.db') });
    open.push(s);
    return s;
  };
}
