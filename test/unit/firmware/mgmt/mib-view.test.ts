import { describe, expect, it } from 'vitest';
import { MibView, SERVED_OBJECTS, servedObjectOf } from '../../../../firmware/mgmt/mib-view.js';
import * as Mib from '../../../../src/protocol/mib/fulcrum-mib.js';
import { sysContact, sysDescr, sysLocation, sysName, sysObjectID, sysServices, sysUpTime } from '../../../../src/protocol/mib/mib2.js';
import { compareOids, type Oid } from '../../../../src/protocol/mib/oid.js';
import { SmiType } from '../../../../src/protocol/mib/smi.js';
import { knownInput } from './mib-snapshot.js';
import { loadRules } from '../../../../src/rules/index.js';

const view = MibView.build(knownInput());
const get = (o: Oid, ...index: number[]) => {
  const i = view.indexOf([...o, ...index]);
  expect(i, `${[...o, ...index].join('.')} is in the view`).toBeGreaterThanOrEqual(0);
  return view.varbinds[i]!;
};
const value = (o: Oid, ...index: number[]) => get(o, ...index).value;

describe('MibView', () => {
  it('holds every instance once, strictly in walk order', () => {
    for (let i = 1; i < view.varbinds.length; i++) expect(compareOids(view.varbinds[i - 1]!.oid, view.varbinds[i]!.oid), `at ${i}`).toBeLessThan(0);
    // 7 system + 9 scalars + 2 services × 10 columns + 5 backends × 10 columns + 7 config scalars
    // (an empty candidate has no rows) + 4 read-back scalars
    expect(view.varbinds).toHaveLength(7 + 9 + 20 + 50 + 7 + 4);
    for (let i = 1; i < SERVED_OBJECTS.length; i++) expect(compareOids(SERVED_OBJECTS[i - 1]!, SERVED_OBJECTS[i]!)).toBeLessThan(0);
  });

  it('serves the MIB-II system group from identity and settings', () => {
    expect(value(sysDescr, 0)).toBe('Fulcrum FL-1000 load balancer, firmware 1.2.3, serial FL0000000042');
    expect(value(sysObjectID, 0)).toEqual(Mib.fulcrumFL1000);
    expect(get(sysUpTime, 0)).toMatchObject({ type: SmiType.TimeTicks, value: 10_000 });
    expect(value(sysContact, 0)).toBe('noc@example.net');
    expect(value(sysName, 0)).toBe('edge-1');
    expect(value(sysLocation, 0)).toBe('rack 4');
    expect(value(sysServices, 0)).toBe(72);
  });

  it('serves the system scalars: config ids as 32 bytes, confirm time rounded up, commit time as a TimeStamp', () => {
    expect(value(Mib.fulcrumFirmwareVersion, 0)).toBe('1.2.3');
    expect(value(Mib.fulcrumModel, 0)).toBe('FL-1000');
    expect(value(Mib.fulcrumSerialNumber, 0)).toBe('FL0000000042');
    expect(value(Mib.fulcrumConfigId, 0)).toEqual(new Uint8Array(32).fill(0xab));
    expect(value(Mib.fulcrumStartupConfigId, 0)).toEqual(new Uint8Array(32).fill(0xcd));
    expect(get(Mib.fulcrumPendingConfirm, 0)).toMatchObject({ type: SmiType.Gauge32, value: 30 });
    // Committed 40 s before a snapshot taken at 100 s of uptime: sysUpTime was 60 s then.
    expect(get(Mib.fulcrumLastCommitTime, 0)).toMatchObject({ type: SmiType.TimeTicks, value: 6_000 });
    expect(value(Mib.fulcrumServiceCount, 0)).toBe(2);
    expect(value(Mib.fulcrumBackendCount, 0)).toBe(5);
  });

  it('serves the service table by position (services in name order), Counter64 as bigint', () => {
    expect(value(Mib.fulcrumServiceName, 1)).toBe('api');
    expect(value(Mib.fulcrumServiceName, 2)).toBe('web');
    expect(value(Mib.fulcrumServiceListen, 1)).toBe('[2001:db8::1]:443');
    expect(value(Mib.fulcrumServiceProtocol, 2)).toBe(Mib.ProtocolCode.udp);
    expect(get(Mib.fulcrumServiceConnsTotal, 1)).toMatchObject({ type: SmiType.Counter64, value: 10n });
    expect(value(Mib.fulcrumServiceConnsTotal, 2)).toBe(2n ** 63n + 5n);
    expect(get(Mib.fulcrumServiceConnsActive, 1)).toMatchObject({ type: SmiType.Gauge32, value: 2 });
    expect(value(Mib.fulcrumServiceBytesIn, 1)).toBe(1000n);
    expect(value(Mib.fulcrumServiceBytesOut, 1)).toBe(2000n);
    expect(value(Mib.fulcrumServiceFailures, 1)).toBe(1n);
    expect(value(Mib.fulcrumServiceFallbackConns, 2)).toBe(7n);
    expect(value(Mib.fulcrumServiceBackendCount, 2)).toBe(3);
  });

  it('serves the backend table indexed (service, backend) with state codes, TruthValue and TimeStamps', () => {
    expect(value(Mib.fulcrumBackendAddress, 2, 3)).toBe('192.0.2.12:53');
    expect(value(Mib.fulcrumBackendState, 1, 1)).toBe(Mib.BackendStateCode.down);
    expect(value(Mib.fulcrumBackendState, 1, 2)).toBe(Mib.BackendStateCode.up);
    expect(value(Mib.fulcrumBackendState, 2, 1)).toBe(Mib.BackendStateCode.drain);
    expect(value(Mib.fulcrumBackendState, 2, 2)).toBe(Mib.BackendStateCode.disabled);
    expect(get(Mib.fulcrumBackendWeight, 1, 2)).toMatchObject({ type: SmiType.Gauge32, value: 3 });
    expect(value(Mib.fulcrumBackendBackup, 1, 2)).toBe(1);
    expect(value(Mib.fulcrumBackendBackup, 1, 1)).toBe(2);
    expect(value(Mib.fulcrumBackendConnsTotal, 1, 1)).toBe(6n);
    expect(value(Mib.fulcrumBackendConnectFailures, 2, 2)).toBe(9n);
    expect(value(Mib.fulcrumBackendBytesIn, 2, 3)).toBe(123_456_789_012n);
    // Changed 5 s before the snapshot: 95 s of uptime. Before the agent started: 0.
    expect(value(Mib.fulcrumBackendLastChange, 1, 1)).toBe(9_500);
    expect(value(Mib.fulcrumBackendLastChange, 1, 2)).toBe(0);
  });

  it('reads back the last configuration operation', () => {
    expect(value(Mib.fulcrumLastOperation, 0)).toBe(Mib.LastOperationCode.none);
    expect(value(Mib.fulcrumLastOperationConfigId, 0)).toEqual(new Uint8Array(0));
    const after = MibView.build(knownInput({ lastOperation: { kind: 'weight', status: 'failed', message: 'no', configId: '' } }));
    const at = (o: Oid) => after.varbinds[after.indexOf([...o, 0])]!.value;
    expect(at(Mib.fulcrumLastOperation)).toBe(Mib.LastOperationCode.weight);
    expect(at(Mib.fulcrumLastOperationStatus)).toBe(Mib.LastOperationStatusCode.failed);
    expect(at(Mib.fulcrumLastOperationMessage)).toBe('no');
  });

  it('finds the next instance after any OID (GETNEXT), including between and past instances', () => {
    expect(view.varbinds[view.nextIndex([1, 3])]!.oid).toEqual([...sysDescr, 0]);
    expect(view.varbinds[view.nextIndex([...sysDescr, 0])]!.oid).toEqual([...sysObjectID, 0]);
    // A column's OID itself comes before its first row.
    expect(view.varbinds[view.nextIndex(Mib.fulcrumBackendState)]!.oid).toEqual([...Mib.fulcrumBackendState, 1, 1]);
    // Past the last row of a column: the first row of the next column.
    expect(view.varbinds[view.nextIndex([...Mib.fulcrumBackendState, 2, 3])]!.oid).toEqual([...Mib.fulcrumBackendWeight, 1, 1]);
    expect(view.varbinds[view.nextIndex([...Mib.fulcrumBackendState, 1, 99])]!.oid).toEqual([...Mib.fulcrumBackendState, 2, 1]);
    expect(view.nextIndex([2])).toBe(view.varbinds.length);
    expect(view.indexOf([...Mib.fulcrumBackendState, 3, 1])).toBe(-1);
  });

  it('tells an object it serves (noSuchInstance) from one it does not (noSuchObject)', () => {
    expect(servedObjectOf([...Mib.fulcrumBackendState, 9, 9])).toEqual(Mib.fulcrumBackendState);
    expect(servedObjectOf([...sysDescr])).toEqual(sysDescr);
    expect(servedObjectOf([...Mib.fulcrumCommit, 0])).toEqual(Mib.fulcrumCommit);
    expect(servedObjectOf([...Mib.fulcrumNotifyDetail, 0])).toBeNull();
    expect(servedObjectOf([...Mib.fulcrumBackendIndex, 1, 1])).toBeNull();
  });

  it('clamps what SNMP types cannot carry instead of sending garbage', () => {
    const input = knownInput();
    input.counters.services[0]!.connsActive = 2 ** 40;
    input.uptimeMs = 2 ** 32 * 10 + 50; // TimeTicks wrap after 497 days
    const v = MibView.build(input);
    expect(v.varbinds[v.indexOf([...Mib.fulcrumServiceConnsActive, 1])]!.value).toBe(0xffff_ffff);
    expect(v.varbinds[v.indexOf([...sysUpTime, 0])]!.value).toBe(5);
  });

  it('serves fulcrumRunning from the running table, numbered as the counters tables, after fulcrumFirmware', () => {
    const running = loadRules(
      `services:
  - name: api
    listen: '[2001:db8::1]:443'
    health: { type: http, interval: 3s, timeout: 1s, path: /up, expect: 200-204 }
    backends: [{ address: 192.0.2.1:80 }, { address: 192.0.2.2:80, weight: 3, backup: true }]
  - name: web
    listen: 198.51.100.1:80
    protocol: udp
    algorithm: maglev
    hash-key: 5-tuple
    maglev-table-size: 1009
    persistence: { type: source-ip, timeout: 1m }
    backends: [{ address: 192.0.2.10:53 }, { address: 192.0.2.11:53, max-connections: 9 }, { address: 192.0.2.12:53, state: drain }]
`,
      'running.yaml',
    );
    const v = MibView.build(knownInput({ running }));
    const at = (o: Oid, ...index: number[]) => v.varbinds[v.indexOf([...o, ...index])]?.value;
    // 2 services × 18 columns + 5 backends × 5 columns more than without it.
    expect(v.varbinds.length - view.varbinds.length).toBe(2 * 18 + 5 * 5);
    for (const [i, s] of knownInput().counters.services.entries()) {
      expect(at(Mib.fulcrumRunServiceName, i + 1)).toBe(s.name);
      s.backends.forEach((b, j) => expect(at(Mib.fulcrumRunBackendAddress, i + 1, j + 1)).toBe(b.address));
    }
    expect(at(Mib.fulcrumRunServiceHealthType, 1)).toBe(Mib.HealthTypeCode.http);
    expect(at(Mib.fulcrumRunServiceHealthPath, 1)).toBe('/up');
    expect(at(Mib.fulcrumRunServiceHealthExpectHi, 1)).toBe(204);
    expect(at(Mib.fulcrumRunServiceIdleTimeout, 2)).toBe(30_000);
    expect(at(Mib.fulcrumRunServiceHashKey, 2)).toBe(Mib.HashKeyCode['5-tuple']);
    expect(at(Mib.fulcrumRunServiceMaglevSize, 2)).toBe(1009);
    expect(at(Mib.fulcrumRunServicePersistTimeout, 2)).toBe(60_000);
    expect(at(Mib.fulcrumRunServiceHealthType, 2)).toBe(Mib.HealthTypeCode.none);
    expect(at(Mib.fulcrumRunBackendWeight, 1, 2)).toBe(3);
    expect(at(Mib.fulcrumRunBackendBackup, 1, 2)).toBe(1);
    expect(at(Mib.fulcrumRunBackendMaxConns, 2, 2)).toBe(9);
    expect(at(Mib.fulcrumRunBackendAdminState, 2, 3)).toBe(Mib.AdminStateCode.drain);
    expect(servedObjectOf([...Mib.fulcrumRunBackendWeight, 9, 9])).toEqual(Mib.fulcrumRunBackendWeight);
    // Walk order holds with it too.
    for (let i = 1; i < v.varbinds.length; i++) expect(compareOids(v.varbinds[i - 1]!.oid, v.varbinds[i]!.oid)).toBeLessThan(0);
  });
});
