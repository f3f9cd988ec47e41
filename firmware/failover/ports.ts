/**
 * What a failover group member needs from its host, beyond the appliance's own ports: the
 * heartbeat paths and the floating services. The simulator supplies UDP datagrams, a serial
 * cable over a pseudo-terminal pair and its data plane's listeners (sim/failover/); a box would
 * supply its NICs, its failover UART and its own listeners.
 */
import type { LinkName } from './envelope.js';

/** One heartbeat path. Best effort both ways: a lost message is what heartbeats are for. */
export interface HeartbeatLink {
  readonly name: LinkName;
  /** Sends one message to every peer on this path; never throws (a dead path is silent, not fatal). */
  send(bytes: Uint8Array): void;
  /** Each message that arrived, whole (the path does its own framing); returns an unsubscribe. */
  onMessage(listener: (bytes: Uint8Array) => void): () => void;
}

/**
 * The group's virtual services: only the active member listens on them. `open` starts every
 * listener of the running table or, when one cannot be had (another process still holds the
 * address), holds none and throws; `close` stops them and ends their flows, returning how many
 * established TCP connections that cut.
 */
export interface FloatingServicesPort {
  open(): Promise<void>;
  close(): Promise<number>;
}
