/**
 * `fulcrum demo`'s failover pair: two `fulcrum sim start` processes in one group behind one VIP
 * (sim/pair/failover-pair.ts), a client opening a new TCP connection through it every 10 ms, the
 * active SIGKILLed and the standby serving, then the group upgraded by the group-aware rollout
 * (standby first, fail over to it, then the other) while the client goes on. Every figure it
 * prints is measured on the client's side of the VIP; it leaves the pair running (in the
 * inventory, for --keep) and the caller stops it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SerialDriver } from '../../../drivers/serial/serial-driver.js';
import { availability } from '../../../sim/pair/availability.js';
import { FailoverPair, outage, PRIORITIES, probe, type Member, type MemberEvent } from '../../../sim/pair/failover-pair.js';
import { encodePublicKeyPem } from '../../protocol/host/node-crypto.js';
import { buildImage, parseVersion, simulatorPayload, type SigningKey } from '../../protocol/image/image.js';
import type { GroupAccess } from '../../provision/groups/access.js';
import type { AgentStore } from '../../store/index.js';
import { FirmwareCatalog } from '../../upgrade/catalog.js';
import { groupAwareUpgrade, storedGroups } from '../../upgrade/group-upgrade.js';
import { inventoryUpgrader } from '../../upgrade/inventory-upgrade.js';
import { RolloutEngine } from '../../upgrade/rollout/index.js';

// The pair's consoles run fast so that the upgrade of both members stays a few seconds of the demo.
const BAUD = 921_600;
const GROUP = 'edge';
const PROBE_EVERY_MS = 10;

const listening = (e: MemberEvent) => e.type === 'failover-services' && e.listening === true;
const becameActive = (e: MemberEvent) => e.type === 'failover' && e.to === 'active';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the pair's part of the story; the pair it returns keeps running until the caller stops it. */
export async function pairStory(store: AgentStore, key: SigningKey, home: string, log: (t: string) => void): Promise<FailoverPair> {
  const trust = path.join(home, 'demo-signing.pub');
  writeFileSync(trust, encodePublicKeyPem(key.publicKey));
  // No preemption: the member started again after the kill stays standby, so the rollout finds a standby to begin with.
  const pair = await FailoverPair.start({ group: GROUP, preempt: false, extraArgs: () => ['--baud', String(BAUD), '--trust-key', trust] });
  try {
    await story(pair, store, key, home, log);
    return pair;
  } catch (err) {
    await pair.stop();
    throw err;
  }
}

async function story(pair: FailoverPair, store: AgentStore, key: SigningKey, home: string, log: (t: string) => void): Promise<void> {
  const names = [`${GROUP}-1`, `${GROUP}-2`] as const;
  const [primary] = pair.members;
  await primary.waitFor(becameActive);
  await primary.waitFor(listening);
  for (const [i, name] of names.entries()) await store.inventory.add({ name, target: `${pair.console((i + 1) as 1 | 2)}?baud=${BAUD}`, credentials: {} });
  const access = serialAccess(store);
  for (const name of names) await access.use(name, async (d) => access.observed?.(name, await d.info()));
  log(
    `\na failover pair: ${names[0]} (priority ${PRIORITIES[0]}) and ${names[1]} (priority ${PRIORITIES[1]}), two \`fulcrum sim start\` processes in group ${GROUP}, ` +
      `sharing the VIP 127.0.0.1:${pair.vip}; heartbeats every 150 ms over UDP and over a serial failover cable`,
  );
  log(`  ${names[0]} active, ${names[1]} standby; a client opens a new TCP connection through the VIP every ${PROBE_EVERY_MS} ms`);

  const killed = probe(pair.vip, PROBE_EVERY_MS);
  await pause(500);
  const killedAt = performance.now();
  await primary.kill('SIGKILL');
  log(`  SIGKILL ${names[0]} (the active)`);
  const secondary = pair.members[1];
  const takeover = await secondary.waitFor(becameActive);
  await secondary.waitFor(listening);
  await pause(300);
  const o = outage(await killed.stop(), killedAt);
  if (o === null) throw new Error(`the VIP did not come back after ${names[0]} was killed`);
  log(
    `  ${names[1]} took over (${String(takeover.reason)}) and serves: the VIP was unavailable ${o.unavailableMs.toFixed(0)} ms ` +
      `(last success before the kill to first success after), ${o.failed} connection(s) failed meanwhile`,
  );

  const restarted = await pair.restart(1);
  await pause(500);
  await access.use(names[0], async (d) => access.observed?.(names[0], await d.info()));
  log(`  ${names[0]} started again: it rejoins as ${restarted.state} (no preemption while ${names[1]} serves)`);

  await upgradePair(pair, store, key, home, access, names, log);
}

/** Firmware 1.1.0 over the pair by the group-aware rollout, with the client going on through the VIP. */
async function upgradePair(
  pair: FailoverPair,
  store: AgentStore,
  key: SigningKey,
  home: string,
  access: GroupAccess,
  names: readonly [string, string],
  log: (t: string) => void,
): Promise<void> {
  const image = buildImage({ version: parseVersion('1.1.0'), securityCounter: 1, payload: simulatorPayload({ simulate: [], size: 24 * 1024 }) }, key);
  const groups = storedGroups(store.applianceState);
  const engine = new RolloutEngine({
    rollouts: store.rollouts,
    catalog: new FirmwareCatalog(store.firmwareImages, path.join(home, 'firmware')),
    inventory: store.inventory,
    events: store.events,
    membershipOf: groups.membershipOf,
    onEvent: (e) => {
      if (e.event === 'wave') log(`  wave ${e.wave}: ${e.appliances.join(', ')}`);
      else if (e.event === 'succeeded') log(`    ${e.appliance}: running ${e.version}, confirmed, back in group ${GROUP} (${e.seconds.toFixed(1)} s)`);
      else if (e.event === 'failed') log(`    ${e.appliance}: failed: ${e.error}`);
    },
  });
  const { sha256 } = await engine.catalog.add(image);
  log(`\nthe group upgraded to 1.1.0 by a group-aware rollout (standby first, fail over to it, then the other), the client still going`);
  const marks = pair.members.map((m) => m.events.length);
  const upgrader = inventoryUpgrader(store.inventory);
  const traffic = probe(pair.vip, PROBE_EVERY_MS);
  let state: string;
  try {
    const r = await engine.start({ image: sha256, targets: [...names], waves: ['100%'] });
    const done = await engine.run(r.id, { upgrade: groupAwareUpgrade(upgrader.upgrade, { ...groups, access }), concurrency: 1 });
    state = `rollout ${r.id}: ${done.state}, ${done.totals.succeeded} of ${done.totals.devices} upgraded`;
  } finally {
    await upgrader.close();
  }
  await pause(300);
  const seen = availability(await traffic.stop());
  for (const line of transitions(pair.members, marks, names)) log(`  ${line}`);
  log(`  ${state}`);
  log(
    `  ${seen.attempts} connections through the VIP during the upgrade: ${seen.failed} failed, ` +
      `longest unavailable ${seen.longestUnavailableMs.toFixed(0)} ms (the handover between the members)`,
  );
  const now = await Promise.all(names.map((n) => access.use(n, (d) => d.info())));
  log(`  now: ${names.map((n, i) => `${n} ${now[i]!.firmware} ${now[i]!.group?.state ?? 'in no group'}`).join(', ')}`);
}

/** The members' state changes since `marks` (their event counts then), one line each, in the order they arrived. */
function transitions(members: readonly Member[], marks: readonly number[], names: readonly string[]): string[] {
  return members
    .flatMap((m, i) =>
      m.events.flatMap((e, j) =>
        j >= marks[i]! && e.type === 'failover' ? [{ at: m.seenAt[j]!, line: `${names[i]}: ${String(e.from)} → ${String(e.to)} (${String(e.reason)})` }] : [],
      ),
    )
    .sort((a, b) => a.at - b.at)
    .map((t) => t.line);
}

/** The pair's consoles, one driver per use; every identity read goes to the store as a poll's would. */
function serialAccess(store: AgentStore): GroupAccess {
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
