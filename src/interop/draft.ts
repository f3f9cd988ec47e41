/**
 * A service as an importer builds it: model values (canonical endpoint spellings, milliseconds)
 * plus the source line each part came from, so assemble() can report against the file whatever
 * it has to drop or clamp. Drafts may break the table's rules; assemble() makes them valid.
 */

import { DEFAULTS, type Algorithm, type Backend, type Protocol, type Service } from '../protocol/rules/model.js';

export interface Origin {
  line: number;
  /** The directive as written, for report entries. */
  directive: string;
}

export interface BackendDraft extends Backend {
  origin: Origin;
}

export interface ServiceDraft extends Omit<Service, 'backends' | 'fallback'> {
  origin: Origin;
  backends: BackendDraft[];
  fallback: { address: string; origin: Origin } | null;
}

export function newService(name: string, listen: string, protocol: Protocol, origin: Origin): ServiceDraft {
  return {
    name,
    listen,
    protocol,
    algorithm: DEFAULTS.algorithm,
    hashKey: DEFAULTS.hashKey,
    maglevTableSize: DEFAULTS.maglevTableSize,
    persistence: null,
    health: null,
    fallback: null,
    idleTimeoutMs: DEFAULTS.idleTimeoutMs[protocol],
    backends: [],
    origin,
  };
}

export function newBackend(address: string, origin: Origin): BackendDraft {
  return {
    address,
    weight: DEFAULTS.weight,
    maxConnections: DEFAULTS.maxConnections,
    backup: DEFAULTS.backup,
    state: DEFAULTS.state,
    origin,
  };
}

/**
 * True when every non-zero weight is the same. Weight 0 means "no new flows" to every scheduler,
 * so it does not make a pool weighted; equal weights make a weighted scheduler behave exactly
 * like its plain twin (Fulcrum's plain schedulers treat weight as on/off).
 */
export function uniformWeights(weights: readonly number[]): boolean {
  const nonZero = weights.filter((w) => w > 0);
  return nonZero.every((w) => w === nonZero[0]);
}

/**
 * HAProxy's roundrobin/leastconn and nginx's default/least_conn are always weighted; Fulcrum has a
 * plain and a weighted variant of each. Equal weights read as the plain one (what such a file
 * means and what an operator would write), different weights as the weighted one.
 */
export function byWeights(weights: readonly number[], plain: Algorithm, weighted: Algorithm): Algorithm {
  return uniformWeights(weights) ? plain : weighted;
}

/** A service name from text the format allows in names: Fulcrum's alphabet, 63 characters at most. */
export function serviceName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (cleaned === '' ? 'service' : cleaned).slice(0, 63);
}

/** NAME, NAME-2, NAME-3…: one service per listen address of one proxy. */
export function numbered(name: string, index: number): string {
  if (index === 0) return name;
  const suffix = `-${index + 1}`;
  return `${name.slice(0, 63 - suffix.length)}${suffix}`;
}
