/**
 * The firmware catalog on a store several agents share: an image added through one agent (its
 * own $FULCRUM_HOME/firmware) is there, bytes and all, for another with an empty catalog
 * directory — checked against its hash and kept there from then on.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { CatalogError, FirmwareCatalog } from '../../src/upgrade/catalog.js';
import { hasPostgres, startPostgres, type PostgresServer } from '../support/postgres.js';
import { image } from '../unit/upgrade/rollout/support.js';

describe.skipIf(!hasPostgres())('the firmware catalog on a shared store', () => {
  let server: PostgresServer;
  let dir: string;
  beforeAll(async () => {
    server = await startPostgres();
    dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-shared-fw-'));
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives another agent the bytes of an image added through the first', async () => {
    const url = await server.createDatabase('firmware');
    const a = await openPostgresStore(url, { keyFile: path.join(dir, 'key') });
    const b = await openPostgresStore(url, { keyFile: path.join(dir, 'key') });
    try {
      const bytes = image('2.0.0');
      const here = new FirmwareCatalog(a.firmwareImages, path.join(dir, 'agent-a'));
      const there = new FirmwareCatalog(b.firmwareImages, path.join(dir, 'agent-b'));
      const record = await here.add(bytes);
      expect(existsSync(path.join(dir, 'agent-b', `${record.sha256}.fwi`))).toBe(false);
      expect(await there.get(record.sha256)).toEqual(bytes);
      // Kept in the other agent's catalog directory from then on.
      expect(existsSync(path.join(dir, 'agent-b', `${record.sha256}.fwi`))).toBe(true);
      // An image nobody added is still not found, on either.
      await expect(there.get('0'.repeat(64))).rejects.toBeInstanceOf(CatalogError);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
