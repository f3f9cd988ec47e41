/** The firmware catalog's index on PostgreSQL (table `firmware_images`): an image is its hash, so a second put keeps the first row. */
import type { PgDb } from './connection.js';
import type { FirmwareImageRecord, FirmwareImageStore, ImageBlobs } from '../firmware-images.js';

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

export class PgFirmwareImages implements FirmwareImageStore {
  readonly blobs: ImageBlobs;

  constructor(private readonly db: PgDb) {
    this.blobs = {
      put: async (sha256, bytes) => {
        await db.query('INSERT INTO firmware_blobs (sha256, data) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING', [sha256, Buffer.from(bytes)]);
      },
      get: async (sha256) => {
        const row = (await db.query<{ data: Buffer }>('SELECT data FROM firmware_blobs WHERE sha256 = $1', [sha256])).rows[0];
        return row ? new Uint8Array(row.data) : null;
      },
    };
  }

  async put(record: FirmwareImageRecord): Promise<FirmwareImageRecord> {
    await this.db.query(
      'INSERT INTO firmware_images (sha256, version, security_counter, size, key_id, added) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING',
      [record.sha256, record.version, record.securityCounter, record.size, record.keyId, Math.floor(record.added)],
    );
    return (await this.get(record.sha256))!;
  }

  async get(sha256: string): Promise<FirmwareImageRecord | null> {
    const row = (await this.db.query<Row>('SELECT * FROM firmware_images WHERE sha256 = $1', [sha256])).rows[0];
    return row ? fromRow(row) : null;
  }

  /** Newest first. */
  async list(): Promise<FirmwareImageRecord[]> {
    return (await this.db.query<Row>('SELECT * FROM firmware_images ORDER BY added DESC, sha256 COLLATE "C"')).rows.map(fromRow);
  }
}
