/**
 * Drafts from an importer → one valid canonical RuleTable. Whatever a source format allows but a
 * rule table does not (a backend equal to the listen address, a timeout out of range, two services
 * on one address: listeners.ts) is fixed or dropped here, each time with a report entry at the source line, so
 * the table returned always passes the loader and the report says what changed.
 */

import { canonicalize, compareNames } from '../protocol/rules/canonical.js';
import { formatDuration } from '../protocol/rules/duration.js';
import { canonicalProblems } from '../protocol/rules/invariants.js';
import {
  DURATION_LIMITS,
  HEALTH_COUNT_MAX,
  HEALTH_COUNT_MIN,
  httpPathProblem,
  MAX_CONNECTIONS_MAX,
  nameProblem,
  WEIGHT_MAX,
  type DurationField,
} from '../protocol/rules/limits.js';
import { formatPath } from '../protocol/rules/problems.js';
import { DEFAULTS, type Backend, type HealthCheck, type RuleTable, type Service } from '../protocol/rules/model.js';
import { isWildcard } from './address.js';
import { numbered, serviceName, type Origin, type ServiceDraft } from './draft.js';
import { ListenerSet } from './listeners.js';
import type { ImportReport } from './report.js';

export function assemble(drafts: readonly ServiceDraft[], report: ImportReport): RuleTable {
  const services: Service[] = [];
  const names = new Set<string>();
  const listeners = new ListenerSet();
  for (const draft of drafts) {
    const service = fixService(draft, report);
    if (service === null) continue;
    service.name = validName(service.name, draft.origin, report);
    const problems = canonicalProblems(canonicalize({ services: [service] }));
    if (problems.length > 0) {
      // Only reachable if a mapper let something through; dropping keeps the result loadable.
      const detail = problems.map((p) => `${formatPath(p.path)}: ${p.message}`).join('; ');
      report.omit(draft.origin.line, draft.origin.directive, `cannot be expressed as a service (${detail}); not imported`);
      continue;
    }
    if (listeners.admit(service, draft.origin, report) !== 'add') continue;
    service.name = uniqueName(service.name, names, draft.origin, report);
    names.add(service.name);
    services.push(service);
  }
  services.sort((a, b) => compareNames(a.name, b.name));
  return canonicalize({ services });
}

function validName(wanted: string, origin: Origin, report: ImportReport): string {
  const name = serviceName(wanted);
  if (name !== wanted || nameProblem(name) !== null) {
    report.omit(origin.line, origin.directive, `name "${wanted}" is not a Fulcrum service name; renamed "${name}"`);
  }
  return name;
}

function uniqueName(name: string, taken: Set<string>, origin: Origin, report: ImportReport): string {
  if (!taken.has(name)) return name;
  for (let i = 1; ; i++) {
    const candidate = numbered(name, i);
    if (!taken.has(candidate)) {
      report.omit(origin.line, origin.directive, `another service is already named "${name}"; renamed "${candidate}"`);
      return candidate;
    }
  }
}

function fixService(draft: ServiceDraft, report: ImportReport): Service | null {
  const at = draft.origin;
  const seen = new Set<string>();
  const backends: Backend[] = [];
  for (const backend of draft.backends) {
    const here = backend.origin;
    if (isWildcard(backend.address)) {
      report.omit(here.line, here.directive, `${backend.address} is the unspecified address, not a destination; backend not imported`);
      continue;
    }
    if (backend.address === draft.listen) {
      report.omit(here.line, here.directive, `${backend.address} is the service's own listen address (flows would loop); backend not imported`);
      continue;
    }
    if (seen.has(backend.address)) {
      report.omit(here.line, here.directive, `${backend.address} is listed twice in one service; the first is kept`);
      continue;
    }
    seen.add(backend.address);
    const { origin: _origin, ...model } = backend;
    backends.push({
      ...model,
      weight: clampInt(model.weight, 0, WEIGHT_MAX, here, 'weight', report),
      maxConnections: clampInt(model.maxConnections, 0, MAX_CONNECTIONS_MAX, here, 'connection limit', report),
    });
  }
  if (backends.length === 0) {
    report.omit(at.line, at.directive, 'no backend with an IP address and port remains; service not imported');
    return null;
  }
  let fallback = draft.fallback?.address ?? null;
  if (draft.fallback !== null && (isWildcard(draft.fallback.address) || draft.fallback.address === draft.listen)) {
    report.omit(
      draft.fallback.origin.line,
      draft.fallback.origin.directive,
      `${draft.fallback.address} cannot be a fallback (unspecified or the listen address); not imported`,
    );
    fallback = null;
  }
  const { origin: _origin, backends: _drafts, fallback: _fallback, ...rest } = draft;
  return {
    ...rest,
    idleTimeoutMs: clampDuration(draft.idleTimeoutMs, 'idleTimeout', at, 'idle timeout', report),
    persistence:
      draft.persistence === null
        ? null
        : { ...draft.persistence, timeoutMs: clampDuration(draft.persistence.timeoutMs, 'persistenceTimeout', at, 'persistence timeout', report) },
    health: draft.health === null ? null : fixHealth(draft.health, at, report),
    fallback,
    backends,
  };
}

function fixHealth(health: HealthCheck, at: Origin, report: ImportReport): HealthCheck {
  const intervalMs = clampDuration(health.intervalMs, 'healthInterval', at, 'health check interval', report);
  let timeoutMs = clampDuration(health.timeoutMs, 'healthTimeout', at, 'health check timeout', report);
  if (timeoutMs > intervalMs) {
    report.omit(
      at.line,
      at.directive,
      `health check timeout ${formatDuration(timeoutMs)} is longer than the interval ${formatDuration(intervalMs)}; shortened to the interval`,
    );
    timeoutMs = intervalMs;
  }
  const rise = clampInt(health.rise, HEALTH_COUNT_MIN, HEALTH_COUNT_MAX, at, 'rise count', report);
  const fall = clampInt(health.fall, HEALTH_COUNT_MIN, HEALTH_COUNT_MAX, at, 'fall count', report);
  if (health.type === 'tcp') return { type: 'tcp', intervalMs, timeoutMs, rise, fall, path: '', expectStatus: [0, 0] };
  let path = health.path;
  const problem = httpPathProblem(path);
  if (problem !== null) {
    report.omit(at.line, at.directive, `health check path "${path}" ${problem}; "${DEFAULTS.health.path}" is used`);
    path = DEFAULTS.health.path;
  }
  const [low, high] = health.expectStatus;
  const valid = low >= 100 && high <= 599 && low <= high;
  if (!valid) report.omit(at.line, at.directive, `expected status ${low}-${high} is not within 100-599; the default 200-399 is used`);
  const expectStatus: [number, number] = valid ? [low, high] : [...DEFAULTS.health.expectStatus];
  return { type: 'http', intervalMs, timeoutMs, rise, fall, path, expectStatus };
}

function clampInt(value: number, min: number, max: number, at: Origin, what: string, report: ImportReport): number {
  const integer = Math.round(value);
  const clamped = Math.min(max, Math.max(min, integer));
  if (clamped !== value) report.omit(at.line, at.directive, `${what} ${value} is outside ${min}..${max}; ${clamped} is used`);
  return clamped;
}

function clampDuration(ms: number, field: DurationField, at: Origin, what: string, report: ImportReport): number {
  const { min, max } = DURATION_LIMITS[field];
  const whole = Math.ceil(ms);
  const clamped = Math.min(max, Math.max(min, whole));
  if (clamped !== ms) {
    const shown = Number.isSafeInteger(ms) && ms >= 0 ? formatDuration(ms) : Number.isFinite(ms) ? `${ms}ms` : 'unlimited';
    report.omit(at.line, at.directive, `${what} ${shown} is outside ${formatDuration(min)}..${formatDuration(max)}; ${formatDuration(clamped)} is used`);
  }
  return clamped;
}
