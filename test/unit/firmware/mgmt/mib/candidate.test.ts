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
    health: { type: tcp, interval: 1s, timeout: 500ms, rise: 1, fall: 2 }
    backends: [{ address: 192.0.2.1:80, weight: 5 }, { address: 192.0.2.2:80 }]
`,
  'r.yaml',
);
const ctx: SetContext = { running, pendingConfirm: false, historyLength: 2 };
const bytes = (t: string) => new TextEncoder().encode(t);
const lock = (v: number): SetVarbind => ({ oid: [...M.fulcrumCandidateSpinLock, 0], type: SmiType.Integer, value: v });
const load = (v: number): SetVarbind => ({ oid: [...M.fulcrumCandidateLoad, 0], type: SmiType.Integer, value: v });
const commit = (s: number): SetVarbind => ({ oid: [...M.fulcrumCommit, 0], type: SmiType.Gauge32, value: s });
const svc = (i: number, column: number, type: number, value: unknown): SetVarbind => ({
  oid: M.columnInstance(M.fulcrumCandServiceEntry, column, i),
  type,
  value,
});
const be = (s: number, b: number, column: number, type: number, value: unknown): SetVarbind => ({
  oid: M.columnInstance(M.fulcrumCandBackendEntry, column, s, b),
  type,
  value,
});
const S = M.CandServiceColumn;
const B = M.CandBackendColumn;
const newService = (i: number, name: string, listen: string, status: number = RowStatus.createAndGo) => [
  svc(i, S.rowStatus, SmiType.Integer, status),
  svc(i, S.name, SmiType.OctetString, bytes(name)),
  svc(i, S.listen, SmiType.OctetString, bytes(listen)),
];
const newBackend = (s: number, b: number, address: string) => [
  be(s, b, B.rowStatus, SmiType.Integer, RowStatus.createAndGo),
  be(s, b, B.address, SmiType.OctetString, bytes(address)),
];

function ok(state: CandidateState, varbinds: SetVarbind[], c: SetContext = ctx) {
  const p = planSet(state, varbinds, c);
  if (!p.ok) throw new Error(`refused: ${p.message}`);
  return p;
}

describe('SNMP candidate (RowStatus rows, lock, commit)', () => {
  it('loading the running config gives rows whose table has the running id, hidden settings kept', () => {
    const p = ok(emptyCandidate(), [load(M.CandidateLoadCode.running)]);
    expect(buildCandidate(p.state)).toEqual({ ok: true, table: running, id: configId(running) });
    expect(p.state.services.get(1)).toMatchObject({ status: 'active', name: 'web' });
  });

  it('one request creates, fills and activates rows in any varbind order; empty() destroys them', () => {
    const p = ok(emptyCandidate(running), [
      load(M.CandidateLoadCode.empty),
      ...newBackend(1, 1, '192.0.2.1:80').reverse(),
      ...newService(1, 'web', '127.0.0.1:8080').reverse(),
    ]);
    const built = buildCandidate(p.state);
    expect(built.ok && built.table.services[0]).toMatchObject({
      name: 'web',
      health: running.services[0]!.health,
      backends: [{ address: '192.0.2.1:80', weight: 1 }],
    });
    expect(ok(p.state, [load(M.CandidateLoadCode.empty)]).state.services.size).toBe(0);
  });

  it('is all or nothing: a bad last varbind leaves the state as it was and names its position', () => {
    const start = emptyCandidate();
    const p = planSet(start, [...newService(1, 'web', '127.0.0.1:8080'), svc(1, S.protocol, SmiType.Integer, 9)], ctx);
    expect(p).toMatchObject({ ok: false, errorStatus: ErrorStatus.wrongValue, errorIndex: 4 });
    expect(start.services.size).toBe(0);
  });

  it('RowStatus rules: createAndWait is notReady until complete, active needs the columns, backends need their service', () => {
    let s = ok(emptyCandidate(), [svc(3, S.rowStatus, SmiType.Integer, RowStatus.createAndWait)]).state;
    expect(s.services.get(3)!.status).toBe('notReady');
    expect(planSet(s, [svc(3, S.rowStatus, SmiType.Integer, RowStatus.active)], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.inconsistentValue });
    s = ok(s, [svc(3, S.name, SmiType.OctetString, bytes('a')), svc(3, S.listen, SmiType.OctetString, bytes('127.0.0.1:1'))]).state;
    expect(s.services.get(3)!.status).toBe('notInService');
    expect(planSet(s, newService(3, 'b', '127.0.0.1:2'), ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.inconsistentValue, errorIndex: 1 });
    expect(planSet(s, newBackend(4, 1, '192.0.2.1:80'), ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.inconsistentName });
    expect(planSet(s, [svc(9, S.name, SmiType.OctetString, bytes('x'))], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.noCreation });
    expect(planSet(s, [svc(3, S.rowStatus, SmiType.Integer, RowStatus.notReady)], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.wrongValue });
    // Only active rows count: notInService service 3 is not in the table.
    expect(buildCandidate(s)).toMatchObject({ ok: true, table: { services: [] } });
    s = ok(s, [...newBackend(3, 1, '192.0.2.9:80'), svc(3, S.rowStatus, SmiType.Integer, RowStatus.active)]).state;
    expect(buildCandidate(s)).toMatchObject({ ok: true, table: { services: [{ name: 'a' }] } });
    // Destroying a service destroys its backends.
    s = ok(s, [svc(3, S.rowStatus, SmiType.Integer, RowStatus.destroy)]).state;
    expect([s.services.size, s.backends.size]).toEqual([0, 0]);
  });

  it('checks types and values: wrongType, wrongLength, wrongValue, notWritable', () => {
    const s = emptyCandidate();
    expect(planSet(s, [svc(1, S.name, SmiType.Integer, 1)], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.wrongType });
    expect(planSet(s, [...newService(1, 'x'.repeat(64), '127.0.0.1:1')], ctx)).toMatchObject({
      ok: false,
      errorStatus: ErrorStatus.wrongLength,
      errorIndex: 2,
    });
    expect(planSet(s, [...newService(1, 'web', 'localhost:80')], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.wrongValue, errorIndex: 3 });
    expect(planSet(s, [{ oid: [...M.fulcrumCandidateConfigId, 0], type: SmiType.OctetString, value: bytes('') }], ctx)).toMatchObject({
      ok: false,
      errorStatus: ErrorStatus.notWritable,
    });
    expect(planSet(s, [svc(0, S.name, SmiType.OctetString, bytes('a'))], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.noCreation });
  });

  it('the spin lock: the current value is taken and moves on, any other fails the whole request', () => {
    const p = ok(emptyCandidate(), [lock(0), load(M.CandidateLoadCode.running)]);
    expect(p.state.spinLock).toBe(1);
    expect(planSet(p.state, [lock(0), load(M.CandidateLoadCode.empty)], ctx)).toMatchObject({
      ok: false,
      errorStatus: ErrorStatus.inconsistentValue,
      errorIndex: 1,
    });
    expect(ok({ ...p.state, spinLock: 2_147_483_647 }, [lock(2_147_483_647)]).state.spinLock).toBe(0);
  });

  it('names the row and the rule when the rows are not a valid table, and a commit of it is refused', () => {
    const s = ok(emptyCandidate(), [
      ...newService(1, 'a', '127.0.0.1:80'),
      ...newBackend(1, 1, '192.0.2.1:80'),
      ...newService(2, 'b', '127.0.0.1:80'),
      ...newBackend(2, 1, '192.0.2.1:80'),
    ]).state;
    const built = buildCandidate(s);
    expect(built).toMatchObject({ ok: false, error: expect.stringMatching(/^service row 2 \(b\): listen \(fulcrumCandServiceListen\): same listen address/) });
    const view = candidateVarbinds(s);
    expect(view.find((v) => v.oid.join('.') === [...M.fulcrumCandidateConfigId, 0].join('.'))!.value).toEqual(new Uint8Array(0));
    const c = planSet(s, [commit(0)], ctx);
    expect(c).toMatchObject({
      ok: false,
      errorStatus: ErrorStatus.inconsistentValue,
      errorIndex: 1,
      message: expect.stringContaining('not a valid rule table'),
    });
    const dup = ok(emptyCandidate(), [...newService(1, 'a', '127.0.0.1:80'), ...newService(2, 'a', '127.0.0.1:81')]).state;
    expect(buildCandidate(dup)).toMatchObject({ ok: false, error: 'service rows 1 and 2: both are named "a"' });
  });

  it('commit, confirm and rollback become one action, checked against the appliance state', () => {
    const s = ok(emptyCandidate(), [load(M.CandidateLoadCode.running)]).state;
    expect(ok(s, [commit(30)]).action).toEqual({ kind: 'commit', confirmTimeoutMs: 30_000, table: running, id: configId(running) });
    const confirm = (v: number): SetVarbind => ({ oid: [...M.fulcrumConfirm, 0], type: SmiType.Integer, value: v });
    const rollback = (v: number): SetVarbind => ({ oid: [...M.fulcrumRollback, 0], type: SmiType.Gauge32, value: v });
    expect(planSet(s, [confirm(2)], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.inconsistentValue });
    expect(ok(s, [confirm(2)], { ...ctx, pendingConfirm: true }).action).toEqual({ kind: 'confirm' });
    expect(ok(s, [confirm(1)]).action).toBeNull();
    expect(ok(s, [rollback(2)]).action).toEqual({ kind: 'rollback', steps: 2 });
    expect(planSet(s, [rollback(3)], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.inconsistentValue });
    expect(planSet(s, [rollback(11)], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.wrongValue });
    expect(planSet(s, [commit(0), rollback(1)], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.inconsistentValue, errorIndex: 2 });
    expect(planSet(s, [{ ...commit(0), type: SmiType.Integer }], ctx)).toMatchObject({ ok: false, errorStatus: ErrorStatus.wrongType });
  });

  it('the view lists rows column by column in walk order, and rowsOf numbers rows from 1', () => {
    const s: CandidateState = { ...emptyCandidate(), ...rowsOf(running) };
    const oids = candidateVarbinds(s).map((v) => v.oid.join('.'));
    expect([...oids].sort()).toHaveLength(new Set(oids).size);
    expect(oids).toContain(M.columnInstance(M.fulcrumCandBackendEntry, B.weight, 1, 2).join('.'));
    expect(candidateVarbinds(s).find((v) => v.oid.join('.') === M.columnInstance(M.fulcrumCandBackendEntry, B.weight, 1, 1).join('.'))!.value).toBe(5);
  });
});
