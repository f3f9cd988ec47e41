import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialDriver } from '../../drivers/serial/serial-driver.js';
import { configId, encodeRules } from '../../src/protocol/rules/index.js';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { startHttpBackends } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import { bigRules } from '../../sim/fixtures/big-rules.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function start(rules = bigRules(3), baud = 921_600) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'fulcrum-serial-'));
  const sim = await SimulatedAppliance.start({ name: 's', rules, stateDir, listen: false, serial: { baud } });
  const target = `serial:${sim.line!.path}?baud=${baud}`;
  const drivers: SerialDriver[] = [];
  const connect = async () => {
    const d = await SerialDriver.connect(target);
    drivers.push(d);
    return d;
  };
  cleanup.push(async () => {
    for (const d of drivers) await d.close();
    await sim.stop();
  });
  return { sim, target, connect };
}

const hexId = (t: Parameters<typeof configId>[0]) => configId(t);

describe('serial management channel over a real PTY', () => {
  it('reports identity and the running config id', async () => {
    const rules = bigRules(3);
    const { sim, connect } = await start(rules);
    const d = await connect();
    const info = await d.info();
    expect(info).toMatchObject({ model: 'FL-1000', firmware: '1.0.0', configId: hexId(rules), pendingConfirm: null });
    expect(info.serialNumber).toBe(sim.appliance.identity.serialNumber);
    expect(await d.readRunning()).toEqual(encodeRules(rules));
  });

  it('pushes a full table, then a one-weight change as a patch of at most 128 bytes on the line (200 services)', async () => {
    const before = bigRules(200);
    const { sim, connect } = await start(bigRules(3));
    const d1 = await connect();
    const full = await d1.push(encodeRules(before), { confirmTimeoutMs: 0 });
    expect(full).toMatchObject({ mode: 'full', configId: hexId(before) });
    expect(sim.appliance.configId).toBe(hexId(before));
    await d1.close();

    const after = bigRules(200, 3, (s, b) => (s === 117 && b === 1 ? 9 : 1));
    const base = encodeRules(before);
    const d2 = await connect();
    const delta = await d2.push(encodeRules(after), { confirmTimeoutMs: 0, baseFor: (id) => (id === hexId(before) ? base : null) });
    expect(delta).toMatchObject({ mode: 'delta', configId: hexId(after), previousConfigId: hexId(before) });
    // Every byte the agent wrote on this connection: hello, put-begin, the patch, put-end.
    expect(delta.bytes).toBeLessThanOrEqual(128);
    expect(sim.appliance.configId).toBe(hexId(after));
  });

  it('refuses a table the appliance cannot run, leaving the old one running', async () => {
    const rules = bigRules(2);
    const { sim, connect } = await start(rules);
    const d = await connect();
    const garbage = encodeRules(bigRules(4)).slice(0, -3);
    await expect(d.push(garbage, { confirmTimeoutMs: 0 })).rejects.toMatchObject({ code: 'refused', remote: 'invalidConfig' });
    expect(sim.appliance.configId).toBe(hexId(rules));
    expect((await d.info()).configId).toBe(hexId(rules));
  });

  it('reverts an unconfirmed commit by itself within timeout + 1 s, keeps a confirmed one, and rolls back', async () => {
    const a = bigRules(2);
    const b = bigRules(3);
    const c = bigRules(4);
    const { connect } = await start(a);
    const d = await connect();

    const pushedAt = performance.now();
    await d.push(encodeRules(b), { confirmTimeoutMs: 1_000 });
    const pending = await d.info();
    expect(pending.configId).toBe(hexId(b));
    expect(pending.pendingConfirm).toBeGreaterThan(0);
    let info = pending;
    while (info.configId === hexId(b)) {
      expect(performance.now() - pushedAt).toBeLessThan(2_000);
      await new Promise((r) => setTimeout(r, 50));
      info = await d.info();
    }
    expect(info).toMatchObject({ configId: hexId(a), pendingConfirm: null });

    await d.push(encodeRules(c), { confirmTimeoutMs: 1_000 });
    expect(await d.confirm()).toEqual({ configId: hexId(c) });
    await new Promise((r) => setTimeout(r, 1_300));
    expect(await d.info()).toMatchObject({ configId: hexId(c), pendingConfirm: null });
    await expect(d.confirm()).rejects.toMatchObject({ remote: 'nothingToConfirm' });

    // History, most recent first: a (replaced by c), b (reverted), a.
    expect(await d.rollback(1)).toEqual({ configId: hexId(a) });
    expect(await d.rollback(1)).toEqual({ configId: hexId(c) });
    await expect(d.rollback(11)).rejects.toMatchObject({ remote: 'noSuchRollback' });
  });

  it('reads counters equal to the connections actually served', async () => {
    const backends = await startHttpBackends(2);
    const vip = await freePort();
    const rules = loadRules(
      `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    algorithm: weighted-round-robin\n    backends:\n      - { address: ${backends[0]!.address}, weight: 2 }\n      - { address: ${backends[1]!.address}, weight: 1 }\n`,
      'w.yaml',
    );
    const stateDir = mkdtempSync(path.join(tmpdir(), 'fulcrum-serial-'));
    const sim = await SimulatedAppliance.start({ name: 'c', rules, stateDir, serial: { baud: 115_200 } });
    const d = await SerialDriver.connect(`serial:${sim.line!.path}`);
    cleanup.push(async () => {
      await d.close();
      await sim.stop();
      await Promise.all(backends.map((b) => b.kill()));
    });
    const load = await httpLoad('127.0.0.1', vip, 90, 6);
    expect(load.failed).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    const counters = await d.counters();
    const web = counters.services[0]!;
    expect(web.connsTotal).toBe(90n);
    expect(web.connsActive).toBe(0);
    for (const b of backends) {
      const row = web.backends.find((x) => x.address === b.address)!;
      expect(row.connsTotal).toBe(BigInt(b.connections));
      expect(row.bytesIn).toBe(BigInt(b.bytesReceived));
      expect(row.bytesOut).toBe(BigInt(b.bytesSent));
    }
    // Weights 2:1 with smooth round robin: exactly 60 and 30.
    expect(web.backends.find((x) => x.address === backends[0]!.address)!.connsTotal).toBe(60n);
    expect(web.backends.find((x) => x.address === backends[1]!.address)!.connsTotal).toBe(30n);
  });

  it('keeps serving flows across a commit: only flows on removed backends end', async () => {
    const backends = await startHttpBackends(2);
    const vip = await freePort();
    const yaml = (addresses: string[]) =>
      `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n${addresses.map((a) => `      - { address: ${a} }`).join('\n')}\n`;
    const both = loadRules(yaml(backends.map((b) => b.address)), 'a.yaml');
    const onlySecond = loadRules(yaml([backends[1]!.address]), 'b.yaml');
    const stateDir = mkdtempSync(path.join(tmpdir(), 'fulcrum-serial-'));
    const sim = await SimulatedAppliance.start({ name: 'k', rules: both, stateDir, serial: { baud: 921_600 } });
    const d = await SerialDriver.connect(`serial:${sim.line!.path}?baud=921600`);
    cleanup.push(async () => {
      await d.close();
      await sim.stop();
      await Promise.all(backends.map((b) => b.kill()));
    });
    // Two long-lived connections, one on each backend (round robin).
    const net = await import('node:net');
    const open = () =>
      new Promise<import('node:net').Socket>((resolve) => {
        const s = net.connect(vip, '127.0.0.1', () => resolve(s));
      });
    const c1 = await open();
    const c2 = await open();
    const closed = new Map<import('node:net').Socket, boolean>([
      [c1, false],
      [c2, false],
    ]);
    for (const c of [c1, c2]) c.on('close', () => closed.set(c, true)).on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 100));
    await d.push(encodeRules(onlySecond), { confirmTimeoutMs: 0 });
    await new Promise((r) => setTimeout(r, 200));
    expect([...closed.values()].sort()).toEqual([false, true]);
    const survivor = [...closed].find(([, gone]) => !gone)![0];
    // The survivor still works end to end.
    const answer = await new Promise<string>((resolve) => {
      survivor.once('data', (d) => resolve(d.toString()));
      survivor.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(answer).toContain('b2');
    survivor.destroy();
  });
});

describe('a table the data plane cannot serve', () => {
  it('is refused whole when a listen address is taken: the old table keeps running and serving', async () => {
    const backends = await startHttpBackends(1);
    const vip = await freePort();
    const taken = await freePort();
    const blocker = (await import('node:net')).createServer().listen(taken, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const yaml = (extra: string) =>
      `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n      - { address: ${backends[0]!.address} }\n${extra}`;
    const good = loadRules(yaml(''), 'a.yaml');
    const bad = loadRules(yaml(`  - name: web2\n    listen: 127.0.0.1:${taken}\n    backends:\n      - { address: ${backends[0]!.address} }\n`), 'b.yaml');
    const stateDir = mkdtempSync(path.join(tmpdir(), 'fulcrum-serial-'));
    const sim = await SimulatedAppliance.start({ name: 'x', rules: good, stateDir, serial: { baud: 921_600 } });
    const d = await SerialDriver.connect(`serial:${sim.line!.path}?baud=921600`);
    cleanup.push(async () => {
      await d.close();
      await sim.stop();
      blocker.close();
      await backends[0]!.kill();
    });
    await expect(d.push(encodeRules(bad), { confirmTimeoutMs: 0 })).rejects.toMatchObject({ code: 'refused', remote: 'applyFailed' });
    expect((await d.info()).configId).toBe(configId(good));
    expect((await httpLoad('127.0.0.1', vip, 5, 1)).ok).toBe(5);
  });
});
