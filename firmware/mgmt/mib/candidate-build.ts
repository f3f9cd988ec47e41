/**
 * From candidate rows to a rule table and back: `rowsOf` gives the rows of a table (what
 * fulcrumCandidateLoad = running(2) loads, every column filled), `buildCandidate` the canonical
 * table the active rows form, or why they form none, naming the row and the column.
 *
 * Invariant: `buildCandidate({ ...rowsOf(t), base })` is `t` with `configId(t)` for every valid
 * canonical table `t`, whatever `base` is: rows loaded or written whole do not depend on it.
 * Only columns a manager left unwritten (null) come from the base service of the same name,
 * else from the rule table's defaults.
 */

import { canonicalProblems, canonicalize, configId, parseEndpoint, formatEndpoint, type RuleTable, type Service } from '../../../src/protocol/rules/index.js';
import { formatPath, type PathSegment } from '../../../src/protocol/rules/problems.js';
import { defaultSettings, settingsOf, withSettings, SETTING_FIELDS, type ServiceSettings } from '../../../src/protocol/mib/service-settings.js';
import { describeError } from '../../../src/protocol/describe-error.js';
import type { BackendRow, CandidateState, RowSettings, ServiceRow } from './candidate-rows.js';

export type Built = { ok: true; table: RuleTable; id: string } | { ok: false; error: string };

/** No settings column written: all inherited. */
export function unwrittenSettings(): RowSettings {
  return Object.fromEntries(SETTING_FIELDS.map((f) => [f, null])) as unknown as RowSettings;
}

/** The candidate rows of `table`: rows numbered from 1 in table order, every column filled. */
export function rowsOf(table: RuleTable): Pick<CandidateState, 'services' | 'backends'> {
  const services = new Map<number, ServiceRow>();
  const backends = new Map<number, Map<number, BackendRow>>();
  table.services.forEach((s, i) => {
    services.set(i + 1, {
      status: 'active',
      name: s.name,
      listen: s.listen,
      protocol: s.protocol,
      algorithm: s.algorithm,
      fallback: s.fallback ?? '',
      settings: settingsOf(s),
    });
    backends.set(
      i + 1,
      new Map(
        s.backends.map((b, j) => [
          j + 1,
          { status: 'active', address: b.address, weight: b.weight, maxConns: b.maxConnections, backup: b.backup, adminState: b.state },
        ]),
      ),
    );
  });
  return { services, backends };
}

/** Base services by name, once per base table: the view asks for every row at every rebuild. */
const NAMED = new WeakMap<RuleTable, ReadonlyMap<string, Service>>();
function byName(table: RuleTable): ReadonlyMap<string, Service> {
  let m = NAMED.get(table);
  if (!m) NAMED.set(table, (m = new Map(table.services.map((s) => [s.name, s]))));
  return m;
}

/**
 * The settings a row stands for: what was written, else the base service of the same name's
 * (its idle timeout only if it has the same protocol: UDP and TCP defaults differ tenfold),
 * else the defaults. Shown by the candidate view and used by the build.
 */
export function effectiveSettings(row: ServiceRow, base: RuleTable): ServiceSettings {
  const from = row.name === null ? undefined : byName(base).get(row.name);
  const inherited = from ? settingsOf(from) : defaultSettings(row.protocol);
  if (from && from.protocol !== row.protocol) inherited.idleTimeout = defaultSettings(row.protocol).idleTimeout;
  const out = { ...inherited } as Record<keyof ServiceSettings, unknown>;
  for (const f of SETTING_FIELDS) if (row.settings[f] !== null) out[f] = row.settings[f];
  return out as unknown as ServiceSettings;
}

/** The active rows as a rule table. Active backend rows of a service row that is not active are not part of it. */
export function buildCandidate(state: CandidateState): Built {
  const rowOf = new Map<string, number>();
  const services: Service[] = [];
  for (const [index, row] of [...state.services].sort((a, b) => a[0] - b[0])) {
    if (row.status !== 'active' || row.name === null || row.listen === null) continue;
    const other = rowOf.get(row.name);
    if (other !== undefined) return { ok: false, error: `service rows ${other} and ${index}: both are named "${row.name}"` };
    rowOf.set(row.name, index);
    const backends = activeBackends(state.backends.get(index)).map(([, b]) => ({
      address: b.address!,
      weight: b.weight,
      maxConnections: b.maxConns,
      backup: b.backup,
      state: b.adminState,
    }));
    const core = {
      name: row.name,
      listen: row.listen,
      protocol: row.protocol,
      algorithm: row.algorithm,
      fallback: row.fallback === '' ? null : row.fallback,
      backends,
    };
    services.push(withSettings(core, effectiveSettings(row, state.base)));
  }
  let table: RuleTable;
  try {
    table = canonicalize({ services });
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
  const problem = canonicalProblems(table)[0];
  if (problem) return { ok: false, error: `${whereIs(problem.path, table, state, rowOf)}: ${problem.message}` };
  return { ok: true, table, id: configId(table) };
}

function activeBackends(rows: ReadonlyMap<number, BackendRow> | undefined): [number, BackendRow][] {
  return [...(rows ?? new Map<number, BackendRow>())].sort((a, b) => a[0] - b[0]).filter(([, b]) => b.status === 'active' && b.address !== null);
}

/** Model fields under a service → the candidate column a manager writes them with. */
const SERVICE_COLUMN: Readonly<Record<string, string>> = {
  name: 'fulcrumCandServiceName',
  listen: 'fulcrumCandServiceListen',
  protocol: 'fulcrumCandServiceProtocol',
  algorithm: 'fulcrumCandServiceAlgorithm',
  fallback: 'fulcrumCandServiceFallback',
  hashKey: 'fulcrumCandServiceHashKey',
  maglevTableSize: 'fulcrumCandServiceMaglevSize',
  'persistence.type': 'fulcrumCandServicePersistType',
  'persistence.timeoutMs': 'fulcrumCandServicePersistTimeout',
  idleTimeoutMs: 'fulcrumCandServiceIdleTimeout',
  'health.type': 'fulcrumCandServiceHealthType',
  'health.intervalMs': 'fulcrumCandServiceHealthInterval',
  'health.timeoutMs': 'fulcrumCandServiceHealthTimeout',
  'health.rise': 'fulcrumCandServiceHealthRise',
  'health.fall': 'fulcrumCandServiceHealthFall',
  'health.path': 'fulcrumCandServiceHealthPath',
  'health.expectStatus': 'fulcrumCandServiceHealthExpectLo/Hi',
};
const BACKEND_COLUMN: Readonly<Record<string, string>> = {
  address: 'fulcrumCandBackendAddress',
  weight: 'fulcrumCandBackendWeight',
  maxConnections: 'fulcrumCandBackendMaxConns',
  backup: 'fulcrumCandBackendBackup',
  state: 'fulcrumCandBackendAdminState',
};

/**
 * Where a problem of the built table lies, in the manager's terms: the row it created (not the
 * position in the sorted table) and the column it wrote, e.g.
 * `service row 2 (web): health.path (fulcrumCandServiceHealthPath)`.
 */
function whereIs(path: readonly PathSegment[], table: RuleTable, state: CandidateState, rowOf: ReadonlyMap<string, number>): string {
  const [, position, ...rest] = path;
  const svc = typeof position === 'number' ? table.services[position] : undefined;
  if (!svc) return formatPath(path);
  const index = rowOf.get(svc.name)!;
  const row = `service row ${index} (${svc.name})`;
  if (rest.length === 0) return row;
  if (rest[0] === 'backends' && typeof rest[1] === 'number') {
    const address = svc.backends[rest[1]]?.address;
    const backend = activeBackends(state.backends.get(index)).find(([, b]) => sameEndpoint(b.address!, address));
    const field = rest.slice(2).join('.');
    const column = BACKEND_COLUMN[field];
    const at = backend ? `backend row ${index}.${backend[0]} (${address})` : `${row}: ${formatPath(rest)}`;
    return field && column ? `${at}: ${field} (${column})` : at;
  }
  const field = rest.join('.');
  const column = SERVICE_COLUMN[field];
  return `${row}: ${formatPath(rest)}${column ? ` (${column})` : ''}`;
}

function sameEndpoint(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  try {
    return formatEndpoint(parseEndpoint(a)) === b;
  } catch {
    return false;
  }
}
