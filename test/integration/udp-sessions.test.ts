import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { UdpEchoBackend } from '../../sim/backends/udp-echo.js';
import { freePort } from '../../sim/free-port.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('simulator data plane over real UDP', () => {
  it('keeps each client session on one backend, spreads clients, and counts the bytes', async () => {
    const backends = await Promise.all([new UdpEchoBackend('u1').start(), new UdpEchoBackend('u2').start(), new UdpEchoBackend('u3').start()]);
    const vip = await freePort();
    const rules = loadRules(
      `services:
  - name: dns
    listen: 127.0.0.1:${vip}
    protocol: udp
    algorithm: maglev
    hash-key: 5-tuple
    backends:
${backends.map((b) => `      - { address: ${b.address} }`).join('\n')}
`,
      'udp.yaml',
    );
    const sim = await SimulatedAppliance.start({ name: 'u', rules });
    cleanup.push(async () => {
      await sim.stop();
      await Promise.all(backends.map((b) => b.stop()));
    });

    const clients = 30;
    const rounds = 4;
    const answers = new Map<number, string[]>();
    const sockets = await Promise.all(
      Array.from(
        { length: clients },
        (_, i) =>
          new Promise<dgram.Socket>((resolve) => {
            const s = dgram.createSocket('udp4');
            s.on('message', (m) => answers.set(i, [...(answers.get(i) ?? []), m.toString().split(':')[0]!]));
            s.bind(0, '127.0.0.1', () => resolve(s));
          }),
      ),
    );
    const payload = Buffer.from('ping-0123456789');
    for (let r = 0; r < rounds; r++) {
      sockets.forEach((s) => s.send(payload, vip, '127.0.0.1'));
      await new Promise((res) => setTimeout(res, 30));
    }
    const end = Date.now() + 3_000;
    while ([...answers.values()].reduce((n, a) => n + a.length, 0) < clients * rounds && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    sockets.forEach((s) => s.close());

    expect([...answers.values()].reduce((n, a) => n + a.length, 0)).toBe(clients * rounds);
    for (const a of answers.values()) expect(new Set(a).size).toBe(1);
    const used = new Set([...answers.values()].map((a) => a[0]));
    expect(used.size).toBe(3);

    const svc = sim.appliance.counters().services[0]!;
    expect(svc.connsTotal).toBe(BigInt(clients));
    expect(svc.connsActive).toBe(clients);
    expect(svc.bytesIn).toBe(BigInt(clients * rounds * payload.length));
    expect(svc.bytesOut).toBe(BigInt(clients * rounds * (payload.length + 3)));
    for (const b of svc.backends) {
      const name = backends.find((x) => x.address === b.address)!.name;
      const sessions = [...answers.values()].filter((a) => a[0] === name).length;
      expect(b.connsTotal).toBe(BigInt(sessions));
    }
  });
});
