/**
 * The settings columns of the SNMP candidate (fulcrumCandServiceEntry 8..20): each checked alone
 * at SET time, the table at commit, unwritten ones inherited as before, and the view showing what
 * a commit would run.
 */

import { describe, expect, it } from 'vitest';
import {
  buildCandidate,
  emptyCandidate,
  planSet,
  rowsOf,
  type CandidateState,
  type SetContext,
  type SetVarbind,
} from '../../../../../firmware/mgmt/mib/candidate.js';
import { candidateVarbinds } from '../../../../../firmware/mgmt/mib/candidate-view.js';
import * as M from '../../../../../src/protocol/mib/fulcrum-mib.js';
import { ErrorStatus, RowStatus, SmiType } from '../../../../../src/protocol/mib/smi.js';
import { configId } from '../../../../../src/protocol/rules/index.js';
import { loadRules } from '../../../../../src/rules/index.js';

const running = loadRules(
  `services:
  - name: web
    listen: 127.0.0.1:8080
    idle-timeout: 45s
    persistence: { type: source-ip, timeout: 10m }
    health: { type: http, interval: 5s, timeout: 2s, rise: 3, fall: 4, path: /healthz, expect: 2xx }
    backends: [{ address: 192.0.2.1:80, weight: 5 }, { address: 192.0.2.2:80 }]
  - name: dns
    listen: 127.0.0.1:53
    protocol: udp
    algorithm: maglev
    hash-key: 5-tuple
    maglev-table-size: 251
    backends: [{ address: 192.0.2.9:53 }]
`,
  'r.yaml',
);
const ctx: SetContext = { running, pendingConfirm: false, historyLength: 0 };
const bytes = (t: string) => new TextEncoder().encode(t);
const S = M.CandServiceColumn;
const svc = (i: number, column: number, type: number, value: unknown): SetVarbind => ({
  oid: M.columnInstance(M.fulcrumCandServiceEntry, column, i),
  type,
  value,
});
const gauge = (i: number, column: number, value: number) => svc(i, column, SmiType.Gauge32, value);
const int = (i: number, column: number, value: number) => svc(i, column, SmiType.Integer, value);
const newService = (i: number, name: string, listen: string) => [
  int(i, S.rowStatus, RowStatus.createAndGo),
  svc(i, S.name, SmiType.OctetString, bytes(name)),
  svc(i, S.listen, SmiType.OctetString, bytes(listen)),
];
const newBackend = (s: number, b: number, address: string) => [
  { oid: M.columnInstance(M.fulcrumCandBackendEntry, M.CandBackendColumn.rowStatus, s, b), type: SmiType.Integer, value: RowStatus.createAndGo },
  { oid: M.columnInstance(M.fulcrumCandBackendEntry, M.CandBackendColumn.address, s, b), type: SmiType.OctetString, value: bytes(address) },
];
const load = (code: number): SetVarbind => ({ oid: [...M.fulcrumCandidateLoad, 0], type: SmiType.Integer, value: code });

function ok(state: CandidateState, varbinds: SetVarbind[]) {
  const p = planSet(state, varbinds, ctx);
  if (!p.ok) throw new Error(`refused: ${p.message}`);
  return p.state;
}
const viewValue = (state: CandidateState, column: number, row: number) =>
  candidateVarbinds(state).find((v) => v.oid.join('.') === M.columnInstance(M.fulcrumCandServiceEntry, column, row).join('.'))?.value;

describe('SNMP candidate: every setting of a service', () => {
  it('a service written with every column builds exactly that service, whatever the base runs', () => {
    const s = ok(emptyCandidate(running), [
      load(M.CandidateLoadCode.empty),
      ...newService(1, 'api', '127.0.0.1:9000'),
      int(1, S.algorithm, M.AlgorithmCode.maglev),
      int(1, S.hashKey, M.HashKeyCode['5-tuple']),
      gauge(1, S.maglevTableSize, 65_521),
      int(1, S.persistenceType, M.PersistenceTypeCode['source-ip']),
      gauge(1, S.persistenceTimeout, 60_000),
      gauge(1, S.idleTimeout, 120_000),
      int(1, S.healthType, M.HealthTypeCode.http),
      gauge(1, S.healthInterval, 3_000),
      gauge(1, S.healthTimeout, 1_500),
      gauge(1, S.healthRise, 1),
      gauge(1, S.healthFall, 5),
      svc(1, S.healthPath, SmiType.OctetString, bytes('/ready')),
      gauge(1, S.healthExpectLow, 200),
      gauge(1, S.healthExpectHigh, 204),
      ...newBackend(1, 1, '192.0.2.20:80'),
    ]);
    const built = buildCandidate(s);
    expect(built.ok && built.table.services[0]).toEqual({
      name: 'api',
      listen: '127.0.0.1:9000',
      protocol: 'tcp',
      algorithm: 'maglev',
      hashKey: '5-tuple',
      maglevTableSize: 65_521,
      persistence: { type: 'source-ip', timeoutMs: 60_000 },
      health: { type: 'http', intervalMs: 3_000, timeoutMs: 1_500, rise: 1, fall: 5, path: '/ready', expectStatus: [200, 204] },
      fallback: null,
      idleTimeoutMs: 120_000,
      backends: [{ address: '192.0.2.20:80', weight: 1, maxConnections: 0, backup: false, state: 'enabled' }],
    });
  });

  it('settings left unwritten come from the running service of the same name, else the defaults (as before the columns)', () => {
    const s = ok(emptyCandidate(running), [
      load(M.CandidateLoadCode.empty),
      ...newService(1, 'web', '127.0.0.1:8080'),
      ...newBackend(1, 1, '192.0.2.1:80'),
      // Only the rise of the health check is new: the rest is web's.
      gauge(1, S.healthRise, 7),
      ...newService(2, 'fresh', '127.0.0.1:8081'),
      ...newBackend(2, 1, '192.0.2.1:80'),
    ]);
    const built = buildCandidate(s);
    if (!built.ok) throw new Error(built.error);
    const [fresh, web] = built.table.services;
    expect(web).toMatchObject({ idleTimeoutMs: 45_000, persistence: running.services[1]!.persistence, health: { ...running.services[1]!.health, rise: 7 } });
    expect(fresh).toMatchObject({ health: null, persistence: null, idleTimeoutMs: 300_000, hashKey: 'source-ip', maglevTableSize: 65_537 });
    // The view shows what a commit would run, written or not.
    expect(viewValue(s, S.healthRise, 1)).toBe(7);
    expect(viewValue(s, S.healthInterval, 1)).toBe(5_000);
    expect(viewValue(s, S.healthPath, 1)).toBe('/healthz');
    expect(viewValue(s, S.healthType, 2)).toBe(M.HealthTypeCode.none);
    expect(viewValue(s, S.idleTimeout, 2)).toBe(300_000);
  });

  it('running(2) fills every column: the rows build the running table even against another base', () => {
    const s = ok(emptyCandidate(), [load(M.CandidateLoadCode.running)]);
    expect(buildCandidate(s)).toEqual({ ok: true, table: running, id: configId(running) });
    expect(Object.values(s.services.get(2)!.settings).every((v) => v !== null)).toBe(true);
    expect(buildCandidate({ ...emptyCandidate(), ...rowsOf(running) })).toEqual({ ok: true, table: running, id: configId(running) });
    expect(viewValue(s, S.hashKey, 1)).toBe(M.HashKeyCode['5-tuple']);
    expect(viewValue(s, S.maglevTableSize, 1)).toBe(251);
    expect(viewValue(s, S.persistenceTimeout, 2)).toBe(600_000);
    expect(viewValue(s, S.healthExpectHigh, 2)).toBe(299);
  });

  it('a bad value is refused at SET time on its own varbind, with nothing applied', () => {
    const start = ok(emptyCandidate(running), [load(M.CandidateLoadCode.running)]);
    const cases: [SetVarbind, number, RegExp][] = [
      [svc(2, S.healthPath, SmiType.OctetString, bytes('healthz')), ErrorStatus.wrongValue, /must start with "\/"/],
      [svc(2, S.healthPath, SmiType.OctetString, bytes('/a b')), ErrorStatus.wrongValue, /visible ASCII/],
      [svc(2, S.healthPath, SmiType.OctetString, bytes('')), ErrorStatus.wrongLength, /1\.\.1024 bytes/],
      [gauge(1, S.maglevTableSize, 1_000), ErrorStatus.wrongValue, /not a prime \(nearest: 997 or 1009\)/],
      [gauge(1, S.maglevTableSize, 2_000_003), ErrorStatus.wrongValue, /251\.\.1000003/],
      [gauge(2, S.healthInterval, 50), ErrorStatus.wrongValue, /100\.\.3600000/],
      [gauge(2, S.idleTimeout, 999), ErrorStatus.wrongValue, /1000\.\.604800000/],
      [gauge(2, S.healthRise, 0), ErrorStatus.wrongValue, /1\.\.255/],
      [gauge(2, S.healthExpectLow, 600), ErrorStatus.wrongValue, /100\.\.599/],
      [int(2, S.healthType, 4), ErrorStatus.wrongValue, /none\(1\), tcp\(2\), http\(3\)/],
      [int(2, S.persistenceTimeout, 60_000), ErrorStatus.wrongType, /Unsigned32/],
      [gauge(2, S.hashKey, 1), ErrorStatus.wrongType, /INTEGER/],
    ];
    for (const [bad, status, message] of cases) {
      const p = planSet(start, [gauge(2, S.healthRise, 9), bad], ctx);
      expect(p, `${bad.oid.join('.')} = ${String(bad.value)}`).toMatchObject({
        ok: false,
        errorStatus: status,
        errorIndex: 2,
        message: expect.stringMatching(message),
      });
    }
    expect(start.services.get(2)!.settings.healthRise).toBe(3);
  });

  it('checks across settings wait for the build, which names the row and the column', () => {
    const start = ok(emptyCandidate(running), [load(M.CandidateLoadCode.running)]);
    const late = ok(start, [gauge(2, S.healthTimeout, 6_000)]);
    expect(buildCandidate(late)).toEqual({
      ok: false,
      error: 'service row 2 (web): health.timeoutMs (fulcrumCandServiceHealthTimeout): timeout 6s is longer than interval 5s',
    });
    const empty = ok(start, [gauge(2, S.healthExpectLow, 500), gauge(2, S.healthExpectHigh, 404)]);
    expect(buildCandidate(empty)).toMatchObject({
      ok: false,
      error: expect.stringContaining('health.expectStatus (fulcrumCandServiceHealthExpectLo/Hi): range 500-404 is empty'),
    });
    // A Maglev table needs more slots than backends: 251 slots, 300 backends.
    const crowded = ok(start, Array.from({ length: 300 }, (_, j) => newBackend(1, j + 2, `10.0.${j >> 8}.${j & 255}:53`)).flat());
    expect(buildCandidate(crowded)).toMatchObject({
      ok: false,
      error: expect.stringContaining('service row 1 (dns): maglevTableSize (fulcrumCandServiceMaglevSize): table size 251'),
    });
    const commit = planSet(late, [{ oid: [...M.fulcrumCommit, 0], type: SmiType.Gauge32, value: 0 }], ctx);
    expect(commit).toMatchObject({
      ok: false,
      errorStatus: ErrorStatus.inconsistentValue,
      message: expect.stringContaining('fulcrumCandServiceHealthTimeout'),
    });
  });

  it('settings that do not apply are held at their defaults, so they never change the config id', () => {
    const start = ok(emptyCandidate(running), [load(M.CandidateLoadCode.running)]);
    const before = buildCandidate(start);
    // web is not maglev and has an http check: its hash key does not matter; a tcp check drops path and range.
    const changed = ok(start, [int(2, S.hashKey, M.HashKeyCode['5-tuple']), gauge(2, S.maglevTableSize, 251)]);
    expect(buildCandidate(changed)).toEqual(before);
    const tcp = buildCandidate(ok(start, [int(2, S.healthType, M.HealthTypeCode.tcp)]));
    expect(tcp.ok && tcp.table.services[1]!.health).toMatchObject({ type: 'tcp', path: '', expectStatus: [0, 0], intervalMs: 5_000 });
  });
});
