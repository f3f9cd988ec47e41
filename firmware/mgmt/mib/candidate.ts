/**
 * The candidate configuration as SNMP edits it (FULCRUM-MIB fulcrumConfig): rows with RowStatus
 * (RFC 2579), an advisory TestAndIncr lock, and the commit/confirm/rollback scalars.
 *
 * Pure: `planSet` checks a whole SET request against a state and returns either the state the
 * request leads to (plus at most one config operation for the caller to run) or the first
 * failing varbind — never a half-applied state, which is what makes each SET all or nothing.
 * `buildCandidate` (candidate-build.ts) turns the active rows into a canonical rule table and
 * its config id.
 */

import { DEFAULTS, type RuleTable } from '../../../src/protocol/rules/index.js';
import {
  CandBackendColumn,
  CandServiceColumn,
  CandidateLoadCode,
  ConfigScalar,
  ConfirmCode,
  MAX_COMMIT_SECONDS,
  MAX_ROLLBACK_STEPS,
  fulcrumCandBackendEntry,
  fulcrumCandServiceEntry,
  fulcrumConfig,
} from '../../../src/protocol/mib/fulcrum-mib.js';
import { startsWith, type Oid } from '../../../src/protocol/mib/oid.js';
import { ErrorStatus, RowStatus, SmiType } from '../../../src/protocol/mib/smi.js';
import type { BackendRow, CandidateState, ServiceRow, SetVarbind } from './candidate-rows.js';
import { backendSetter, fail, integer, isFailure, serviceSetter, type Failure } from './candidate-values.js';
import { buildCandidate, rowsOf, unwrittenSettings } from './candidate-build.js';

export type { BackendRow, CandidateState, RowSettings, RowState, ServiceRow, SetVarbind } from './candidate-rows.js';
export { buildCandidate, effectiveSettings, rowsOf, type Built } from './candidate-build.js';

export type ConfigAction =
  { kind: 'commit'; confirmTimeoutMs: number; table: RuleTable; id: string } | { kind: 'confirm' } | { kind: 'rollback'; steps: number };

export interface SetContext {
  running: RuleTable;
  pendingConfirm: boolean;
  historyLength: number;
}

export type SetPlan =
  { ok: true; state: CandidateState; action: ConfigAction | null } | { ok: false; errorStatus: number; errorIndex: number; message: string };

const TEST_AND_INCR_MAX = 2_147_483_647;
const INDEX_MAX = 65_535;

export function emptyCandidate(running: RuleTable = { services: [] }): CandidateState {
  return { spinLock: 0, services: new Map(), backends: new Map(), base: running };
}

const serviceComplete = (r: ServiceRow) => r.name !== null && r.listen !== null;
const backendComplete = (r: BackendRow) => r.address !== null;

type Target =
  | { kind: 'scalar'; scalar: number }
  | { kind: 'service'; column: number; service: number }
  | { kind: 'backend'; column: number; service: number; backend: number };

function targetOf(arcs: Oid): Target | Failure {
  if (!startsWith(arcs, fulcrumConfig)) return fail(ErrorStatus.notWritable, 'not a writable object');
  const rest = arcs.slice(fulcrumConfig.length);
  const [first, second, column, a, b] = rest;
  const writableScalars: number[] = [
    ConfigScalar.candidateSpinLock,
    ConfigScalar.candidateLoad,
    ConfigScalar.commit,
    ConfigScalar.confirm,
    ConfigScalar.rollback,
  ];
  if (first !== undefined && rest.length === 2 && rest[1] === 0 && writableScalars.includes(first)) return { kind: 'scalar', scalar: first };
  const inRange = (i: number | undefined): i is number => i !== undefined && i >= 1 && i <= INDEX_MAX;
  if (
    startsWith(arcs, fulcrumCandServiceEntry) &&
    second === 1 &&
    column !== undefined &&
    column > CandServiceColumn.index &&
    column <= CandServiceColumn.healthExpectHigh
  ) {
    if (rest.length !== 4 || !inRange(a)) return fail(ErrorStatus.noCreation, 'fulcrumCandServiceIndex is 1..65535');
    return { kind: 'service', column, service: a };
  }
  if (
    startsWith(arcs, fulcrumCandBackendEntry) &&
    second === 1 &&
    column !== undefined &&
    column > CandBackendColumn.index &&
    column <= CandBackendColumn.rowStatus
  ) {
    if (rest.length !== 5 || !inRange(a) || !inRange(b))
      return fail(ErrorStatus.noCreation, 'fulcrumCandServiceIndex and fulcrumCandBackendIndex are 1..65535');
    return { kind: 'backend', column, service: a, backend: b };
  }
  return fail(ErrorStatus.notWritable, 'not a writable object');
}

/**
 * Checks every varbind of a SET request, then works out the state it leads to. Order of
 * evaluation, so that one request can create, fill and activate rows: the lock; the load;
 * row creations and destructions (services before backends); column values; activations;
 * then the one config operation, checked against the resulting rows.
 */
export function planSet(state: CandidateState, varbinds: readonly SetVarbind[], ctx: SetContext): SetPlan {
  const bad = (i: number, f: Failure): SetPlan => ({ ok: false, errorStatus: f.status, errorIndex: i + 1, message: f.message });
  const targets: Target[] = [];
  for (const [i, v] of varbinds.entries()) {
    const t = targetOf(v.oid);
    if (isFailure(t)) return bad(i, t);
    targets.push(t);
  }

  const services = new Map([...state.services].map(([k, r]) => [k, { ...r, settings: { ...r.settings } }]));
  const backends = new Map([...state.backends].map(([k, m]) => [k, new Map([...m].map(([j, r]) => [j, { ...r }]))]));
  let base = state.base;
  let lockWritten = false;
  let action: { index: number; scalar: number; value: number } | null = null;
  const requested = new Map<string, { index: number; status: number }>();
  const touched = new Set<string>();
  const setters: (((r: ServiceRow) => void) | ((r: BackendRow) => void) | undefined)[] = [];
  const key = (t: Target) => (t.kind === 'backend' ? `b${t.service}.${t.backend}` : `s${t.kind === 'service' ? t.service : 0}`);

  // Pass 1: types and values of every varbind (RFC 3416 4.2.5 steps 3-6 come before 7-8), and the scalars.
  for (const [i, t] of targets.entries()) {
    const v = varbinds[i]!;
    if (t.kind === 'scalar') {
      const max =
        t.scalar === ConfigScalar.candidateSpinLock
          ? TEST_AND_INCR_MAX
          : t.scalar === ConfigScalar.candidateLoad
            ? 3
            : t.scalar === ConfigScalar.commit
              ? MAX_COMMIT_SECONDS
              : t.scalar === ConfigScalar.confirm
                ? ConfirmCode.confirm
                : MAX_ROLLBACK_STEPS;
      const min = t.scalar === ConfigScalar.candidateLoad || t.scalar === ConfigScalar.confirm ? 1 : 0;
      const n = integer(v, t.scalar === ConfigScalar.commit || t.scalar === ConfigScalar.rollback ? SmiType.Gauge32 : SmiType.Integer, min, max);
      if (isFailure(n)) return bad(i, n);
      if (t.scalar === ConfigScalar.candidateSpinLock) {
        if (n !== state.spinLock)
          return bad(i, fail(ErrorStatus.inconsistentValue, `the candidate lock is ${state.spinLock}, not ${n}: another manager is editing the candidate`));
        lockWritten = true;
      } else if (t.scalar === ConfigScalar.candidateLoad) {
        if (n === CandidateLoadCode.none) continue;
        const rows = rowsOf(n === CandidateLoadCode.running ? ctx.running : { services: [] });
        services.clear();
        backends.clear();
        for (const [k, r] of rows.services) services.set(k, { ...r, settings: { ...r.settings } });
        for (const [k, m] of rows.backends) backends.set(k, new Map([...m].map(([j, r]) => [j, { ...r }])));
        base = ctx.running;
      } else {
        const noop = (t.scalar === ConfigScalar.confirm && n === ConfirmCode.idle) || (t.scalar === ConfigScalar.rollback && n === 0);
        if (noop) continue;
        if (action) return bad(i, fail(ErrorStatus.inconsistentValue, 'one commit, confirm or rollback per request'));
        action = { index: i, scalar: t.scalar, value: n };
      }
      continue;
    }
    if (t.column !== (t.kind === 'service' ? CandServiceColumn.rowStatus : CandBackendColumn.rowStatus)) {
      const set = t.kind === 'service' ? serviceSetter(t.column, v) : backendSetter(t.column, v);
      if (isFailure(set)) return bad(i, set);
      setters[i] = set;
      continue;
    }
    const n = integer(v, SmiType.Integer, 1, 6);
    if (isFailure(n)) return bad(i, n);
    if (n === RowStatus.notReady) return bad(i, fail(ErrorStatus.wrongValue, 'notReady(3) cannot be written'));
    if (requested.has(key(t))) return bad(i, fail(ErrorStatus.inconsistentValue, 'RowStatus written twice'));
    requested.set(key(t), { index: i, status: n });
  }

  // Pass 2: creations and destructions, services first so backends can be created under them.
  for (const kind of ['service', 'backend'] as const) {
    for (const [i, t] of targets.entries()) {
      if (t.kind !== kind) continue;
      const r = requested.get(key(t));
      if (!r || r.index !== i) continue;
      const exists = t.kind === 'service' ? services.has(t.service) : backends.get(t.service)?.has(t.backend) === true;
      if (r.status === RowStatus.destroy) {
        if (t.kind === 'service') {
          services.delete(t.service);
          backends.delete(t.service);
        } else backends.get(t.service)?.delete(t.backend);
      } else if (r.status === RowStatus.createAndGo || r.status === RowStatus.createAndWait) {
        if (exists) return bad(i, fail(ErrorStatus.inconsistentValue, 'the row exists already'));
        if (t.kind === 'service') {
          services.set(t.service, {
            status: 'notReady',
            name: null,
            listen: null,
            protocol: DEFAULTS.protocol,
            algorithm: DEFAULTS.algorithm,
            fallback: '',
            settings: unwrittenSettings(),
          });
        } else {
          if (!services.has(t.service)) return bad(i, fail(ErrorStatus.inconsistentName, `no candidate service row ${t.service}`));
          let m = backends.get(t.service);
          if (!m) backends.set(t.service, (m = new Map()));
          m.set(t.backend, {
            status: 'notReady',
            address: null,
            weight: DEFAULTS.weight,
            maxConns: DEFAULTS.maxConnections,
            backup: DEFAULTS.backup,
            adminState: DEFAULTS.state,
          });
        }
      } else if (!exists) {
        return bad(i, fail(ErrorStatus.inconsistentValue, 'no such row'));
      }
    }
  }

  // Pass 3: column values (already checked in pass 1), into rows that exist now.
  for (const [i, t] of targets.entries()) {
    const set = setters[i];
    if (t.kind === 'scalar' || !set) continue;
    if (t.kind === 'service') {
      const row = services.get(t.service);
      if (!row)
        return bad(
          i,
          fail(
            requested.get(key(t))?.status === RowStatus.destroy ? ErrorStatus.inconsistentValue : ErrorStatus.noCreation,
            `no candidate service row ${t.service}`,
          ),
        );
      (set as (r: ServiceRow) => void)(row);
    } else {
      const row = backends.get(t.service)?.get(t.backend);
      if (!row)
        return bad(
          i,
          fail(services.has(t.service) ? ErrorStatus.noCreation : ErrorStatus.inconsistentName, `no candidate backend row ${t.service}.${t.backend}`),
        );
      (set as (r: BackendRow) => void)(row);
    }
    touched.add(key(t));
  }

  // Pass 4: activations. A notReady row whose missing columns are now set becomes notInService (RFC 2579).
  for (const [k, r] of requested) {
    if (r.status === RowStatus.destroy) continue;
    const t = targets[r.index]!;
    const row = t.kind === 'service' ? services.get(t.service) : t.kind === 'backend' ? backends.get(t.service)?.get(t.backend) : undefined;
    if (!row) continue;
    const complete = t.kind === 'service' ? serviceComplete(row as ServiceRow) : backendComplete(row as BackendRow);
    if (r.status === RowStatus.createAndGo || r.status === RowStatus.active) {
      if (!complete)
        return bad(
          r.index,
          fail(
            ErrorStatus.inconsistentValue,
            t.kind === 'service' ? 'fulcrumCandServiceName and fulcrumCandServiceListen must be set first' : 'fulcrumCandBackendAddress must be set first',
          ),
        );
      row.status = 'active';
    } else if (r.status === RowStatus.notInService) {
      if (!complete) return bad(r.index, fail(ErrorStatus.inconsistentValue, 'the row is not ready'));
      row.status = 'notInService';
    } else row.status = complete ? 'notInService' : 'notReady';
    touched.delete(k);
  }
  for (const k of touched) {
    const [s, b] = k.slice(1).split('.').map(Number);
    const row = k.startsWith('s') ? services.get(s!) : backends.get(s!)?.get(b!);
    if (row && row.status === 'notReady' && (k.startsWith('s') ? serviceComplete(row as ServiceRow) : backendComplete(row as BackendRow)))
      row.status = 'notInService';
  }

  const next: CandidateState = { spinLock: lockWritten ? (state.spinLock + 1) % (TEST_AND_INCR_MAX + 1) : state.spinLock, services, backends, base };
  if (!action) return { ok: true, state: next, action: null };
  const at = action.index;
  if (action.scalar === ConfigScalar.commit) {
    const built = buildCandidate(next);
    if (!built.ok) return bad(at, fail(ErrorStatus.inconsistentValue, `the candidate is not a valid rule table: ${built.error}`));
    return { ok: true, state: next, action: { kind: 'commit', confirmTimeoutMs: action.value * 1000, table: built.table, id: built.id } };
  }
  if (action.scalar === ConfigScalar.confirm) {
    if (!ctx.pendingConfirm) return bad(at, fail(ErrorStatus.inconsistentValue, 'no commit is pending confirmation'));
    return { ok: true, state: next, action: { kind: 'confirm' } };
  }
  if (action.value > ctx.historyLength)
    return bad(at, fail(ErrorStatus.inconsistentValue, `no rollback ${action.value}: the history holds ${ctx.historyLength} configs`));
  return { ok: true, state: next, action: { kind: 'rollback', steps: action.value } };
}
