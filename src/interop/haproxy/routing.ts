/**
 * Which backend a frontend's connections go to. `default_backend` (or, in a listen, the section
 * itself) is the service's pool; an unconditional `use_backend` overrides it; the sorry-server
 * pattern `use_backend SORRY if { nbsrv(POOL) eq 0 }` (or `lt 1`, or a named nbsrv ACL) becomes
 * the service's fallback. Any other ACL-based `use_backend` is routing by content: reported.
 */

import type { ImportReport } from '../report.js';
import { directiveText, type Directive } from '../syntax.js';
import type { ProxyConfig } from './proxy.js';

export interface Route {
  /** The pool's backend name, or null when the frontend names none. */
  pool: string | null;
  poolAt: Directive | null;
  fallback: { backend: string; at: Directive } | null;
  /** Backends reached only through a reported ACL rule. */
  byAcl: { backend: string; at: Directive }[];
}

export function routeOf(front: ProxyConfig, report: ImportReport): Route {
  let unconditional: Directive | undefined;
  const candidates: { backend: string; watched: string; at: Directive }[] = [];
  const byAcl: Route['byAcl'] = [];
  const usedAcls = new Set<string>();
  for (const rule of front.useBackends) {
    const [backend = '', ...condition] = rule.args;
    if (condition.length === 0) {
      unconditional ??= rule;
      continue;
    }
    const watched = watchedPool(condition, front, usedAcls);
    if (watched !== null) candidates.push({ backend, watched, at: rule });
    else byAcl.push({ backend, at: rule });
  }
  const poolAt = unconditional ?? front.defaultBackend?.at ?? null;
  const pool = unconditional?.args[0] ?? front.defaultBackend?.value ?? (front.kind === 'listen' ? front.name : null);
  let fallback: Route['fallback'] = null;
  for (const candidate of candidates) {
    const watchesPool = candidate.watched === pool || (candidate.watched === '' && front.kind === 'listen');
    if (fallback === null && watchesPool) fallback = { backend: candidate.backend, at: candidate.at };
    else byAcl.push({ backend: candidate.backend, at: candidate.at });
  }
  for (const rule of byAcl) {
    report.omit(rule.at.line, directiveText(rule.at), 'routing by ACL is not carried: only the default backend is imported for this frontend');
  }
  for (const [name, acl] of front.acls) {
    if (!usedAcls.has(name)) report.omit(acl.line, directiveText(acl), 'ACLs are not carried (only an nbsrv ACL guarding a sorry backend is)');
  }
  return { pool, poolAt, fallback, byAcl };
}

/** The backend whose emptiness the condition tests (`''` for the current one), or null. */
function watchedPool(condition: string[], front: ProxyConfig, usedAcls: Set<string>): string | null {
  const [keyword, ...rest] = condition;
  if (keyword !== 'if' && keyword !== 'unless') return null;
  const wantEmpty = keyword === 'if';
  if (rest[0] === '{' && rest[rest.length - 1] === '}') return nbsrvTest(rest.slice(1, -1), wantEmpty);
  if (rest.length === 1) {
    const acl = front.acls.get(rest[0]!);
    if (acl === undefined) return null;
    const watched = nbsrvTest(acl.args.slice(1), wantEmpty);
    if (watched !== null) usedAcls.add(rest[0]!);
    return watched;
  }
  return null;
}

/** `nbsrv(B) eq 0` / `lt 1` / `le 0` when testing for empty; `gt 0` / `ge 1` under `unless`. */
function nbsrvTest(words: string[], wantEmpty: boolean): string | null {
  const [fetch = '', operator, value] = words;
  const m = /^nbsrv(?:\(([^)]*)\))?$/.exec(fetch);
  if (m === null || words.length !== 3) return null;
  const empty = (operator === 'eq' && value === '0') || (operator === 'lt' && value === '1') || (operator === 'le' && value === '0');
  const nonEmpty = (operator === 'gt' && value === '0') || (operator === 'ge' && value === '1');
  if (wantEmpty ? !empty : !nonEmpty) return null;
  return m[1] ?? '';
}
