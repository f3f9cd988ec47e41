/**
 * The lock of a managed HAProxy box (drivers/haproxy/lock.ts) across real processes: each
 * takes the lock, holds it a moment and dies without releasing it, so every later taker must
 * break a stale lock — several at once, racing. No two ever hold it together (a takeover that
 * removed the lock another process had just taken would show as two overlapping holds), and
 * every one gets it in the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const LOCK_MODULE = fileURLToPath(new URL('../../../../drivers/haproxy/lock.ts', import.meta.url));
const TAKERS = 6;
const ROUNDS = 3;

/** Takes the lock, logs "enter" and "leave" around a short hold, and exits without releasing. */
const TAKER = `
import { appendFileSync } from 'node:fs';
const { acquireLock } = await import(process.argv[1]);
const [lock, log] = process.argv.slice(2);
await acquireLock(lock, 60_000);
appendFileSync(log, 'enter ' + process.pid + '\\n');
await new Promise((r) => setTimeout(r, 30));
appendFileSync(log, 'leave ' + process.pid + '\\n');
process.exit(0);
`;

function taker(lock: string, log: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', TAKER, LOCK_MODULE, lock, log], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`taker exited ${code}: ${stderr}`))));
  });
}

describe('the HAProxy box lock across processes', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is held by one process at a time while the locks of dead holders are broken concurrently', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-lock-'));
    const lock = path.join(dir, 'box.lock');
    const log = path.join(dir, 'holds.log');
    for (let round = 0; round < ROUNDS; round++) await Promise.all(Array.from({ length: TAKERS }, () => taker(lock, log)));

    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2 * TAKERS * ROUNDS);
    // Every "enter" is followed by the same process's "leave" before anyone else enters.
    for (let i = 0; i < lines.length; i += 2) {
      const [kind, pid] = lines[i]!.split(' ');
      expect(kind).toBe('enter');
      expect(lines[i + 1]).toBe(`leave ${pid}`);
    }
  }, 120_000);
});
