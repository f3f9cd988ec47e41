/**
 * A failover group as one member sees it: the group's name and shared key, this member's unit
 * number and priority, preemption, and the heartbeat interval. `groupConfig` checks every field
 * and fills defaults; a GroupConfig that exists is valid (the election and the codec trust it).
 * Timing follows VRRP (RFC 5798 §6.1): master-down = 3 × interval + skew, where the skew
 * (256 − priority) × interval / 256 lets the highest priority time out first.
 */
import { GroupConfigError } from './errors.js';

/** Heartbeats every 150 ms by default: between the 100–200 ms the appliance promises. */
export const DEFAULT_INTERVAL_MS = 150;
export const MIN_INTERVAL_MS = 20;
export const MAX_INTERVAL_MS = 10_000;
export const MAX_PREEMPT_DELAY_MS = 3_600_000;
/** HMAC-SHA256 keys shorter than this are guessable; RFC 2104 suggests at least the output size, 16 bytes is the floor. */
export const MIN_KEY_BYTES = 16;
export const MAX_KEY_BYTES = 1024;
/** Names travel in every heartbeat (str8) and show on consoles: short and plain. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export interface GroupConfig {
  name: string;
  /** 1..255, unique within the group; a tie in priority goes to the lower unit. */
  unit: number;
  /** 1..254, higher wins (255 and 0 keep their VRRP meanings out of reach: owner, resign). */
  priority: number;
  key: Uint8Array;
  /** A higher-ranked standby takes over from a lower-ranked active (VRRP's Preempt_Mode, default on). */
  preempt: boolean;
  /** How long a standby keeps outranking the active before it preempts (keepalived's preempt_delay). */
  preemptDelayMs: number;
  intervalMs: number;
}

export type GroupConfigInput = Omit<GroupConfig, 'preempt' | 'preemptDelayMs' | 'intervalMs' | 'priority'> &
  Partial<Pick<GroupConfig, 'preempt' | 'preemptDelayMs' | 'intervalMs' | 'priority'>>;

function integer(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new GroupConfigError(field, `must be an integer ${min}..${max}, got ${value}`);
  return value;
}

export function groupConfig(input: GroupConfigInput): GroupConfig {
  if (typeof input.name !== 'string' || !NAME.test(input.name))
    throw new GroupConfigError('group', `must be 1–32 letters, digits, '.', '_' or '-' starting with a letter or digit, got ${JSON.stringify(input.name)}`);
  if (!(input.key instanceof Uint8Array) || input.key.length < MIN_KEY_BYTES || input.key.length > MAX_KEY_BYTES)
    throw new GroupConfigError('group-key', `must hold ${MIN_KEY_BYTES}..${MAX_KEY_BYTES} bytes, got ${input.key?.length ?? 0}`);
  return {
    name: input.name,
    unit: integer('unit', input.unit, 1, 255),
    priority: integer('priority', input.priority ?? 100, 1, 254),
    key: input.key,
    preempt: input.preempt ?? true,
    preemptDelayMs: integer('preempt-delay', input.preemptDelayMs ?? 0, 0, MAX_PREEMPT_DELAY_MS),
    intervalMs: integer('heartbeat-interval', input.intervalMs ?? DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS, MAX_INTERVAL_MS),
  };
}

/** RFC 5798 §6.1 Skew_Time for a member of `priority` under an advertisement interval. */
export function skewMs(priority: number, intervalMs: number): number {
  return ((256 - priority) * intervalMs) / 256;
}

/** RFC 5798 §6.1 Master_Down_Interval: how long a standby waits without hearing an active. */
export function masterDownMs(priority: number, intervalMs: number): number {
  return 3 * intervalMs + skewMs(priority, intervalMs);
}
