/**
 * SNMP secrets kept out of argv and out of the database in clear: --community-file,
 * --v3-auth-file, --v3-priv-file (0600 or 0400, else refused) and FULCRUM_SNMP_* variables;
 * the inventory's secrets sealed with $FULCRUM_HOME/secret.key, so the database file alone
 * (copied, backed up) reveals none of them and, without the key, says which file it needs.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { fulcrum, fulcrumAsync } from '../support/cli.js';

const COMMUNITY = 'Comm-Secret-7f3a';
const V3 = { user: 'opsv3', auth: 'Auth-Secret-91bd', priv: 'Priv-Secret-c2e4' };

describe('SNMP secrets: from files and the environment, sealed in the inventory', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-secrets-'));
  const home = path.join(dir, 'home');
  const env = { FULCRUM_HOME: home };
  const db = path.join(home, 'fulcrum.db');
  let sim: SimulatedAppliance;
  const secretFile = (name: string, text: string, mode: number) => {
    const file = path.join(dir, name);
    writeFileSync(file, `${text}\n`);
    chmodSync(file, mode);
    return file;
  };

  beforeAll(async () => {
    const rules = loadRules('services:\n  - name: web\n    listen: 127.0.0.1:1\n    backends:\n      - { address: 127.0.0.1:2 }\n', 's.yaml');
    sim = await SimulatedAppliance.start({
      name: 's1',
      rules,
      listen: false,
      snmp: { host: '127.0.0.1', port: 0, community: COMMUNITY, v3User: { name: V3.user, authKey: V3.auth, privKey: V3.priv, write: false } },
    });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('names the file options and the environment variables in --help', () => {
    const help = fulcrum(['appliance', 'add', '--help']).stdout;
    for (const text of ['--community-file', '--v3-auth-file', '--v3-priv-file', 'FULCRUM_SNMP_COMMUNITY', 'FULCRUM_SNMP_V3_AUTH', 'FULCRUM_SNMP_V3_PRIV'])
      expect(help).toContain(text);
  });

  it('refuses a secret file other users may read, and takes one that is 0600 or 0400', async () => {
    const loose = secretFile('loose', COMMUNITY, 0o644);
    const refused = fulcrum(['appliance', 'add', 'x', 'snmp://192.0.2.1', '--community-file', loose], undefined, env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--community-file ${loose}`);
    expect(refused.stderr).toContain('0644');
    expect(refused.stderr).toContain('chmod 600');
    const group = secretFile('group', V3.auth, 0o640);
    expect(
      fulcrum(['appliance', 'add', 'x', 'snmp://192.0.2.1', '--v3-user', V3.user, '--v3-auth-file', group, '--v3-priv', V3.priv], undefined, env).stderr,
    ).toContain('0640');

    const owner = secretFile('community', COMMUNITY, 0o600);
    // Async: add reads the identity first, from the simulator running in this process.
    const ok = await fulcrumAsync(['appliance', 'add', 'edge-file', `snmp://${sim.readyInfo().snmp}`, '--community-file', owner], env);
    expect(ok.code, ok.stderr).toBe(0);
    const auth = secretFile('auth', V3.auth, 0o400);
    const priv = secretFile('priv', V3.priv, 0o600);
    const v3 = await fulcrumAsync(
      ['appliance', 'add', 'edge-v3', `snmp://${sim.readyInfo().snmp}`, '--v3-user', V3.user, '--v3-auth-file', auth, '--v3-priv-file', priv],
      env,
    );
    expect(v3.code, v3.stderr).toBe(0);
    const both = fulcrum(['appliance', 'add', 'y', 'snmp://192.0.2.1', '--community', COMMUNITY, '--community-file', owner], undefined, env);
    expect(both.code).toBe(2);
  });

  it('takes secrets from FULCRUM_SNMP_* when no flag gives them, for the inventory and for a target', async () => {
    const added = await fulcrumAsync(['appliance', 'add', 'edge-env', `snmp://${sim.readyInfo().snmp}`], { ...env, FULCRUM_SNMP_COMMUNITY: COMMUNITY });
    expect(added.code, added.stderr).toBe(0);
    const target = `snmp://${sim.readyInfo().snmp}`;
    const v2c = await fulcrumAsync(['appliance', 'info', '--to', target, '--json'], { ...env, FULCRUM_SNMP_COMMUNITY: COMMUNITY });
    expect(v2c.code, v2c.stderr).toBe(0);
    const v3 = await fulcrumAsync(['appliance', 'info', '--to', target, '--v3-user', V3.user, '--json'], {
      ...env,
      FULCRUM_SNMP_V3_AUTH: V3.auth,
      FULCRUM_SNMP_V3_PRIV: V3.priv,
    });
    expect(v3.code, v3.stderr).toBe(0);
    expect((JSON.parse(v3.stdout) as { configId: string }).configId).toBe((JSON.parse(v2c.stdout) as { configId: string }).configId);
    // The stored (sealed) credentials work: every appliance added above answers through them.
    for (const name of ['edge-file', 'edge-v3', 'edge-env']) {
      const r = await fulcrumAsync(['appliance', 'info', '--to', name, '--json'], env);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    }
  });

  it('keeps no secret in clear in the database file, the key apart in $FULCRUM_HOME/secret.key (0600)', async () => {
    const flags = await fulcrumAsync(
      ['appliance', 'add', 'edge-flags', `snmp://${sim.readyInfo().snmp}`, '--v3-user', V3.user, '--v3-auth', V3.auth, '--v3-priv', V3.priv],
      env,
    );
    expect(flags.code, flags.stderr).toBe(0);
    const found: string[] = [];
    for (const file of [db, `${db}-wal`, `${db}-shm`].filter((f) => existsSync(f))) {
      const bytes = readFileSync(file);
      for (const secret of [COMMUNITY, V3.auth, V3.priv]) if (bytes.includes(Buffer.from(secret))) found.push(`${secret} in ${path.basename(file)}`);
    }
    expect(found).toEqual([]);
    expect(statSync(path.join(home, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it('a copy of the database without the key fails with a message naming the key file it needs', () => {
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const copy = path.join(elsewhere, 'fulcrum.db');
    copyFileSync(db, copy);
    const r = fulcrum(['appliance', 'list', '--db', copy, '--json'], undefined, { FULCRUM_HOME: elsewhere });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(path.join(elsewhere, 'secret.key'));
    expect(r.stderr).not.toContain('    at ');
    // With the key, the same copy opens.
    const withKey = fulcrum(['appliance', 'list', '--db', copy, '--json'], undefined, env);
    expect(withKey.code, withKey.stderr).toBe(0);
    expect((JSON.parse(withKey.stdout) as { appliances: { name: string }[] }).appliances.map((a) => a.name)).toEqual([
      'edge-env',
      'edge-file',
      'edge-flags',
      'edge-v3',
    ]);
  });
});
