/**
 * The appliances the agent manages: name, how to reach it, and the credentials to use. Lives
 * in the agent's database (mode 0600, see database.ts); credentials holding secrets are sealed
 * with the key file (secrets.ts), so the row never holds a community or v3 key in clear.
 */
import { TARGET_FORMS, targetKind } from '../../drivers/targets.js';

/** SNMPv2c (labs). */
export interface CommunityCredentials {
  community: string;
}

/** SNMPv3 USM: authPriv is the recommended default. Keys are the pass phrases as configured. */
export interface UsmCredentials {
  user: string;
  authProtocol?: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  authKey?: string;
  privProtocol?: 'des' | 'aes' | 'aes256b' | 'aes256r';
  privKey?: string;
}

/** Serial targets need none: `{}`. */
export type Credentials = CommunityCredentials | UsmCredentials | Record<string, never>;

export interface ApplianceRecord {
  name: string;
  /** One of TARGET_FORMS (drivers/targets.ts). */
  target: string;
  credentials: Credentials;
  /** ms since the epoch. */
  created: number;
  /** Where it is: only agents of this site poll it on a shared store. Absent: DEFAULT_SITE. */
  site?: string;
}

export interface NewAppliance {
  name: string;
  target: string;
  credentials?: Credentials;
  site?: string;
}

export const DEFAULT_SITE = 'default';

const SITE = /^[A-Za-z0-9._-]{1,64}$/;

/** A site name (the same rule as appliance names); throws InventoryError('invalid'). */
export function checkSite(site: unknown): string {
  if (typeof site !== 'string' || !SITE.test(site))
    throw new InventoryError('invalid', `site ${JSON.stringify(site)} is not valid: use 1–64 letters, digits, ".", "_" or "-"`);
  return site;
}

/** The record's site field: absent for the default, so records of a one-site fleet look as they always did. */
export const siteField = (site: string): { site?: string } => (site === DEFAULT_SITE ? {} : { site });

export type InventoryErrorCode = 'invalid' | 'duplicate' | 'notFound';

/** A request the inventory refuses; `code` says why, the message says it to a person. */
export class InventoryError extends Error {
  override readonly name = 'InventoryError';

  constructor(
    readonly code: InventoryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Which kind of secret is stored, never the secret: what every listing (API, CLI) shows of credentials. */
export function credentialKind(c: Credentials): 'v2c community' | 'v3 authPriv' | 'none' {
  return 'community' in c ? 'v2c community' : 'user' in c ? 'v3 authPriv' : 'none';
}

export interface Inventory {
  add(appliance: NewAppliance, now?: number): Promise<ApplianceRecord>;
  list(): Promise<ApplianceRecord[]>;
  /** The names alone, in order: nothing sealed is opened (shell completion reads them). */
  names(): Promise<string[]>;
  get(name: string): Promise<ApplianceRecord | null>;
  /** Throws InventoryError('notFound') for an unknown name. Metrics stay until retention drops them. */
  remove(name: string): Promise<void>;
  /** A new target and/or credentials for an appliance; throws InventoryError('notFound') for an unknown name. */
  update(name: string, change: ApplianceChange): Promise<ApplianceRecord>;
}

/** What `update` may change: absent fields stay as they are. */
export interface ApplianceChange {
  target?: string;
  credentials?: Credentials;
  site?: string;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function checkApplianceName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InventoryError('invalid', `appliance name ${JSON.stringify(name)} is not valid: use 1–64 letters, digits, ".", "_" or "-"`);
  }
  return name;
}

export function checkTarget(target: unknown): string {
  if (typeof target === 'string' && targetKind(target) === 'serial') return target;
  if (typeof target === 'string' && targetKind(target) === 'haproxy') {
    // The driver parses it in full when it connects; here: a URL with a socket (HOST:PORT or a path).
    try {
      const url = new URL(target);
      if ((url.hostname !== '' && Number(url.port) > 0) || (url.hostname === '' && url.pathname.length > 1)) return target;
    } catch {
      // reported below
    }
  }
  if (typeof target === 'string' && (targetKind(target) === 'snmp' || targetKind(target) === 'console')) {
    try {
      const url = new URL(target);
      if (url.hostname !== '' && (url.port === '' || Number(url.port) > 0)) return target;
    } catch {
      // reported below
    }
  }
  throw new InventoryError('invalid', `target ${JSON.stringify(target)} is not valid: use ${TARGET_FORMS}`);
}

const AUTH = new Set(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']);
const PRIV = new Set(['des', 'aes', 'aes256b', 'aes256r']);

export function checkCredentials(c: unknown): Credentials {
  const bad = (why: string): never => {
    throw new InventoryError('invalid', `credentials: ${why}`);
  };
  if (c === undefined) return {};
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return bad('expected an object');
  const o = c as Record<string, unknown>;
  const strings = (...fields: string[]) => {
    for (const f of fields) if (o[f] !== undefined && (typeof o[f] !== 'string' || o[f] === '')) bad(`${f} must be a non-empty string`);
  };
  const known = (allowed: string[]) => {
    for (const f of Object.keys(o)) if (!allowed.includes(f)) bad(`unknown field "${f}"`);
  };
  if ('community' in o) {
    known(['community']);
    strings('community');
    return { community: o.community as string };
  }
  if ('user' in o) {
    known(['user', 'authProtocol', 'authKey', 'privProtocol', 'privKey']);
    strings('user', 'authProtocol', 'authKey', 'privProtocol', 'privKey');
    if (o.authProtocol !== undefined && !AUTH.has(o.authProtocol as string)) bad(`authProtocol must be one of ${[...AUTH].join(', ')}`);
    if (o.privProtocol !== undefined && !PRIV.has(o.privProtocol as string)) bad(`privProtocol must be one of ${[...PRIV].join(', ')}`);
    if ((o.authProtocol === undefined) !== (o.authKey === undefined)) bad('authProtocol and authKey go together');
    if ((o.privProtocol === undefined) !== (o.privKey === undefined)) bad('privProtocol and privKey go together');
    if (o.privKey !== undefined && o.authKey === undefined) bad('privacy needs authentication (authPriv)');
    return { ...o } as unknown as UsmCredentials;
  }
  known([]);
  return {};
}
