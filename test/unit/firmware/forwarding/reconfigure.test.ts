import { describe, expect, it } from 'vitest';
import { FALLBACK, ForwardingCore } from '../../../../firmware/forwarding/forwarding-core.js';
import { createRandom } from '../../../../firmware/forwarding/flow/random.js';
import { service, table } from '../../../support/rules.js';

const make = (...services: ReturnType<typeof service>[]) => new ForwardingCore(table(...services), { random: createRandom(3), maxFlows: 256, nowEpochMs: 0 });

describe('ForwardingCore.reconfigure', () => {
  it('keeps flows on surviving backends, ends those on removed or disabled ones, and carries counters by address', () => {
    const before = service({ name: 'web', backends: [{}, {}, {}] }); // :9001 :9002 :9003
    const core = make(before);
    const flows = [1, 2, 3, 4, 5, 6].map((p) => core.open(0, '10.0.0.1', p, 0));
    for (const f of flows) {
      core.connected(f, 1);
      core.account(f, 10, 20, 0);
    }
    const on = (address: string) => flows.filter((f) => core.target(f).port === Number(address.split(':')[1]));
    const onRemoved = on('127.0.0.1:9001');
    const onDisabled = on('127.0.0.1:9003');
    const onKept = on('127.0.0.1:9002');
    expect(onRemoved.length + onDisabled.length + onKept.length).toBe(6);

    // New table: 9001 gone, 9003 disabled, 9002 kept, 9004 added; backend indices all shift.
    const after = service({
      name: 'web',
      backends: [{ address: '127.0.0.1:9002' }, { address: '127.0.0.1:9003', state: 'disabled' }, { address: '127.0.0.1:9004' }],
    });
    const ended = core.reconfigure(table(service({ name: 'aaa-first', listen: '127.0.0.1:7000', backends: [{}] }), after), 1);
    expect(ended.sort()).toEqual([...onRemoved, ...onDisabled].sort());

    const web = core.services[core.serviceIndex('web')]!;
    expect(core.serviceIndex('web')).toBe(1);
    for (const f of onKept) expect(core.target(f)).toEqual({ host: '127.0.0.1', port: 9002 });
    expect(web.active[web.indexOf('127.0.0.1:9002')]).toBe(onKept.length);
    expect(web.service.connsActive).toBe(onKept.length);
    // Counters carried by address, the service's totals whole.
    expect(web.connsTotal.get(web.indexOf('127.0.0.1:9002'))).toBe(BigInt(onKept.length));
    expect(web.connsTotal.get(web.indexOf('127.0.0.1:9004'))).toBe(0n);
    expect(web.service.connsTotal.get(0)).toBe(6n);
    expect(web.service.bytesOut.get(0)).toBe(120n);

    // Kept flows still account and close on the new service; ended ones are inert until closed.
    core.account(onKept[0]!, 5, 0, 2);
    expect(web.bytesIn.get(web.indexOf('127.0.0.1:9002'))).toBe(BigInt(onKept.length * 10 + 5));
    for (const f of ended) {
      core.account(f, 1000, 1000, 2);
      core.close(f);
    }
    expect(web.service.bytesIn.get(0)).toBe(65n);
    for (const f of onKept) core.close(f);
    expect(web.service.connsActive).toBe(0);
    expect([...web.active]).toEqual([0, 0, 0]);
    expect(core.activeFlows).toBe(0);
  });

  it('finds UDP sessions again under the service new index', () => {
    const core = make(service({ name: 'dns', protocol: 'udp', backends: [{}] }));
    const f = core.open(0, '10.9.9.9', 53, 0);
    core.reconfigure(table(service({ name: 'aaa', listen: '127.0.0.1:7000', backends: [{}] }), service({ name: 'dns', protocol: 'udp', backends: [{}] })), 1);
    expect(core.lookup(1, '10.9.9.9', 53, 1)).toBe(f);
    expect(core.lookup(0, '10.9.9.9', 53, 1)).toBe(-1);
  });

  it('ends every flow of a removed service or one whose listen address changed', () => {
    const core = make(service({ name: 'a', backends: [{}] }), service({ name: 'b', listen: '127.0.0.1:8001', backends: [{}] }));
    const fa = core.open(0, '10.0.0.1', 1, 0);
    const fb = core.open(1, '10.0.0.1', 1, 0);
    const ended = core.reconfigure(table(service({ name: 'b', listen: '127.0.0.1:8002', backends: [{}] })), 1);
    expect(ended.sort()).toEqual([fa, fb].sort());
  });

  it('keeps a fallback flow while the service still has a fallback, and carries health', () => {
    const core = make(service({ name: 'w', fallback: '127.0.0.1:9999', backends: [{ state: 'disabled' }, {}] }));
    core.services[0]!.setHealth(1, false, 5);
    const f = core.open(0, '10.0.0.1', 1, 0);
    expect(core.targetIndex(f)).toBe(FALLBACK);
    const ended = core.reconfigure(table(service({ name: 'w', fallback: '127.0.0.1:9998', backends: [{ state: 'disabled' }, {}] })), 6);
    expect(ended).toEqual([]);
    expect(core.target(f)).toEqual({ host: '127.0.0.1', port: 9998 });
    expect(core.services[0]!.isHealthy(1)).toBe(false);
    expect(core.services[0]!.lastChange[1]).toBe(5);
  });
});
