/**
 * Failover events on the live stream of a real `fulcrum serve` polling a real pair of simulators
 * over their consoles: the active told to go standby over SNMP (behind the agent's back, so only
 * the poll sees it) reaches a stream client as two `failover` events, the member that yielded and
 * the one that took over, with the ids the event log gave them; and a `fulcrum group failover`
 * run as another process (whose events that process writes to the store) reaches it too.
 * Behaviour only: waits have deadlines and nothing about time is asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import { FailoverPair, type MemberEvent } from '../../sim/pair/failover-pair.js';
import { bearer, eventually, openStream } from '../support/api.js';
import { fulcrumAsync, type CliResult } from '../support/cli.js';
import { startCli, type CliProcess } from '../support/cli-process.js';

interface FailoverEvent {
  source: string;
  id: number;
  appliance: string;
  kind: string;
  detail: { group: string; unit: number; from: string; to: string };
}

const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-serve-failover-'));
const env = { FULCRUM_HOME: home };
const cli = (...args: string[]) => fulcrumAsync(args, env);
const isActive = (e: MemberEvent) => e.type === 'failover' && e.to === 'active';
const listening = (e: MemberEvent) => e.type === 'failover-services' && e.listening === true;

/** The failover events a stream sent so far. */
const failovers = (stream: { events: { type: string; data: unknown }[] }) =>
  stream.events.filter((e) => e.type === 'event' && (e.data as FailoverEvent).kind === 'failover').map((e) => e.data as FailoverEvent);

/** The stream's failover events moving `yielding` to standby and `taking` to active, in whichever order the polls saw them. */
function both(stream: { events: { type: string; data: unknown }[] }, yielding: string, taking: string): Promise<[FailoverEvent, FailoverEvent]> {
  return eventually(
    () => {
      const sent = failovers(stream);
      const yielded = sent.find((e) => e.appliance === yielding && e.detail.to === 'standby');
      const took = sent.find((e) => e.appliance === taking && e.detail.to === 'active');
      return yielded && took ? ([yielded, took] as [FailoverEvent, FailoverEvent]) : undefined;
    },
    30_000,
    `failover events of ${yielding} (to standby) and ${taking} (to active) on the stream`,
  );
}

function json<T>(r: CliResult): T {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

let pair: FailoverPair;
let serve: CliProcess;
let url: string;
let token: string;

async function get<T>(route: string): Promise<T> {
  const r = await fetch(`${url}/api/v1${route}`, { headers: bearer(token) });
  expect(r.status, route).toBe(200);
  return (await r.json()) as T;
}

beforeAll(async () => {
  pair = await FailoverPair.start({ serialCable: false, extraArgs: () => ['--snmp', '0', '--community', 'public', '--write-community', 'private'] });
  const [primary, secondary] = pair.members;
  await primary.waitFor(isActive);
  await primary.waitFor(listening);
  json(await cli('appliance', 'add', 'pair-1', `serial:${primary.ready.serial}`, '--json'));
  json(await cli('appliance', 'add', 'pair-2', `serial:${secondary.ready.serial}`, '--json'));
  token = json<{ token: string }>(await cli('token', 'create', '--role', 'read', '--name', 'stream', '--json')).token;
  serve = startCli(['serve', '--port', '0', '--poll-interval', '1s'], env);
  url = (JSON.parse(await serve.line(0, 30_000)) as { url: string }).url;
}, 90_000);
afterAll(async () => {
  if (serve) {
    serve.child.kill('SIGTERM');
    await serve.exit();
  }
  await pair?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('failover events on the live stream of fulcrum serve', () => {
  it('the active told to go standby: a stream client receives both members’ failover events', async () => {
    const stream = await openStream(`${url}/api/v1/stream`, bearer(token));
    try {
      expect(stream.status).toBe(200);
      await eventually(
        async () => {
          const { groups } = await get<{ groups: { name: string; active: string | null; members: unknown[] }[] }>('/groups');
          return groups.length === 1 && groups[0]!.active === 'pair-1' && groups[0]!.members.length === 2 ? true : undefined;
        },
        30_000,
        'the poll to see pair-1 active',
      );
      const [primary] = pair.members;
      const snmp = SnmpDriver.connect(`snmp://${primary.ready.snmp!}`, { version: '2c', community: 'private' });
      try {
        expect((await snmp.groupAction('standby')).state).toBe('standby');
      } finally {
        await snmp.close();
      }
      const [yielded, took] = await both(stream, 'pair-1', 'pair-2');
      expect(yielded).toMatchObject({ source: 'appliance', detail: { group: 'pair', unit: 1, from: 'active', to: 'standby' } });
      expect(took).toMatchObject({ source: 'appliance', detail: { group: 'pair', unit: 2, from: 'standby', to: 'active' } });
      // What the stream sent is what the event log holds, under the same ids.
      const { events } = await get<{ events: FailoverEvent[] }>('/events?limit=100');
      const logged = events.filter((e) => e.kind === 'failover').map((e) => [e.id, e.appliance, e.detail.to]);
      expect(logged).toEqual(
        expect.arrayContaining([
          [yielded.id, 'pair-1', 'standby'],
          [took.id, 'pair-2', 'active'],
        ]),
      );
      // Sent once each.
      expect(failovers(stream)).toHaveLength(2);
    } finally {
      stream.close();
    }
  }, 120_000);

  it('a failover by `fulcrum group failover` in another process reaches the stream too', async () => {
    const stream = await openStream(`${url}/api/v1/stream`, bearer(token));
    try {
      const moved = json<{ from: string; to: string }>(await cli('group', 'failover', 'pair', '--json'));
      expect([moved.from, moved.to]).toEqual(['pair-2', 'pair-1']);
      const [yielded, took] = await both(stream, 'pair-2', 'pair-1');
      expect([yielded.detail.from, took.detail.from]).toEqual(['active', 'standby']);
    } finally {
      stream.close();
    }
  }, 120_000);
});
