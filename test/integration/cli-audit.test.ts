/**
 * Changes made from the command line land in the same audit log as the API's: who (the OS
 * user@host), via "cli", what, which appliance, config ids before and after, and the outcome —
 * failures too — so `fulcrum audit` tells the whole story.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { fulcrumAsync } from '../support/cli.js';

interface Entry {
  action: string;
  actor: { id: number | null; name: string };
  via: string;
  appliance: string | null;
  outcome: string;
  configBefore: string | null;
  configAfter: string | null;
  detail: Record<string, unknown>;
}

const table = (port: number) => `services:\n  - name: web\n    listen: 127.0.0.1:${port}\n    backends:\n      - { address: 127.0.0.1:9 }\n`;

describe('the CLI in the audit log', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-cli-audit-'));
  const env = { FULCRUM_HOME: path.join(dir, 'home') };
  const cli = (...args: string[]) => fulcrumAsync(args, env);
  let sim: SimulatedAppliance;
  let target: string;
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const audit = async (): Promise<Entry[]> => {
    const r = await cli('audit', '--json');
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Entry[];
  };

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({
      name: 'a1',
      rules: loadRules(table(1), 'a.yaml'),
      listen: false,
      snmp: { host: '127.0.0.1', port: 0, community: 'public', writeCommunity: 'private' },
    });
    target = `snmp://${sim.readyInfo().snmp}`;
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('a push from the CLI shows in `fulcrum audit --json` as the OS user@host, via cli, with the config ids', async () => {
    expect((await cli('appliance', 'add', 'edge', target, '--community', 'private')).code).toBe(0);
    const before = sim.appliance.configId;
    const pushed = await cli('rules', 'push', file('two.yaml', table(2)), '--to', 'edge', '--json');
    expect(pushed.code, pushed.stderr).toBe(0);
    const result = JSON.parse(pushed.stdout) as { configId: string; previousConfigId: string };
    expect(result.previousConfigId).toBe(before);

    const [last] = await audit();
    const who = `${userInfo().username}@${hostname()}`;
    expect(last).toMatchObject({
      action: 'rules push',
      actor: { id: null, name: who },
      via: 'cli',
      appliance: 'edge',
      outcome: 'ok',
      configBefore: before,
      configAfter: result.configId,
    });
  });

  it('records confirm, rollback, a refused push, appliance add/remove and tokens, newest first', async () => {
    const three = await cli('rules', 'push', file('three.yaml', table(3)), '--to', 'edge', '--confirm-timeout', '1m', '--json');
    expect(three.code, three.stderr).toBe(0);
    expect((await cli('rules', 'confirm', '--to', 'edge')).code).toBe(0);
    const afterThree = sim.appliance.configId;
    expect((await cli('rules', 'rollback', '--to', 'edge')).code).toBe(0);
    // The read-only community: the appliance refuses, nothing changes, and that is logged too.
    const refused = await cli('rules', 'push', file('four.yaml', table(4)), '--to', target, '--community', 'public');
    expect(refused.code).not.toBe(0);
    expect((await cli('token', 'create', '--role', 'read', '--name', 'viewer')).code).toBe(0);
    expect((await cli('token', 'revoke', 'viewer')).code).toBe(0);
    expect((await cli('rollout', 'pause', '999')).code).not.toBe(0);
    expect((await cli('appliance', 'remove', 'edge')).code).toBe(0);
    expect((await cli('appliance', 'remove', 'edge')).code).not.toBe(0);

    const entries = await audit();
    expect(entries.map((e) => [e.action, e.appliance, e.outcome])).toEqual([
      ['appliance remove', 'edge', 'failed'],
      ['appliance remove', 'edge', 'ok'],
      ['rollout pause', null, 'failed'],
      ['token revoke', null, 'ok'],
      ['token create', null, 'ok'],
      ['rules push', target, 'failed'],
      ['rules rollback', 'edge', 'ok'],
      ['rules confirm', 'edge', 'ok'],
      ['rules push', 'edge', 'ok'],
      ['rules push', 'edge', 'ok'],
      ['appliance add', 'edge', 'ok'],
    ]);
    expect(entries.every((e) => e.via === 'cli' && e.actor.name === `${userInfo().username}@${hostname()}`)).toBe(true);
    const rollback = entries[6]!;
    expect(rollback).toMatchObject({ configBefore: afterThree, configAfter: sim.appliance.configId });
    expect(entries[7]).toMatchObject({ configAfter: afterThree });
    expect(String(entries[5]!.detail.error)).not.toBe('');
    // Secrets never reach the log.
    expect(JSON.stringify(entries)).not.toContain('private');

    const human = await cli('audit');
    expect(human.stdout).toContain('rules rollback');
    expect(human.stdout).toContain('(cli)');
  });
});
