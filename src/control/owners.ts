/**
 * Who owns which consoles on this machine. A console line has one owner: the `fulcrum monitor`
 * or `serve` that polls an inventory holds its serial consoles (and console-server ports) open,
 * and writes a record here, in $FULCRUM_HOME/run, naming its control socket and the consoles it
 * holds. A CLI command aimed at one of them finds the record and goes through that process
 * instead of failing on the port's lock. A record whose process is gone is stale: ignored, and
 * removed when seen.
 *
 * Consoles are compared by what they are, not how they are spelled: a device by its real path
 * (a symlink such as /dev/serial/by-id/… is the same console), a console-server port by host and
 * port whatever the scheme or baud.
 */
import { mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { parseConsoleTarget } from '../../drivers/console/target.js';
import { parseSerialTarget } from '../../drivers/serial/target.js';
import { targetKind } from '../../drivers/targets.js';
import { fulcrumHome } from '../store/config-cache.js';
import { pidExists } from '../store/pid-exists.js';

export interface OwnerRecord {
  pid: number;
  host: string;
  /** What the owner is, for messages: "fulcrum monitor". */
  command: string;
  /** When it started holding them (ms since the epoch). */
  since: number;
  /** Its control socket (a Unix socket, readable by its user only). */
  socket: string;
  /** The consoles it holds, by inventory name: name → console key (see consoleKey). */
  consoles: Record<string, string>;
}

/** What identifies the console a target names, or null for targets that need no owner (SNMP, bad targets). */
export function consoleKey(target: string): string | null {
  try {
    const kind = targetKind(target);
    if (kind === 'serial') {
      const device = parseSerialTarget(target).path;
      return `serial:${realOrSame(device)}`;
    }
    if (kind === 'console') {
      const { host, port } = parseConsoleTarget(target);
      return `console:${host.toLowerCase()}:${port}`;
    }
  } catch {
    // A target its driver refuses has no owner: the direct open reports what is wrong with it.
  }
  return null;
}

function realOrSame(device: string): string {
  try {
    return realpathSync(device);
  } catch {
    return device;
  }
}

export const runDir = (): string => path.join(fulcrumHome(), 'run');

const recordFile = (dir: string, pid: number) => path.join(dir, `owner-${pid}.json`);

/** The control socket's path for this process (short: Unix socket paths are limited to ~107 bytes). */
export function socketPath(dir = runDir(), pid = process.pid): string {
  return path.join(dir, `owner-${pid}.sock`);
}

/**
 * Publishes (or republishes, when the inventory changed) this process's record, written whole
 * (temporary file, then rename) so a reader never sees half of it. Returns the remover.
 */
export function publishOwner(record: OwnerRecord, dir = runDir()): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = recordFile(dir, record.pid);
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, JSON.stringify(record), { mode: 0o600 });
  renameSync(temporary, file);
  return () => rmSync(file, { force: true });
}

function alive(record: OwnerRecord): boolean {
  return record.host !== hostname() || pidExists(record.pid);
}

/** Every live owner's record on this machine; stale ones are removed on the way. */
export function liveOwners(dir = runDir()): OwnerRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const owners: OwnerRecord[] = [];
  for (const name of names) {
    if (!/^owner-\d+\.json$/.test(name)) continue;
    const file = path.join(dir, name);
    let record: OwnerRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as OwnerRecord;
    } catch {
      continue; // being replaced, or not ours: the next look finds it whole
    }
    if (record.pid === process.pid) continue;
    if (alive(record)) owners.push(record);
    else {
      rmSync(file, { force: true });
      rmSync(record.socket, { force: true });
    }
  }
  return owners;
}

/** The owner holding the console `target` names, with the inventory name it holds it under. */
export function findOwner(target: string, dir = runDir()): { owner: OwnerRecord; name: string } | null {
  const key = consoleKey(target);
  if (key === null) return null;
  for (const owner of liveOwners(dir)) {
    for (const [name, held] of Object.entries(owner.consoles)) if (held === key) return { owner, name };
  }
  return null;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** "pid 4242 (fulcrum monitor, since 2026-12-03T07:00:00Z)". */
export function describeOwner(o: OwnerRecord): string {
  return `pid ${o.pid} (${o.command}, since ${iso(o.since)})`;
}
