/**
 * Reading the running rule table over SNMP: one GETBULK walk of fulcrumRunning (every setting of
 * every service and backend), rebuilt into a RuleTable and returned as its canonical encoding.
 *
 * Invariant: what it returns is the table whose config id fulcrumConfigId reported both just
 * before and just after the walk. A walk takes several requests, so a commit in between would
 * give rows of two configurations: then it walks again, a bounded number of times, and fails
 * clearly rather than return a table that never ran.
 */

import { FulcrumMib as M, formatOid, SmiType, TruthValue } from '../../src/protocol/mib/index.js';
import { parseSetting, SETTING_FIELDS, withSettings, type ServiceSettings } from '../../src/protocol/mib/service-settings.js';
import {
  canonicalProblems,
  canonicalize,
  configId,
  encodeRules,
  formatPath,
  type Backend,
  type RuleTable,
  type Service,
} from '../../src/protocol/rules/index.js';
import { toHex } from '../../src/protocol/digest.js';
import { describeError } from '../../src/protocol/describe-error.js';
import { DriverError } from '../driver.js';
import { columnName } from './column-names.js';
import type { SnmpSession, Varbind } from './session.js';

/** Walks before giving up on a configuration that keeps changing. */
export const MAX_RUNNING_READS = 3;

const EMPTY_TABLE_ID = configId({ services: [] });
const byCode = <T extends string>(codes: Record<T, number>) => new Map<number, T>(Object.entries<number>(codes).map(([k, v]) => [v, k as T]));
const PROTOCOLS = byCode(M.ProtocolCode);
const ALGORITHMS = byCode(M.AlgorithmCode);
const ADMIN_STATES = byCode(M.AdminStateCode);

export async function readRunningEncoding(session: SnmpSession): Promise<Uint8Array> {
  const idOid = `${formatOid(M.fulcrumConfigId)}.0`;
  const runningId = async () => {
    const [v] = await session.get([idOid]);
    return v?.value instanceof Uint8Array ? toHex(v.value) : '';
  };
  let why = '';
  for (let attempt = 0; attempt < MAX_RUNNING_READS; attempt++) {
    const before = await runningId();
    const varbinds = await session.walk(formatOid(M.fulcrumRunning));
    const after = await runningId();
    if (before !== after) {
      why = `the running configuration changed from ${before} to ${after} while it was read`;
      continue;
    }
    if (varbinds.length === 0 && after !== EMPTY_TABLE_ID) {
      throw new DriverError(
        'refused',
        `this appliance's SNMP agent does not serve fulcrumRunning (firmware from before FULCRUM-MIB had it); read the table over the serial console (serial:/dev/ttyX)`,
        'unsupported',
      );
    }
    const table = tableFrom(varbinds);
    const id = configId(table);
    if (id === after) return encodeRules(table);
    why = `the rows read form config ${id}, not the running ${after}`;
  }
  throw new DriverError(
    'refused',
    `reading the running configuration: ${why} (${MAX_RUNNING_READS} reads); try again once it stops changing`,
    'configChanging',
  );
}

type Rows = Map<string, Map<number, Varbind>>;

/** Groups a walk of one table's entry by row index: "3" or "3.7" → column → varbind. */
function rowsOf(varbinds: readonly Varbind[], entry: readonly number[], indexArcs: number): Rows {
  const prefix = `${formatOid(entry)}.`;
  const out: Rows = new Map();
  for (const vb of varbinds) {
    if (!vb.oid.startsWith(prefix)) continue;
    const arcs = vb.oid.slice(prefix.length).split('.');
    if (arcs.length !== 1 + indexArcs) throw malformed(`${columnName(vb.oid)}: not an instance of a ${indexArcs}-index column`);
    const index = arcs.slice(1).join('.');
    let row = out.get(index);
    if (!row) out.set(index, (row = new Map()));
    row.set(Number(arcs[0]), vb);
  }
  return out;
}

function malformed(what: string): DriverError {
  return new DriverError('refused', `the appliance's fulcrumRunning is not a rule table: ${what}`, 'invalidConfig');
}

/** The varbinds of fulcrumRunning as the canonical table they describe; DriverError naming the column when they describe none. */
export function tableFrom(varbinds: readonly Varbind[]): RuleTable {
  const services = rowsOf(varbinds, M.fulcrumRunServiceEntry, 1);
  const backends = rowsOf(varbinds, M.fulcrumRunBackendEntry, 2);
  const S = M.RunServiceColumn;
  const B = M.RunBackendColumn;
  const indexes = [...services.keys()].map(Number).sort((a, b) => a - b);
  const built: Service[] = indexes.map((i) => {
    const row = services.get(String(i))!;
    const cell = (column: number, name: string) => {
      const vb = row.get(column);
      if (!vb) throw malformed(`service row ${i} has no ${name}`);
      return vb;
    };
    const text = (column: number, name: string) => {
      const vb = cell(column, name);
      if (vb.type !== SmiType.OctetString || !(vb.value instanceof Uint8Array)) throw malformed(`${columnName(vb.oid)} is not an OCTET STRING`);
      return new TextDecoder().decode(vb.value);
    };
    const code = <T>(column: number, name: string, codes: Map<number, T>) => {
      const vb = cell(column, name);
      const hit = codes.get(Number(vb.value));
      if (vb.type !== SmiType.Integer || hit === undefined) throw malformed(`${columnName(vb.oid)} = ${String(vb.value)} is not a known code`);
      return hit;
    };
    const settings = {} as Record<keyof ServiceSettings, unknown>;
    for (const f of SETTING_FIELDS) {
      const vb = cell(S[f], columnName(formatOid([...M.fulcrumRunServiceEntry, S[f]])));
      const parsed = parseSetting(f, vb.type, vb.value);
      if (!parsed.ok) throw malformed(`${columnName(vb.oid)}: ${parsed.message}`);
      settings[f] = parsed.value;
    }
    const fallback = text(S.fallback, 'fulcrumRunServiceFallback');
    const own = [...backends.entries()]
      .filter(([key]) => key.startsWith(`${i}.`))
      .map(([key, b]) => [Number(key.split('.')[1]), b] as const)
      .sort((x, y) => x[0] - y[0])
      .map(([j, b]): Backend => backendFrom(`${i}.${j}`, b, B));
    return withSettings(
      {
        name: text(S.name, 'fulcrumRunServiceName'),
        listen: text(S.listen, 'fulcrumRunServiceListen'),
        protocol: code(S.protocol, 'fulcrumRunServiceProtocol', PROTOCOLS),
        algorithm: code(S.algorithm, 'fulcrumRunServiceAlgorithm', ALGORITHMS),
        fallback: fallback === '' ? null : fallback,
        backends: own,
      },
      settings as unknown as ServiceSettings,
    );
  });
  for (const key of backends.keys()) {
    if (!services.has(key.split('.')[0]!)) throw malformed(`backend row ${key} belongs to no service row`);
  }
  let table: RuleTable;
  try {
    table = canonicalize({ services: built });
  } catch (err) {
    throw malformed(describeError(err));
  }
  const problem = canonicalProblems(table)[0];
  if (problem) throw malformed(`${formatPath(problem.path)}: ${problem.message}`);
  return table;
}

function backendFrom(index: string, row: Map<number, Varbind>, B: typeof M.RunBackendColumn): Backend {
  const cell = (column: number, type: number, name: string) => {
    const vb = row.get(column);
    if (!vb) throw malformed(`backend row ${index} has no ${name}`);
    if (vb.type !== type) throw malformed(`${columnName(vb.oid)} has the wrong type (${vb.type})`);
    return vb;
  };
  const address = cell(B.address, SmiType.OctetString, 'fulcrumRunBackendAddress').value;
  const backup = Number(cell(B.backup, SmiType.Integer, 'fulcrumRunBackendBackup').value);
  const stateVb = cell(B.adminState, SmiType.Integer, 'fulcrumRunBackendAdminState');
  const state = ADMIN_STATES.get(Number(stateVb.value));
  if (state === undefined) throw malformed(`${columnName(stateVb.oid)} = ${String(stateVb.value)} is not a known code`);
  if (backup !== TruthValue.true && backup !== TruthValue.false) throw malformed(`backend row ${index}: fulcrumRunBackendBackup is not a TruthValue`);
  return {
    address: address instanceof Uint8Array ? new TextDecoder().decode(address) : String(address),
    weight: Number(cell(B.weight, SmiType.Gauge32, 'fulcrumRunBackendWeight').value),
    maxConnections: Number(cell(B.maxConns, SmiType.Gauge32, 'fulcrumRunBackendMaxConns').value),
    backup: backup === TruthValue.true,
    state,
  };
}
