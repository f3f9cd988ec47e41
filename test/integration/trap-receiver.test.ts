/**
 * `fulcrum monitor --trap-port`: the receiver binds loopback unless told otherwise, records a
 * notification only from an inventory address carrying that appliance's own credentials (v2c
 * community, v3 user), and rate-limits each source, reporting what it dropped as one event.
 * Traps come from Debian's snmptrap (skipped, saying why, when absent) and net-snmp sessions;
 * 127.0.0.0/8 gives each simulated sender its own source address.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import snmp from 'net-snmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { freePort } from '../../sim/free-port.js';
import { fulcrumAsync } from '../support/cli.js';
import { startCli, type CliProcess } from '../support/cli-process.js';
import { MIB_ARGS, has, run } from '../support/debian-snmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const V3 = { user: 'ops', auth: 'core-auth-pass', priv: 'core-priv-pass' };
const COLD_START = '1.3.6.1.6.3.1.1.5.1';
const SYS_NAME = '1.3.6.1.2.1.1.5.0';

/** The local address of every UDP socket bound to `port` (from /proc/net/udp). */
function udpBindings(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[1] ?? '')
    .filter((local) => local.endsWith(`:${hexPort}`))
    .map((local) => {
      const hex = local.split(':')[0]!;
      return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
    });
}

interface Row {
  appliance: string;
  kind: string;
  detail: string;
}

function events(db: string): Row[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT appliance, kind, detail FROM events ORDER BY id').all() as Row[];
  } finally {
    d.close();
  }
}

/** The trap events carrying `tag` as their sysName varbind. */
const tagged = (rows: Row[], tag: string) => rows.filter((r) => r.kind === 'trap' && r.detail.includes(`"${tag}"`));

function v2cTrap(port: number, community: string, tag: string, from?: string): Promise<void> {
  const session = snmp.createSession('127.0.0.1', community, { version: snmp.Version2c, trapPort: port, ...(from ? { sourceAddress: from } : {}) });
  return new Promise((resolve, reject) =>
    session.trap(COLD_START, [{ oid: SYS_NAME, type: snmp.ObjectType.OctetString, value: tag }], (err: Error | null) => {
      session.close();
      if (err) reject(err);
      else resolve();
    }),
  );
}

/** `n` v2c traps from one session, in batches: quick enough to overrun the rate, gentle enough for the socket buffers. */
async function flood(port: number, community: string, tag: string, n: number): Promise<void> {
  const session = snmp.createSession('127.0.0.1', community, { version: snmp.Version2c, trapPort: port });
  const one = () =>
    new Promise<void>((resolve, reject) =>
      session.trap(COLD_START, [{ oid: SYS_NAME, type: snmp.ObjectType.OctetString, value: tag }], (err: Error | null) => (err ? reject(err) : resolve())),
    );
  try {
    for (let sent = 0; sent < n; sent += 25) {
      await Promise.all(Array.from({ length: Math.min(25, n - sent) }, one));
      await sleep(5);
    }
  } finally {
    session.close();
  }
}

function v3Trap(port: number, tag: string, from: string): Promise<void> {
  const user = {
    name: V3.user,
    level: snmp.SecurityLevel.authPriv,
    authProtocol: snmp.AuthProtocols.sha,
    authKey: V3.auth,
    privProtocol: snmp.PrivProtocols.aes,
    privKey: V3.priv,
  };
  const session = snmp.createV3Session('127.0.0.1', user, { version: snmp.Version3, trapPort: port, sourceAddress: from });
  return new Promise((resolve, reject) =>
    session.trap(COLD_START, [{ oid: SYS_NAME, type: snmp.ObjectType.OctetString, value: tag }], (err: Error | null) => {
      session.close();
      if (err) reject(err);
      else resolve();
    }),
  );
}

describe('fulcrum monitor --trap-port', () => {
  let sim: SimulatedAppliance;
  let home: string;
  let db: string;
  let trapPort: number;
  let monitor: CliProcess;

  beforeAll(async () => {
    const rules = loadRules('services:\n  - name: web\n    listen: 127.0.0.1:1\n    backends:\n      - { address: 127.0.0.1:2 }\n', 't.yaml');
    sim = await SimulatedAppliance.start({ name: 't1', rules, listen: false, snmp: { host: '127.0.0.1', port: 0, community: 'edge-secret' } });
    home = mkdtempSync(path.join(tmpdir(), 'fulcrum-traps-'));
    db = path.join(home, 'fulcrum.db');
    const env = { FULCRUM_HOME: home };
    const add = async (...args: string[]) => {
      const r = await fulcrumAsync(['appliance', 'add', ...args], env);
      expect(r.code, r.stderr).toBe(0);
    };
    await add('edge', `snmp://${sim.readyInfo().snmp}`, '--community', 'edge-secret');
    // Sources of traps only, with no agent behind them: stored without the identity read.
    await add('core', 'snmp://127.0.0.2:1161', '--v3-user', V3.user, '--v3-auth', V3.auth, '--v3-priv', V3.priv, '--no-check');
    await add('other', 'snmp://127.0.0.3:1161', '--community', 'other-secret', '--no-check');
    trapPort = await freePort();
    monitor = startCli(['monitor', '--interval', '1s', '--trap-port', String(trapPort)], env);
    for (let i = 0; i < 100 && udpBindings(trapPort).length === 0; i++) await sleep(100);
  });
  afterAll(async () => {
    if (monitor.child.exitCode === null) monitor.child.kill('SIGKILL');
    await sim.stop();
  });

  it('listens on 127.0.0.1 only, by default', () => {
    expect(udpBindings(trapPort)).toEqual(['127.0.0.1']);
  });

  it.skipIf(!has('snmptrap'))("records a Debian snmptrap only from an inventory address with that appliance's credentials", async () => {
    const trap = (tag: string, ...args: string[]) => run('snmptrap', [...args, `127.0.0.1:${trapPort}`, '', COLD_START, SYS_NAME, 's', tag]);
    const v3 = ['-v3', '-l', 'authPriv', '-u', V3.user, '-a', 'SHA', '-A', V3.auth, '-x', 'AES', '-X', V3.priv];
    for (const r of await Promise.all([
      trap('deb-edge-ok', '-v2c', '-c', 'edge-secret'),
      // Another appliance's community, from edge's address.
      trap('deb-edge-wrong-community', '-v2c', '-c', 'other-secret'),
      // The right community from an address that is no appliance of the inventory.
      trap('deb-stranger', '-v2c', '-c', 'edge-secret', '--clientaddr=127.0.0.9'),
      trap('deb-core-ok', ...v3, '--clientaddr=127.0.0.2'),
      // core's v3 user, from edge's address.
      trap('deb-core-from-edge', ...v3),
    ])) {
      expect(r.code, r.stderr).toBe(0);
    }
    await sleep(500);
    const rows = events(db);
    expect(tagged(rows, 'deb-edge-ok').map((r) => r.appliance)).toEqual(['edge']);
    expect(tagged(rows, 'deb-core-ok').map((r) => r.appliance)).toEqual(['core']);
    expect(tagged(rows, 'deb-edge-wrong-community')).toEqual([]);
    expect(tagged(rows, 'deb-stranger')).toEqual([]);
    expect(tagged(rows, 'deb-core-from-edge')).toEqual([]);
  });

  it('does the same for net-snmp sessions, v2c and v3', async () => {
    await v2cTrap(trapPort, 'edge-secret', 'js-edge-ok');
    await v2cTrap(trapPort, 'edge-secret', 'js-stranger', '127.0.0.10');
    await v2cTrap(trapPort, 'other-secret', 'js-other-from-edge');
    await v3Trap(trapPort, 'js-core-ok', '127.0.0.2');
    await v3Trap(trapPort, 'js-core-from-other', '127.0.0.3');
    await sleep(500);
    const rows = events(db);
    expect(tagged(rows, 'js-edge-ok').map((r) => r.appliance)).toEqual(['edge']);
    expect(tagged(rows, 'js-core-ok').map((r) => r.appliance)).toEqual(['core']);
    expect(tagged(rows, 'js-stranger')).toEqual([]);
    expect(tagged(rows, 'js-other-from-edge')).toEqual([]);
    expect(tagged(rows, 'js-core-from-other')).toEqual([]);
  });

  it.skipIf(!has('snmptrap'))("turns a failover group member's fulcrumFailoverStateChange into a failover event of that appliance", async () => {
    const r = await run('snmptrap', [
      '-v2c',
      '-c',
      'edge-secret',
      ...MIB_ARGS,
      `127.0.0.1:${trapPort}`,
      '',
      'FULCRUM-MIB::fulcrumFailoverStateChange',
      'fulcrumFoGroupName.0',
      's',
      'pair',
      'fulcrumFoUnit.0',
      'u',
      '2',
      'fulcrumFoState.0',
      'i',
      'active',
      'fulcrumFoLastReason.0',
      'i',
      'masterDown',
      'fulcrumFoLastDetail.0',
      's',
      'no heartbeat from an active member',
    ]);
    expect(r.code, r.stderr).toBe(0);
    await sleep(500);
    const failovers = events(db).filter((row) => row.kind === 'failover');
    expect(failovers.map((row) => row.appliance)).toEqual(['edge']);
    expect(JSON.parse(failovers[0]!.detail)).toEqual({
      group: 'pair',
      unit: 2,
      to: 'active',
      reason: 'master-down',
      detail: 'no heartbeat from an active member',
      via: 'snmp',
    });
  });

  it('rate-limits a flooding source (burst 50, 20/s) and reports the drops as one event when it stops', async () => {
    const started = Date.now();
    const sent = 400;
    await flood(trapPort, 'edge-secret', 'flood', sent);
    const seconds = (Date.now() - started) / 1000;
    await sleep(300);
    const kept = tagged(events(db), 'flood').length;
    expect(kept).toBeGreaterThanOrEqual(50);
    expect(kept).toBeLessThanOrEqual(50 + Math.ceil(20 * (seconds + 0.5)));
    monitor.child.kill('SIGTERM');
    expect((await monitor.exit()).code, monitor.stderr()).toBe(0);
    const reports = events(db).filter((r) => r.kind === 'trapsDropped');
    expect(reports).toHaveLength(1);
    const detail = JSON.parse(reports[0]!.detail) as { rateLimited: Record<string, number>; refused: Record<string, number>; total: number };
    // Every trap that reached the socket was kept or counted (UDP may lose a few of a burst).
    const limited = detail.rateLimited['127.0.0.1'] ?? 0;
    expect(kept + limited).toBeLessThanOrEqual(sent);
    expect(kept + limited).toBeGreaterThanOrEqual(sent * 0.5);
    expect(limited).toBeGreaterThan(0);
    // The refusals of the tests above are in the same report.
    expect(detail.refused['127.0.0.10']).toBe(1);
    expect(detail.total).toBeGreaterThan(limited);
  });
});
