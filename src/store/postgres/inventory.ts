/**
 * The inventory on PostgreSQL (table `appliances`), behaving as SqliteInventory does: the same
 * checks (inventory.ts), the same errors, names in order. Credentials holding secrets
 * are sealed with the agent's key file (SecretBox) before they reach the server, so neither the
 * database nor its backups hold a community or v3 key in clear.
 */
import { sqlState, UNIQUE_VIOLATION, type PgDb } from './connection.js';
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
import { isSealed, SecretBox } from '../secrets.js';

interface Row {
  name: string;
  target: string;
  credentials: string;
  created: number;
  site: string;
}

export class PgInventory implements Inventory {
  constructor(
    private readonly db: PgDb,
    private readonly secrets = new SecretBox(),
  ) {}

  private fromRow(r: Row): ApplianceRecord {
    const text = isSealed(r.credentials) ? this.secrets.open(r.credentials, r.name) : r.credentials;
    return { name: r.name, target: r.target, credentials: JSON.parse(text) as Credentials, created: r.created, ...siteField(r.site) };
  }

  /** A missing key is made only while nothing is sealed yet: a new key would not open the old rows. */
  private async seal(credentials: Credentials, name: string): Promise<string> {
    if (Object.keys(credentials).length === 0) return JSON.stringify(credentials);
    const sealed = await this.db.query("SELECT 1 FROM appliances WHERE credentials LIKE 'sealed:%' LIMIT 1");
    return this.secrets.sealCredentials(credentials, name, sealed.rowCount === 0);
  }

  async add(appliance: NewAppliance, now = Date.now()): Promise<ApplianceRecord> {
    const name = checkApplianceName(appliance.name);
    const target = checkTarget(appliance.target);
    const credentials = checkCredentials(appliance.credentials);
    const site = appliance.site === undefined ? DEFAULT_SITE : checkSite(appliance.site);
    const text = await this.seal(credentials, name);
    try {
      await this.db.query('INSERT INTO appliances (name, target, credentials, created, site) VALUES ($1, $2, $3, $4, $5)', [
        name,
        target,
        text,
        Math.floor(now),
        site,
      ]);
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION) throw new InventoryError('duplicate', `an appliance named "${name}" already exists`);
      throw error;
    }
    return { name, target, credentials, created: Math.floor(now), ...siteField(site) };
  }

  async list(): Promise<ApplianceRecord[]> {
    const rows = (await this.db.query<Row>('SELECT name, target, credentials, created, site FROM appliances ORDER BY name COLLATE "C"')).rows;
    return rows.map((r) => this.fromRow(r));
  }

  /** The names alone, in order: nothing sealed is opened (shell completion reads them). */
  async names(): Promise<string[]> {
    return (await this.db.query<{ name: string }>('SELECT name FROM appliances ORDER BY name COLLATE "C"')).rows.map((r) => r.name);
  }

  async get(name: string): Promise<ApplianceRecord | null> {
    const row = (await this.db.query<Row>('SELECT name, target, credentials, created, site FROM appliances WHERE name = $1', [name])).rows[0];
    return row ? this.fromRow(row) : null;
  }

  async update(name: string, change: ApplianceChange): Promise<ApplianceRecord> {
    const current = await this.get(name);
    if (!current) throw new InventoryError('notFound', `no appliance named "${name}"`);
    const target = change.target === undefined ? current.target : checkTarget(change.target);
    const credentials = change.credentials === undefined ? current.credentials : checkCredentials(change.credentials);
    const site = change.site === undefined ? (current.site ?? DEFAULT_SITE) : checkSite(change.site);
    // Sealed like add's, under the same name (the name is part of what the seal binds).
    const text = await this.seal(credentials, name);
    const result = await this.db.query('UPDATE appliances SET target = $1, credentials = $2, site = $3 WHERE name = $4', [target, text, site, name]);
    if (result.rowCount === 0) throw new InventoryError('notFound', `no appliance named "${name}"`);
    const { site: _old, ...rest } = current;
    return { ...rest, target, credentials, ...siteField(site) };
  }

  async remove(name: string): Promise<void> {
    if ((await this.db.query('DELETE FROM appliances WHERE name = $1', [name])).rowCount === 0) {
      throw new InventoryError('notFound', `no appliance named "${name}"`);
    }
  }
}
