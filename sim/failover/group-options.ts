/**
 * `sim start`'s failover group flags, checked and turned into what the simulator runs:
 * --group NAME --unit N --priority P --heartbeat [HOST:]PORT --peer HOST:PORT (repeatable)
 * --group-key FILE [--preempt|--no-preempt] [--preempt-delay MS] [--heartbeat-interval MS]
 * [--failover-link PATH]. Every problem is a GroupOptionError whose message starts with the
 * flag (and the file) at fault; a GroupOptions that exists is complete and valid.
 */
import { readFileSync } from 'node:fs';
import { GroupConfigError } from '../../firmware/failover/errors.js';
import { groupConfig, MIN_KEY_BYTES, type GroupConfig } from '../../firmware/failover/group-config.js';
import { parseHostPort } from '../snmp/options.js';
import type { HostPort } from './udp-heartbeat-link.js';

export class GroupOptionError extends Error {
  override readonly name = 'GroupOptionError';
}

export interface GroupFlags {
  group?: string;
  unit?: string;
  priority?: string;
  heartbeat?: string;
  peer?: string[];
  groupKey?: string;
  preempt?: boolean;
  preemptDelay?: string;
  heartbeatInterval?: string;
  failoverLink?: string;
}

export interface GroupOptions {
  config: GroupConfig;
  /** Where this member's heartbeat socket binds. */
  heartbeat: HostPort;
  peers: HostPort[];
  /** The serial failover cable (serial-failover-link.ts). */
  failoverLink?: string;
}

const FLAG_OF: Record<keyof GroupFlags, string> = {
  group: '--group',
  unit: '--unit',
  priority: '--priority',
  heartbeat: '--heartbeat',
  peer: '--peer',
  groupKey: '--group-key',
  preempt: '--preempt/--no-preempt',
  preemptDelay: '--preempt-delay',
  heartbeatInterval: '--heartbeat-interval',
  failoverLink: '--failover-link',
};

function integer(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,9}$/.test(text)) throw new GroupOptionError(`${flag}: expected a whole number, got "${text}"`);
  return Number(text);
}

/** The key is the file's bytes, less one trailing newline (so `openssl rand -hex 32 > FILE` works as expected). */
export function readGroupKey(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (err) {
    throw new GroupOptionError(`--group-key ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  if (end < MIN_KEY_BYTES) throw new GroupOptionError(`--group-key ${file}: holds ${end} byte(s); a group key needs at least ${MIN_KEY_BYTES}`);
  return bytes.slice(0, end);
}

/** The group options of `flags`, or undefined when no group flag is given. */
export function groupOptions(flags: GroupFlags): GroupOptions | undefined {
  const given = (Object.keys(FLAG_OF) as (keyof GroupFlags)[]).filter((k) => flags[k] !== undefined && !(k === 'peer' && flags.peer!.length === 0));
  if (flags.group === undefined) {
    if (given.length > 0) throw new GroupOptionError(`${FLAG_OF[given[0]!]} needs --group`);
    return undefined;
  }
  for (const k of ['unit', 'heartbeat', 'groupKey'] as const) if (flags[k] === undefined) throw new GroupOptionError(`--group needs ${FLAG_OF[k]}`);
  if (!flags.peer || flags.peer.length === 0) throw new GroupOptionError('--group needs at least one --peer HOST:PORT');
  let heartbeat: HostPort;
  let peers: HostPort[];
  try {
    heartbeat = parseHostPort(flags.heartbeat!, '--heartbeat', '127.0.0.1', false);
    peers = flags.peer.map((p) => parseHostPort(p, '--peer', null, false));
  } catch (err) {
    throw new GroupOptionError((err as Error).message);
  }
  const self = peers.find((p) => p.host === heartbeat.host && p.port === heartbeat.port);
  if (self) throw new GroupOptionError(`--peer ${self.host}:${self.port} is this member's own --heartbeat address`);
  const key = readGroupKey(flags.groupKey!);
  let config: GroupConfig;
  try {
    const unit = integer('--unit', flags.unit)!;
    const priority = integer('--priority', flags.priority);
    const preemptDelayMs = integer('--preempt-delay', flags.preemptDelay);
    const intervalMs = integer('--heartbeat-interval', flags.heartbeatInterval);
    config = groupConfig({
      name: flags.group,
      unit,
      key,
      ...(priority !== undefined ? { priority } : {}),
      ...(flags.preempt !== undefined ? { preempt: flags.preempt } : {}),
      ...(preemptDelayMs !== undefined ? { preemptDelayMs } : {}),
      ...(intervalMs !== undefined ? { intervalMs } : {}),
    });
  } catch (err) {
    if (err instanceof GroupConfigError) throw new GroupOptionError(`--${err.message}`);
    throw err;
  }
  if (flags.failoverLink === '') throw new GroupOptionError('--failover-link: expected a path');
  return { config, heartbeat, peers, ...(flags.failoverLink !== undefined ? { failoverLink: flags.failoverLink } : {}) };
}
