/**
 * `fulcrum monitor --remote-write` into a real Prometheus (Debian's 2.42, remote-write receiver
 * on) while two simulated appliances serve traffic: the series arrive labelled by appliance and
 * nothing about the agent, each counter rises by exactly what the appliance served, and
 * Prometheus' rate() matches the rate at which the appliance's counters moved as the same polls
 * stored it. Skipped, saying why, where /usr/bin/prometheus is absent.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/index.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { startHttpBackends } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import { exited, fulcrumAsync, fulcrumReady } from '../support/cli.js';
import { startCli } from '../support/cli-process.js';
import { hasPrometheus, startPrometheus, type MatrixSeries, type PrometheusServer, type VectorSample } from '../support/prometheus.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function appliance(name: string) {
  const backends = await startHttpBackends(2);
  const vip = await freePort();
  const rules = loadRules(
    `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n${backends.map((b) => `      - { address: ${b.address} }`).join('\n')}\n`,
    `${name}.yaml`,
  );
  const sim = await SimulatedAppliance.start({ name, rules, snmp: { host: '127.0.0.1', port: 0, community: 'public' } });
  return { name, vip, sim, backends };
}

/** `perTick` connections every 200 ms for `ms`: a steady rate, so a rate over any few seconds of it means something. Returns how many were served. */
async function steadyLoad(vip: number, perTick: number, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let served = 0;
  for (let tick = Date.now(); tick < end; tick += 200) {
    const r = await httpLoad('127.0.0.1', vip, perTick, perTick);
    expect(r.failed).toBe(0);
    served += perTick;
    await sleep(tick + 200 - Date.now());
  }
  return served;
}

describe.skipIf(!hasPrometheus())('fulcrum monitor --remote-write into Prometheus', () => {
  const cleanup: (() => Promise<void>)[] = [];
  let prom: PrometheusServer;
  beforeAll(async () => {
    prom = await startPrometheus();
    cleanup.push(() => prom.stop());
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('lands running totals labelled by appliance, whose rate() is the rate the counters moved at', { timeout: 90_000 }, async () => {
    const boxes = [await appliance('edge-1'), await appliance('edge-2')];
    cleanup.push(async () => {
      for (const b of boxes) {
        await b.sim.stop();
        await Promise.all(b.backends.map((x) => x.kill()));
      }
    });
    const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-remote-write-'));
    const env = { FULCRUM_HOME: home };
    for (const b of boxes)
      expect((await fulcrumAsync(['appliance', 'add', b.name, `snmp://${b.sim.readyInfo().snmp}`, '--community', 'public'], env)).code).toBe(0);

    const monitor = startCli(['monitor', '--interval', '1s', '--for', '80s', '--json', '--remote-write', prom.writeUrl], env);
    cleanup.push(async () => void monitor.child.kill('SIGKILL'));
    await monitor.line(0);
    // Different rates on the two appliances (about 20/s and 10/s), so mixed-up labels would show.
    const [served1, served2] = await Promise.all([steadyLoad(boxes[0]!.vip, 4, 8_000), steadyLoad(boxes[1]!.vip, 2, 8_000)]);
    // Until a poll that began after the traffic ended and after the simulator's counter snapshot caught up (as monitor.test.ts).
    const served = Date.now() + 1_200;
    for (let i = 1; (JSON.parse(await monitor.line(i)) as { at: number }).at <= served; i++);
    monitor.child.kill('SIGTERM');
    const done = await monitor.exit();
    // SIGTERM flushes the queue before the process exits.
    expect(done.code, monitor.stderr()).toBe(0);
    expect(monitor.stderr()).not.toMatch(/remote write/);

    const series = await prom.query<VectorSample>('fulcrum_service_conns_total');
    expect(series.map((s) => s.metric).sort((a, b) => a.appliance!.localeCompare(b.appliance!))).toEqual([
      { __name__: 'fulcrum_service_conns_total', appliance: 'edge-1', service: 'web' },
      { __name__: 'fulcrum_service_conns_total', appliance: 'edge-2', service: 'web' },
    ]);
    // Nothing anywhere says which agent polled: no label of any series but what is measured.
    const everyLabel = new Set((await prom.query<VectorSample>('{__name__=~"fulcrum_.+"}')).flatMap((s) => Object.keys(s.metric)));
    expect([...everyLabel].sort()).toEqual(['__name__', 'appliance', 'backend', 'interface', 'service']);
    const backends = await prom.query<VectorSample>('fulcrum_backend_conns_total{appliance="edge-1"}');
    expect(backends).toHaveLength(2);

    const history = async (name: string) => {
      const h = await fulcrumAsync(['counters', name, '--since', '5m', '--json'], env);
      expect(h.code, h.stderr).toBe(0);
      const all = JSON.parse(h.stdout) as { series: { service: string | null; backend: string | null; counter: string; points: [number, number | null][] }[] };
      return all.series.find((s) => s.service === 'web' && s.backend === null && s.counter === 'connsTotal')!.points;
    };

    for (const [box, count] of [
      [boxes[0]!, served1],
      [boxes[1]!, served2],
    ] as const) {
      const [raw] = await prom.query<MatrixSeries>(`fulcrum_service_conns_total{appliance="${box.name}"}[5m]`);
      const values = raw!.values.map(([, v]) => Number(v));
      // From 0 at the first poll, never down, up by exactly the connections served.
      expect(values[0]).toBe(0);
      for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
      expect(values.at(-1)! - values[0]!).toBe(count);

      // rate() over 4 s ending at a poll in the thick of the traffic, against the counters'
      // movement over the same polls as the store recorded them (the same polls, another path).
      const stored = await history(box.name);
      let total = 0;
      const cumulative = stored.map(([ts, delta]) => [ts, (total += delta ?? 0)] as const);
      const moving = cumulative.filter(([, v], i) => i > 0 && v > cumulative[i - 1]![1]);
      const end = moving[Math.floor(moving.length / 2) + 2]![0];
      const inWindow = cumulative.filter(([ts]) => ts > end - 4_000 && ts <= end);
      const expected = (inWindow.at(-1)![1] - inWindow[0]![1]) / ((inWindow.at(-1)![0] - inWindow[0]![0]) / 1000);
      expect(expected).toBeGreaterThan(0);
      const [rate] = await prom.query<VectorSample>(`rate(fulcrum_service_conns_total{appliance="${box.name}"}[4s])`, end + 999);
      const got = Number(rate!.value[1]);
      expect(Math.abs(got - expected) / expected, `rate() ${got}/s, counters moved at ${expected}/s`).toBeLessThan(0.2);
    }
  });

  it('fulcrum serve --remote-write sends what its poll loop polls', { timeout: 60_000 }, async () => {
    const box = await appliance('edge-3');
    cleanup.push(async () => {
      await box.sim.stop();
      await Promise.all(box.backends.map((x) => x.kill()));
    });
    const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-remote-write-serve-'));
    const env = { FULCRUM_HOME: home };
    expect((await fulcrumAsync(['appliance', 'add', box.name, `snmp://${box.sim.readyInfo().snmp}`, '--community', 'public'], env)).code).toBe(0);
    const serve = await fulcrumReady<{ url: string }>(['serve', '--port', '0', '--poll-interval', '1s', '--remote-write', prom.writeUrl], env);
    cleanup.push(async () => void serve.child.kill('SIGKILL'));
    const query = `fulcrum_service_conns_total{appliance="${box.name}"}`;
    // The baseline (0) first, then the traffic's increase.
    for (const deadline = Date.now() + 20_000; (await prom.query<VectorSample>(query)).length === 0; await sleep(200))
      if (Date.now() > deadline) throw new Error(`no ${query} in Prometheus within 20 s; serve stderr: ${serve.stderr()}`);
    expect((await httpLoad('127.0.0.1', box.vip, 30, 4)).failed).toBe(0);
    for (const deadline = Date.now() + 20_000; ; await sleep(200)) {
      const [s] = await prom.query<VectorSample>(query);
      if (Number(s!.value[1]) === 30) break;
      if (Date.now() > deadline) throw new Error(`${query} is ${s!.value[1]}, not 30, after 20 s; serve stderr: ${serve.stderr()}`);
    }
    serve.child.kill('SIGTERM');
    expect((await exited(serve.child)).code, serve.stderr()).toBe(0);
  });
});
