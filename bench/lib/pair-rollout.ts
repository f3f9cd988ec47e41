/**
 * A group-aware rollout of a good image (1.0.0 → 1.1.0) over failover pairs of real `fulcrum
 * sim start` processes, a client opening a new TCP connection through every pair's VIP every
 * 10 ms meanwhile: what each pair's clients saw (failed connections, the longest stretch without
 * service). The scenario of test/integration/group-rollout.test.ts, measured instead of checked.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SerialDriver } from '../../drivers/serial/serial-driver.js';
import { availability } from '../../sim/pair/availability.js';
import { FailoverPair, probe, type MemberEvent } from '../../sim/pair/failover-pair.js';
import { encodePublicKeyPem } from '../../src/protocol/host/node-crypto.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../../src/protocol/image/image.js';
import type { GroupAccess } from '../../src/provision/groups/access.js';
import { openStore, type AgentStore } from '../../src/store/index.js';
import { FirmwareCatalog } from '../../src/upgrade/catalog.js';
import { groupAwareUpgrade, storedGroups } from '../../src/upgrade/group-upgrade.js';
import { inventoryUpgrader } from '../../src/upgrade/inventory-upgrade.js';
import { RolloutEngine } from '../../src/upgrade/rollout/index.js';

const BAUD = 921_600;

export interface PairFigures {
  group: string;
  attempts: number;
  failed: number;
  longestUnavailableMs: number;
}

function consoles(store: AgentStore): GroupAccess {
  return {
    async use(appliance, work) {
      const record = await store.inventory.get(appliance);
      if (!record) throw new Error(`${appliance} is not in the inventory`);
      const driver = await SerialDriver.connect(record.target);
      try {
        return await work(driver);
      } finally {
        await driver.close();
      }
    },
    observed: (appliance, info) => store.applianceState.observed(appliance, Date.now(), info),
  };
}

/** Runs the rollout over `count` fresh pairs; throws unless it succeeded on every member. */
export async function rolloutUnderTraffic(count: number, probeEveryMs: number): Promise<PairFigures[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-bench-pair-rollout-'));
  const key = generateSigningKey();
  const trust = path.join(dir, 'signing.pub');
  writeFileSync(trust, encodePublicKeyPem(key.publicKey));
  const store = await openStore({ file: path.join(dir, 'fulcrum.db'), keyFile: path.join(dir, 'secret.key') });
  const pairs: FailoverPair[] = [];
  try {
    for (let i = 0; i < count; i++)
      pairs.push(await FailoverPair.start({ group: `g${i + 1}`, serialCable: false, extraArgs: () => ['--baud', String(BAUD), '--trust-key', trust] }));
    const names: string[] = [];
    for (const p of pairs) {
      await p.members[0].waitFor((e: MemberEvent) => e.type === 'failover-services' && e.listening === true);
      for (const u of [1, 2] as const) {
        names.push(`${p.group}-${u}`);
        await store.inventory.add({ name: `${p.group}-${u}`, target: `${p.console(u)}?baud=${BAUD}`, credentials: {} });
      }
    }
    const access = consoles(store);
    for (const name of names) await access.use(name, async (d) => access.observed?.(name, await d.info()));
    const groups = storedGroups(store.applianceState);
    const engine = new RolloutEngine({
      rollouts: store.rollouts,
      catalog: new FirmwareCatalog(store.firmwareImages, path.join(dir, 'firmware')),
      inventory: store.inventory,
      events: store.events,
      membershipOf: groups.membershipOf,
    });
    const image = buildImage({ version: parseVersion('1.1.0'), securityCounter: 1, payload: simulatorPayload({ simulate: [], size: 24 * 1024 }) }, key);
    const { sha256 } = await engine.catalog.add(image);
    const upgrader = inventoryUpgrader(store.inventory);
    const probes = pairs.map((p) => probe(p.vip, probeEveryMs));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const { id } = await engine.start({ image: sha256, targets: names, waves: ['100%'] });
      const done = await engine.run(id, { upgrade: groupAwareUpgrade(upgrader.upgrade, { ...groups, access }), concurrency: count });
      if (done.state !== 'succeeded') throw new Error(`the rollout ended ${done.state}: ${JSON.stringify(done.devices)}`);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await upgrader.close();
      // Stopped on every path: a probe left running keeps the process alive.
      await Promise.all(probes.map((t) => t.stop()));
    }
    const seen = await Promise.all(probes.map((t) => t.stop()));
    return pairs.map((p, i) => ({ group: p.group, ...availability(seen[i]!) }));
  } finally {
    await Promise.all(pairs.map((p) => p.stop()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
