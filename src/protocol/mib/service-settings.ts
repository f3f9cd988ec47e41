/**
 * The service settings FULCRUM-MIB carries as columns of their own (hash key, Maglev table size,
 * persistence, idle timeout, health check), in one place for both sides: the candidate tables
 * (fulcrumCandServiceEntry 8..20, written by the agent's driver and checked by the firmware) and
 * the running table (fulcrumRunServiceEntry 6..18, served by the firmware and read by the driver).
 *
 * Invariant: `withSettings(core, settingsOf(service))` is `service` again for every canonical
 * service, so a table written or read column by column keeps its config id. Settings a service
 * does not use (a health path without an http check, Maglev settings of another algorithm)
 * show the rule table's defaults, which canonical form holds for them too.
 */

import { DEFAULTS, type Backend, type HashKey, type HealthType, type Protocol, type Service } from '../rules/model.js';
import {
  DURATION_LIMITS,
  HEALTH_COUNT_MAX,
  HEALTH_COUNT_MIN,
  HTTP_PATH_MAX_LENGTH,
  MAGLEV_TABLE_MAX,
  MAGLEV_TABLE_MIN,
  STATUS_MAX,
  STATUS_MIN,
  httpPathProblem,
  maglevTableSizeProblem,
} from '../rules/limits.js';
import { HashKeyCode, HealthTypeCode, PersistenceTypeCode } from './fulcrum-mib.js';
import { SmiType } from './smi.js';

export type PersistenceChoice = keyof typeof PersistenceTypeCode;
export type HealthChoice = HealthType | 'none';

export interface ServiceSettings {
  hashKey: HashKey;
  maglevTableSize: number;
  persistenceType: PersistenceChoice;
  /** ms */
  persistenceTimeout: number;
  /** ms */
  idleTimeout: number;
  healthType: HealthChoice;
  /** ms */
  healthInterval: number;
  /** ms */
  healthTimeout: number;
  healthRise: number;
  healthFall: number;
  healthPath: string;
  healthExpectLow: number;
  healthExpectHigh: number;
}

export type SettingField = keyof ServiceSettings;

/** Column order: CandServiceColumn 8.. and RunServiceColumn 6.. follow it. */
export const SETTING_FIELDS = [
  'hashKey',
  'maglevTableSize',
  'persistenceType',
  'persistenceTimeout',
  'idleTimeout',
  'healthType',
  'healthInterval',
  'healthTimeout',
  'healthRise',
  'healthFall',
  'healthPath',
  'healthExpectLow',
  'healthExpectHigh',
] as const satisfies readonly SettingField[];

/**
 * How a setting goes on the wire and what one varbind alone may hold (the MIB's SYNTAX). Checks
 * that need other settings or the backends (timeout within interval, low <= high, a Maglev table
 * larger than the backend count) belong to the whole table: canonicalProblems at commit.
 */
export type SettingSpec =
  | { kind: 'enum'; codes: Readonly<Record<string, number>> }
  | { kind: 'unsigned'; min: number; max: number; problem?: (n: number) => string | null }
  | { kind: 'text'; min: number; max: number; problem: (s: string) => string | null };

const ms = (limits: { min: number; max: number }): SettingSpec => ({ kind: 'unsigned', ...limits });
const count: SettingSpec = { kind: 'unsigned', min: HEALTH_COUNT_MIN, max: HEALTH_COUNT_MAX };
const status: SettingSpec = { kind: 'unsigned', min: STATUS_MIN, max: STATUS_MAX };

export const SETTING_SPECS: Readonly<Record<SettingField, SettingSpec>> = {
  hashKey: { kind: 'enum', codes: HashKeyCode },
  maglevTableSize: { kind: 'unsigned', min: MAGLEV_TABLE_MIN, max: MAGLEV_TABLE_MAX, problem: maglevTableSizeProblem },
  persistenceType: { kind: 'enum', codes: PersistenceTypeCode },
  persistenceTimeout: ms(DURATION_LIMITS.persistenceTimeout),
  idleTimeout: ms(DURATION_LIMITS.idleTimeout),
  healthType: { kind: 'enum', codes: HealthTypeCode },
  healthInterval: ms(DURATION_LIMITS.healthInterval),
  healthTimeout: ms(DURATION_LIMITS.healthTimeout),
  healthRise: count,
  healthFall: count,
  healthPath: { kind: 'text', min: 1, max: HTTP_PATH_MAX_LENGTH, problem: httpPathProblem },
  healthExpectLow: status,
  healthExpectHigh: status,
};

/** The settings `service` runs with, defaults where a setting does not apply. */
export function settingsOf(service: Service): ServiceSettings {
  const h = service.health;
  const http = h?.type === 'http';
  return {
    hashKey: service.hashKey,
    maglevTableSize: service.maglevTableSize,
    persistenceType: service.persistence ? service.persistence.type : 'none',
    persistenceTimeout: service.persistence?.timeoutMs ?? DEFAULTS.persistenceTimeoutMs,
    idleTimeout: service.idleTimeoutMs,
    healthType: h ? h.type : 'none',
    healthInterval: h?.intervalMs ?? DEFAULTS.health.intervalMs,
    healthTimeout: h?.timeoutMs ?? DEFAULTS.health.timeoutMs,
    healthRise: h?.rise ?? DEFAULTS.health.rise,
    healthFall: h?.fall ?? DEFAULTS.health.fall,
    healthPath: http ? h.path : DEFAULTS.health.path,
    healthExpectLow: http ? h.expectStatus[0] : DEFAULTS.health.expectStatus[0],
    healthExpectHigh: http ? h.expectStatus[1] : DEFAULTS.health.expectStatus[1],
  };
}

/** What a new service gets when nothing is said: the rule table's defaults. */
export function defaultSettings(protocol: Protocol): ServiceSettings {
  return {
    hashKey: DEFAULTS.hashKey,
    maglevTableSize: DEFAULTS.maglevTableSize,
    persistenceType: 'none',
    persistenceTimeout: DEFAULTS.persistenceTimeoutMs,
    idleTimeout: DEFAULTS.idleTimeoutMs[protocol],
    healthType: 'none',
    healthInterval: DEFAULTS.health.intervalMs,
    healthTimeout: DEFAULTS.health.timeoutMs,
    healthRise: DEFAULTS.health.rise,
    healthFall: DEFAULTS.health.fall,
    healthPath: DEFAULTS.health.path,
    healthExpectLow: DEFAULTS.health.expectStatus[0],
    healthExpectHigh: DEFAULTS.health.expectStatus[1],
  };
}

export type ServiceCore = Pick<Service, 'name' | 'listen' | 'protocol' | 'algorithm' | 'fallback'> & { backends: Backend[] };

/** A service of the rule table from its columns (not canonicalized, not checked). */
export function withSettings(core: ServiceCore, s: ServiceSettings): Service {
  const http = s.healthType === 'http';
  return {
    ...core,
    hashKey: s.hashKey,
    maglevTableSize: s.maglevTableSize,
    persistence: s.persistenceType === 'none' ? null : { type: s.persistenceType, timeoutMs: s.persistenceTimeout },
    health:
      s.healthType === 'none'
        ? null
        : {
            type: s.healthType,
            intervalMs: s.healthInterval,
            timeoutMs: s.healthTimeout,
            rise: s.healthRise,
            fall: s.healthFall,
            // A tcp check has no path or status range: canonical form holds '' and [0, 0].
            path: http ? s.healthPath : '',
            expectStatus: http ? [s.healthExpectLow, s.healthExpectHigh] : [0, 0],
          },
    idleTimeoutMs: s.idleTimeout,
  };
}

/** One setting as a varbind's type and value: enumerations as INTEGER codes, numbers as Unsigned32, text as UTF-8. */
export function settingValue(field: SettingField, settings: ServiceSettings): { type: number; value: number | string } {
  const spec = SETTING_SPECS[field];
  const v = settings[field];
  if (spec.kind === 'enum') return { type: SmiType.Integer, value: spec.codes[v as string]! };
  if (spec.kind === 'text') return { type: SmiType.OctetString, value: v as string };
  return { type: SmiType.Gauge32, value: v as number };
}

export type SettingCheck<T> = { ok: true; value: T } | { ok: false; reason: 'wrongType' | 'wrongLength' | 'wrongValue'; message: string };

/**
 * A varbind's value as the setting, checked against what one varbind may hold: the type, the
 * length of text, the range of numbers and the contract's own rules (a prime table size, a
 * path of visible ASCII). Octet strings come as bytes or text.
 */
export function parseSetting<F extends SettingField>(field: F, type: number, raw: unknown): SettingCheck<ServiceSettings[F]> {
  const spec = SETTING_SPECS[field];
  const ok = (value: unknown): SettingCheck<ServiceSettings[F]> => ({ ok: true, value: value as ServiceSettings[F] });
  if (spec.kind === 'enum') {
    if (type !== SmiType.Integer) return { ok: false, reason: 'wrongType', message: `wrong type ${type}: an INTEGER enumeration` };
    const hit = Object.entries(spec.codes).find(([, code]) => code === raw);
    return hit ? ok(hit[0]) : { ok: false, reason: 'wrongValue', message: `${String(raw)} is not one of ${describeCodes(spec.codes)}` };
  }
  if (spec.kind === 'unsigned') {
    if (type !== SmiType.Gauge32) return { ok: false, reason: 'wrongType', message: `wrong type ${type}: an Unsigned32` };
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < spec.min || raw > spec.max)
      return { ok: false, reason: 'wrongValue', message: `${String(raw)} is not ${spec.min}..${spec.max}` };
    const problem = spec.problem?.(raw);
    return problem ? { ok: false, reason: 'wrongValue', message: problem } : ok(raw);
  }
  if (type !== SmiType.OctetString) return { ok: false, reason: 'wrongType', message: `wrong type ${type}: an OCTET STRING` };
  const bytes = raw instanceof Uint8Array ? raw : typeof raw === 'string' ? new TextEncoder().encode(raw) : null;
  if (!bytes) return { ok: false, reason: 'wrongType', message: 'not an octet string' };
  if (bytes.length < spec.min || bytes.length > spec.max) return { ok: false, reason: 'wrongLength', message: `must be ${spec.min}..${spec.max} bytes` };
  const text = new TextDecoder().decode(bytes);
  const problem = spec.problem(text);
  return problem ? { ok: false, reason: 'wrongValue', message: `"${text}": ${problem}` } : ok(text);
}

function describeCodes(codes: Readonly<Record<string, number>>): string {
  return Object.entries(codes)
    .map(([name, code]) => `${name}(${code})`)
    .join(', ');
}
