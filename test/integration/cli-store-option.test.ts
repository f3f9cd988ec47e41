/** --store, --db and FULCRUM_STORE name the same store: a SQLite file here (a postgres:// URL in agents-postgres.test.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fulcrum } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-store-opt-'));
const env = { FULCRUM_HOME: dir };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const names = (stdout: string) => (JSON.parse(stdout) as { appliances: Array<{ name: string }> }).appliances.map((a) => a.name);

describe('the store option', () => {
  it('--store and --db open the same file; FULCRUM_STORE is the default', () => {
    const file = path.join(dir, 'agent.db');
    const add = fulcrum(['appliance', 'add', 'lb-1', 'serial:/dev/ttyUSB9', '--no-check', '--store', file], undefined, env);
    expect(add.code, add.stderr).toBe(0);
    const viaDb = fulcrum(['appliance', 'list', '--json', '--db', file], undefined, env);
    expect(names(viaDb.stdout)).toEqual(['lb-1']);
    const viaEnv = fulcrum(['appliance', 'list', '--json'], undefined, { ...env, FULCRUM_STORE: file });
    expect(names(viaEnv.stdout)).toEqual(['lb-1']);
    // Not the default file: $FULCRUM_HOME/fulcrum.db has nothing.
    expect(names(fulcrum(['appliance', 'list', '--json'], undefined, env).stdout)).toEqual([]);
  });

  it('refuses --db and --store naming two stores (exit 2), and names --store in the help', () => {
    const r = fulcrum(['appliance', 'list', '--db', path.join(dir, 'a.db'), '--store', path.join(dir, 'b.db')], undefined, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--db and --store name the same thing');
    expect(fulcrum(['monitor', '--help'], undefined, env).stdout).toContain('--store <file|url>');
  });
});
