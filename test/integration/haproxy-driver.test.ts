/**
 * The HAProxy driver (drivers/haproxy) against real HAProxy 2.6 processes in master-worker mode,
 * started here on free ports with real HTTP backends: identity, counters of real traffic, weight
 * changes applied live (the worker stays), full pushes with a reload, refusals that leave the
 * running configuration and the file as they were, commit confirmed reverted at its deadline (by
 * the driver that is open, and by the next one to connect), confirm, rollback, and the CLI.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriverError, type ApplianceEvent } from '../../drivers/driver.js';
import { runningConfig } from '../../drivers/haproxy/config-file.js';
import { HaproxyDriver } from '../../drivers/haproxy/haproxy-driver.js';
import { startHttpBackends, type HttpBackend } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import { importConfig } from '../../src/interop/index.js';
import { configId, decodeRules, encodeRules } from '../../src/protocol/rules/index.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { loadRules } from '../../src/rules/index.js';
import { hasHaproxy, startHaproxy, type HaproxyBox } from '../support/haproxy.js';

const available = hasHaproxy();

let backends: HttpBackend[] = [];
let box: HaproxyBox;
let vip: number;
const drivers: HaproxyDriver[] = [];

async function open(): Promise<HaproxyDriver> {
  const d = await HaproxyDriver.connect(box.target);
  drivers.push(d);
  return d;
}

/** The test table: weighted round robin over the three backends, with `extra` YAML lines per service. */
function rules(weights: number[], options: { extra?: string; listen?: number; states?: string[] } = {}): RuleTable {
  const lines = backends.map((b, i) => `      - { address: ${b.address}, weight: ${weights[i]}${options.states?.[i] ? `, state: ${options.states[i]}` : ''} }`);
  const yaml = `services:\n  - name: web\n    listen: 127.0.0.1:${options.listen ?? vip}\n    algorithm: weighted-round-robin\n${options.extra ?? ''}    backends:\n${lines.join('\n')}\n`;
  return loadRules(yaml, 'test.yaml');
}

const push = (d: HaproxyDriver, table: RuleTable, confirmTimeoutMs = 0) => d.push(encodeRules(table), { confirmTimeoutMs });
const workerPid = async () => Number(/^Pid: (\d+)$/m.exec(await box.master('@1 show info'))![1]);
const split = async (count = 600) => {
  const load = await httpLoad('127.0.0.1', vip, count, 8);
  expect(load.failed, load.errors.join('; ')).toBe(0);
  return backends.map((b) => load.byBackend.get(b.name) ?? 0);
};

/**
 * Counts per backend match a weight split to within 1% of the connections (at least one):
 * HAProxy's round robin continues from where earlier traffic left it, so a short run may start
 * mid-cycle.
 */
function expectSplit(actual: number[], expected: number[]): void {
  const slack = Math.max(1, Math.round(expected.reduce((a, b) => a + b, 0) / 100));
  actual.forEach((n, i) => expect(Math.abs(n - expected[i]!), `${actual.join('/')} vs ${expected.join('/')}`).toBeLessThanOrEqual(slack));
}

async function refusal(work: Promise<unknown>): Promise<DriverError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof DriverError) return err;
    throw err;
  }
  throw new Error('accepted');
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!available)('HAProxy driver against a real HAProxy', () => {
  beforeAll(async () => {
    backends = await startHttpBackends(3);
    vip = await freePort();
    // What an operator might have written before the box came under Fulcrum.
    box = await startHaproxy(
      (dir) => `global
    stats socket ${dir}/stats.sock level admin

defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 127.0.0.1:${vip}
    default_backend pool

backend pool
    server a ${backends[0]!.address}
`,
    );
  });
  afterAll(async () => {
    for (const d of drivers) await d.close();
    await box?.stop();
    await Promise.all(backends.map((b) => b.kill()));
  });

  it('tells its identity from show info and the running config id from its file, stable across reloads', async () => {
    const d = await open();
    const info = await d.info();
    const node = /^node: (.*)$/m.exec(await box.master('@1 show info'))![1];
    expect(info).toMatchObject({ model: 'HAProxy', serialNumber: `${node}:${box.config}`, pendingConfirm: null });
    expect(info.firmware).toMatch(/^2\.\d+\.\d+/);
    // A hand-written file: its id is the id of the table it imports as.
    expect(info.configId).toBe(configId(importConfig(readFileSync(box.config, 'utf8'), box.config, { from: 'haproxy' }).table));
    expect(decodeRules(await d.readRunning()).services.map((s) => s.name)).toEqual(['web']);

    const table = rules([3, 2, 1]);
    const pidBefore = await workerPid();
    const done = await push(d, table);
    expect(done).toMatchObject({ configId: configId(table), previousConfigId: info.configId, mode: 'full' });
    expect(await workerPid()).not.toBe(pidBefore);
    const after = await d.info();
    expect(after).toMatchObject({ serialNumber: info.serialNumber, configId: configId(table), firmware: info.firmware });
    // The operator's global section stays; the proxies are the table's.
    const file = readFileSync(box.config, 'utf8');
    expect(file).toContain(`stats socket ${box.dir}/stats.sock level admin`);
    expect(file).not.toContain('backend pool');
    expect(decodeRules(await d.readRunning())).toEqual(table);
  });

  it('counts real traffic per service and backend, as the backends saw it', async () => {
    const d = await open();
    await push(d, rules([3, 2, 1]));
    const start = await d.counters();
    const base = start.services[0]!;
    const before = backends.map((b) => ({ connections: b.connections, received: b.bytesReceived, sent: b.bytesSent }));
    expectSplit(await split(600), [300, 200, 100]);
    // HAProxy adds a session's bytes when it ends; the backends count theirs on close.
    const s = await until('counters settled', async () => {
      const now = (await d.counters()).services[0]!;
      return now.connsActive === 0 && now.connsTotal - base.connsTotal === 600n && now;
    });
    expect(s).toMatchObject({ name: 'web', listen: `127.0.0.1:${vip}`, protocol: 'tcp', failures: 0n });
    expect(s.backends.map((b) => b.address).sort()).toEqual(backends.map((b) => b.address).sort());
    backends.forEach((backend, i) => {
      const now = s.backends.find((b) => b.address === backend.address)!;
      const was = base.backends.find((b) => b.address === backend.address)!;
      expect(now).toMatchObject({ state: 'up', weight: [3, 2, 1][i], backup: false });
      expect(now.connsTotal - was.connsTotal).toBe(BigInt(backend.connections - before[i]!.connections));
      expect(now.bytesIn - was.bytesIn).toBe(BigInt(backend.bytesReceived - before[i]!.received));
      expect(now.bytesOut - was.bytesOut).toBe(BigInt(backend.bytesSent - before[i]!.sent));
    });
    expect(s.bytesIn - base.bytesIn).toBe(s.backends.reduce((n, b, i) => n + b.bytesIn - base.backends[i]!.bytesIn, 0n));
  });

  it('applies a weight and drain change live: the same worker, its counters kept, the new split at once', async () => {
    const d = await open();
    await push(d, rules([3, 2, 1]));
    const pid = await workerPid();
    const total = (await d.counters()).services[0]!.connsTotal;
    const done = await push(d, rules([1, 1, 4]));
    expect(done).toMatchObject({ mode: 'delta', configId: configId(rules([1, 1, 4])) });
    expect(await workerPid()).toBe(pid);
    expectSplit(await split(600), [100, 100, 400]);
    expect((await d.counters()).services[0]!.connsTotal).toBe(total + 600n);

    const drained = rules([1, 1, 4], { states: ['', 'drain', ''] });
    expect(await push(d, drained)).toMatchObject({ mode: 'delta', configId: configId(drained) });
    expect(await workerPid()).toBe(pid);
    expect((await d.info()).configId).toBe(configId(drained));
    const stateOf = async (i: number) => (await d.counters()).services[0]!.backends.find((b) => b.address === backends[i]!.address)!.state;
    expect([await stateOf(0), await stateOf(1), await stateOf(2)]).toEqual(['up', 'drain', 'up']);
    const whileDrained = await split(500);
    expect(whileDrained[1]).toBe(0);
    expectSplit(whileDrained, [100, 0, 400]);
    // The file keeps it for the next reload: weight 0 there, drained again after the reload.
    await push(d, rules([1, 1, 4], { states: ['', 'drain', ''], extra: '    idle-timeout: 2m\n' }));
    expect(await workerPid()).not.toBe(pid);
    expect([await stateOf(0), await stateOf(1), await stateOf(2)]).toEqual(['up', 'drain', 'up']);
  });

  it('refuses a configuration haproxy -c refuses, leaving the file and the worker as they were', async () => {
    const d = await open();
    await push(d, rules([3, 2, 1]));
    // Someone breaks the global section by hand (HAProxy keeps running what it loaded).
    const broken = readFileSync(box.config, 'utf8').replace('global\n', 'global\n    no-such-keyword on\n');
    writeFileSync(box.config, broken);
    try {
      const pid = await workerPid();
      const err = await refusal(push(d, rules([3, 2, 1], { extra: '    idle-timeout: 1m\n' })));
      expect(err).toMatchObject({ code: 'refused', remote: 'invalidConfig' });
      expect(err.message).toContain(`haproxy -c -f ${box.config}`);
      expect(err.message).toContain("unknown keyword 'no-such-keyword' in 'global' section");
      expect(readFileSync(box.config, 'utf8')).toBe(broken);
      expect(await workerPid()).toBe(pid);
      expectSplit(await split(60), [30, 20, 10]);
    } finally {
      writeFileSync(box.config, broken.replace('    no-such-keyword on\n', ''));
    }
  });

  it('refuses a reload HAProxy fails (a port held elsewhere), restoring the file; the old worker runs on', async () => {
    const d = await open();
    await push(d, rules([3, 2, 1]));
    const before = readFileSync(box.config, 'utf8');
    const pid = await workerPid();
    const held = net.createServer();
    const busy = await freePort();
    await new Promise<void>((resolve) => held.listen(busy, '127.0.0.1', resolve));
    try {
      const table = rules([3, 2, 1]);
      table.services.push({ ...table.services[0]!, name: 'web2', listen: `127.0.0.1:${busy}` });
      const err = await refusal(push(d, table));
      expect(err).toMatchObject({ code: 'refused', remote: 'applyFailed' });
      expect(err.message).toContain('failed to load the new configuration at reload');
    } finally {
      await new Promise((r) => held.close(r));
    }
    expect(readFileSync(box.config, 'utf8')).toBe(before);
    expect(await workerPid()).toBe(pid);
    expect((await d.info()).configId).toBe(configId(rules([3, 2, 1])));
    expectSplit(await split(60), [30, 20, 10]);
  });

  it('reverts a commit confirmed at its deadline: the open driver does it and says so', async () => {
    const d = await open();
    const confirmed = rules([3, 2, 1]);
    await push(d, confirmed);
    const events: ApplianceEvent[] = [];
    d.onEvent((e) => events.push(e));
    const trial = rules([1, 1, 1], { extra: '    idle-timeout: 3m\n' });
    await push(d, trial, 1_500);
    const info = await d.info();
    expect(info.configId).toBe(configId(trial));
    expect(info.pendingConfirm).toBeGreaterThan(0);
    const state = JSON.parse(readFileSync(`${box.config}.fulcrum/state.json`, 'utf8')) as { pending: { configId: string; revertTo: { configId: string } } };
    expect(state.pending).toMatchObject({ configId: configId(trial), revertTo: { configId: configId(confirmed) } });
    const rollback = await until('the revert', async () => events.find((e) => e.kind === 'rollback'));
    expect(rollback).toMatchObject({ kind: 'rollback', configId: configId(confirmed), reason: 'confirm-timeout' });
    expect(await d.info()).toMatchObject({ configId: configId(confirmed), pendingConfirm: null });
    expectSplit(await split(60), [30, 20, 10]);
  });

  it('reverts a commit nobody confirmed when the next driver connects, after the one that pushed is gone', async () => {
    const first = await open();
    const confirmed = rules([3, 2, 1]);
    await push(first, confirmed);
    await push(first, rules([2, 2, 2], { extra: '    idle-timeout: 4m\n' }), 1_000);
    await first.close();
    await new Promise((r) => setTimeout(r, 1_300));
    const next = await open();
    expect(await next.info()).toMatchObject({ configId: configId(confirmed), pendingConfirm: null });
    expect(decodeRules(await next.readRunning())).toEqual(confirmed);
  });

  it('keeps a confirmed commit, and refuses a confirm with nothing pending', async () => {
    const d = await open();
    const trial = rules([2, 1, 1], { extra: '    idle-timeout: 6m\n' });
    await push(d, trial, 60_000);
    expect((await d.info()).pendingConfirm).toBeGreaterThan(50);
    expect(await d.confirm()).toEqual({ configId: configId(trial) });
    expect(await d.info()).toMatchObject({ configId: configId(trial), pendingConfirm: null });
    expect(await refusal(d.confirm())).toMatchObject({ code: 'refused', remote: 'nothingToConfirm' });
  });

  it('rolls back to an earlier file, and refuses steps the history does not hold', async () => {
    const d = await open();
    const a = rules([3, 2, 1], { extra: '    idle-timeout: 7m\n' });
    const b = rules([1, 2, 3], { extra: '    idle-timeout: 8m\n' });
    await push(d, a);
    const fileA = readFileSync(box.config, 'utf8');
    await push(d, b);
    const events: ApplianceEvent[] = [];
    d.onEvent((e) => events.push(e));
    expect(await d.rollback(1)).toEqual({ configId: configId(a) });
    expect(readFileSync(box.config, 'utf8')).toBe(fileA);
    expect((await d.info()).configId).toBe(configId(a));
    expect(events).toMatchObject([{ kind: 'rollback', configId: configId(a), reason: 'operator' }]);
    expectSplit(await split(60), [30, 20, 10]);
    // rollback 1 again goes back to b: the file rolled back from is now first in the history.
    expect(await d.rollback(1)).toEqual({ configId: configId(b) });
    expect(await refusal(d.rollback(11))).toMatchObject({ code: 'refused', remote: 'badRequest' });
    const history = (JSON.parse(readFileSync(`${box.config}.fulcrum/state.json`, 'utf8')) as { history: unknown[] }).history.length;
    expect(history).toBeLessThanOrEqual(10);
    if (history < 10) expect((await refusal(d.rollback(history + 1))).remote).toBe('noSuchRollback');
  });

  it('names the socket and the file when they are not there', async () => {
    const gone = await refusal(HaproxyDriver.connect(`haproxy://${box.dir}/nothing.sock?config=${box.config}`));
    expect(gone).toMatchObject({ code: 'unreachable' });
    expect(gone.message).toContain(`${box.dir}/nothing.sock`);
    const noFile = await refusal(HaproxyDriver.connect(`haproxy://${box.masterSocket}?config=${box.dir}/missing.cfg`));
    expect(noFile).toMatchObject({ code: 'refused', remote: 'storage' });
    expect(noFile.message).toContain(`${box.dir}/missing.cfg`);
    // The stats socket reads and changes weights, but a reload needs the master CLI.
    const stats = await HaproxyDriver.connect(`haproxy://${box.dir}/stats.sock?config=${box.config}`);
    drivers.push(stats);
    expect((await stats.info()).model).toBe('HAProxy');
    const err = await refusal(push(stats, rules([3, 2, 1], { extra: '    idle-timeout: 9m\n' })));
    expect(err).toMatchObject({ code: 'refused', remote: 'unsupported' });
    expect(err.message).toContain("worker's stats socket");
  });
});

describe.skipIf(!available)('HAProxy boxes through the CLI', () => {
  let dir = '';
  let cliBox: HaproxyBox;
  let cliBackends: HttpBackend[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-haproxy-cli-'));
    cliBackends = await startHttpBackends(2, 'c');
    vip = await freePort();
    cliBox = await startHaproxy(
      () => `defaults\n    mode tcp\n    timeout connect 5s\n\nlisten seed\n    bind 127.0.0.1:${vip}\n    server a ${cliBackends[0]!.address}\n`,
    );
  });
  afterAll(async () => {
    await cliBox?.stop();
    await Promise.all(cliBackends.map((b) => b.kill()));
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('adds the box, pushes a table to it by name, and reads its counters and identity', async () => {
    const { fulcrumAsync } = await import('../support/cli.js');
    const env = { FULCRUM_HOME: path.join(dir, 'home') };
    const db = path.join(dir, 'agent.db');
    const run = (...args: string[]) => fulcrumAsync([...args, '--db', db], env);
    const added = await run('appliance', 'add', 'edge-1', cliBox.target);
    expect(added.code, added.stderr).toBe(0);
    const file = path.join(dir, 'web.yaml');
    writeFileSync(
      file,
      `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    algorithm: weighted-round-robin\n    backends:\n${cliBackends.map((b, i) => `      - { address: ${b.address}, weight: ${i + 1} }`).join('\n')}\n`,
    );
    const pushed = await run('rules', 'push', file, '--to', 'edge-1', '--json', '--allow-destructive');
    expect(pushed.code, pushed.stderr).toBe(0);
    const result = JSON.parse(pushed.stdout) as { configId: string; mode: string };
    expect(result).toMatchObject({ configId: configId(loadRules(readFileSync(file, 'utf8'), file)), mode: 'full' });
    const load = await httpLoad('127.0.0.1', vip, 90, 4);
    expect([load.byBackend.get('c1'), load.byBackend.get('c2')]).toEqual([30, 60]);
    const info = await run('appliance', 'info', '--to', 'edge-1', '--json');
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ model: 'HAProxy', configId: result.configId, pendingConfirm: null });
    const counters = await run('counters', '--to', 'edge-1', '--json');
    expect(counters.code, counters.stderr).toBe(0);
    const snapshot = JSON.parse(counters.stdout) as { services: { name: string; connsTotal: unknown; backends: { address: string; connsTotal: unknown }[] }[] };
    expect(snapshot.services.map((s) => s.name)).toEqual(['web']);
    const byAddress = new Map(snapshot.services[0]!.backends.map((b) => [b.address, Number(b.connsTotal)]));
    expect(cliBackends.map((b) => byAddress.get(b.address))).toEqual([30, 60]);
    expect(existsSync(`${cliBox.config}.fulcrum/state.json`)).toBe(true);

    // A commit confirmed nobody confirms: the poller of `fulcrum monitor` reverts it at the deadline.
    const trial = path.join(dir, 'trial.yaml');
    writeFileSync(trial, readFileSync(file, 'utf8').replace('weight: 2', 'weight: 5'));
    const pending = await run('rules', 'push', trial, '--to', 'edge-1', '--json', '--confirm-timeout', '2s', '--force');
    expect(pending.code, pending.stderr).toBe(0);
    expect(JSON.parse(pending.stdout)).toMatchObject({ mode: 'delta' });
    const stateFile = `${cliBox.config}.fulcrum/state.json`;
    expect((JSON.parse(readFileSync(stateFile, 'utf8')) as { pending: unknown }).pending).not.toBeNull();
    const { fulcrumReady, exited } = await import('../support/cli.js');
    const monitor = await fulcrumReady(['monitor', '--interval', '500ms', '--json', '--db', db], env);
    try {
      await until('the poller reverts the commit', async () => (JSON.parse(readFileSync(stateFile, 'utf8')) as { pending: unknown }).pending === null);
    } finally {
      monitor.child.kill('SIGTERM');
      await exited(monitor.child);
    }
    // Read from the file, not through a driver (which would revert on connecting).
    expect(runningConfig(readFileSync(cliBox.config, 'utf8'), cliBox.config).configId).toBe(result.configId);
  });
});
