/**
 * Drift while `fulcrum serve` polls (its PollLoop in-process, its context, its store): an
 * out-of-band `snmpset` of a weight with Debian's snmpset becomes a drift event in the event log;
 * a push by this agent, audited as the CLI audits it, does not.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { createContext, type ApiContext } from '../../src/api/context.js';
import { PollLoop } from '../../src/api/poll-loop.js';
import { recordCliChange } from '../../src/cli/audit-cli.js';
import { configId, encodeRules } from '../../src/protocol/rules/index.js';
import { loadRules } from '../../src/rules/index.js';
import { openStore, type AgentStore } from '../../src/store/index.js';
import { MIB_ARGS, has, run } from '../support/debian-snmp.js';

const POLL_MS = 250;
const rules = (weight: number) =>
  loadRules(`services:\n  - name: web\n    listen: 127.0.0.1:28181\n    backends:\n      - { address: 127.0.0.1:1181, weight: ${weight} }\n`, 'd.yaml');

/** Waits until `ready` holds, polling; fails with `what` when it does not within 15 s. */
async function until(what: string, ready: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!has('snmpset'))('drift events from the poll loop', () => {
  let sim: SimulatedAppliance;
  let store: AgentStore;
  let ctx: ApiContext;
  let loop: PollLoop;
  let hostPort: string;
  let polls = 0;

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({
      name: 'drift-1',
      rules: rules(1),
      listen: false,
      snmp: { host: '127.0.0.1', port: 0, community: 'public', writeCommunity: 'private' },
    });
    hostPort = sim.readyInfo().snmp!;
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-drift-'));
    store = await openStore({ file: path.join(dir, 'agent.db') });
    await store.inventory.add({ name: 'edge-1', target: `snmp://${hostPort}`, credentials: { community: 'public' } });
    ctx = createContext({ store, pollIntervalMs: POLL_MS });
    loop = new PollLoop({
      store,
      fleet: ctx.fleet,
      drivers: ctx.drivers,
      intervalMs: POLL_MS,
      observer: {
        onEvents: async (events) => {
          for (const e of events) await ctx.recordEvent(e);
        },
        onPoll: (_name, _seconds, ok) => void (ok && polls++),
        onCycle: () => undefined,
        onRemoved: () => undefined,
      },
    });
    loop.start();
    await until('the first poll', () => ctx.fleet.get('edge-1')?.info?.configId === sim.appliance.configId);
  });
  afterAll(async () => {
    await loop.stop();
    await ctx.drivers.close();
    await ctx.rules.close();
    await store.close();
    await sim.stop();
  });

  const events = async (kind: string) =>
    (await store.events.query({ appliance: 'edge-1', kind })).map((e) => ({ ...e, detail: e.detail as Record<string, unknown> }));
  /** Waits for `n` more successful polls. */
  const pollsPass = async (n: number) => {
    const target = polls + n;
    await until(`${n} polls`, () => polls >= target);
  };

  it('a push by this agent changes the config without a drift event', async () => {
    const before = sim.appliance.configId;
    const next = rules(2);
    const d = SnmpDriver.connect(`snmp://${hostPort}`, { version: '2c', community: 'private' });
    try {
      const r = await d.push(encodeRules(next), { confirmTimeoutMs: 0 });
      // As `fulcrum rules push --to edge-1` records it: after the answer, which a poll may beat.
      await recordCliChange(store, 'rules push', { appliance: 'edge-1', configBefore: r.previousConfigId, configAfter: r.configId, outcome: 'ok' });
    } finally {
      await d.close();
    }
    await until('the change seen', async () => (await events('config-changed')).some((e) => e.detail.after === configId(next)));
    await pollsPass(3);
    expect((await events('config-changed')).map((e) => [e.detail.before, e.detail.after])).toEqual([[before, configId(next)]]);
    expect(await events('drift')).toEqual([]);
  });

  it('an out-of-band snmpset of a weight raises a drift event naming the config ids', async () => {
    const before = sim.appliance.configId;
    const set = await run('snmpset', [...MIB_ARGS, '-v2c', '-c', 'private', hostPort, 'FULCRUM-MIB::fulcrumBackendWeight.1.1', 'u', '9']);
    expect(set.code, set.stderr).toBe(0);
    const after = sim.appliance.configId;
    expect(after).toBe(configId(rules(9)));
    await until('a drift event', async () => (await events('drift')).length > 0);
    expect(await events('drift')).toMatchObject([{ appliance: 'edge-1', kind: 'drift', detail: { before, after } }]);
    // Once: later polls of the same id raise nothing more.
    await pollsPass(3);
    expect(await events('drift')).toHaveLength(1);
  });
});
