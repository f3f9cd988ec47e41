/**
 * Everything the firmware needs from the outside world arrives through these ports.
 * The simulator implements them with Node; a real box would implement them with its own
 * drivers; tests implement them with fakes. Nothing in firmware/ touches Node I/O.
 */
import type { EndpointText, HealthCheck, RuleTable } from '../src/protocol/rules/model.js';

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

/**
 * The data plane (listeners and live flows) as the firmware sees it. A new rule table is put
 * in service in three steps so that a failure leaves the old table running untouched:
 * `prepare` acquires what the new table needs (e.g. binds new listen addresses) and throws
 * to refuse; the forwarding core switches; `switched` lets go of what the old table alone used
 * and ends the flows the switch cut off. `abandon` undoes a `prepare` whose switch did not happen.
 */
export interface DataPlanePort {
  prepare(next: RuleTable): Promise<void>;
  switched(next: RuleTable, endedFlows: readonly number[]): void;
  abandon(next: RuleTable): Promise<void>;
}

/** A box with no data plane attached (management only). */
export const NO_DATA_PLANE: DataPlanePort = {
  prepare: async () => undefined,
  switched: () => undefined,
  abandon: async () => undefined,
};

/** The console port's byte stream as the firmware sees it (a UART on a box, a PTY in the simulator). */
export interface ConsolePort {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
}

/** The appliance's NOR flash (boot slots and boot state): firmware/boot/flash-port.ts. */
export { FlashError, type FlashGeometry, type FlashPort } from './boot/flash-port.js';

/** Fetches firmware images over the network (HTTP on a box and in the simulator). */
export interface ImageFetchPort {
  /** The size of the resource at `url` (HEAD); rejects when it cannot be reached. */
  size(url: string): Promise<number>;
  /** The bytes of `url` from `offset` to its end, in order (a Range request); each chunk is handled before the next is read. */
  read(url: string, offset: number, onChunk: (bytes: Uint8Array) => Promise<void>): Promise<void>;
}
