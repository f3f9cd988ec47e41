/**
 * A private PostgreSQL 15 server for the tests and the benchmarks, from Debian's package (postgresql-15): a cluster
 * initialised in a temporary directory, listening on 127.0.0.1 and a socket in that directory
 * only, on a port nobody else uses, trusting the `fulcrum` user. Nothing of the machine's own
 * PostgreSQL (if any) is touched. `hasPostgres()` prints why the tests that need it are skipped
 * when the binaries are absent.
 *
 * initdb and the server refuse to run as root, so as root the cluster belongs to the `postgres`
 * user (the package's); otherwise it is the test process's own.
 */

import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export const PG_BIN = process.env.FULCRUM_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const USER = 'fulcrum';
const run = promisify(execFile);

let known: boolean | undefined;

/** Whether a cluster can be started here; prints why the tests that need one are skipped when not. */
export function hasPostgres(): boolean {
  if (known !== undefined) return known;
  let why: string | null = null;
  if (!existsSync(path.join(PG_BIN, 'initdb')) || !existsSync(path.join(PG_BIN, 'pg_ctl'))) why = `${PG_BIN}/initdb is not installed`;
  else if (isRoot() && spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status !== 0)
    why = 'running as root and there is no postgres user to run initdb as';
  known = why === null;
  if (!known) console.warn(`skipping the tests that need PostgreSQL: ${why} (Debian: apt-get install postgresql-15)`);
  return known;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** A running private cluster. */
export interface PostgresServer {
  readonly port: number;
  /** The connection URL of database `name` (default: the `postgres` database). */
  url(name?: string): string;
  /** A new, empty database; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast: open sessions are cut) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
  /** The server's processes now (postmaster and its children): what its CPU is summed over. */
  pids(): number[];
}

/** Error of a server that did not come up, with the end of its log. */
export class PostgresStartError extends Error {
  override readonly name = 'PostgresStartError';
}

/** Runs a PostgreSQL binary as the cluster's owner. */
async function asOwner(bin: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const file = path.join(PG_BIN, bin);
  return isRoot() ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args);
}

/** A port the OS just had free on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-pg-'));
  if (isRoot()) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres']).stdout), Number(spawnSync('id', ['-g', 'postgres']).stdout));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'log');
  // fsync off: a test cluster is thrown away, and it saves seconds on every CREATE DATABASE.
  await asOwner('initdb', ['-D', data, '-A', 'trust', '-U', USER, '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  let port = 0;
  const start = async () => {
    await asOwner('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  };
  const stopServer = async () => {
    await asOwner('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  };
  // Another process may take the port between the probe and the start: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      if (attempt === 2) {
        const tail = spawnSync('tail', ['-n', '20', log], { encoding: 'utf8' }).stdout;
        rmSync(dir, { recursive: true, force: true });
        throw new PostgresStartError(`PostgreSQL did not start: ${(error as Error).message}\n${tail}`);
      }
    }
  }
  // A test process that dies without stop() must not leave a server behind.
  const onExit = () => {
    const bin = path.join(PG_BIN, 'pg_ctl');
    const args = ['-D', data, '-m', 'immediate', 'stop'];
    spawnSync(isRoot() ? 'runuser' : bin, isRoot() ? ['-u', 'postgres', '--', bin, ...args] : args, { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const url = (name = 'postgres') => `postgres://${USER}@127.0.0.1:${port}/${name}`;
  return {
    port,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    pids() {
      try {
        const main = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        const children = spawnSync('pgrep', ['-P', String(main)], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter(Boolean)
          .map(Number);
        return [main, ...children];
      } catch {
        return [];
      }
    },
    async restart() {
      await stopServer();
      await start();
    },
    async stop() {
      process.removeListener('exit', onExit);
      try {
        await stopServer();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
