import { mkdirSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { StoragePort } from '../../firmware/ports.js';

/**
 * The appliance's flash, as a directory. Writes go to a temporary file that is fsync'd and
 * renamed over the old one, then the directory is fsync'd: after a power cut at any instant
 * the name holds the old bytes or the new bytes, never a mix.
 */
export class StateDir implements StoragePort {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  async read(name: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.file(name)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async writeAtomic(name: string, bytes: Uint8Array): Promise<void> {
    const target = this.file(name);
    const temp = `${target}.tmp-${process.pid}`;
    const fh = await open(temp, 'w', 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }

  private file(name: string): string {
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new Error(`invalid state file name: ${name}`);
    return path.join(this.dir, name);
  }
}

/** In-memory storage for appliances started without --state (nothing survives a restart, as on a box without flash). */
export class MemoryStorage implements StoragePort {
  private readonly blobs = new Map<string, Uint8Array>();
  async read(name: string): Promise<Uint8Array | null> {
    return this.blobs.get(name) ?? null;
  }
  async writeAtomic(name: string, bytes: Uint8Array): Promise<void> {
    this.blobs.set(name, bytes.slice());
  }
}
