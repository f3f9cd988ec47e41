/**
 * Everything the firmware needs from the outside world arrives through these ports.
 * The simulator implements them with Node; a real box would implement them with its own
 * drivers; tests implement them with fakes. Nothing in firmware/ touches Node I/O.
 */
import type { EndpointText, HealthCheck } from '../src/protocol/rules/model.js';

export type Cancel = () => void;

export interface Clock {
  /** Monotonic milliseconds (never goes back). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps shown to people. */
  epochMs(): number;
  /** Run `fn` once after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): Cancel;
}

export interface ProbeResult {
  ok: boolean;
  /** Why it failed (or what it saw), for logs and events. */
  detail: string;
}

/** Runs one health probe; must settle within `check.timeoutMs` (the monitor enforces it too). */
export interface HealthProbePort {
  probe(address: EndpointText, check: HealthCheck): Promise<ProbeResult>;
}

/** Non-volatile storage for small named blobs (startup config, identity). */
export interface StoragePort {
  read(name: string): Promise<Uint8Array | null>;
  /** Replace `name` whole: after a power cut at any instant, a reader sees the old or the new bytes. */
  writeAtomic(name: string, bytes: Uint8Array): Promise<void>;
}
