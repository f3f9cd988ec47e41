import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { sha256, toHex } from '../protocol/digest.js';

/** Where the agent keeps its files: $FULCRUM_HOME, else ~/.fulcrum. */
export function fulcrumHome(): string {
  return process.env.FULCRUM_HOME ?? path.join(homedir(), '.fulcrum');
}

/**
 * Rule tables the agent has pushed or read, by config id (content-addressed, so an entry can
 * never be stale). With the running table's bytes at hand, the next push to that appliance
 * sends only a patch.
 */
export class ConfigCache {
  constructor(readonly dir = path.join(fulcrumHome(), 'configs')) {}

  get(id: string): Uint8Array | null {
    if (!/^[0-9a-f]{64}$/.test(id)) return null;
    try {
      const bytes = new Uint8Array(readFileSync(path.join(this.dir, `${id}.rules`)));
      // A damaged file is no cache hit: the id is the check.
      return toHex(sha256(bytes)) === id ? bytes : null;
    } catch {
      return null;
    }
  }

  put(encoding: Uint8Array): string {
    const id = toHex(sha256(encoding));
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, `${id}.rules`);
    const temp = `${file}.tmp-${process.pid}`;
    writeFileSync(temp, encoding, { mode: 0o600 });
    renameSync(temp, file);
    return id;
  }
}
