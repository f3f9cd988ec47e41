/**
 * The live side of the agent, served on a real socket and polling a simulated appliance that
 * carries real HTTP traffic: the SSE stream's counters and events, the fleet state in the
 * appliance list, Prometheus /metrics, history in the store, and what happens when the
 * appliance goes away and when a client hangs up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpBackends, type HttpBackend } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import type { ApplianceSummary } from '../../src/api/fleet-summary.js';
import { loadRules } from '../../src/rules/index.js';
import { bearer, eventually, openStream, startApi, type ApiHarness } from '../support/api.js';

interface Cycle {
  at: number;
  appliances: ApplianceSummary[];
}

describe('live counters, events and metrics while polling', () => {
  let api: ApiHarness;
  let sim: SimulatedAppliance;
  let backends: HttpBackend[];
  let vip: number;

  beforeAll(async () => {
    backends = await startHttpBackends(2);
    vip = await freePort();
    const rules = loadRules(
      `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n${backends.map((b) => `      - { address: ${b.address} }`).join('\n')}\n`,
      'live.yaml',
    );
    sim = await SimulatedAppliance.start({ name: 'live-1', rules, snmp: { host: '127.0.0.1', port: 0, community: 'public' } });
    // Over a second apart: the store keeps one sample per appliance per second.
    api = await startApi({ listen: true, poll: { intervalMs: 1_200 }, heartbeatMs: 200 });
    await api.store.inventory.add({ name: 'edge-1', target: `snmp://${sim.readyInfo().snmp}`, credentials: { community: 'public' } });
  });
  afterAll(async () => {
    await api?.close();
    await sim?.stop();
    await Promise.all((backends ?? []).map((b) => b.kill()));
  });

  it('streams a counters event per poll cycle with the real totals, and heartbeats', async () => {
    const stream = await openStream(`${api.url}/api/v1/stream`, bearer(api.read));
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const first = await stream.next<Cycle>('counters', (c) => c.appliances.some((a) => a.name === 'edge-1' && a.reachable === true));
      const edge = first.appliances.find((a) => a.name === 'edge-1')!;
      expect(edge.configId).toBe(sim.appliance.configId);
      expect(edge.services.map((s) => s.name)).toEqual(['web']);

      const load = await httpLoad('127.0.0.1', vip, 40, 4);
      expect(load.failed).toBe(0);
      const after = await stream.next<Cycle>('counters', (c) => c.appliances.some((a) => a.name === 'edge-1' && a.totals.connsTotal === 40));
      const web = after.appliances[0]!.services[0]!;
      expect(web.connsTotal).toBe(40);
      expect(web.backends.map((b) => b.connsTotal).sort()).toEqual([20, 20]);
      expect(web.backends.every((b) => b.state === 'up')).toBe(true);
      expect(web.bytesIn).toBeGreaterThan(0);
      expect(stream.comments.some((c) => c.startsWith('heartbeat'))).toBe(true);
    } finally {
      stream.close();
    }
  });

  it('lists the appliance with its last known state', async () => {
    const r = await api.app.inject({ url: '/api/v1/appliances', headers: bearer(api.read) });
    expect(r.json().appliances[0]).toMatchObject({
      name: 'edge-1',
      reachable: true,
      configId: sim.appliance.configId,
      firmware: '1.0.0',
      model: expect.any(String),
      error: null,
      pendingConfirm: null,
    });
  });

  it('keeps the polled counters in the store: the history adds up to what was sent', async () => {
    const total = await eventually(async () => {
      const r = await api.app.inject({
        url: '/api/v1/appliances/edge-1/counters/history?since=5m&counter=connsTotal&level=service',
        headers: bearer(api.read),
      });
      const series = r.json().series as { service: string; points: [number, number | null][] }[];
      const sum = series[0]?.points.reduce((n, [, v]) => n + (v ?? 0), 0);
      return sum === 40 ? sum : undefined;
    });
    expect(total).toBe(40);
  });

  it("exposes the fleet to Prometheus with the appliance's own values", async () => {
    const r = await api.app.inject({ url: '/metrics', headers: bearer(api.read) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    const text = r.body;
    expect(text).toContain('fulcrum_service_connections_total{appliance="edge-1",service="web"} 40');
    expect(text).toMatch(/fulcrum_backend_connections_total\{appliance="edge-1",service="web",backend="127\.0\.0\.1:\d+"\} 20/);
    expect(text).toMatch(/fulcrum_backend_state\{appliance="edge-1",service="web",backend="127\.0\.0\.1:\d+",state="up"\} 1/);
    expect(text).toContain('fulcrum_appliance_up{appliance="edge-1"} 1');
    expect(text).toMatch(/fulcrum_poll_duration_seconds_count\{appliance="edge-1"\} [1-9]/);
    expect(text).toContain(`config_id="${sim.appliance.configId}"`);
    expect(text).toContain('nodejs_heap_size_total_bytes');
  });

  it('unsubscribes a client that hangs up', async () => {
    const hub = api.app.fulcrum.hub;
    // The server's own listener (it keeps the last counters for new clients) and no client.
    await eventually(() => hub.subscribers === 1, 5_000, 'earlier streams to be dropped');
    const before = hub.subscribers;
    const stream = await openStream(`${api.url}/api/v1/stream?token=${api.read}`);
    await stream.next('counters');
    expect(hub.subscribers).toBe(before + 1);
    stream.close();
    await eventually(() => hub.subscribers === before, 5_000, 'the stream to be dropped');
  });

  it('reports an appliance that stops answering: an event on the stream and in the log, down in /metrics', async () => {
    const stream = await openStream(`${api.url}/api/v1/stream`, bearer(api.read));
    try {
      await sim.snmpAgent!.stop();
      sim.snmpAgent = null;
      const event = await stream.next<{ source: string; kind: string; appliance: string; detail: { error: string } }>(
        'event',
        (e) => e.kind === 'unreachable',
        20_000,
      );
      expect(event).toMatchObject({ source: 'appliance', appliance: 'edge-1' });
      expect(event.detail.error).toMatch(/no SNMP answer/);
      const events = await api.app.inject({ url: '/api/v1/events?appliance=edge-1&since=5m', headers: bearer(api.read) });
      expect(events.json().events.map((e: { kind: string }) => e.kind)).toContain('unreachable');
      const list = await api.app.inject({ url: '/api/v1/appliances', headers: bearer(api.read) });
      expect(list.json().appliances[0]).toMatchObject({ reachable: false, configId: sim.appliance.configId, error: expect.stringMatching(/no SNMP answer/) });
      const metrics = await api.app.inject({ url: '/metrics', headers: bearer(api.read) });
      expect(metrics.body).toContain('fulcrum_appliance_up{appliance="edge-1"} 0');
      expect(metrics.body).toMatch(/fulcrum_poll_errors_total\{appliance="edge-1"\} [1-9]/);
    } finally {
      stream.close();
    }
  });

  it('ends open streams when the server closes, instead of waiting for them', async () => {
    const stream = await openStream(`${api.url}/api/v1/stream`, bearer(api.read));
    expect(stream.status).toBe(200);
    await api.app.close();
    await eventually(() => stream.ended, 5_000, 'the stream to end');
  });
});
