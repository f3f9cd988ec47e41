/**
 * Schema version 6: the inventory's credentials, kept in clear JSON until then, sealed in place
 * with the key file (secrets.ts), creating the key if this is its first use. Runs inside the
 * migration's transaction, with secure_delete on so the pages that held the clear text are
 * overwritten, not just freed (database.ts then checkpoints the WAL into the file).
 */
import type Database from 'better-sqlite3';
import { isSealed, type SecretBox } from './secrets.js';

/** Whether the inventory already holds sealed rows: then only their key may seal more. */
export function hasSealedRows(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM appliances WHERE credentials LIKE 'sealed:%' LIMIT 1").get() !== undefined;
}

export function sealClearCredentials(db: Database.Database, env: { secrets: SecretBox }): void {
  const rows = (db.prepare('SELECT id, name, credentials FROM appliances').all() as { id: number; name: string; credentials: string }[]).filter(
    (r) => !isSealed(r.credentials) && Object.keys(JSON.parse(r.credentials) as object).length > 0,
  );
  if (rows.length === 0) return;
  const mayCreateKey = !hasSealedRows(db);
  const secureDelete = db.pragma('secure_delete', { simple: true }) as number;
  db.pragma('secure_delete = ON');
  try {
    const update = db.prepare('UPDATE appliances SET credentials = ? WHERE id = ?');
    for (const r of rows) update.run(env.secrets.sealCredentials(JSON.parse(r.credentials) as object, r.name, mayCreateKey), r.id);
  } finally {
    db.pragma(`secure_delete = ${secureDelete}`);
  }
}
