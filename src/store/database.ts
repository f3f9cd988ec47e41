/**
 * The agent's one SQLite file: inventory (with credentials), metric dictionary, samples,
 * rollups, events. Opening it creates it mode 0600 inside a 0700 directory, because it holds
 * SNMP communities and v3 keys; SQLite gives its -wal and -shm files the database's mode.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { fulcrumHome } from './config-cache.js';

export type Db = Database.Database;

/** $FULCRUM_HOME/fulcrum.db (else ~/.fulcrum/fulcrum.db). */
export function defaultDatabasePath(): string {
  return path.join(fulcrumHome(), 'fulcrum.db');
}

const SCHEMA_VERSION = 1;

/*
 * Times: `ts` of samples and rollups is whole seconds since the epoch (4 bytes on disk until
 * 2038, 6 after); events and inventory keep ms, as Date.now() gives them.
 * Frames are keyed (appliance, ts) WITHOUT ROWID: the primary key is the table, so a series'
 * history is one contiguous range per appliance and no second index is kept up to date.
 */
const SCHEMA = `
CREATE TABLE appliances (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  target      TEXT NOT NULL,
  credentials TEXT NOT NULL,
  created     INTEGER NOT NULL
) STRICT;

CREATE TABLE metric_appliance (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE metric_series (
  id        INTEGER PRIMARY KEY,
  appliance INTEGER NOT NULL REFERENCES metric_appliance(id),
  slot      INTEGER NOT NULL,
  service   TEXT NOT NULL,
  backend   TEXT NOT NULL,
  counter   TEXT NOT NULL,
  kind      INTEGER NOT NULL,
  UNIQUE (appliance, service, backend, counter),
  UNIQUE (appliance, slot)
) STRICT;

CREATE TABLE sample_raw (appliance INTEGER NOT NULL, ts INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (appliance, ts)) WITHOUT ROWID, STRICT;
CREATE TABLE sample_1m  (appliance INTEGER NOT NULL, ts INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (appliance, ts)) WITHOUT ROWID, STRICT;
CREATE TABLE sample_1h  (appliance INTEGER NOT NULL, ts INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (appliance, ts)) WITHOUT ROWID, STRICT;

CREATE TABLE events (
  id        INTEGER PRIMARY KEY,
  ts        INTEGER NOT NULL,
  appliance TEXT NOT NULL,
  kind      TEXT NOT NULL,
  detail    TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_time ON events (ts);
CREATE INDEX events_by_appliance ON events (appliance, ts);
`;

/** Create the file (0600) if needed and tighten it if it exists wider. */
function prepareFile(file: string): void {
  if (file === ':memory:') return;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

/** Open (creating if needed) the database at `file`: WAL, synchronous=NORMAL, schema in place. */
export function openDatabase(file = defaultDatabasePath()): Db {
  prepareFile(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a power cut can lose the last transactions, never corrupt the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // The CLI and a running agent share the file: wait for the other's write instead of failing.
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -65536');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) {
      db.transaction(() => {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    } else if (version !== SCHEMA_VERSION) {
      throw new Error(`${file}: database schema version ${version}, this agent knows ${SCHEMA_VERSION}`);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
