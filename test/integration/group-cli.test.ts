/**
 * A failover pair of simulators with their serial consoles in the inventory, driven from the
 * command line: `group list --live` and `group status` learn the group from what the members
 * report, `group failover` moves the active role (and the store has the failover events),
 * `rules push --to group:NAME` leaves both members on the same confirmed config id, and a
 * group-aware rollout over the pair plans the members in different waves, standby first, and
 * never upgrades a member while it is the one serving.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailoverPair, type MemberEvent } from '../../sim/pair/failover-pair.js';
import { SerialDriver } from '../../drivers/serial/serial-driver.js';
import { buildImage, generateSigningKey, parseVersion } from '../../src/protocol/image/image.js';
import type { GroupAccess } from '../../src/provision/groups/access.js';
import { openStore } from '../../src/store/index.js';
import { FirmwareCatalog } from '../../src/upgrade/catalog.js';
import { groupAwareUpgrade, storedGroups } from '../../src/upgrade/group-upgrade.js';
import { RolloutEngine } from '../../src/upgrade/rollout/index.js';
import { fulcrumAsync, type CliResult } from '../support/cli.js';

const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-group-cli-'));
const env = { FULCRUM_HOME: home };
const cli = (...args: string[]) => fulcrumAsync(args, env);
const db = path.join(home, 'fulcrum.db');
let pair: FailoverPair;

function json<T>(r: CliResult): T {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

interface Group {
  name: string;
  active: string | null;
  sameConfig: boolean;
  members: { appliance: string; unit: number; state: string; reachable: boolean; configId: string; firmware: string }[];
}

const isActive = (e: MemberEvent) => e.type === 'failover' && e.to === 'active';
const listening = (e: MemberEvent) => e.type === 'failover-services' && e.listening === true;

beforeAll(async () => {
  pair = await FailoverPair.start();
  const [primary, secondary] = pair.members;
  await primary.waitFor(isActive);
  await primary.waitFor(listening);
  json(await cli('appliance', 'add', 'lb1', `serial:${primary.ready.serial}`, '--json'));
  json(await cli('appliance', 'add', 'lb2', `serial:${secondary.ready.serial}`, '--json'));
}, 60_000);
afterAll(async () => {
  await pair?.stop();
});

describe('fulcrum group … over a simulated pair', () => {
  it('group list --live learns the pair from the members; group status shows each member', async () => {
    const { groups } = json<{ groups: Group[] }>(await cli('group', 'list', '--live', '--json'));
    expect(groups.map((g) => [g.name, g.active, g.members.map((m) => [m.appliance, m.unit, m.state, m.reachable])])).toEqual([
      [
        'pair',
        'lb1',
        [
          ['lb1', 1, 'active', true],
          ['lb2', 2, 'standby', true],
        ],
      ],
    ]);
    // Without --live: what was stored.
    const status = json<Group>(await cli('group', 'status', 'pair', '--json'));
    expect(status.sameConfig).toBe(true);
    expect(status.members.every((m) => /^[0-9a-f]{64}$/.test(m.configId) && m.firmware.length > 0)).toBe(true);
    const text = await cli('group', 'status', 'pair');
    expect(text.stdout).toMatch(/pair: 2 members, active lb1/);
    const unknown = await cli('group', 'status', 'nope');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/nope: no appliance of the inventory reported a failover group of that name \(known: pair\)/);
  });

  it('group failover moves the active role to the standby, and the store has both transitions as events', async () => {
    const moved = json<{ from: string; to: string }>(await cli('group', 'failover', 'pair', '--json'));
    expect(moved).toEqual({ group: 'pair', from: 'lb1', to: 'lb2' });
    const status = json<Group>(await cli('group', 'status', 'pair', '--live', '--json'));
    expect(status.members.map((m) => [m.appliance, m.state])).toEqual([
      ['lb1', 'standby'],
      ['lb2', 'active'],
    ]);
    const store = await openStore({ file: db });
    try {
      const events = (await store.events.query({ kind: 'failover' })).map((e) => [
        e.appliance,
        (e.detail as { from: string }).from,
        (e.detail as { to: string }).to,
      ]);
      expect(events).toEqual(
        expect.arrayContaining([
          ['lb1', 'active', 'standby'],
          ['lb2', 'standby', 'active'],
        ]),
      );
      expect((await store.audit.list()).filter((a) => a.action === 'group failover').map((a) => [a.appliance, a.outcome])).toEqual([['lb1', 'ok']]);
    } finally {
      await store.close();
    }
    // Failing over again with the roles swapped goes the other way: the command follows what the members report.
    const back = json<{ from: string; to: string }>(await cli('group', 'failover', 'pair', '--json'));
    expect([back.from, back.to]).toEqual(['lb2', 'lb1']);
  });

  it('rules push --to group:pair brings both members to the same confirmed config id', async () => {
    const file = path.join(home, 'next.yaml');
    writeFileSync(
      file,
      `services:\n  - name: web\n    listen: 127.0.0.1:${pair.vip}\n    algorithm: least-connections\n    backends:\n${pair.backends.map((b) => `      - { address: ${b.address} }`).join('\n')}\n`,
    );
    const wanted = json<{ configId: string }>(await cli('rules', 'id', file, '--json')).configId;
    const report = json<{ ok: boolean; members: { appliance: string; outcome: string; after: string }[] }>(
      await cli('rules', 'push', file, '--to', 'group:pair', '--confirm-timeout', '30s', '--json'),
    );
    expect(report.ok).toBe(true);
    // The standby (lb2, after the failover back) first, the active last.
    expect(report.members.map((m) => [m.appliance, m.outcome, m.after])).toEqual([
      ['lb2', 'confirmed', wanted],
      ['lb1', 'confirmed', wanted],
    ]);
    for (const name of ['lb1', 'lb2']) {
      const info = json<{ configId: string; pendingConfirm: number | null }>(await cli('appliance', 'info', '--to', name, '--json'));
      expect([info.configId, info.pendingConfirm]).toEqual([wanted, null]);
    }
    const usage = await cli('rules', 'push', file, '--to', 'group:pair', '--replace-pending');
    expect(usage.code).toBe(2);
  });

  it('a group-aware rollout plans the members in different waves, standby first, and never upgrades the one serving', async () => {
    json(await cli('group', 'list', '--live', '--json'));
    const store = await openStore({ file: db });
    try {
      const catalog = new FirmwareCatalog(store.firmwareImages, path.join(home, 'firmware'));
      const image = await catalog.add(buildImage({ version: parseVersion('9.9.9'), securityCounter: 1, payload: new Uint8Array(64) }, generateSigningKey()));
      const groups = storedGroups(store.applianceState);
      const engine = new RolloutEngine({
        rollouts: store.rollouts,
        catalog,
        inventory: store.inventory,
        events: store.events,
        membershipOf: groups.membershipOf,
      });
      const { id, devices } = await engine.start({ image: image.sha256, targets: ['lb1', 'lb2'], waves: ['100%'] });
      expect(Object.fromEntries(devices.map((d) => [d.appliance, d.wave]))).toEqual({ lb2: 1, lb1: 2 });

      const serial = { lb1: pair.members[0].ready.serial, lb2: pair.members[1].ready.serial } as Record<string, string>;
      const access: GroupAccess = {
        async use(appliance, work) {
          const d = await SerialDriver.connect(`serial:${serial[appliance]}`);
          try {
            return await work(d);
          } finally {
            await d.close();
          }
        },
        observed: (appliance, info) => store.applianceState.observed(appliance, Date.now(), info),
      };
      // The image step itself is stood in for (a real reboot is firmware-upgrade.test.ts's business): it
      // records whether the member being "upgraded" was serving, and who was.
      const seen: string[] = [];
      const upgrade = groupAwareUpgrade(
        async (appliance) => {
          const states = await Promise.all(['lb1', 'lb2'].map((a) => access.use(a, (d) => d.info())));
          seen.push(`${appliance}: ${states.map((s, i) => `lb${i + 1} ${s.group?.state}`).join(', ')}`);
          return { version: '9.9.9', confirmed: true };
        },
        { ...groups, access },
      );
      const done = await engine.run(id, { upgrade });
      expect(done.state).toBe('succeeded');
      // lb2 (standby) first, while lb1 serves; then the group fails over to lb2 and lb1 goes as the standby.
      expect(seen).toEqual(['lb2: lb1 active, lb2 standby', 'lb1: lb1 standby, lb2 active']);
    } finally {
      await store.close();
    }
  });
});
