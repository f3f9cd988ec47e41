/** What one HAProxy proxy section holds once read (proxy.ts reads it; the other steps use it). */

import type { Directive } from '../syntax.js';
import type { Section } from './parse.js';
import type { ServerLine, ServerParams } from './server.js';

export type ProxyKind = 'defaults' | 'frontend' | 'backend' | 'listen';

export interface Located<T> {
  value: T;
  at: Directive;
}

export const TIMEOUTS = ['client', 'server', 'connect', 'check', 'tunnel'] as const;
export type TimeoutName = (typeof TIMEOUTS)[number];

/** Protocol checks HAProxy runs after connecting; Fulcrum keeps the connect. */
export const PROTOCOL_CHECKS = ['mysql-check', 'pgsql-check', 'redis-check', 'smtpchk', 'ldap-check', 'ssl-hello-chk', 'spop-check'];

export interface ProxyConfig {
  kind: ProxyKind;
  name: string;
  section: Section;
  from: string | null;
  mode?: Located<string>;
  balance?: Located<{ algorithm: string; arg: string | null }>;
  hashType?: Located<string>;
  timeouts: Partial<Record<TimeoutName, Located<number>>>;
  /** `httpchk`, `tcp-check` or one of PROTOCOL_CHECKS. */
  check?: Located<string>;
  httpRequest?: Located<{ method: string; path: string }>;
  expect?: Located<[number, number]>;
  checkPort?: Located<number>;
  defaultServer: ServerParams;
  servers: ServerLine[];
  binds: Directive[];
  defaultBackend?: Located<string>;
  useBackends: Directive[];
  /** ACLs on nbsrv(), kept for the sorry-backend pattern; every other ACL is reported when read. */
  acls: Map<string, Directive>;
  stickTable?: Located<{ type: string; expireMs: number | null }>;
  stickSource?: Directive;
  allBackups?: Directive;
  disabled?: Directive;
  stats: Directive[];
  /** Settings cancelled with `no option …`, so a defaults value does not come back. */
  cancelled: Set<string>;
}
