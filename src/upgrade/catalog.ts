/**
 * The agent's firmware catalog: the images it can install, kept content-addressed under
 * $FULCRUM_HOME/firmware/<sha256>.fwi (the SHA-256 of the whole image file) and listed in the
 * database's firmware_images table. An image enters only once parseImage accepts it, so nothing
 * in the catalog is junk; its signature is the appliance's to check against the keys it trusts.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { sha256, toHex } from '../protocol/digest.js';
import { FirmwareImageError, formatVersion, parseImage } from '../protocol/image/image.js';
import { fulcrumHome } from '../store/config-cache.js';
import type { FirmwareImageRecord, FirmwareImageStore } from '../store/firmware-images.js';

export type CatalogErrorCode = 'notFound' | 'damaged';

/** An image the catalog cannot hand out; `code` says why. */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';

  constructor(
    readonly code: CatalogErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class FirmwareCatalog {
  constructor(
    private readonly images: FirmwareImageStore,
    readonly dir = path.join(fulcrumHome(), 'firmware'),
  ) {}

  /**
   * Adds an image (or finds it already there) and returns its record. Throws
   * FirmwareImageError for bytes that are not one whole, intact image: anything parseImage
   * refuses, and bytes after the end of the image (a bad download or concatenation, which
   * would also give the same image a second name).
   */
  async add(bytes: Uint8Array, now = Date.now()): Promise<FirmwareImageRecord> {
    const image = parseImage(bytes);
    if (bytes.length > image.size) {
      throw new FirmwareImageError('badTrailer', `${bytes.length - image.size} unexpected byte(s) after the end of the image at byte ${image.size}`);
    }
    const hash = toHex(sha256(bytes));
    if (!this.holds(hash)) this.write(hash, bytes);
    // The bytes go first (file, and the shared store's copy): a row never names an image that cannot be read.
    await this.images.blobs?.put(hash, bytes);
    return this.images.put({
      sha256: hash,
      version: formatVersion(image.header.version),
      securityCounter: image.header.securityCounter,
      size: image.size,
      keyId: toHex(image.keyId),
      added: now,
    });
  }

  /** The image's bytes, checked against their name. Throws CatalogError. */
  async get(hash: string): Promise<Uint8Array> {
    if (!SHA256_HEX.test(hash)) throw new CatalogError('notFound', `${JSON.stringify(hash)} is not an image's SHA-256 (64 lower-case hex digits)`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(this.file(hash)));
    } catch (error) {
      // Added through another agent of a shared store: its bytes are in the store; kept here from now on.
      const shared = await this.images.blobs?.get(hash);
      if (shared && toHex(sha256(shared)) === hash) {
        this.write(hash, shared);
        return shared;
      }
      const listed = (await this.images.get(hash)) !== null;
      const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file is missing' : (error as Error).message;
      throw new CatalogError(
        'notFound',
        `firmware image ${hash} is not in the catalog (${this.file(hash)}: ${why}${listed ? '; the database lists it: add the image again' : ''})`,
      );
    }
    const actual = toHex(sha256(bytes));
    if (actual !== hash) throw new CatalogError('damaged', `${this.file(hash)} is damaged: its SHA-256 is ${actual}; add the image again`);
    return bytes;
  }

  entry(hash: string): Promise<FirmwareImageRecord | null> {
    return this.images.get(hash);
  }

  /** Newest first. */
  list(): Promise<FirmwareImageRecord[]> {
    return this.images.list();
  }

  private file(hash: string): string {
    return path.join(this.dir, `${hash}.fwi`);
  }

  /** Whether the file is there and intact (a damaged one is replaced by the next add). */
  private holds(hash: string): boolean {
    try {
      return toHex(sha256(readFileSync(this.file(hash)))) === hash;
    } catch {
      return false;
    }
  }

  /** Temporary file, fsync, rename: a reader sees the whole image or none. */
  private write(hash: string, bytes: Uint8Array): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(hash);
    const temp = `${file}.tmp-${process.pid}`;
    const fd = openSync(temp, 'w', 0o600);
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      unlinkSync(temp);
      throw error;
    }
    closeSync(fd);
    renameSync(temp, file);
  }
}
