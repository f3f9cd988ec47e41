import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { startHttpBackends, type HttpBackend } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import { fulcrumAsync } from '../support/cli.js';

const V3 = { version: '3' as const, user: 'ops', authKey: 'auth-pass-1', privKey: 'priv-pass-1' };

describe("the agent's SNMP driver against the simulator's agent", () => {
  let sim: SimulatedAppliance;
  let v3only: SimulatedAppliance;
  let backends: HttpBackend[];
  let target: string;
  beforeAll(async () => {
    backends = await startHttpBackends(2);
    const vip = await freePort();
    const rules = loadRules(
      `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    algorithm: weighted-round-robin\n    backends:\n      - { address: ${backends[0]!.address}, weight: 3 }\n      - { address: ${backends[1]!.address} }\n`,
      'w.yaml',
    );
    sim = await SimulatedAppliance.start({
      name: 'snmp-1',
      rules,
      snmp: { host: '127.0.0.1', port: 0, community: 'public', v3User: { name: V3.user, authKey: V3.authKey, privKey: V3.privKey, write: false } },
    });
    v3only = await SimulatedAppliance.start({
      name: 'snmp-2',
      rules: { services: [] },
      listen: false,
      snmp: { host: '127.0.0.1', port: 0, v3User: { name: V3.user, authKey: V3.authKey, privKey: V3.privKey, write: false } },
    });
    target = `snmp://${sim.readyInfo().snmp}`;
    expect((await httpLoad('127.0.0.1', vip, 40, 4)).failed).toBe(0);
    // The agent serves a snapshot at most 1 s old.
    await new Promise((r) => setTimeout(r, 1_200));
  });
  afterAll(async () => {
    await sim.stop();
    await v3only.stop();
    await Promise.all(backends.map((b) => b.kill()));
  });

  it('reads identity and counters equal to the appliance, over v2c and v3 authPriv', async () => {
    for (const credentials of [{ version: '2c' as const, community: 'public' }, V3]) {
      const d = SnmpDriver.connect(target, credentials);
      try {
        expect(await d.info()).toMatchObject({
          model: 'FL-1000',
          serialNumber: sim.appliance.identity.serialNumber,
          configId: sim.appliance.configId,
          pendingConfirm: null,
        });
        const remote = await d.counters();
        const local = sim.appliance.counters();
        const web = remote.services[0]!;
        expect(web).toMatchObject({
          name: 'web',
          connsTotal: 40n,
          connsActive: 0,
          failures: 0n,
          bytesIn: local.services[0]!.bytesIn,
          bytesOut: local.services[0]!.bytesOut,
        });
        for (const b of backends) {
          const row = web.backends.find((x) => x.address === b.address)!;
          expect(row.connsTotal).toBe(BigInt(b.connections));
          expect(row.bytesOut).toBe(BigInt(b.bytesSent));
          expect(row.state).toBe('up');
        }
        expect(web.backends.map((x) => x.weight).sort()).toEqual([1, 3]);
      } finally {
        await d.close();
      }
    }
  });

  it('a v3-only appliance does not answer v2c, and a wrong v3 key gets no answer', async () => {
    const at = `snmp://${v3only.readyInfo().snmp}`;
    const v2 = SnmpDriver.connect(at, { version: '2c', community: 'public' }, { timeoutMs: 300, retries: 0 });
    await expect(v2.info()).rejects.toMatchObject({ code: 'unreachable' });
    await v2.close();
    const wrong = SnmpDriver.connect(at, { ...V3, privKey: 'not-the-key' }, { timeoutMs: 300, retries: 0 });
    await expect(wrong.info()).rejects.toMatchObject({ code: 'unreachable' });
    await wrong.close();
    const right = SnmpDriver.connect(at, V3);
    expect((await right.info()).configId).toBe(v3only.appliance.configId);
    await right.close();
  });

  it('the CLI: inventory with credentials in a 0600 file, poll --once --json by name, refusals with clear exit codes', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-snmp-cli-'));
    const env = { FULCRUM_HOME: home };
    const add = await fulcrumAsync(['appliance', 'add', 'edge-1', target, '--v3-user', V3.user, '--v3-auth', V3.authKey, '--v3-priv', V3.privKey], env);
    expect(add.code, add.stderr).toBe(0);
    expect((await fulcrumAsync(['appliance', 'add', 'edge-1', target, '--community', 'public'], env)).code).toBe(3);
    const { statSync } = await import('node:fs');
    expect(statSync(path.join(home, 'fulcrum.db')).mode & 0o777).toBe(0o600);
    const list = await fulcrumAsync(['appliance', 'list', '--json'], env);
    // The API's appliance list, field for field: {appliances: [{name, address, credentials, …}]}.
    expect(JSON.parse(list.stdout)).toEqual({ appliances: [expect.objectContaining({ name: 'edge-1', address: target, credentials: 'v3 authPriv' })] });
    expect(list.stdout).not.toContain(V3.privKey);

    const poll = await fulcrumAsync(['poll', '--to', 'edge-1', '--once', '--json'], env);
    expect(poll.code, poll.stderr).toBe(0);
    const polled = JSON.parse(poll.stdout) as { services: { name: string; connsTotal: number; backends: unknown[] }[] };
    expect(polled.services[0]).toMatchObject({ name: 'web', connsTotal: 40 });
    expect(polled.services[0]!.backends).toHaveLength(2);

    expect((await fulcrumAsync(['rules', 'push', 'examples/web.yaml', '--to', 'edge-1'], env)).code).toBe(5);
    expect((await fulcrumAsync(['appliance', 'info', '--to', 'nobody'], env)).code).toBe(3);
    expect((await fulcrumAsync(['appliance', 'info', '--to', target], env)).code).toBe(2);
    expect((await fulcrumAsync(['appliance', 'remove', 'edge-1'], env)).code).toBe(0);
    expect((await fulcrumAsync(['appliance', 'remove', 'edge-1'], env)).code).toBe(3);
  });
});
