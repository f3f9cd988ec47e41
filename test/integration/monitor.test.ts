import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { startHttpBackends } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import { fulcrumAsync } from '../support/cli.js';
import { startCli } from '../support/cli-process.js';

describe('fulcrum monitor: the inventory polled by SNMP into the SQLite store', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('stores every connection served, readable back with counters NAME --since', async () => {
    const backends = await startHttpBackends(2);
    const vip = await freePort();
    const rules = loadRules(
      `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n${backends.map((b) => `      - { address: ${b.address} }`).join('\n')}\n`,
      'm.yaml',
    );
    const sim = await SimulatedAppliance.start({ name: 'm1', rules, snmp: { host: '127.0.0.1', port: 0, community: 'public' } });
    cleanup.push(async () => {
      await sim.stop();
      await Promise.all(backends.map((b) => b.kill()));
    });
    const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-monitor-'));
    const env = { FULCRUM_HOME: home };
    expect((await fulcrumAsync(['appliance', 'add', 'edge-1', `snmp://${sim.readyInfo().snmp}`, '--community', 'public'], env)).code).toBe(0);

    const monitor = startCli(['monitor', '--interval', '1s', '--for', '60s', '--json'], env);
    // Traffic while the monitor runs, after its first (baseline) poll: waited for, not guessed,
    // so a busy machine cannot put the traffic before it.
    await monitor.line(0);
    expect((await httpLoad('127.0.0.1', vip, 50, 4)).failed).toBe(0);
    // Until a poll that began after the traffic ended, and after the simulator's counter
    // snapshot (up to a second old, sim/snmp/appliance-mib.ts) has caught up with it.
    const served = Date.now() + 1_200;
    for (let i = 1; (JSON.parse(await monitor.line(i)) as { at: number }).at <= served; i++);
    monitor.child.kill('SIGTERM');
    const done = await monitor.exit();
    expect(done.code, monitor.stderr()).toBe(0);
    const cycles = monitor.lines().map((l) => JSON.parse(l) as { polled: number; failed: number });
    expect(cycles.length).toBeGreaterThanOrEqual(2);
    expect(cycles.every((c) => c.polled === 1 && c.failed === 0)).toBe(true);

    const h = await fulcrumAsync(['counters', 'edge-1', '--since', '1m', '--json'], env);
    expect(h.code, h.stderr).toBe(0);
    const history = JSON.parse(h.stdout) as {
      resolution: string;
      series: { service: string | null; backend: string | null; counter: string; points: [number, number | null][] }[];
    };
    expect(history.resolution).toBe('raw');
    const total = history.series.find((s) => s.service === 'web' && s.backend === null && s.counter === 'connsTotal')!;
    // The first point is the baseline (null); the increases add up to exactly what was served.
    expect(total.points[0]![1]).toBeNull();
    expect(total.points.slice(1).reduce((n, [, v]) => n + (v ?? 0), 0)).toBe(50);
    const perBackend = history.series.filter((s) => s.backend !== null && s.counter === 'connsTotal');
    expect(perBackend.map((s) => s.points.reduce((n, [, v]) => n + (v ?? 0), 0)).sort()).toEqual([25, 25]);
  });
});
