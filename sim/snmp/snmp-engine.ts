/**
 * The simulated appliance's SNMP engine: its snmpEngineID, snmpEngineBoots and snmpEngineTime
 * (RFC 3411, RFC 3414 section 2.2) and the USM counters of the messages it refused for naming
 * another engine or falling outside its time window.
 *
 * Invariant: snmpEngineBoots is incremented and durable before the engine answers anything, so
 * no two runs of one appliance share a boots value and a message captured in one run is outside
 * the time window of every later run. The state is snmp-engine.json in the appliance's storage
 * (the state directory, where StoragePort.writeAtomic writes a temporary file, syncs it and
 * renames it over the old one): {"engineId": hex, "engineBoots": n}. snmpEngineTime counts the
 * seconds since this engine started, on the clock it is given.
 */

import { randomBytes } from 'node:crypto';
import type { Clock, StoragePort } from '../../firmware/ports.js';
import { ENGINE_MAX, timeliness, type IncomingTimes, type Timeliness } from './timeliness.js';
import { describeError } from '../../src/protocol/describe-error.js';

export const ENGINE_FILE = 'snmp-engine.json';

/** RFC 3411 SnmpEngineID: the enterprise (32473, IANA's example enterprise) with the top bit set, then a format octet. */
const ENTERPRISE = [0x80, 0x00, 0x7e, 0xd9];
const FORMAT_TEXT = 0x04;
const FORMAT_OCTETS = 0x05;

/**
 * The snmpEngineID a new appliance gets, derived from its serial number (format 4, text): the
 * same appliance keeps it, another appliance has another. A trap receiver configured with it
 * keeps working across restarts.
 */
export function engineIdFor(serialNumber: string): string {
  const text = Buffer.from(serialNumber.slice(0, 27), 'utf8');
  return Buffer.concat([Buffer.from([...ENTERPRISE, FORMAT_TEXT]), text]).toString('hex');
}

/** A random snmpEngineID (format 5, octets), for an engine whose stored state was lost. */
function randomEngineId(): string {
  return Buffer.concat([Buffer.from([...ENTERPRISE, FORMAT_OCTETS]), randomBytes(12)]).toString('hex');
}

/** The engine's state could not be read or made durable: it must not answer SNMPv3 then. */
export class SnmpEngineStateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SnmpEngineStateError';
  }
}

export interface SnmpEngineOptions {
  storage: StoragePort;
  clock: Clock;
  /** The appliance's serial number, from which a new engine's snmpEngineID is derived. */
  serialNumber: string;
  /** A stored state that had to be replaced, for the log. */
  onProblem?: (message: string) => void;
}

/** The USM counters this engine keeps (SNMP-USM-MIB usmStats), Counter32. */
export interface UsmStats {
  unknownEngineIds: number;
  notInTimeWindows: number;
}

interface StoredState {
  engineId: string;
  engineBoots: number;
}

export class SnmpEngine {
  private readonly counts: UsmStats = { unknownEngineIds: 0, notInTimeWindows: 0 };

  private constructor(
    /** snmpEngineID, hex. */
    readonly engineId: string,
    readonly boots: number,
    private readonly clock: Clock,
    private readonly startedAt: number,
  ) {}

  static async start(options: SnmpEngineOptions): Promise<SnmpEngine> {
    const { storage } = options;
    let bytes: Uint8Array | null;
    try {
      bytes = await storage.read(ENGINE_FILE);
    } catch (err) {
      throw new SnmpEngineStateError(`snmp: cannot read ${ENGINE_FILE}: ${describeError(err)}`, { cause: err });
    }
    let previous: StoredState;
    if (bytes === null) {
      previous = { engineId: engineIdFor(options.serialNumber), engineBoots: 0 };
    } else {
      const parsed = parseState(bytes);
      if (parsed) {
        previous = parsed;
      } else {
        // The boots count is lost: starting it again under the old engine id would let messages
        // of earlier runs back into the window, so the engine takes an id no one has used.
        previous = { engineId: randomEngineId(), engineBoots: 0 };
        options.onProblem?.(`snmp: ${ENGINE_FILE} is unreadable; the SNMP engine starts over with the new snmpEngineID ${previous.engineId}`);
      }
    }
    // Latches at the maximum (RFC 3414 2.2.2): timeliness then refuses every authenticated message.
    const next: StoredState = { engineId: previous.engineId, engineBoots: Math.min(previous.engineBoots + 1, ENGINE_MAX) };
    try {
      await storage.writeAtomic(ENGINE_FILE, new TextEncoder().encode(`${JSON.stringify(next)}\n`));
    } catch (err) {
      throw new SnmpEngineStateError(`snmp: cannot store snmpEngineBoots in ${ENGINE_FILE}: ${describeError(err)}`, { cause: err });
    }
    return new SnmpEngine(next.engineId, next.engineBoots, options.clock, options.clock.now());
  }

  /** snmpEngineTime: whole seconds since the start (it would take 68 years to reach the maximum). */
  get time(): number {
    return Math.min(ENGINE_MAX, Math.floor((this.clock.now() - this.startedAt) / 1000));
  }

  get stats(): Readonly<UsmStats> {
    return { ...this.counts };
  }

  /** Decides on an incoming message (RFC 3414 3.2 steps 3 and 7a) and counts a refusal. */
  check(message: IncomingTimes): Timeliness {
    const verdict = timeliness({ engineId: this.engineId, boots: this.boots, time: this.time }, message);
    if (verdict !== 'ok') this.refused(verdict);
    return verdict;
  }

  /** Counts a refusal made elsewhere (net-snmp's own discovery answer); the counter's new value. */
  refused(kind: Exclude<Timeliness, 'ok'>): number {
    const key = kind === 'unknownEngineId' ? 'unknownEngineIds' : 'notInTimeWindows';
    this.counts[key] = (this.counts[key] + 1) % 2 ** 32;
    return this.counts[key];
  }
}

function parseState(bytes: Uint8Array): StoredState | null {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { engineId, engineBoots } = value as Record<string, unknown>;
  // SnmpEngineID is 5..32 octets (RFC 3411).
  if (typeof engineId !== 'string' || !/^(?:[0-9a-f]{2}){5,32}$/.test(engineId)) return null;
  if (typeof engineBoots !== 'number' || !Number.isInteger(engineBoots) || engineBoots < 0 || engineBoots > ENGINE_MAX) return null;
  return { engineId, engineBoots };
}
