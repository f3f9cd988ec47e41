/** The firmware catalog index on SQLite (table firmware_images). */
import type { Db } from '../database.js';
import type { FirmwareImageRecord, FirmwareImageStore } from '../firmware-images.js';
interface Row {
  sha256: string;
  version: string;
  security_counter: number;
  size: number;
  key_id: string;
  added: number;
}

const fromRow = (r: Row): FirmwareImageRecord => ({
  sha256: r.sha256,
  version: r.version,
  securityCounter: r.security_counter,
  size: r.size,
  keyId: r.key_id,
  added: r.added,
});

export class SqliteFirmwareImages implements FirmwareImageStore {
  readonly blobs = null;

  constructor(private readonly db: Db) {}

  async put(record: FirmwareImageRecord): Promise<FirmwareImageRecord> {
    this.db
      .prepare('INSERT INTO firmware_images (sha256, version, security_counter, size, key_id, added) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING')
      .run(record.sha256, record.version, record.securityCounter, record.size, record.keyId, Math.floor(record.added));
    return (await this.get(record.sha256))!;
  }

  async get(sha256: string): Promise<FirmwareImageRecord | null> {
    const row = this.db.prepare('SELECT * FROM firmware_images WHERE sha256 = ?').get(sha256) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async list(): Promise<FirmwareImageRecord[]> {
    return (this.db.prepare('SELECT * FROM firmware_images ORDER BY added DESC, sha256').all() as Row[]).map(fromRow);
  }
}
