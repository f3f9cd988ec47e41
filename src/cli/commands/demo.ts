import dgram from 'node:dgram';
import { loadRules } from '../../protocol/rules/index.js';
import { SimulatedAppliance } from '../../../sim/simulated-appliance.js';
import { startHttpBackends } from '../../../sim/backends/http-backend.js';
import { UdpEchoBackend } from '../../../sim/backends/udp-echo.js';
import { freePort } from '../../../sim/free-port.js';
import { httpLoad } from '../../../sim/traffic/http-load.js';
import { printJson } from '../output.js';
import { countersTable } from '../counters-table.js';

const say = (text: string) => process.stdout.write(`${text}\n`);

/**
 * The story so far: real backends, one simulated appliance balancing real TCP and UDP,
 * a backend that dies and is routed around, and the counters at the end.
 */
export async function demo(opts: { json?: boolean }): Promise<void> {
  const quiet = opts.json === true;
  const log = quiet ? () => undefined : say;
  const web = await startHttpBackends(3, 'web-');
  const dns = await Promise.all([new UdpEchoBackend('dns-1').start(), new UdpEchoBackend('dns-2').start()]);
  const webPort = await freePort();
  const dnsPort = await freePort();
  const yaml = `services:
  - name: web
    listen: 127.0.0.1:${webPort}
    algorithm: weighted-round-robin
    health: { type: http, path: /, interval: 300ms, timeout: 200ms, rise: 2, fall: 2 }
    backends:
      - { address: ${web[0]!.address}, weight: 3 }
      - { address: ${web[1]!.address}, weight: 2 }
      - { address: ${web[2]!.address}, weight: 1 }
  - name: dns
    listen: 127.0.0.1:${dnsPort}
    protocol: udp
    algorithm: maglev
    hash-key: 5-tuple
    backends:
      - { address: ${dns[0]!.address} }
      - { address: ${dns[1]!.address} }
`;
  const rules = loadRules(yaml, 'demo.yaml');
  const sim = await SimulatedAppliance.start({ name: 'demo-1', rules });
  sim.onEvent((e) => {
    if (e.type === 'backend-state') log(`  event: ${e.service} backend ${e.address} is ${e.up ? 'UP' : 'DOWN'} (${e.detail})`);
  });
  try {
    log(`appliance demo-1 is running config ${sim.appliance.configId.slice(0, 16)}…`);
    log(`  web: tcp 127.0.0.1:${webPort}, smooth weighted round robin 3:2:1 over ${web.map((b) => b.name).join(', ')}`);
    log(`  dns: udp 127.0.0.1:${dnsPort}, maglev on the 5-tuple over ${dns.map((b) => b.name).join(', ')}`);

    const first = await httpLoad('127.0.0.1', webPort, 600, 16);
    log(`\n600 HTTP requests, each on its own TCP connection: ${first.ok} answered, ${first.failed} failed`);
    log(`  answered by ${[...first.byBackend].sort().map(([b, n]) => `${b} ${n}`).join(', ')}`);

    const udp = await udpExchange(dnsPort, 50, 4);
    log(`\n${udp.sent} UDP queries from 50 client ports: ${udp.answered} answered`);

    log(`\nkilling ${web[0]!.name}; traffic keeps flowing while health checks notice…`);
    await web[0]!.kill();
    const webState = (address: string) => sim.appliance.counters().services.find((s) => s.name === 'web')!.backends.find((b) => b.address === address)!.state;
    const during = { ok: 0, failed: 0, byBackend: new Map<string, number>() };
    const detectBy = Date.now() + 5_000;
    // Keep sending until the health checks have taken it out (fall 2 × interval 300ms + timeout).
    while (webState(web[0]!.address) !== 'down' && Date.now() < detectBy) {
      const batch = await httpLoad('127.0.0.1', webPort, 40, 8);
      during.ok += batch.ok;
      during.failed += batch.failed;
      for (const [b, n] of batch.byBackend) during.byBackend.set(b, (during.byBackend.get(b) ?? 0) + n);
    }
    log(`  meanwhile ${during.ok + during.failed} requests: ${during.ok} answered, ${during.failed} failed (${[...during.byBackend].sort().map(([b, n]) => `${b} ${n}`).join(', ')})`);
    log('  connects that hit the dead backend before it was marked down were retried on another one');
    await web[0]!.start();
    log(`restarting ${web[0]!.name}; it returns after 2 good checks`);
    await waitFor(() => sim.appliance.counters().services.find((s) => s.name === 'web')!.backends.every((b) => b.state === 'up'), 5_000);
    const after = await httpLoad('127.0.0.1', webPort, 60, 8);
    log(`  60 more requests: ${[...after.byBackend].sort().map(([b, n]) => `${b} ${n}`).join(', ')}`);

    // Let the relay see the last FINs, so "active" shows what is really still open.
    await new Promise((r) => setTimeout(r, 100));
    const counters = sim.appliance.counters();
    if (quiet) printJson(counters);
    else {
      say(`\n${countersTable(counters)}`);
      say('failures: for a service, flows refused (no backend, no fallback); for a backend, connects that failed and were retried elsewhere.');
      say('UDP sessions stay active until their idle timeout (30s).');
    }
  } finally {
    await sim.stop();
    await Promise.all(web.map((b) => b.kill()));
    await Promise.all(dns.map((b) => b.stop()));
  }
}

async function udpExchange(port: number, clients: number, perClient: number): Promise<{ sent: number; answered: number }> {
  let answered = 0;
  const sockets = await Promise.all(Array.from({ length: clients }, () => new Promise<dgram.Socket>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.on('message', () => answered++);
    s.bind(0, '127.0.0.1', () => resolve(s));
  })));
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
