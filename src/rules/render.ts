/**
 * A canonical RuleTable written back in the dialect operators write (examples/*.yaml), the
 * inverse of document.ts's toCanonical: kebab-case keys, durations with units (`2s`, `500ms`,
 * `5m`), every value equal to the default the loader fills in left out. As YAML (backends and
 * small blocks in flow style) or as the same document in JSON. Invariant: `loadRules(renderRules(t))`
 * is `t` again for either format, so the config id survives (a property test holds it to that).
 */

import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import { formatDuration } from '../protocol/rules/duration.js';
import { DEFAULTS, type Backend, type HealthCheck, type RuleTable, type Service } from '../protocol/rules/model.js';

export const RULE_FORMATS = ['yaml', 'json'] as const;
export type RuleFormat = (typeof RULE_FORMATS)[number];

export interface RenderOptions {
  /** Comment lines written above `services:` (without the leading `#`; YAML only). */
  header?: readonly string[];
  /** Default yaml. */
  format?: RuleFormat;
}

type Mapping = Record<string, unknown>;

/** The table as the document an operator writes: what `--json` outputs carry, so they can be fed back. */
export function ruleDocument(table: RuleTable): { services: Mapping[] } {
  return { services: table.services.map(serviceDocument) };
}

export function renderRules(table: RuleTable, options: RenderOptions = {}): string {
  if (options.format === 'json') return `${JSON.stringify(ruleDocument(table), null, 2)}\n`;
  const doc = new Document(ruleDocument(table));
  const services = doc.get('services', true);
  if (isSeq(services)) {
    services.items.forEach((item, index) => {
      if (!isMap(item)) return;
      if (index > 0) item.spaceBefore = true;
      for (const key of ['persistence', 'health']) flow(item.get(key, true));
      const backends = item.get('backends', true);
      if (isSeq(backends)) backends.items.forEach(flow);
    });
    if (services.items.length === 0) services.flow = true;
  }
  if (options.header !== undefined && options.header.length > 0) {
    doc.commentBefore = options.header.map((line) => (line === '' ? '' : ` ${line}`)).join('\n');
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}

function flow(node: unknown): void {
  if (isMap(node)) (node as YAMLMap).flow = true;
}

function serviceDocument(service: Service): Mapping {
  const out: Mapping = { name: service.name, listen: service.listen };
  if (service.protocol !== DEFAULTS.protocol) out.protocol = service.protocol;
  if (service.algorithm !== DEFAULTS.algorithm) out.algorithm = service.algorithm;
  if (service.algorithm === 'maglev') {
    if (service.hashKey !== DEFAULTS.hashKey) out['hash-key'] = service.hashKey;
    if (service.maglevTableSize !== DEFAULTS.maglevTableSize) out['maglev-table-size'] = service.maglevTableSize;
  }
  if (service.persistence !== null) {
    const persistence: Mapping = { type: service.persistence.type };
    if (service.persistence.timeoutMs !== DEFAULTS.persistenceTimeoutMs) persistence.timeout = formatDuration(service.persistence.timeoutMs);
    out.persistence = persistence;
  }
  if (service.health !== null) out.health = healthDocument(service.health);
  if (service.fallback !== null) out.fallback = service.fallback;
  if (service.idleTimeoutMs !== DEFAULTS.idleTimeoutMs[service.protocol]) out['idle-timeout'] = formatDuration(service.idleTimeoutMs);
  out.backends = service.backends.map(backendDocument);
  return out;
}

function healthDocument(health: HealthCheck): Mapping {
  const defaults = DEFAULTS.health;
  const out: Mapping = { type: health.type };
  if (health.type === 'http') {
    if (health.path !== defaults.path) out.path = health.path;
    const expect = expectText(health.expectStatus);
    if (expect !== null) out.expect = expect;
  }
  if (health.intervalMs !== defaults.intervalMs) out.interval = formatDuration(health.intervalMs);
  if (health.timeoutMs !== defaults.timeoutMs) out.timeout = formatDuration(health.timeoutMs);
  if (health.rise !== defaults.rise) out.rise = health.rise;
  if (health.fall !== defaults.fall) out.fall = health.fall;
  return out;
}

/** `2xx` for a whole class, `200` for one code, `200-399` otherwise; null for the default range. */
function expectText([low, high]: [number, number]): string | number | null {
  const [defaultLow, defaultHigh] = DEFAULTS.health.expectStatus;
  if (low === defaultLow && high === defaultHigh) return null;
  if (low === high) return low;
  if (low % 100 === 0 && high === low + 99) return `${low / 100}xx`;
  return `${low}-${high}`;
}

function backendDocument(backend: Backend): Mapping {
  const out: Mapping = { address: backend.address };
  if (backend.weight !== DEFAULTS.weight) out.weight = backend.weight;
  if (backend.maxConnections !== DEFAULTS.maxConnections) out['max-connections'] = backend.maxConnections;
  if (backend.backup !== DEFAULTS.backup) out.backup = backend.backup;
  if (backend.state !== DEFAULTS.state) out.state = backend.state;
  return out;
}
