/**
 * A group-aware rollout over four failover pairs of real `fulcrum sim start` processes (eight
 * processes, each pair with its own VIP and backends), real signed firmware images uploaded over
 * the consoles, and a client opening a new TCP connection every 10 ms through every VIP the whole
 * time. Invariants checked: every pair has an active member at every sample outside its failover
 * windows; no connection fails outside a failover window (a window runs from the group's
 * transition start — the agent's go-standby request, or a member going active by itself — to the
 * new active listening); a good image ends on every member; an image whose new version fails its
 * health check halts the rollout at its first member and leaves that pair serving on the old
 * image. Behaviour only: waits have deadlines, nothing is asserted about how long anything takes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplianceDriver } from '../../drivers/driver.js';
import { SerialDriver } from '../../drivers/serial/serial-driver.js';
import { FailoverPair, probe, request, type Attempt, type MemberEvent } from '../../sim/pair/failover-pair.js';
import { encodePublicKeyPem } from '../../src/protocol/host/node-crypto.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload, type SimulatedBehaviour } from '../../src/protocol/image/image.js';
import type { GroupAccess } from '../../src/provision/groups/access.js';
import { openStore, type AgentStore } from '../../src/store/index.js';
import { FirmwareCatalog } from '../../src/upgrade/catalog.js';
import { groupAwareUpgrade, storedGroups } from '../../src/upgrade/group-upgrade.js';
import { inventoryUpgrader } from '../../src/upgrade/inventory-upgrade.js';
import { RolloutEngine, type RolloutStatus } from '../../src/upgrade/rollout/index.js';
import type { WaveStep } from '../../src/upgrade/rollout/waves.js';

const PAIRS = 4;
const BAUD = 921_600;
const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-group-rollout-'));
const key = generateSigningKey();
const trust = path.join(dir, 'signing.pub');
let pairs: FailoverPair[] = [];
let store: AgentStore;
/** The agent's go-standby requests, by member: when each was sent (performance.now()). */
const standbyRequests: { appliance: string; at: number }[] = [];

const listening = (e: MemberEvent) => e.type === 'failover-services' && e.listening === true;
const becameActive = (e: MemberEvent) => e.type === 'failover' && e.to === 'active';
const memberNames = (p: FailoverPair) => [`${p.group}-1`, `${p.group}-2`];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function image(version: string, simulate: SimulatedBehaviour[] = []): Uint8Array {
  return buildImage({ version: parseVersion(version), securityCounter: 1, payload: simulatorPayload({ simulate, size: 24 * 1024 }) }, key);
}

/** The consoles, one driver per use; identities go to the store as a poll's would; go-standby requests are timed. */
const access: GroupAccess = {
  async use(appliance, work) {
    const record = await store.inventory.get(appliance);
    if (!record) throw new Error(`${appliance} is not in the inventory`);
    const driver = await SerialDriver.connect(record.target);
    const timed = new Proxy(driver, {
      get(target, prop) {
        if (prop === 'groupAction')
          return (action: Parameters<SerialDriver['groupAction']>[0]) => {
            if (action === 'standby') standbyRequests.push({ appliance, at: performance.now() });
            return target.groupAction(action);
          };
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    try {
      return await work(timed as ApplianceDriver);
    } finally {
      await driver.close();
    }
  },
  observed: (appliance, info) => store.applianceState.observed(appliance, Date.now(), info),
};

/** Everything the clients and the members showed while `run` ran. */
interface Watch {
  attempts: Attempt[][];
  samples: { at: number; states: string[] }[][];
  marks: number[];
}

async function watched<T>(run: () => Promise<T>): Promise<{ result: T; watch: Watch }> {
  const marks = pairs.flatMap((p) => p.members.map((m) => m.events.length));
  const probes = pairs.map((p) => probe(p.vip, 10));
  const samples: Watch['samples'] = pairs.map(() => []);
  const sampler = setInterval(() => {
    const at = performance.now();
    pairs.forEach((p, i) => samples[i]!.push({ at, states: p.members.map((m) => (m.exited ? 'exited' : m.state)) }));
  }, 20);
  try {
    await pause(300);
    const result = await run();
    await pause(500);
    return { result, watch: { attempts: await Promise.all(probes.map((t) => t.stop())), samples, marks } };
  } finally {
    clearInterval(sampler);
    await Promise.all(probes.map((t) => t.stop()));
  }
}

interface Window {
  from: number;
  to: number;
  why: string;
}

/**
 * Pair `i`'s failover windows during a watch: each opened by the agent asking one of its members
 * to go standby, or by a member going active, and closed when a member other than the one asked
 * (or the one that went active) next reports its services listening. Infinity when none did.
 */
function windows(i: number, watch: Watch): Window[] {
  const pair = pairs[i]!;
  const names = memberNames(pair);
  const fromEvent = (u: number) => watch.marks[2 * i + u]!;
  const events = pair.members.flatMap((m, u) => m.events.map((e, j) => ({ e, u, at: m.seenAt[j]! })).slice(fromEvent(u)));
  const since = Math.min(...watch.samples[i]!.map((s) => s.at));
  const opens = [
    ...standbyRequests
      .filter((r) => names.includes(r.appliance) && r.at >= since)
      .map((r) => ({ at: r.at, closer: (u: number) => names[u] !== r.appliance, why: `${r.appliance} asked to go standby` })),
    ...events
      .filter((x) => becameActive(x.e))
      .map((x) => ({ at: x.at, closer: (u: number) => u === x.u, why: `${names[x.u]} went active (${String(x.e.reason)})` })),
  ];
  return opens.map((o) => {
    const close = events.find((x) => listening(x.e) && x.at >= o.at && o.closer(x.u));
    return { from: o.at, to: close?.at ?? Infinity, why: o.why };
  });
}

const within = (ws: readonly Window[], from: number, to = from) => ws.some((w) => to >= w.from && from <= w.to);

/** What the watch shows against the invariants, per pair: what broke them (empty when none did). */
function breaches(watch: Watch): { pair: string; unclosed: Window[]; noActive: number[]; failedOutside: Attempt[]; windows: number; failed: number }[] {
  return pairs.map((p, i) => {
    const ws = windows(i, watch);
    const attempts = watch.attempts[i]!;
    return {
      pair: p.group,
      unclosed: ws.filter((w) => w.to === Infinity),
      noActive: watch.samples[i]!.filter((s) => !s.states.includes('active') && !within(ws, s.at)).map((s) => s.at),
      failedOutside: attempts.filter((a) => !a.ok && !within(ws, a.startedAt, a.endedAt)),
      windows: ws.length,
      failed: attempts.filter((a) => !a.ok).length,
    };
  });
}

function engine(): RolloutEngine {
  return new RolloutEngine({
    rollouts: store.rollouts,
    catalog: new FirmwareCatalog(store.firmwareImages, path.join(dir, 'firmware')),
    inventory: store.inventory,
    events: store.events,
    membershipOf: storedGroups(store.applianceState).membershipOf,
  });
}

/** Reads every member now (so the store knows who is active), then runs a rollout of `bytes` over all of them. */
async function rollout(bytes: Uint8Array, waves: WaveStep[]): Promise<RolloutStatus> {
  const everyone = pairs.flatMap(memberNames);
  for (const name of everyone) await access.use(name, async (d) => access.observed?.(name, await d.info()));
  const e = engine();
  const { sha256 } = await e.catalog.add(bytes);
  const upgrader = inventoryUpgrader(store.inventory);
  try {
    const { id } = await e.start({ image: sha256, targets: everyone, waves });
    return await e.run(id, { upgrade: groupAwareUpgrade(upgrader.upgrade, { ...storedGroups(store.applianceState), access }), concurrency: PAIRS });
  } finally {
    await upgrader.close();
  }
}

const info = (name: string) => access.use(name, (d) => d.info());

beforeAll(async () => {
  writeFileSync(trust, encodePublicKeyPem(key.publicKey));
  store = await openStore({ file: path.join(dir, 'fulcrum.db'), keyFile: path.join(dir, 'secret.key') });
  // No serial failover cables: four pairs of PTYs fewer, and the UDP path alone elects as well.
  pairs = await Promise.all(
    Array.from({ length: PAIRS }, (_, i) =>
      FailoverPair.start({ group: `g${i + 1}`, serialCable: false, extraArgs: () => ['--baud', String(BAUD), '--trust-key', trust] }),
    ),
  );
  for (const p of pairs) {
    await p.members[0].waitFor(becameActive);
    await p.members[0].waitFor(listening);
    for (const [u, name] of memberNames(p).entries())
      await store.inventory.add({ name, target: `${p.console((u + 1) as 1 | 2)}?baud=${BAUD}`, credentials: {} });
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(pairs.map((p) => p.stop()));
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a group-aware rollout over four failover pairs under traffic', () => {
  it('1.0.0 → 1.1.0: every member upgraded, an active in every pair throughout, no failed connection outside the failover windows', async () => {
    const { result: done, watch } = await watched(() => rollout(image('1.1.0'), ['100%']));
    expect(done.state, JSON.stringify(done)).toBe('succeeded');
    // One member of each pair per wave, standby first.
    expect(done.devices.filter((d) => d.wave === 1).map((d) => d.appliance)).toEqual(pairs.map((p) => `${p.group}-2`));
    expect(done.devices.every((d) => d.state === 'succeeded' && d.version === '1.1.0')).toBe(true);

    const seen = breaches(watch);
    expect(seen.map((s) => [s.pair, s.unclosed, s.noActive, s.failedOutside])).toEqual(pairs.map((p) => [p.group, [], [], []]));
    // Each group was failed over at least once (its active upgraded as a standby), and its clients were served through it all.
    for (const [i, s] of seen.entries()) {
      expect(s.windows, s.pair).toBeGreaterThan(0);
      expect(watch.attempts[i]!.filter((a) => a.ok).length, s.pair).toBeGreaterThan(s.failed);
    }

    for (const p of pairs) {
      const states = await Promise.all(memberNames(p).map(info));
      expect(states.map((s) => s.firmware)).toEqual(['1.1.0', '1.1.0']);
      expect(states.map((s) => s.group?.state).sort()).toEqual(['active', 'standby']);
      expect((await request(p.vip)).length).toBeGreaterThan(0);
    }
  }, 180_000);

  it('an image whose new version fails health halts the rollout at its first member; that pair keeps serving on the old image', async () => {
    const { result: done, watch } = await watched(async () => {
      const status = await rollout(image('1.2.0', ['fails-health']), [1, '100%']);
      // The member that tried it reverts by itself: wait until it is back in its group on the old image.
      const failed = status.devices.find((d) => d.state === 'failed');
      if (failed) {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const now = await info(failed.appliance).catch(() => null);
          if (now?.firmware === '1.1.0' && now.group?.state === 'standby') break;
          if (Date.now() > deadline) throw new Error(`${failed.appliance} did not come back on 1.1.0: ${JSON.stringify(now)}`);
          await pause(200);
        }
      }
      return status;
    });
    expect(done.state).toBe('halted');
    const canary = done.devices.filter((d) => d.wave === 1);
    expect(canary.map((d) => [d.appliance, d.state])).toEqual([['g1-2', 'failed']]);
    expect(done.devices.filter((d) => d.wave > 1).every((d) => d.state === 'pending')).toBe(true);

    const seen = breaches(watch);
    expect(seen.map((s) => [s.pair, s.unclosed, s.noActive, s.failedOutside])).toEqual(pairs.map((p) => [p.group, [], [], []]));
    // The standby failed alone: its pair never failed over, and nobody was left without service.
    expect(seen.map((s) => [s.pair, s.windows, s.failed])).toEqual(pairs.map((p) => [p.group, 0, 0]));

    const g1 = await Promise.all(memberNames(pairs[0]!).map(info));
    expect(g1.map((s) => [s.firmware, s.group?.state])).toEqual([
      ['1.1.0', 'active'],
      ['1.1.0', 'standby'],
    ]);
    expect((await request(pairs[0]!.vip)).length).toBeGreaterThan(0);
  }, 120_000);
});
