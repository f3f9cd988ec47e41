/** The inventory on SQLite (table appliances), credentials sealed by the SecretBox. */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';
import {
  checkApplianceName,
  checkSite,
  DEFAULT_SITE,
  siteField,
  checkCredentials,
  checkTarget,
  InventoryError,
  type ApplianceChange,
  type ApplianceRecord,
  type Credentials,
  type Inventory,
  type NewAppliance,
} from '../inventory.js';
import { hasSealedRows } from '../seal-migration.js';
import { isSealed, SecretBox } from '../secrets.js';
interface Row {
  name: string;
  target: string;
  credentials: string;
  created: number;
  site: string;
}

export class SqliteInventory implements Inventory {
  /**
   * The last listing, served again while it is still what the table holds: no other connection
   * committed since (`PRAGMA data_version`) and this one wrote no appliance (`writes`; only this
   * class writes the table after the store opened). The API lists the whole inventory on every
   * `GET /appliances`; reading and opening 1,000 rows each time was a good part of its CPU.
   */
  private listed: { version: number; writes: number; records: readonly ApplianceRecord[] } | null = null;
  private writes = 0;
  private readonly dataVersion: Statement<[], number>;
  /** One appliance's row, read on every history request: compiled once. */
  private readonly byName: Statement<[string], Row>;

  constructor(
    private readonly db: Db,
    private readonly secrets = new SecretBox(),
  ) {
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.byName = db.prepare<[string], Row>('SELECT name, target, credentials, created, site FROM appliances WHERE name = ?');
  }

  private fromRow(r: Row): ApplianceRecord {
    const text = isSealed(r.credentials) ? this.secrets.open(r.credentials, r.name) : r.credentials;
    return { name: r.name, target: r.target, credentials: JSON.parse(text) as Credentials, created: r.created, ...siteField(r.site) };
  }

  async add(appliance: NewAppliance, now = Date.now()): Promise<ApplianceRecord> {
    const name = checkApplianceName(appliance.name);
    const target = checkTarget(appliance.target);
    const credentials = checkCredentials(appliance.credentials);
    const site = appliance.site === undefined ? DEFAULT_SITE : checkSite(appliance.site);
    // A missing key is made only for a table with nothing sealed yet: a new key would not open the old rows.
    const text = this.secrets.sealCredentials(credentials, name, !hasSealedRows(this.db));
    try {
      this.db
        .prepare('INSERT INTO appliances (name, target, credentials, created, site) VALUES (?, ?, ?, ?, ?)')
        .run(name, target, text, Math.floor(now), site);
      this.writes++;
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new InventoryError('duplicate', `an appliance named "${name}" already exists`);
      throw error;
    }
    return { name, target, credentials, created: Math.floor(now), ...siteField(site) };
  }

  async list(): Promise<ApplianceRecord[]> {
    const version = this.dataVersion.get()!;
    if (this.listed?.version !== version || this.listed.writes !== this.writes) {
      const rows = this.db.prepare('SELECT name, target, credentials, created, site FROM appliances ORDER BY name').all() as Row[];
      // Frozen: every caller shares these records until the table changes.
      this.listed = { version, writes: this.writes, records: rows.map((r) => frozen(this.fromRow(r))) };
    }
    return [...this.listed.records];
  }

  /** The names alone, in order: nothing sealed is opened (shell completion reads them). */
  async names(): Promise<string[]> {
    return (this.db.prepare('SELECT name FROM appliances ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
  }

  async get(name: string): Promise<ApplianceRecord | null> {
    const row = this.byName.get(name);
    return row ? this.fromRow(row) : null;
  }

  async update(name: string, change: ApplianceChange): Promise<ApplianceRecord> {
    const current = await this.get(name);
    if (!current) throw new InventoryError('notFound', `no appliance named "${name}"`);
    const target = change.target === undefined ? current.target : checkTarget(change.target);
    const credentials = change.credentials === undefined ? current.credentials : checkCredentials(change.credentials);
    const site = change.site === undefined ? (current.site ?? DEFAULT_SITE) : checkSite(change.site);
    // Sealed like add's, under the same name (the name is part of what the seal binds).
    const text = this.secrets.sealCredentials(credentials, name, !hasSealedRows(this.db));
    this.db.prepare('UPDATE appliances SET target = ?, credentials = ?, site = ? WHERE name = ?').run(target, text, site, name);
    this.writes++;
    const { site: _old, ...rest } = current;
    return { ...rest, target, credentials, ...siteField(site) };
  }

  async remove(name: string): Promise<void> {
    const removed = this.db.prepare('DELETE FROM appliances WHERE name = ?').run(name).changes;
    this.writes++;
    if (removed === 0) {
      throw new InventoryError('notFound', `no appliance named "${name}"`);
    }
  }
}

function frozen(record: ApplianceRecord): ApplianceRecord {
  Object.freeze(record.credentials);
  return Object.freeze(record);
}
