import type { Backend, RuleTable, Service } from '../protocol/rules/model.js';

export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

export interface ServiceChange {
  name: string;
  changes: FieldChange[];
}

export interface Plan {
  added: { name: string; listen: string; protocol: string; backends: number }[];
  changed: ServiceChange[];
  removed: { name: string; listen: string }[];
}

const SERVICE_FIELDS = ['listen', 'protocol', 'algorithm', 'hashKey', 'maglevTableSize', 'persistence', 'health', 'fallback', 'idleTimeoutMs'] as const;
const BACKEND_FIELDS = ['weight', 'maxConnections', 'backup', 'state'] as const;

/** What applying `next` over `current` changes, service by service (matched by name) and backend by address. */
export function plan(current: RuleTable, next: RuleTable): Plan {
  const before = new Map(current.services.map((s) => [s.name, s]));
  const after = new Map(next.services.map((s) => [s.name, s]));
  const result: Plan = { added: [], changed: [], removed: [] };
  for (const s of next.services) {
    const old = before.get(s.name);
    if (!old) {
      result.added.push({ name: s.name, listen: s.listen, protocol: s.protocol, backends: s.backends.length });
      continue;
    }
    const changes = serviceChanges(old, s);
    if (changes.length > 0) result.changed.push({ name: s.name, changes });
  }
  for (const s of current.services) if (!after.has(s.name)) result.removed.push({ name: s.name, listen: s.listen });
  return result;
}

function serviceChanges(old: Service, next: Service): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const f of SERVICE_FIELDS) {
    if (!same(old[f], next[f])) changes.push({ path: f, from: old[f], to: next[f] });
  }
  const before = new Map(old.backends.map((b) => [b.address, b]));
  const after = new Map(next.backends.map((b) => [b.address, b]));
  for (const b of next.backends) {
    const was = before.get(b.address);
    if (!was) changes.push({ path: `backends[${b.address}]`, from: null, to: backendSummary(b) });
    else for (const f of BACKEND_FIELDS) if (was[f] !== b[f]) changes.push({ path: `backends[${b.address}].${f}`, from: was[f], to: b[f] });
  }
  for (const b of old.backends) if (!after.has(b.address)) changes.push({ path: `backends[${b.address}]`, from: backendSummary(b), to: null });
  return changes;
}

function backendSummary(b: Backend) {
  return { weight: b.weight, maxConnections: b.maxConnections, backup: b.backup, state: b.state };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function planIsEmpty(p: Plan): boolean {
  return p.added.length + p.changed.length + p.removed.length === 0;
}
