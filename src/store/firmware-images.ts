/**
 * The firmware catalog's index: one row per image the agent keeps (the bytes are files under
 * $FULCRUM_HOME/firmware, see src/upgrade/catalog.ts). The row is what listings show, so the
 * API can list images without reading or parsing any of them.
 */
import type { Db } from './database.js';

export interface FirmwareImageRecord {
  /** SHA-256 of the whole image file, lower-case hex: its name in the catalog. */
  sha256: string;
  /** As `formatVersion` writes it: `1.4.0` or `1.4.0+12`. */
  version: string;
  securityCounter: number;
  /** Bytes of the whole image. */
  size: number;
  /** The signer's key id, 16 hex digits. */
  keyId: string;
  /** ms since the epoch, when the image was first added. */
  added: number;
}

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

export class SqliteFirmwareImages {
  constructor(private readonly db: Db) {}

  /**
   * Records an image; adding one that is already there keeps its first `added` time (an image
   * is its hash, so nothing else can differ) and returns the stored record.
   */
  put(record: FirmwareImageRecord): FirmwareImageRecord {
    this.db
      .prepare('INSERT INTO firmware_images (sha256, version, security_counter, size, key_id, added) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING')
      .run(record.sha256, record.version, record.securityCounter, record.size, record.keyId, Math.floor(record.added));
    return this.get(record.sha256)!;
  }

  get(sha256: string): FirmwareImageRecord | null {
    const row = this.db.prepare('SELECT * FROM firmware_images WHERE sha256 = ?').get(sha256) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Newest first. */
  list(): FirmwareImageRecord[] {
    return (this.db.prepare('SELECT * FROM firmware_images ORDER BY added DESC, sha256').all() as Row[]).map(fromRow);
  }
}
