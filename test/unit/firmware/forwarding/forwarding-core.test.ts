import { describe, expect, it } from 'vitest';
import { FALLBACK, ForwardingCore } from '../../../../firmware/forwarding/forwarding-core.js';
import { createRandom } from '../../../../firmware/forwarding/flow/random.js';
import { service, table } from '../../../support/rules.js';
import type { Backend, Service } from '../../../../src/protocol/rules/model.js';

function core(svc: Service, maxFlows = 1024) {
  return new ForwardingCore(table(svc), { random: createRandom(1), maxFlows, nowEpochMs: 0 });
}

/** Opens `n` flows from distinct client ports; returns their targets (backend index or -1 fallback, -2 refused). */
function openMany(c: ForwardingCore, n: number, firstPort = 10_000): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const flow = c.open(0, '10.0.0.1', firstPort + i, 0);
    out.push(flow < 0 ? -2 : c.targetIndex(flow));
  }
  return out;
}

const count = (xs: number[], v: number) => xs.filter((x) => x === v).length;

describe('ForwardingCore', () => {
  it('splits flows 3:2:1 exactly with smooth weighted round robin', () => {
    const c = core(service({ algorithm: 'weighted-round-robin', backends: [{ weight: 3 }, { weight: 2 }, { weight: 1 }] }));
    const picks = openMany(c, 600);
    expect([count(picks, 0), count(picks, 1), count(picks, 2)]).toEqual([300, 200, 100]);
    expect(picks.slice(0, 6)).toEqual([0, 1, 0, 2, 1, 0]);
  });

  it('sends nothing new to drained, disabled or weight-0 backends', () => {
    const backends: Partial<Backend>[] = [{}, { state: 'drain' }, { state: 'disabled' }, { weight: 0 }];
    const c = core(service({ backends }));
    expect(new Set(openMany(c, 50))).toEqual(new Set([0]));
    const snap = c.services[0]!;
    expect([0, 1, 2, 3].map((i) => snap.operState(i))).toEqual(['up', 'drain', 'disabled', 'drain']);
  });

  it('uses backups only when no primary is up, and returns to primaries when one is', () => {
    const c = core(service({ backends: [{}, {}, { backup: true }] }));
    expect(new Set(openMany(c, 10))).toEqual(new Set([0, 1]));
    c.services[0]!.setHealth(0, false, 1);
    expect(new Set(openMany(c, 10, 20_000))).toEqual(new Set([1]));
    c.services[0]!.setHealth(1, false, 1);
    expect(new Set(openMany(c, 10, 30_000))).toEqual(new Set([2]));
    c.services[0]!.setHealth(0, true, 2);
    expect(new Set(openMany(c, 10, 40_000))).toEqual(new Set([0]));
  });

  it('respects max-connections and frees the slot when a flow closes', () => {
    const c = core(service({ backends: [{ maxConnections: 2 }, { maxConnections: 1 }] }));
    const flows = [0, 1, 2].map((i) => c.open(0, '10.0.0.1', 1000 + i, 0));
    expect(flows.map((f) => c.targetIndex(f)).sort()).toEqual([0, 0, 1]);
    expect(c.open(0, '10.0.0.1', 2000, 0)).toBe(-1);
    expect(c.services[0]!.service.failures.get(0)).toBe(1n);
    c.close(flows[1]!);
    const again = c.open(0, '10.0.0.1', 2001, 0);
    expect(again).toBeGreaterThanOrEqual(0);
  });

  it('sends flows to the fallback when nothing is available, and counts refusals without one', () => {
    const withFallback = core(service({ fallback: '127.0.0.1:9999', backends: [{ state: 'disabled' }] }));
    const flow = withFallback.open(0, '10.0.0.1', 1, 0);
    expect(withFallback.targetIndex(flow)).toBe(FALLBACK);
    expect(withFallback.target(flow)).toEqual({ host: '127.0.0.1', port: 9999 });
    expect(withFallback.services[0]!.service.fallbackConns.get(0)).toBe(1n);

    const without = core(service({ backends: [{ state: 'disabled' }] }));
    expect(without.open(0, '10.0.0.1', 1, 0)).toBe(-1);
    expect(without.services[0]!.service.failures.get(0)).toBe(1n);
  });

  it('redispatches a failed connect to a backend not yet tried, then to the fallback, then gives up', () => {
    const c = core(service({ fallback: '127.0.0.1:9999', backends: [{}, {}] }));
    const flow = c.open(0, '10.0.0.1', 1, 0);
    const first = c.targetIndex(flow);
    expect(c.failed(flow, 0)).toBe(true);
    const second = c.targetIndex(flow);
    expect(second).not.toBe(first);
    expect(second).toBeGreaterThanOrEqual(0);
    expect(c.failed(flow, 0)).toBe(true);
    expect(c.targetIndex(flow)).toBe(FALLBACK);
    expect(c.failed(flow, 0)).toBe(false);
    expect(c.isOpen(flow)).toBe(false);
    const s = c.services[0]!;
    expect(s.connectFailures.get(first) + s.connectFailures.get(second)).toBe(2n);
    expect(s.service.failures.get(0)).toBe(1n);
    expect(s.service.connsActive).toBe(0);
    expect([...s.active]).toEqual([0, 0]);
  });

  it('keeps a UDP session on its flow until closed, and finds it by client address', () => {
    const c = core(service({ protocol: 'udp', backends: [{}, {}, {}] }));
    const flow = c.open(0, '192.0.2.7', 5353, 0);
    expect(c.lookup(0, '192.0.2.7', 5353, 1)).toBe(flow);
    expect(c.lookup(0, '::ffff:192.0.2.7', 5353, 1)).toBe(flow);
    expect(c.lookup(0, '192.0.2.7', 5354, 1)).toBe(-1);
    c.close(flow);
    expect(c.lookup(0, '192.0.2.7', 5353, 2)).toBe(-1);
  });

  it('handles IPv6 clients', () => {
    const c = core(service({ protocol: 'udp', backends: [{}, {}] }));
    const flow = c.open(0, '2001:db8::1', 40000, 0);
    expect(c.lookup(0, '2001:db8:0::1', 40000, 1)).toBe(flow);
    expect(c.lookup(0, '2001:db8::2', 40000, 1)).toBe(-1);
  });

  it('reports idle flows past the service idle timeout', () => {
    const c = core(service({ protocol: 'udp', idleTimeoutMs: 1000, backends: [{}] }));
    const a = c.open(0, '10.0.0.1', 1, 0);
    const b = c.open(0, '10.0.0.1', 2, 0);
    c.account(b, 10, 0, 900);
    const idle: number[] = [];
    c.sweepIdle(1500, 1_000_000, (f) => idle.push(f));
    expect(idle).toEqual([a]);
  });

  it('refuses flows when the connection table is full and counts it', () => {
    const c = core(service({ backends: [{}] }), 4);
    const flows = openMany(c, 6);
    expect(count(flows, -2)).toBe(2);
    expect(c.services[0]!.service.failures.get(0)).toBe(2n);
  });

  it('keeps a returning client on its backend with source-ip persistence', () => {
    const c = core(service({ persistence: { type: 'source-ip', timeoutMs: 10_000 }, backends: [{}, {}, {}] }));
    const firsts = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => c.targetIndex(c.open(0, ip, 1, 0)));
    for (let i = 0; i < 5; i++) {
      expect(['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => c.targetIndex(c.open(0, ip, 100 + i, 1000)))).toEqual(firsts);
    }
    // Its backend goes down: the client moves, and stays on the new one.
    c.services[0]!.setHealth(firsts[0]!, false, 0);
    const moved = c.targetIndex(c.open(0, '10.0.0.1', 200, 2000));
    expect(moved).not.toBe(firsts[0]);
    expect(c.targetIndex(c.open(0, '10.0.0.1', 201, 2000))).toBe(moved);
  });

  it('counts bytes per backend and per service, and connections once connected', () => {
    const c = core(service({ backends: [{}, {}] }));
    const f = c.open(0, '10.0.0.1', 1, 0);
    c.connected(f, 1.5);
    c.account(f, 100, 2000, 1);
    c.close(f);
    const s = c.services[0]!;
    const b = c.targetIndex(f);
    expect(s.connsTotal.get(b)).toBe(1n);
    expect(s.bytesIn.get(b)).toBe(100n);
    expect(s.bytesOut.get(b)).toBe(2000n);
    expect(s.service.bytesIn.get(0)).toBe(100n);
    expect(s.service.connsTotal.get(0)).toBe(1n);
    expect(s.service.connsActive).toBe(0);
  });
});
