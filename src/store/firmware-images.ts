/**
 * The firmware catalog's index: one row per image the agent keeps (the bytes are files under
 * $FULCRUM_HOME/firmware, see src/upgrade/catalog.ts). The row is what listings show, so the
 * API can list images without reading or parsing any of them. A store several agents share
 * keeps the bytes too (`blobs`): an image added through one agent can be installed by another.
 */

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

export interface FirmwareImageStore {
  /**
   * Records an image; adding one that is already there keeps its first `added` time (an image
   * is its hash, so nothing else can differ) and returns the stored record.
   */
  put(record: FirmwareImageRecord): Promise<FirmwareImageRecord>;
  get(sha256: string): Promise<FirmwareImageRecord | null>;
  /** Newest first. */
  list(): Promise<FirmwareImageRecord[]>;
  /** The images' bytes, on a store several agents share; null on one machine's file (the catalog's files are the bytes). */
  readonly blobs: ImageBlobs | null;
}

export interface ImageBlobs {
  /** Stores the bytes of image `sha256` (a second put of the same image changes nothing). */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  get(sha256: string): Promise<Uint8Array | null>;
}
