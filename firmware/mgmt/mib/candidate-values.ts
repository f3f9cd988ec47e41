/**
 * The value checks of the candidate's writable columns (RFC 3416 4.2.5 steps 3 to 6: type,
 * length, value), each turned into a setter that candidate.ts applies once the whole request
 * has passed, so a request fails before anything changes. The settings columns' limits are the
 * contract's (src/protocol/mib/service-settings.ts), the ones the rule loader enforces.
 */

import { endpointProblem } from '../../../src/protocol/rules/endpoint.js';
import { nameProblem, WEIGHT_MAX } from '../../../src/protocol/rules/limits.js';
import { AdminStateCode, AlgorithmCode, CandBackendColumn, CandServiceColumn, ProtocolCode } from '../../../src/protocol/mib/fulcrum-mib.js';
import { ErrorStatus, SmiType, TruthValue } from '../../../src/protocol/mib/smi.js';
import { parseSetting, SETTING_FIELDS, type SettingField } from '../../../src/protocol/mib/service-settings.js';
import type { BackendRow, ServiceRow, SetVarbind } from './candidate-rows.js';

const ENDPOINT_MAX = 64;
const U32 = 0xffff_ffff;

export type Failure = { status: number; message: string };
export const fail = (status: number, message: string): Failure => ({ status, message });

export function integer(v: SetVarbind, type: number, min: number, max: number): number | Failure {
  if (v.type !== type) return fail(ErrorStatus.wrongType, `wrong type ${v.type}`);
  const n = v.value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) return fail(ErrorStatus.wrongValue, `must be ${min}..${max}`);
  return n;
}

export function enumValue<T extends string>(v: SetVarbind, codes: Record<T, number>): T | Failure {
  if (v.type !== SmiType.Integer) return fail(ErrorStatus.wrongType, `wrong type ${v.type}`);
  const hit = (Object.entries(codes) as [T, number][]).find(([, c]) => c === v.value);
  return hit ? hit[0] : fail(ErrorStatus.wrongValue, `not one of ${Object.values(codes).join(', ')}`);
}

function text(v: SetVarbind, min: number, max: number): string | Failure {
  if (v.type !== SmiType.OctetString) return fail(ErrorStatus.wrongType, `wrong type ${v.type}`);
  const bytes = v.value instanceof Uint8Array ? v.value : typeof v.value === 'string' ? new TextEncoder().encode(v.value) : null;
  if (!bytes) return fail(ErrorStatus.wrongType, 'not an octet string');
  if (bytes.length < min || bytes.length > max) return fail(ErrorStatus.wrongLength, `must be ${min}..${max} bytes`);
  return new TextDecoder().decode(bytes);
}

function endpoint(v: SetVarbind, allowEmpty: boolean): string | Failure {
  const t = text(v, allowEmpty ? 0 : 1, ENDPOINT_MAX);
  if (typeof t !== 'string' || t === '') return t;
  const problem = endpointProblem(t);
  return problem ? fail(ErrorStatus.wrongValue, `"${t}": ${problem}`) : t;
}

export const isFailure = (x: unknown): x is Failure => typeof x === 'object' && x !== null && 'status' in x;

/** fulcrumCandServiceEntry's settings columns (8..20) → the setting each writes. */
const SETTING_OF_COLUMN = new Map<number, SettingField>(SETTING_FIELDS.map((f) => [CandServiceColumn[f], f]));

/** A settings column: checked alone here (range, prime, path), against the other settings at commit. */
function settingSetter(field: SettingField, v: SetVarbind): ((r: ServiceRow) => void) | Failure {
  const parsed = parseSetting(field, v.type, v.value);
  if (!parsed.ok) return fail(ErrorStatus[parsed.reason], parsed.message);
  return (r) => void ((r.settings as Record<SettingField, unknown>)[field] = parsed.value);
}

export function serviceSetter(column: number, v: SetVarbind): ((r: ServiceRow) => void) | Failure {
  const setting = SETTING_OF_COLUMN.get(column);
  if (setting) return settingSetter(setting, v);
  switch (column) {
    case CandServiceColumn.name: {
      const s = text(v, 1, 63);
      if (isFailure(s)) return s;
      const p = nameProblem(s);
      return p ? fail(ErrorStatus.wrongValue, `"${s}": ${p}`) : (r) => void (r.name = s);
    }
    case CandServiceColumn.listen: {
      const s = endpoint(v, false);
      return isFailure(s) ? s : (r) => void (r.listen = s);
    }
    case CandServiceColumn.fallback: {
      const s = endpoint(v, true);
      return isFailure(s) ? s : (r) => void (r.fallback = s);
    }
    case CandServiceColumn.protocol: {
      const p = enumValue(v, ProtocolCode);
      return isFailure(p) ? p : (r) => void (r.protocol = p);
    }
    default: {
      const a = enumValue(v, AlgorithmCode);
      return isFailure(a) ? a : (r) => void (r.algorithm = a);
    }
  }
}

export function backendSetter(column: number, v: SetVarbind): ((r: BackendRow) => void) | Failure {
  switch (column) {
    case CandBackendColumn.address: {
      const s = endpoint(v, false);
      return isFailure(s) ? s : (r) => void (r.address = s);
    }
    case CandBackendColumn.weight: {
      const n = integer(v, SmiType.Gauge32, 0, WEIGHT_MAX);
      return isFailure(n) ? n : (r) => void (r.weight = n);
    }
    case CandBackendColumn.maxConns: {
      const n = integer(v, SmiType.Gauge32, 0, U32);
      return isFailure(n) ? n : (r) => void (r.maxConns = n);
    }
    case CandBackendColumn.backup: {
      const n = enumValue(v, TruthValue);
      return isFailure(n) ? n : (r) => void (r.backup = n === 'true');
    }
    default: {
      const n = enumValue(v, AdminStateCode);
      return isFailure(n) ? n : (r) => void (r.adminState = n);
    }
  }
}
