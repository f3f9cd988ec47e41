/**
 * The agent's one SQLite file: inventory (with credentials), metric dictionary, samples,
 * rollups, events, API tokens (hashed) and the audit log. Opening it creates it mode 0600 inside a 0700 directory, because it holds
 * SNMP communities and v3 keys; SQLite gives its -wal and -shm files the database's mode.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { fulcrumHome } from './config-cache.js';
import { sealClearCredentials } from './seal-migration.js';
import { SecretBox } from './secrets.js';

export type Db = Database.Database;

/** $FULCRUM_HOME/fulcrum.db (else ~/.fulcrum/fulcrum.db). */
export function defaultDatabasePath(): string {
  return path.join(fulcrumHome(), 'fulcrum.db');
}

/*
 * Times: `ts` of samples and rollups is whole seconds since the epoch (4 bytes on disk until
 * 2038, 6 after); events and inventory keep ms, as Date.now() gives them.
 * Frames are keyed (appliance, ts) WITHOUT ROWID: the primary key is the table, so a series'
 * history is one contiguous range per appliance and no second index is kept up to date.
 */
/** Version 1: what every file starts from; later versions are MIGRATIONS below. */
export const SCHEMA_V1 = `
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

/**
 * Schema changes after version 1, in order. Each migration takes the file from `version - 1`
 * to `version`; a fresh file gets SCHEMA_V1 and then every migration, so old and new
 * files end up with the same tables. To change the schema, append an entry with the next
 * version number — never edit one that has shipped, since files out there already ran it.
 */
interface Migration {
  version: number;
  /** What it adds, for the error message if it fails. */
  description: string;
  sql?: string;
  /** A change SQL alone cannot make (sealing secrets needs the key), run after `sql`. */
  run?: (db: Db, env: MigrationEnv) => void;
}

export interface MigrationEnv {
  secrets: SecretBox;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 2,
    description: 'API tokens and the audit log',
    // Tokens are kept as the SHA-256 of the secret: the file never holds a usable token.
    // Revoked tokens stay (revoked set) so the audit log's actor ids keep their names.
    sql: `
CREATE TABLE api_tokens (
  id        INTEGER PRIMARY KEY,
  hash      BLOB NOT NULL UNIQUE,
  role      TEXT NOT NULL CHECK (role IN ('admin', 'read')),
  name      TEXT NOT NULL,
  created   INTEGER NOT NULL,
  last_used INTEGER,
  revoked   INTEGER
) STRICT;

CREATE TABLE audit (
  id             INTEGER PRIMARY KEY,
  ts             INTEGER NOT NULL,
  actor_id       INTEGER,
  actor          TEXT NOT NULL,
  action         TEXT NOT NULL,
  appliance      TEXT,
  status         INTEGER NOT NULL,
  outcome        TEXT NOT NULL,
  config_before  TEXT,
  config_after   TEXT,
  detail         TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_time ON audit (ts);
CREATE INDEX audit_by_appliance ON audit (appliance, ts);
`,
  },
  {
    version: 3,
    description: 'firmware catalog and fleet rollouts',
    // Images themselves are files under $FULCRUM_HOME/firmware, named by their SHA-256; this
    // table is what the API lists. A rollout's runner_* columns are the lease of the process
    // that runs it (see src/upgrade/rollout/lease.ts), so two agents never run one rollout.
    sql: `
CREATE TABLE firmware_images (
  sha256           TEXT PRIMARY KEY,
  version          TEXT NOT NULL,
  security_counter INTEGER NOT NULL,
  size             INTEGER NOT NULL,
  key_id           TEXT NOT NULL,
  added            INTEGER NOT NULL
) STRICT;

CREATE TABLE rollouts (
  id               INTEGER PRIMARY KEY,
  image            TEXT NOT NULL REFERENCES firmware_images(sha256),
  version          TEXT NOT NULL,
  created          INTEGER NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('running', 'paused', 'halted', 'aborted', 'succeeded')),
  reason           TEXT,
  waves            TEXT NOT NULL,
  max_failures     TEXT NOT NULL,
  allowed_failures INTEGER NOT NULL,
  deadline_ms      INTEGER NOT NULL,
  updated          INTEGER NOT NULL,
  runner_token     TEXT,
  runner_host      TEXT,
  runner_pid       INTEGER,
  heartbeat        INTEGER
) STRICT;

CREATE TABLE rollout_devices (
  rollout   INTEGER NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
  appliance TEXT NOT NULL,
  position  INTEGER NOT NULL,
  wave      INTEGER NOT NULL,
  state     TEXT NOT NULL CHECK (state IN ('pending', 'upgrading', 'succeeded', 'failed')),
  started   INTEGER,
  finished  INTEGER,
  error     TEXT,
  version   TEXT,
  PRIMARY KEY (rollout, appliance)
) WITHOUT ROWID, STRICT;
CREATE INDEX rollout_devices_by_appliance ON rollout_devices (appliance);
`,
  },
  {
    version: 4,
    description: 'the poller lease',
    // One row at most: who polls this store (src/store/poller-lease.ts), so two pollers never do.
    sql: `
CREATE TABLE poller_lease (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  holder  TEXT NOT NULL,
  pid     INTEGER NOT NULL,
  host    TEXT NOT NULL,
  command TEXT NOT NULL,
  since   INTEGER NOT NULL,
  expires INTEGER NOT NULL
) STRICT;
`,
  },
  {
    version: 5,
    description: 'audit entries say whether a change came through the API or the CLI',
    // Until now only token changes came from the CLI, named "cli:USER".
    sql: `
ALTER TABLE audit ADD COLUMN via TEXT NOT NULL DEFAULT 'api' CHECK (via IN ('api', 'cli'));
UPDATE audit SET via = 'cli' WHERE actor_id IS NULL AND actor LIKE 'cli:%';
`,
  },
  {
    version: 6,
    description: "the inventory's SNMP secrets sealed with $FULCRUM_HOME/secret.key",
    run: sealClearCredentials,
  },
  {
    version: 7,
    description: "each appliance's last known state, as the poller saw it",
    // One row per inventory appliance, gone with it (src/store/appliance-state.ts): what
    // `fulcrum appliance list` shows without asking the appliances.
    sql: `
CREATE TABLE appliance_state (
  appliance     INTEGER PRIMARY KEY REFERENCES appliances(id) ON DELETE CASCADE,
  reachable     INTEGER NOT NULL CHECK (reachable IN (0, 1)),
  last_poll     INTEGER,
  last_attempt  INTEGER NOT NULL,
  error         TEXT,
  model         TEXT,
  firmware      TEXT,
  config_id     TEXT,
  pending_until INTEGER
) STRICT;
`,
  },
  {
    version: 8,
    description: 'the failover group each appliance reports',
    // What the poller read of the appliance's group membership (src/store/appliance-state.ts):
    // the agent learns groups from the appliances, never from its own configuration, so the
    // three go together — all set for a member, all NULL for a lone box.
    sql: `
ALTER TABLE appliance_state ADD COLUMN group_name TEXT;
ALTER TABLE appliance_state ADD COLUMN group_unit INTEGER;
ALTER TABLE appliance_state ADD COLUMN group_state TEXT CHECK (group_state IN ('active', 'standby', 'offline'));
`,
  },
  {
    version: 9,
    description: "each appliance's site",
    // Which agents may poll it when several share a server store (src/poller/ownership/); kept
    // here too so the SQLite file and the server hold the same inventory.
    sql: "ALTER TABLE appliances ADD COLUMN site TEXT NOT NULL DEFAULT 'default';",
  },
  {
    version: 10,
    description: 'fleet pushes started through the API, with their runner lease',
    // What was asked (the canonical table, so any agent rebuilds the same config id), its
    // progress per appliance and the lease of the process running it (src/store/fleet-pushes.ts),
    // so a push whose agent died is carried on by another.
    sql: `
CREATE TABLE fleet_pushes (
  id                 INTEGER PRIMARY KEY,
  created            INTEGER NOT NULL,
  updated            INTEGER NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'refused')),
  config_id          TEXT NOT NULL,
  rules              BLOB NOT NULL,
  canary             INTEGER NOT NULL,
  confirm_timeout_ms INTEGER NOT NULL,
  settle_ms          INTEGER NOT NULL,
  allow_destructive  INTEGER NOT NULL CHECK (allow_destructive IN (0, 1)),
  actor_id           INTEGER,
  actor              TEXT,
  failure            TEXT,
  adoptions          TEXT NOT NULL DEFAULT '[]',
  runner_token       TEXT,
  runner_host        TEXT,
  runner_pid         INTEGER,
  heartbeat          INTEGER
) STRICT;

CREATE TABLE fleet_push_targets (
  push             INTEGER NOT NULL REFERENCES fleet_pushes(id) ON DELETE CASCADE,
  appliance        TEXT NOT NULL,
  position         INTEGER NOT NULL,
  canary           INTEGER NOT NULL DEFAULT 0 CHECK (canary IN (0, 1)),
  state            TEXT NOT NULL CHECK (state IN ('waiting', 'planned', 'unchanged', 'pushing', 'confirmed', 'failed', 'rolled back')),
  config_before    TEXT,
  config_after     TEXT,
  error            TEXT,
  sent             INTEGER NOT NULL DEFAULT 0 CHECK (sent IN (0, 1)),
  baseline_start   BLOB,
  baseline_end     BLOB,
  baseline_seconds REAL,
  updated          INTEGER NOT NULL,
  PRIMARY KEY (push, appliance)
) WITHOUT ROWID, STRICT;
`,
  },
];

/** The version a file has once every migration ran. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 1;

function checkMigrations(): void {
  MIGRATIONS.forEach((m, i) => {
    if (m.version !== i + 2)
      throw new Error(`schema migration "${m.description}" is numbered ${m.version}, expected ${i + 2}: migrations are consecutive from 2`);
  });
}

/** Bring `db` from `version` to SCHEMA_VERSION in one transaction: all of it or none. */
function migrate(db: Db, file: string, version: number, env: MigrationEnv): void {
  checkMigrations();
  db.transaction(() => {
    // A fresh file (version 0) gets version 1's tables, then every migration like an old file.
    if (version === 0) db.exec(SCHEMA_V1);
    const from = Math.max(version, 1);
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      try {
        if (m.sql) db.exec(m.sql);
        m.run?.(db, env);
      } catch (error) {
        throw new Error(`${file}: upgrading the database to schema version ${m.version} (${m.description}) failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/** Create the file (0600) if needed and tighten it if it exists wider. */
function prepareFile(file: string): void {
  if (file === ':memory:') return;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

export interface OpenDatabaseOptions {
  /** The key that seals the inventory's secrets (default $FULCRUM_HOME/secret.key). */
  secrets?: SecretBox;
}

/** Open (creating if needed) the database at `file`: WAL, synchronous=NORMAL, schema in place. */
export function openDatabase(file = defaultDatabasePath(), options: OpenDatabaseOptions = {}): Db {
  prepareFile(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a power cut can lose the last transactions, never corrupt the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // The CLI and a running agent share the file: wait for the other's write instead of failing.
    db.pragma('busy_timeout = 5000');
    // 16 MiB of page cache per connection: the poller's inserts touch one leaf per appliance
    // (1,000 appliances: ~4 MB) and the history route an appliance's recent frames; 64 MiB made
    // a long-running agent's RSS grow by as much once its file outgrew it.
    db.pragma('cache_size = -16384');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`${file}: database schema version ${version} is newer than this agent knows (${SCHEMA_VERSION}); upgrade Fulcrum to open it`);
    }
    if (version < SCHEMA_VERSION) {
      migrate(db, file, version, { secrets: options.secrets ?? new SecretBox() });
      // Pages that held what a migration rewrote (clear secrets) leave the WAL for the file now.
      if (file !== ':memory:') db.pragma('wal_checkpoint(TRUNCATE)');
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
