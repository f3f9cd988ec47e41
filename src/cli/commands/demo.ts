import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SerialDriver } from '../../../drivers/serial/serial-driver.js';
import { SnmpDriver } from '../../../drivers/snmp/snmp-driver.js';
import type { ApplianceDriver } from '../../../drivers/driver.js';
import { FirmwareCatalog } from '../../upgrade/catalog.js';
import { inventoryUpgrader } from '../../upgrade/inventory-upgrade.js';
import { RolloutEngine } from '../../upgrade/rollout/index.js';
import { Monitor } from '../../poller/monitor.js';
import { connectTarget, storedCredentials } from '../../provision/connect.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../../protocol/image/image.js';
import { encodeRules, type RuleTable } from '../../protocol/rules/index.js';
import { loadRules } from '../../rules/index.js';
import { openStore, type AgentStore } from '../../store/index.js';
import { SimulatedAppliance } from '../../../sim/simulated-appliance.js';
import { startHttpBackends, type HttpBackend } from '../../../sim/backends/http-backend.js';
import { UdpEchoBackend } from '../../../sim/backends/udp-echo.js';
import { freePort } from '../../../sim/free-port.js';
import { httpLoad } from '../../../sim/traffic/http-load.js';
import { countersTable } from '../counters-table.js';
import { printJson } from '../output.js';
import { say, split, summaryRow, summaryTable, trafficTo, udpExchange, waitFor, type SummaryRow } from './demo-parts.js';
import { pairStory } from './demo-pair.js';
import type { FailoverPair } from '../../../sim/pair/failover-pair.js';

const BAUD = 115_200;
const V3 = { user: 'ops', authKey: 'demo-auth-key', privKey: 'demo-priv-key' };

interface DemoAppliance {
  name: string;
  sim: SimulatedAppliance;
  target: string;
  transport: string;
  webPort: number;
}

/**
 * The whole story on one machine: real backends; three simulated appliances, two managed over
 * their serial consoles (real PTYs paced to 115200 baud) and one over SNMPv3; rule tables pushed;
 * real TCP and UDP traffic; a backend that dies and is routed around; a patch pushed with commit
 * confirmed; the poller filling the agent's SQLite store; a firmware rollout in waves; a summary;
 * then a failover pair of simulator processes: the active SIGKILLed under traffic, the standby
 * serving, the group upgraded by the group-aware rollout (demo-pair.ts). With --keep, the control plane stays up with the dashboard and an admin token.
 */
export async function demo(opts: { json?: boolean; keep?: boolean; port?: string }): Promise<void> {
  const log = opts.json === true ? () => undefined : say;
  const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-demo-'));
  const web = await startHttpBackends(3, 'web-');
  const dns = await Promise.all([new UdpEchoBackend('dns-1').start(), new UdpEchoBackend('dns-2').start()]);
  const key = generateSigningKey();
  const appliances: DemoAppliance[] = [];
  let pair: FailoverPair | null = null;
  // The demo's key sealing its inventory's secrets stays in its own directory, with its database.
  const store = await openStore({ file: path.join(home, 'fulcrum.db'), keyFile: path.join(home, 'secret.key') });
  try {
    for (const [i, over] of (['serial', 'serial', 'snmp'] as const).entries()) {
      const name = `lb-${i + 1}`;
      const sim = await SimulatedAppliance.start({
        name,
        stateDir: path.join(home, name),
        rules: { services: [] },
        trustKeys: [key.publicKey],
        ...(over === 'serial'
          ? { serial: { baud: BAUD } }
          : { snmp: { host: '127.0.0.1', port: 0, v3User: { name: V3.user, authKey: V3.authKey, privKey: V3.privKey, write: true } } }),
      });
      const target = over === 'serial' ? `serial:${sim.line!.path}?baud=${BAUD}` : `snmp://${sim.readyInfo().snmp}`;
      appliances.push({ name, sim, target, transport: over === 'serial' ? `console ${BAUD} baud` : 'SNMPv3 authPriv', webPort: await freePort() });
      await store.inventory.add({
        name,
        target,
        credentials: over === 'serial' ? {} : { user: V3.user, authProtocol: 'sha', authKey: V3.authKey, privProtocol: 'aes', privKey: V3.privKey },
      });
    }
    log(`three simulated appliances (firmware 1.0.0), in the agent's inventory at ${store.location}:`);
    for (const a of appliances) log(`  ${a.name}: ${a.transport} (${a.target})`);

    const dnsPort = await freePort();
    // The SNMP candidate tables carry no health checks (docs/FULCRUM-MIB.txt): lb-3's table has none.
    const rules = (a: DemoAppliance, weights: readonly number[]) =>
      webRules(a.webPort, web, weights, a.name === 'lb-1' ? { port: dnsPort, backends: dns } : null, a.target.startsWith('serial:'));
    await firstApplianceStory(appliances[0]!, rules, web, dnsPort, log);

    log('\nthe other two get their tables: lb-2 over its console, lb-3 over SNMPv3 (candidate rows, commit, read-back)');
    for (const a of appliances.slice(1)) {
      await withDriver(a, async (d) => {
        const r = await d.push(encodeRules(rules(a, [1, 1, 1])), { confirmTimeoutMs: 0 });
        log(`  ${a.name}: running ${r.configId.slice(0, 12)}… (${r.mode}, ${r.seconds.toFixed(2)} s)`);
      });
    }

    log('\nthe poller polls all three every second into SQLite while traffic flows through every appliance');
    const monitor = new Monitor(store.metrics, { intervalMs: 1_000, connect: (r) => connectTarget(r.target, storedCredentials(r.credentials)) });
    let served = 0;
    try {
      for (let cycle = 0; cycle < 4; cycle++) {
        const started = Date.now();
        const c = await monitor.cycle(await store.inventory.list());
        log(`  cycle ${cycle + 1}: ${c.polled} polled, ${c.failed} failed, ${c.points} samples stored in ${Math.round(c.ms)} ms`);
        if (cycle < 3)
          served += (
            await trafficTo(
              appliances.map((a) => a.webPort),
              100,
            )
          ).reduce((n, r) => n + r.ok, 0);
        await new Promise((r) => setTimeout(r, Math.max(0, 1_100 - (Date.now() - started))));
      }
    } finally {
      await monitor.close();
    }
    for (const a of appliances) {
      const s = await store.metrics.query({
        appliance: a.name,
        service: 'web',
        counter: 'connsTotal',
        from: Date.now() - 60_000,
        to: Date.now(),
        resolution: 'raw',
      });
      const rates = (s?.points ?? []).map((p) => (p.value === null ? 'gap' : `${p.value.toFixed(0)}/s`));
      log(`  ${a.name} web connections/s as stored: ${rates.join(', ')}`);
    }
    log(`  (${served} requests sent during the cycles; the first sample of each series is its baseline)`);

    await rollout(store, appliances, key, log);
    // Counters start again at a reboot: some traffic on the new firmware before the summary.
    const after = await trafficTo(
      appliances.map((a) => a.webPort),
      50,
    );
    log(`\n${after.reduce((n, r) => n + r.ok, 0)} more requests through the three appliances on 1.1.0 (${after.reduce((n, r) => n + r.failed, 0)} failed)`);

    const rows: SummaryRow[] = [];
    for (const a of appliances) {
      await withDriver(a, async (d) => {
        const info = await d.info();
        const series = (await store.metrics.listSeries(a.name)).length;
        rows.push(summaryRow(a.name, a.transport, info.firmware, info.configId, await d.counters(), series));
      });
    }
    if (opts.json) printJson(rows);
    else log(`\nsummary, read from the appliances (their counters run since the reboot into 1.1.0):\n${summaryTable(rows)}`);

    // Then a failover pair: the active killed under traffic, the group upgraded without taking the VIP down.
    pair = await pairStory(store, key, home, log);

    if (opts.keep) await keepServing(store, opts.port, log);
  } finally {
    await pair?.stop();
    await store.close();
    for (const a of appliances) await a.sim.stop();
    await Promise.all(web.map((b) => b.kill()));
    await Promise.all(dns.map((b) => b.stop()));
  }
}

function webRules(
  webPort: number,
  web: readonly HttpBackend[],
  weights: readonly number[],
  dns: { port: number; backends: readonly UdpEchoBackend[] } | null,
  health: boolean,
): RuleTable {
  return loadRules(
    `services:
  - name: web
    listen: 127.0.0.1:${webPort}
    algorithm: weighted-round-robin
${health ? '    health: { type: http, path: /, interval: 300ms, timeout: 200ms, rise: 2, fall: 2 }\n' : ''}    backends:
${web.map((b, i) => `      - { address: ${b.address}, weight: ${weights[i]} }`).join('\n')}
${
  dns
    ? `  - name: dns
    listen: 127.0.0.1:${dns.port}
    protocol: udp
    algorithm: maglev
    hash-key: 5-tuple
    backends:
${dns.backends.map((b) => `      - { address: ${b.address} }`).join('\n')}
`
    : ''
}`,
    'demo.yaml',
  );
}

async function withDriver<T>(a: DemoAppliance, work: (d: ApplianceDriver) => Promise<T>): Promise<T> {
  const d = a.target.startsWith('serial:')
    ? await SerialDriver.connect(a.target)
    : SnmpDriver.connect(a.target, { version: '3', user: V3.user, authKey: V3.authKey, privKey: V3.privKey });
  try {
    return await work(d);
  } finally {
    await d.close();
  }
}

/** lb-1: a push over the console, traffic, a backend killed under load, a patch with commit confirmed. */
async function firstApplianceStory(
  a: DemoAppliance,
  rules: (a: DemoAppliance, w: readonly number[]) => RuleTable,
  web: readonly HttpBackend[],
  dnsPort: number,
  log: (t: string) => void,
): Promise<void> {
  const driver = await SerialDriver.connect(a.target);
  const backendState = new Map<string, boolean>();
  driver.onEvent((e) => {
    if (e.kind !== 'backend-state') return;
    backendState.set(e.address, e.up);
    log(`  event over the console: ${e.service} backend ${e.address} is ${e.up ? 'UP' : 'DOWN'}`);
  });
  try {
    const first = rules(a, [3, 2, 1]);
    const firstBytes = encodeRules(first);
    const pushed = await driver.push(firstBytes, { confirmTimeoutMs: 0 });
    log(
      `\nlb-1: pushed the rule table over the console: ${firstBytes.length} bytes of table, ${pushed.bytes} bytes on the line, ${pushed.seconds.toFixed(2)} s`,
    );
    log(`  web: tcp 127.0.0.1:${a.webPort}, smooth weighted round robin 3:2:1 over ${web.map((b) => b.name).join(', ')}, HTTP health checks`);
    log(`  dns: udp 127.0.0.1:${dnsPort}, maglev on the 5-tuple`);
    const load = await httpLoad('127.0.0.1', a.webPort, 600, 16);
    log(`  600 HTTP requests, each on its own TCP connection: ${load.ok} answered, ${load.failed} failed (${split(load)})`);
    const udp = await udpExchange(dnsPort, 50, 4);
    log(`  ${udp.sent} UDP queries from 50 client ports: ${udp.answered} answered`);

    log(`  killing ${web[0]!.name}; traffic keeps flowing while the health checks notice…`);
    await web[0]!.kill();
    const during = { ok: 0, failed: 0, byBackend: new Map<string, number>() };
    const detectBy = Date.now() + 5_000;
    const isDown = () => backendState.get(web[0]!.address) === false;
    while (!isDown() && Date.now() < detectBy) {
      const batch = await httpLoad('127.0.0.1', a.webPort, 40, 8);
      during.ok += batch.ok;
      during.failed += batch.failed;
      for (const [b, n] of batch.byBackend) during.byBackend.set(b, (during.byBackend.get(b) ?? 0) + n);
    }
    log(`  meanwhile ${during.ok + during.failed} requests: ${during.ok} answered, ${during.failed} failed (${split(during)})`);
    await web[0]!.start();
    log(`  restarting ${web[0]!.name}; it is back after 2 good checks`);
    await waitFor(() => !isDown(), 5_000, `${web[0]!.name} to come back`);

    const delta = await driver.push(encodeRules(rules(a, [1, 1, 1])), {
      confirmTimeoutMs: 30_000,
      baseFor: (id) => (id === pushed.configId ? firstBytes : null),
    });
    log(`  pushed weights 1:1:1 as a ${delta.mode} (${delta.bytes} bytes on the line, commit confirmed within 30 s)`);
    const confirmed = await driver.confirm();
    log(`  confirmed ${confirmed.configId.slice(0, 12)}…`);
    await new Promise((r) => setTimeout(r, 100));
    log(`  counters read over the console:\n${countersTable(await driver.counters()).replace(/^/gm, '    ')}`);
  } finally {
    await driver.close();
  }
}

/** Firmware 1.1.0, signed with the demo's key, rolled out in two waves (a canary, then the rest). */
async function rollout(
  store: AgentStore,
  appliances: readonly DemoAppliance[],
  key: ReturnType<typeof generateSigningKey>,
  log: (t: string) => void,
): Promise<void> {
  const image = buildImage({ version: parseVersion('1.1.0'), securityCounter: 1, payload: simulatorPayload({ simulate: [], size: 24 * 1024 }) }, key);
  const engine = new RolloutEngine({
    rollouts: store.rollouts,
    catalog: new FirmwareCatalog(store.firmwareImages, path.join(path.dirname(store.location), 'firmware')),
    inventory: store.inventory,
    events: store.events,
    onEvent: (e) => {
      if (e.event === 'wave') log(`  wave ${e.wave}: ${e.appliances.join(', ')}`);
      else if (e.event === 'succeeded') log(`    ${e.appliance}: running ${e.version}, confirmed (${e.seconds.toFixed(1)} s)`);
      else if (e.event === 'failed') log(`    ${e.appliance}: failed: ${e.error}`);
    },
  });
  const { sha256 } = await engine.catalog.add(image);
  log(`\nfirmware rollout of 1.1.0 (${image.length} bytes, signed; lb-3 fetches it over HTTP from the agent): waves 1, 100%`);
  const upgrader = inventoryUpgrader(store.inventory);
  try {
    const r = await engine.start({ image: sha256, targets: appliances.map((a) => a.name), waves: [1, '100%'] });
    const done = await engine.run(r.id, { upgrade: upgrader.upgrade, concurrency: 3 });
    log(`  rollout ${r.id}: ${done.state}, ${done.totals.succeeded} of ${done.totals.devices} upgraded`);
  } finally {
    await upgrader.close();
  }
}

async function keepServing(store: AgentStore, portText: string | undefined, log: (t: string) => void): Promise<void> {
  const { buildServer } = await import('../../api/server.js');
  const app = await buildServer({ store, poll: { intervalMs: 2_000 }, logLevel: 'warn' });
  await app.listen({ host: '127.0.0.1', port: Number(portText ?? 0) });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : portText}`;
  const token = (await store.tokens.create({ role: 'admin', name: 'demo' })).token;
  log(`\ndashboard: ${url}/?token=${token}`);
  log(`admin token: ${token}`);
  log('the appliances, backends and the control plane stay up; Ctrl-C stops them.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await app.close();
}
