/**
 * `fulcrum sim start --snmp …` end to end: the flags, the ready line, an SNMPv3-only appliance
 * that ignores v2c, SNMPv3 notifications, and the walk of a 1,000-backend table (whose rate is
 * printed for the record, never asserted: tests check behaviour, benchmarks speed).
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import snmp from 'net-snmp';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../sim/free-port.js';
import * as Mib from '../../src/protocol/mib/fulcrum-mib.js';
import { formatOid } from '../../src/protocol/mib/oid.js';
import { snmpTrapOID } from '../../src/protocol/mib/mib2.js';
import { exited, fulcrum, fulcrumReady } from '../support/cli.js';
import { MIB_ARGS, V3_ARGS, V3_USER, has, parseWalk, run } from '../support/debian-snmp.js';

interface Ready {
  configId: string;
  snmp: string | null;
}

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-snmp-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** One service with `n` backends on documentation addresses (nothing listens: --no-listen). */
function bigTable(n: number): string {
  const lines = ['services:', '  - name: web', '    listen: 127.0.0.1:18080', '    backends:'];
  for (let i = 0; i < n; i++) lines.push(`      - { address: 192.0.2.${1 + Math.floor(i / 250)}:${9000 + (i % 250)}, weight: ${1 + (i % 7)} }`);
  return `${lines.join('\n')}\n`;
}

const V3_FLAGS = ['--v3-user', V3_USER.name, '--v3-auth', V3_USER.authKey, '--v3-priv', V3_USER.privKey];

describe('fulcrum sim start --snmp', () => {
  const children: { kill: (signal?: NodeJS.Signals) => boolean }[] = [];
  afterAll(() => children.forEach((c) => c.kill()));

  it('refuses SNMP flags that do not make sense, as usage errors', () => {
    const rules = file('small.yaml', bigTable(2));
    expect(fulcrum(['sim', 'start', '--rules', rules, '--community', 'public']).stderr).toContain('--community needs --snmp');
    for (const args of [
      ['--snmp', '0'],
      ['--snmp', '70000', '--community', 'x'],
      ['--snmp', '0', '--v3-user', 'ops'],
      ['--snmp', '0', '--v3-user', 'ops', '--v3-auth', 'short', '--v3-priv', 'longenough'],
      ['--snmp', '0', '--community', 'x', '--trap-to', '162'],
    ]) {
      const r = fulcrum(['sim', 'start', '--rules', rules, '--no-listen', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
    }
  });

  it.skipIf(!has('snmpget'))('an SNMPv3-only appliance answers authPriv and ignores v2c; its notifications go out as SNMPv3', async () => {
    const trapPort = await freePort();
    const traps: string[] = [];
    const receiver = snmp.createReceiver(
      { port: trapPort, address: '127.0.0.1', transport: 'udp4' },
      (err: Error | null, n?: { pdu: { varbinds: { oid: string; value: unknown }[] } }) => {
        if (!err && n) traps.push(String(n.pdu.varbinds.find((v) => v.oid === formatOid([...snmpTrapOID, 0]))?.value));
      },
    );
    receiver.getAuthorizer().addUser({
      name: V3_USER.name,
      level: snmp.SecurityLevel.authPriv,
      authProtocol: snmp.AuthProtocols.sha,
      authKey: V3_USER.authKey,
      privProtocol: snmp.PrivProtocols.aes,
      privKey: V3_USER.privKey,
    });
    // A backend nothing listens on, health-checked: it goes down soon after the start.
    const rules = file(
      'v3.yaml',
      'services:\n  - name: web\n    listen: 127.0.0.1:18081\n    health: { type: tcp, interval: 200ms, timeout: 100ms, rise: 1, fall: 1 }\n    backends:\n      - { address: 127.0.0.1:1 }\n',
    );
    const sim = await fulcrumReady<Ready>([
      'sim',
      'start',
      '--rules',
      rules,
      '--no-listen',
      '--json',
      '--snmp',
      '0',
      ...V3_FLAGS,
      '--trap-to',
      `127.0.0.1:${trapPort}`,
    ]);
    children.push(sim.child);
    const at = sim.ready.snmp!;
    expect(at).toMatch(/^127\.0\.0\.1:\d+$/);

    const v3 = await run('snmpget', [...V3_ARGS, ...MIB_ARGS, at, 'fulcrumConfigId.0', 'sysName.0']);
    expect(v3.code, v3.stderr).toBe(0);
    expect(parseWalk(v3.stdout).get('fulcrumConfigId.0')?.value).toBe(sim.ready.configId);
    expect(parseWalk(v3.stdout).get('sysName.0')?.value).toBe('sim-1');
    const v2c = await run('snmpget', ['-v2c', '-c', 'public', '-t', '0.5', '-r', '0', at, '1.3.6.1.2.1.1.3.0']);
    expect(v2c.code).not.toBe(0);
    expect(v2c.stdout).toBe('');
    expect(v2c.stderr).toMatch(/Timeout/);

    const deadline = Date.now() + 10_000;
    while (!traps.includes(formatOid(Mib.fulcrumBackendStateChange)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(traps).toContain(formatOid(Mib.fulcrumBackendStateChange));
    receiver.close();
    sim.child.kill('SIGTERM');
    expect((await exited(sim.child)).code).toBe(0);
  });

  it.skipIf(!has('snmpbulkwalk') || !has('snmpbulkget'))(
    'walks a 1,000-backend table completely and in order; GETBULK gives max-repetitions × rows',
    async () => {
      const rules = file('big.yaml', bigTable(1000));
      const sim = await fulcrumReady<Ready>(['sim', 'start', '--rules', rules, '--no-listen', '--json', '--snmp', '0', '--community', 'public', ...V3_FLAGS]);
      children.push(sim.child);
      const at = sim.ready.snmp!;

      const bulk = await run('snmpbulkget', ['-v2c', '-c', 'public', ...MIB_ARGS, '-Cn0', '-Cr50', at, 'fulcrumBackendAddress', 'fulcrumBackendConnsTotal']);
      const got = [...parseWalk(bulk.stdout).keys()];
      expect(got).toHaveLength(100);
      expect(got.slice(-2)).toEqual(['fulcrumBackendAddress.1.50', 'fulcrumBackendConnsTotal.1.50']);

      // 9 system scalars + 10 service columns + 10 backend columns × 1,000 + 7 config scalars + 4 read-back scalars + 10 firmware scalars,
      // then the running table (fulcrumRunning): 18 service columns + 5 backend columns × 1,000,
      // then fulcrumFailover: 10 scalars (a lone appliance: state none) and no peer rows.
      const expected = 9 + 10 + 10 * 1000 + 7 + 4 + 10 + 18 + 5 * 1000 + 10;
      const rates: string[] = [];
      for (const [label, args] of [
        ['v2c, max-repetitions 10 (default)', ['-v2c', '-c', 'public']],
        ['v2c, max-repetitions 25', ['-v2c', '-c', 'public', '-Cr25']],
        ['v3 authPriv SHA/AES, max-repetitions 10', [...V3_ARGS]],
        ['v3 authPriv SHA/AES, max-repetitions 25', [...V3_ARGS, '-Cr25']],
      ] as const) {
        const t0 = performance.now();
        const walk = await run('snmpbulkwalk', [...args, '-On', at, formatOid(Mib.fulcrumMIB)]);
        const seconds = (performance.now() - t0) / 1000;
        expect(walk.code, walk.stderr).toBe(0);
        // A Hex-STRING (the 32-byte config ids, no MIB loaded with -On) continues on further lines;
        // the walk ends where the subtree does (the agent's snmpEngine and usmStats objects follow it).
        const lines = walk.stdout.split('\n').filter((l) => l.startsWith(`.${formatOid(Mib.fulcrumMIB)}.`));
        expect(lines.at(-1)).not.toContain('No more variables');
        const oids = lines.map((l) => l.split(' = ')[0]!);
        expect(oids).toHaveLength(expected);
        expect(new Set(oids).size).toBe(expected);
        rates.push(
          `  ${label}: ${expected} varbinds in ${seconds.toFixed(3)} s = ${Math.round(expected / seconds)} varbinds/s (including snmpbulkwalk's start-up)`,
        );
      }
      console.log(`snmpbulkwalk of FULCRUM-MIB on a 1,000-backend appliance:\n${rates.join('\n')}`);
      sim.child.kill('SIGTERM');
      expect((await exited(sim.child)).code).toBe(0);
    },
  );
});
