/**
 * One poller per store, with real processes: two `fulcrum monitor` on one database, `serve`
 * next to `monitor`, and `--standby` taking over when the holder stops. The lease row names
 * its holder (pid, host, command, since), so the one refused can say who polls.
 */
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { fulcrumAsync } from '../support/cli.js';
import { startCli, type CliProcess } from '../support/cli-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Cycle = { polled: number; failed: number };

describe('one poller per store', () => {
  let sim: SimulatedAppliance;
  const running: CliProcess[] = [];
  const start = (args: string[], env: Record<string, string>) => {
    const p = startCli(args, env);
    running.push(p);
    return p;
  };
  const newHome = async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-lease-'));
    const env = { FULCRUM_HOME: home };
    const add = await fulcrumAsync(['appliance', 'add', 'edge-1', `snmp://${sim.readyInfo().snmp}`, '--community', 'public'], env);
    expect(add.code, add.stderr).toBe(0);
    return env;
  };

  beforeAll(async () => {
    const rules = loadRules('services:\n  - name: web\n    listen: 127.0.0.1:1\n    backends:\n      - { address: 127.0.0.1:2 }\n', 'l.yaml');
    sim = await SimulatedAppliance.start({ name: 'l1', rules, listen: false, snmp: { host: '127.0.0.1', port: 0, community: 'public' } });
  });
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await sim.stop();
  });

  it('a second monitor on the same store refuses with exit 1, naming the holder; the first loses no cycle', async () => {
    const env = await newHome();
    const first = start(['monitor', '--interval', '1s', '--for', '6s', '--json'], env);
    await first.line(0);
    const second = await fulcrumAsync(['monitor', '--interval', '1s', '--for', '4s', '--json'], env);
    expect(second.code, second.stderr).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toContain(`pid ${first.child.pid}`);
    expect(second.stderr).toContain(`on ${hostname()}`);
    expect(second.stderr).toContain('fulcrum monitor');
    expect(second.stderr).toMatch(/since \d{4}-\d\d-\d\dT/);
    expect(second.stderr).toContain('--standby');
    const done = await first.exit();
    expect(done.code, first.stderr()).toBe(0);
    const cycles = first.lines().map((l) => JSON.parse(l) as Cycle);
    expect(cycles.length).toBeGreaterThanOrEqual(5);
    expect(cycles.every((c) => c.polled === 1 && c.failed === 0)).toBe(true);
    expect(first.stderr()).not.toMatch(/UNIQUE|constraint/);
  });

  it('--standby waits without polling and takes over at once when the holder stops on SIGTERM', async () => {
    const env = await newHome();
    const first = start(['monitor', '--interval', '1s', '--json'], env);
    await first.line(0);
    const standby = start(['monitor', '--interval', '1s', '--for', '30s', '--standby', '--json'], env);
    await sleep(2_500);
    expect(standby.lines()).toEqual([]);
    expect(standby.stderr()).toContain('standing by');
    expect(standby.stderr()).toContain(`pid ${first.child.pid}`);
    first.child.kill('SIGTERM');
    const stoppedAt = Date.now();
    expect(await first.exit()).toEqual({ code: 0, signal: null });
    const line = JSON.parse(await standby.line(0)) as Cycle;
    // Released at once: no waiting out the lease (30 s at this interval).
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
    expect(line).toMatchObject({ polled: 1, failed: 0 });
    standby.child.kill('SIGTERM');
    expect((await standby.exit()).code, standby.stderr()).toBe(0);
    expect(standby.stderr()).not.toMatch(/UNIQUE|constraint/);
  });

  it('a standby takes over from a holder killed outright (its pid gone), without waiting out the lease', async () => {
    const env = await newHome();
    const first = start(['monitor', '--interval', '1s', '--json'], env);
    await first.line(0);
    const standby = start(['monitor', '--interval', '1s', '--for', '30s', '--standby', '--json'], env);
    await sleep(1_500);
    first.child.kill('SIGKILL');
    await first.exit();
    const killedAt = Date.now();
    await standby.line(0);
    expect(Date.now() - killedAt).toBeLessThan(3_000);
    standby.child.kill('SIGTERM');
    expect((await standby.exit()).code, standby.stderr()).toBe(0);
  });

  it('serve next to a monitor serves without polling and says so; a monitor next to a polling serve refuses', async () => {
    const env = await newHome();
    const monitor = start(['monitor', '--interval', '1s', '--json'], env);
    await monitor.line(0);
    const serve = start(['serve', '--port', '0', '--poll-interval', '1s'], env);
    const ready = JSON.parse(await serve.line(0)) as { url: string };
    expect(ready.url).toMatch(/^http:/);
    await sleep(2_500);
    expect(serve.stderr()).toContain('not polling');
    expect(serve.stderr()).toContain(`pid ${monitor.child.pid}`);
    expect(serve.stderr()).not.toMatch(/poll cycle failed|UNIQUE/);
    serve.child.kill('SIGTERM');
    expect((await serve.exit()).code).toBe(0);
    monitor.child.kill('SIGTERM');
    expect((await monitor.exit()).code).toBe(0);
    const cycles = monitor.lines().map((l) => JSON.parse(l) as Cycle);
    expect(cycles.every((c) => c.polled === 1 && c.failed === 0)).toBe(true);

    const polling = start(['serve', '--port', '0', '--poll-interval', '1s'], env);
    await polling.line(0);
    await sleep(1_500);
    const refused = await fulcrumAsync(['monitor', '--interval', '1s', '--for', '3s'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`pid ${polling.child.pid}`);
    expect(refused.stderr).toContain('fulcrum serve');
    polling.child.kill('SIGTERM');
    expect((await polling.exit()).code).toBe(0);
  });

  it('serve --standby next to a monitor stands by, then takes over polling once the monitor stops', async () => {
    const env = await newHome();
    const monitor = start(['monitor', '--interval', '1s', '--json'], env);
    await monitor.line(0);
    const serve = start(['serve', '--port', '0', '--poll-interval', '1s', '--standby'], env);
    await serve.line(0);
    await sleep(2_000);
    expect(serve.stderr()).toContain('standing by');
    expect(serve.stderr()).toContain(`pid ${monitor.child.pid}`);
    monitor.child.kill('SIGTERM');
    expect((await monitor.exit()).code).toBe(0);
    for (let i = 0; i < 40 && !serve.stderr().includes('took over polling'); i++) await sleep(100);
    expect(serve.stderr()).toContain('took over polling');
    const refused = await fulcrumAsync(['monitor', '--interval', '1s', '--for', '2s'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`pid ${serve.child.pid}`);
    serve.child.kill('SIGTERM');
    expect((await serve.exit()).code).toBe(0);
  });
});
