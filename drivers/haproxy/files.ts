/**
 * The file operations a push makes on the box's filesystem: read, and write atomically (a
 * temporary file in the same directory, flushed, renamed over the target, the directory flushed),
 * so HAProxy — and a power cut — sees the old file or the new one, never a part of either.
 *
 * Invariant: every failure is DriverError('refused', 'storage') naming the file and saying that
 * the agent must be able to write it; a failed write leaves the target as it was.
 */

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DriverError } from '../driver.js';

export function readText(file: string, what = 'the configuration file'): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw storageError(`reading ${what} ${file}`, err);
  }
}

/** `text` as the whole content of `file`, or nothing changed. */
export function writeAtomically(file: string, text: string, what = 'the configuration file'): void {
  const temp = temporaryName(file);
  try {
    writeDurably(temp, text);
    renameSync(temp, file);
    syncDirectory(path.dirname(file));
  } catch (err) {
    rmSync(temp, { force: true });
    throw storageError(`writing ${what} ${file}`, err);
  }
}

/** A name next to `file` for a candidate that is checked or renamed into place. */
export function temporaryName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.fulcrum-${process.pid}.tmp`);
}

export function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'w', 0o640);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is done either way.
  } finally {
    closeSync(fd);
  }
}

export function storageError(doing: string, err: unknown): DriverError {
  const e = err as NodeJS.ErrnoException;
  const hint =
    e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
      ? ": the agent must be able to write HAProxy's configuration file and its directory (a local or shared filesystem; see ?config=)"
      : e.code === 'ENOENT'
        ? ': no such file or directory (give the file HAProxy was started with as ?config=FILE)'
        : '';
  return new DriverError('refused', `${doing}: ${e.message ?? String(err)}${hint}`, 'storage');
}
