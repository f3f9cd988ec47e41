/**
 * Files of the firmware commands: signing keys, public keys, images and payloads, read with
 * operator-facing errors (exit 3, the file named), and written atomically so an interrupted
 * command never leaves half a key or half an image behind.
 */

import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { FirmwareKeyError, MAX_IMAGE_SIZE, trustedKeyOf, type SigningKey, type TrustedKey } from '../../protocol/image/image.js';
import { decodePrivateKeyPem, decodePublicKeyPem } from '../../protocol/host/node-crypto.js';
import { CliError, EXIT } from '../exit-codes.js';

/**
 * Writes `data` to a temporary file beside `file` with `mode`, flushes it, then renames it over
 * `file`: readers see the old file or the new one, never a mix. The mode is set explicitly
 * because the umask could otherwise widen or narrow it.
 */
export function writeFileAtomic(file: string, data: Uint8Array | string, mode: number): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', mode);
    chmodSync(temp, mode);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // The temporary file was never created, or is already gone.
    }
    throw new CliError(`${file}: cannot write: ${(err as Error).message}`, EXIT.failure);
  }
}

/** A whole input file, refused (exit 3) when missing, not a regular file, or larger than `limit`. */
export function readInputFile(file: string, what: string, limit: number): Uint8Array {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
  } catch (err) {
    throw new CliError(`${file}: cannot read ${what}: ${(err as Error).message}`, EXIT.invalidInput);
  }
  if (size > limit) throw new CliError(`${file}: ${size} bytes, more than the ${limit} a ${what} can be`, EXIT.invalidInput);
  try {
    return new Uint8Array(readFileSync(file));
  } catch (err) {
    throw new CliError(`${file}: cannot read ${what}: ${(err as Error).message}`, EXIT.invalidInput);
  }
}

// A PEM key is a few hundred bytes; anything far larger is the wrong file.
const KEY_FILE_LIMIT = 64 * 1024;

function readKeyText(file: string, what: string): string {
  return Buffer.from(readInputFile(file, what, KEY_FILE_LIMIT)).toString('utf8');
}

export function readSigningKey(file: string): SigningKey {
  try {
    return decodePrivateKeyPem(readKeyText(file, 'signing key'));
  } catch (err) {
    if (err instanceof FirmwareKeyError) throw new CliError(`${file}: ${err.message}`, EXIT.invalidInput);
    throw err;
  }
}

export function readTrustedKey(file: string): TrustedKey {
  try {
    return trustedKeyOf(decodePublicKeyPem(readKeyText(file, 'public key')));
  } catch (err) {
    if (err instanceof FirmwareKeyError) throw new CliError(`${file}: ${err.message}`, EXIT.invalidInput);
    throw err;
  }
}

/** An image file's bytes (not yet parsed). */
export function readImageFile(file: string): Uint8Array {
  return readInputFile(file, 'firmware image', MAX_IMAGE_SIZE);
}
