/**
 * The judgement after a push: config id, backends that went down, services whose traffic
 * stopped — and what is deliberately not judged (no traffic before, a service removed, a
 * backend drained or removed on purpose).
 */
import { describe, expect, it } from 'vitest';
import type { ApplianceInfo } from '../../../drivers/driver.js';
import type { BackendCounters, BackendOperState, CountersSnapshot, ServiceCounters } from '../../../src/protocol/counters.js';
import { pushProblems, type PushEvidence } from '../../../src/provision/push-checks.js';

const PUSHED = 'b'.repeat(64);

function info(configId = PUSHED): ApplianceInfo {
  return { model: 'FL-1000', serialNumber: 'FL1', firmware: '1.0.0', configId, uptimeSeconds: 10, pendingConfirm: 290 };
}

function backend(address: string, state: BackendOperState): BackendCounters {
  return { address, state, weight: 1, backup: false, connsTotal: 0n, connsActive: 0, bytesIn: 0n, bytesOut: 0n, connectFailures: 0n, lastChange: 0 };
}

function service(name: string, connsTotal: bigint, backends: BackendCounters[] = []): ServiceCounters {
  return { name, listen: '127.0.0.1:80', protocol: 'tcp', connsTotal, connsActive: 0, bytesIn: 0n, bytesOut: 0n, failures: 0n, fallbackConns: 0n, backends };
}

const snap = (...services: ServiceCounters[]): CountersSnapshot => ({ services });

function evidence(windows: { before: [CountersSnapshot, CountersSnapshot]; after: [CountersSnapshot, CountersSnapshot] }, running = PUSHED): PushEvidence {
  return {
    configId: PUSHED,
    info: info(running),
    before: { start: windows.before[0], end: windows.before[1], seconds: 3 },
    after: { start: windows.after[0], end: windows.after[1], seconds: 3 },
  };
}

describe('pushProblems', () => {
  it('finds nothing wrong with an appliance that runs the pushed config and kept its backends and traffic', () => {
    const up = [backend('10.0.0.1:80', 'up'), backend('10.0.0.2:80', 'up')];
    const e = evidence({
      before: [snap(service('web', 100n, up)), snap(service('web', 140n, up))],
      after: [snap(service('web', 0n, up)), snap(service('web', 35n, up))],
    });
    expect(pushProblems(e)).toEqual([]);
  });

  it('says so when the appliance runs another config (it reverted, or someone changed it)', () => {
    const e = evidence({ before: [snap(), snap()], after: [snap(), snap()] }, 'c'.repeat(64));
    expect(pushProblems(e)).toEqual([`it runs config ${'c'.repeat(12)}, not the pushed ${'b'.repeat(12)} (reverted or changed by someone else)`]);
  });

  it('names a backend that was up before and is down after', () => {
    const before = [backend('10.0.0.1:80', 'up'), backend('10.0.0.2:80', 'up'), backend('10.0.0.3:80', 'down')];
    const after = [backend('10.0.0.1:80', 'down'), backend('10.0.0.2:80', 'up'), backend('10.0.0.3:80', 'down')];
    const e = evidence({
      before: [snap(service('web', 0n, before)), snap(service('web', 0n, before))],
      after: [snap(service('web', 0n, after)), snap(service('web', 0n, after))],
    });
    expect(pushProblems(e)).toEqual(['backend 10.0.0.1:80 of service web went down (it was up before the push)']);
  });

  it('does not count a backend drained, disabled or removed by the new table, nor one of a service with the same address elsewhere', () => {
    const before = [backend('10.0.0.1:80', 'up'), backend('10.0.0.2:80', 'up'), backend('10.0.0.3:80', 'up')];
    const after = [backend('10.0.0.1:80', 'drain'), backend('10.0.0.2:80', 'disabled')];
    const e = evidence({
      before: [snap(service('web', 0n, before)), snap(service('web', 0n, before))],
      after: [snap(service('web', 0n, after)), snap(service('web', 0n, after), service('api', 0n, [backend('10.0.0.3:80', 'down')]))],
    });
    expect(pushProblems(e)).toEqual([]);
  });

  it('names a service whose connections stopped after the push', () => {
    const e = evidence({
      before: [snap(service('web', 10n), service('api', 5n)), snap(service('web', 25n), service('api', 9n))],
      after: [snap(service('web', 25n), service('api', 0n)), snap(service('web', 25n), service('api', 4n))],
    });
    expect(pushProblems(e)).toEqual(['service web stopped taking connections: 15 in the 3 s before the push, none in the 3 s after']);
  });

  it('does not judge the traffic of a service that had none, or that the new table removed', () => {
    const e = evidence({
      before: [snap(service('idle', 7n), service('old', 1n)), snap(service('idle', 7n), service('old', 50n))],
      after: [snap(service('idle', 7n)), snap(service('idle', 7n))],
    });
    expect(pushProblems(e)).toEqual([]);
  });

  it('treats a counter that went back after the push (a reset) as no evidence of traffic', () => {
    const e = evidence({ before: [snap(service('web', 10n)), snap(service('web', 20n))], after: [snap(service('web', 500n)), snap(service('web', 3n))] });
    expect(pushProblems(e)).toHaveLength(1);
  });

  it('lists every problem at once', () => {
    const up = [backend('10.0.0.1:80', 'up')];
    const down = [backend('10.0.0.1:80', 'down')];
    const e = evidence(
      { before: [snap(service('web', 1n, up)), snap(service('web', 2n, up))], after: [snap(service('web', 0n, down)), snap(service('web', 0n, down))] },
      'c'.repeat(64),
    );
    expect(pushProblems(e)).toHaveLength(3);
  });
});
