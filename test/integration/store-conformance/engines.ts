/**
 * The engines the conformance suite runs on: the SQLite file (openStore, a temp file) and a
 * real PostgreSQL server from Debian's package (test/support/postgres.ts), skipped with a
 * printed reason where it is not installed. Every test gets a fresh, empty store with its own
 * key file, closed after the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { openStore, type AgentStore, type Retention } from '../../../src/store/index.js';
import { openPostgresStore } from '../../../src/store/postgres/index.js';
import { hasPostgres, startPostgres, type PostgresServer } from '../../support/postgres.js';

export interface OpenOptions {
  retention?: Partial<Retention>;
}

export interface EngineContext {
  /** A fresh store on this engine. */
  open(options?: OpenOptions): Promise<AgentStore>;
  /** The same database again, as another process would open it. */
  reopen(store: AgentStore, options?: OpenOptions): Promise<AgentStore>;
}

/** Runs `body` once per engine, each in its own describe block named after the engine. */
export function describeEachEngine(title: string, body: (engine: EngineContext) => void): void {
  describe(`${title} (SQLite)`, () => {
    const { track, dir } = lifecycle();
    const files = new Map<AgentStore, string>();
    // openStore is async now; awaiting works for a synchronous result as well.
    const at = async (file: string, options: OpenOptions = {}) => {
      const s = track(await openStore({ file, keyFile: path.join(path.dirname(file), 'secret.key'), ...options }));
      files.set(s, file);
      return s;
    };
    body({
      open: async (options) => at(path.join(dir(), 'fulcrum.db'), options),
      reopen: async (store, options) => at(files.get(store)!, options),
    });
  });

  describe.skipIf(!hasPostgres())(`${title} (PostgreSQL)`, () => {
    const { track, dir } = lifecycle();
    let server: PostgresServer;
    let databases = 0;
    const urls = new Map<AgentStore, { url: string; keyFile: string }>();
    beforeAll(async () => {
      server = await startPostgres();
    }, 60_000);
    afterAll(async () => server?.stop());
    const at = async (url: string, keyFile: string, options: OpenOptions = {}) => {
      const s = track(await openPostgresStore(url, { keyFile, ...options }));
      urls.set(s, { url, keyFile });
      return s;
    };
    body({
      open: async (options) => at(await server.createDatabase(`conformance_${++databases}`), path.join(dir(), 'secret.key'), options),
      reopen: async (store, options) => {
        const { url, keyFile } = urls.get(store)!;
        return at(url, keyFile, options);
      },
    });
  });
}

/** Stores opened by a test are closed after it; its temp directories removed. */
function lifecycle() {
  const stores: AgentStore[] = [];
  const dirs: string[] = [];
  const closed = new WeakSet<AgentStore>();
  afterEach(async () => {
    for (const s of stores.splice(0)) if (!closed.has(s)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    track(s: AgentStore): AgentStore {
      const close = s.close.bind(s);
      // A test may close a store itself: the cleanup must not close it twice.
      stores.push(
        Object.assign(s, {
          close: async () => {
            if (closed.has(s)) return;
            closed.add(s);
            await close();
          },
        }),
      );
      return s;
    },
    dir(): string {
      const d = mkdtempSync(path.join(tmpdir(), 'fulcrum-conformance-'));
      dirs.push(d);
      return d;
    },
  };
}
