import dgram from 'node:dgram';
import { encodeRules, loadRules } from '../../protocol/rules/index.js';
import { SerialDriver } from '../../../drivers/serial/serial-driver.js';
import { SimulatedAppliance } from '../../../sim/simulated-appliance.js';
import { startHttpBackends } from '../../../sim/backends/http-backend.js';
import { UdpEchoBackend } from '../../../sim/backends/udp-echo.js';
import { freePort } from '../../../sim/free-port.js';
import { httpLoad, type LoadResult } from '../../../sim/traffic/http-load.js';
import { printJson } from '../output.js';
import { countersTable } from '../counters-table.js';

const say = (text: string) => process.stdout.write(`${text}\n`);
const BAUD = 115_200;
const split = (r: Pick<LoadResult, 'byBackend'>) => [...r.byBackend].sort().map(([b, n]) => `${b} ${n}`).join(', ');

/**
 * The story so far: real backends; a simulated appliance provisioned over its serial console
 * (a real PTY paced to 115200 baud); real TCP and UDP traffic; a backend that dies and is routed
 * around; a one-line change pushed as a patch; the counters read back over the console.
 */
export async function demo(opts: { json?: boolean }): Promise<void> {
  const log = opts.json === true ? () => undefined : say;
  const web = await startHttpBackends(3, 'web-');
  const dns = await Promise.all([new UdpEchoBackend('dns-1').start(), new UdpEchoBackend('dns-2').start()]);
  const webPort = await freePort();
  const dnsPort = await freePort();
  const rules = (weights: [number, number, number]) =>
    loadRules(
      `services:
  - name: web
    listen: 127.0.0.1:${webPort}
    algorithm: weighted-round-robin
    health: { type: http, path: /, interval: 300ms, timeout: 200ms, rise: 2, fall: 2 }
    backends:
${web.map((b, i) => `      - { address: ${b.address}, weight: ${weights[i]} }`).join('\n')}
  - name: dns
    listen: 127.0.0.1:${dnsPort}
    protocol: udp
    algorithm: maglev
    hash-key: 5-tuple
    backends:
${dns.map((b) => `      - { address: ${b.address} }`).join('\n')}
`,
      'demo.yaml',
    );
  const sim = await SimulatedAppliance.start({ name: 'demo-1', rules: { services: [] }, serial: { baud: BAUD } });
  const target = `serial:${sim.line!.path}?baud=${BAUD}`;
  const driver = await SerialDriver.connect(target);
  // The agent learns of backend state changes from the appliance's events on the console.
  const backendState = new Map<string, boolean>();
  driver.onEvent((e) => {
    if (e.kind !== 'backend-state') return;
    backendState.set(e.address, e.up);
    log(`  event over the console: ${e.service} backend ${e.address} is ${e.up ? 'UP' : 'DOWN'}`);
  });
  try {
    const info = await driver.info();
    log(`appliance demo-1 (${info.model}, serial number ${info.serialNumber}, firmware ${info.firmware})`);
    log(`  console ${target}, running an empty table ${info.configId.slice(0, 12)}…`);

    const first = rules([3, 2, 1]);
    const firstBytes = encodeRules(first);
    const pushed = await driver.push(firstBytes, { confirmTimeoutMs: 0 });
    log(`\npushed the rule table over the console: ${firstBytes.length} bytes of table, ${pushed.bytes} bytes on the line, ${pushed.seconds.toFixed(2)} s`);
    log(`  web: tcp 127.0.0.1:${webPort}, smooth weighted round robin 3:2:1 over ${web.map((b) => b.name).join(', ')}, HTTP health checks`);
    log(`  dns: udp 127.0.0.1:${dnsPort}, maglev on the 5-tuple over ${dns.map((b) => b.name).join(', ')}`);

    const load = await httpLoad('127.0.0.1', webPort, 600, 16);
    log(`\n600 HTTP requests, each on its own TCP connection: ${load.ok} answered, ${load.failed} failed (${split(load)})`);
    const udp = await udpExchange(dnsPort, 50, 4);
    log(`${udp.sent} UDP queries from 50 client ports: ${udp.answered} answered`);

    log(`\nkilling ${web[0]!.name}; traffic keeps flowing while the health checks notice…`);
    await web[0]!.kill();
    const during = { ok: 0, failed: 0, byBackend: new Map<string, number>() };
    const detectBy = Date.now() + 5_000;
    const isDown = () => backendState.get(web[0]!.address) === false;
    while (!isDown() && Date.now() < detectBy) {
      const batch = await httpLoad('127.0.0.1', webPort, 40, 8);
      during.ok += batch.ok;
      during.failed += batch.failed;
      for (const [b, n] of batch.byBackend) during.byBackend.set(b, (during.byBackend.get(b) ?? 0) + n);
    }
    log(`  meanwhile ${during.ok + during.failed} requests: ${during.ok} answered, ${during.failed} failed (${split(during)}); connects that hit it before it was marked down were retried on another backend`);
    await web[0]!.start();
    log(`restarting ${web[0]!.name}; it is back after 2 good checks`);
    await waitFor(() => !isDown(), 5_000);

    const second = rules([1, 1, 1]);
    const delta = await driver.push(encodeRules(second), { confirmTimeoutMs: 30_000, baseFor: (id) => (id === pushed.configId ? firstBytes : null) });
    log(`\npushed weights 1:1:1 as a ${delta.mode} (${delta.bytes} bytes on the line, commit confirmed within 30 s); established flows kept their backends`);
    const confirmed = await driver.confirm();
    log(`  confirmed ${confirmed.configId.slice(0, 12)}…`);
    const after = await httpLoad('127.0.0.1', webPort, 60, 8);
    log(`  60 more requests: ${split(after)}`);

    // Let the relay see the last FINs, so "active" shows what is really still open.
    await new Promise((r) => setTimeout(r, 100));
    const counters = await driver.counters();
    if (opts.json) printJson(counters);
    else {
      log(`\ncounters read over the console:\n${countersTable(counters)}`);
      log('failures: for a service, flows refused (no backend, no fallback); for a backend, connects that failed and were retried elsewhere.');
      log('UDP sessions stay active until their idle timeout (30s).');
    }
  } finally {
    await driver.close();
    await sim.stop();
    await Promise.all(web.map((b) => b.kill()));
    await Promise.all(dns.map((b) => b.stop()));
  }
}

async function udpExchange(port: number, clients: number, perClient: number): Promise<{ sent: number; answered: number }> {
  let answered = 0;
  const sockets = await Promise.all(
    Array.from({ length: clients }, () =>
      new Promise<dgram.Socket>((resolve) => {
        const s = dgram.createSocket('udp4');
        s.on('message', () => answered++);
        s.bind(0, '127.0.0.1', () => resolve(s));
      }),
    ),
  );
  for (let round = 0; round < perClient; round++) {
    for (const s of sockets) s.send(`query ${round}`, port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
  for (const s of sockets) s.close();
  return { sent: clients * perClient, answered };
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the appliance');
    await new Promise((r) => setTimeout(r, 50));
  }
}
