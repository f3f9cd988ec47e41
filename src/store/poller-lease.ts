/**
 * The poller lease: at most one row, naming the process that polls the inventory into this
 * store (`fulcrum monitor` or `fulcrum serve`). Two pollers on one file would write the same
 * appliance's samples for the same seconds and fight over rollups; the holder renews the row
 * every cycle, and a row past its expiry (or whose process is gone, see src/poller/lease.ts)
 * may be taken over. Claims run in an IMMEDIATE transaction, so of two processes claiming at
 * once exactly one wins.
 */

export interface PollerHolder {
  /** Random, per process run: a restarted process with the same pid is another holder. */
  holder: string;
  pid: number;
  host: string;
  /** What polls: "fulcrum monitor", "fulcrum serve". */
  command: string;
  /** When this holder took the lease, ms. */
  since: number;
  /** Past this (ms), the lease is free unless renewed. */
  expires: number;
}

export interface PollerLeaseStore {
  holder(): Promise<PollerHolder | null>;
  /**
   * Makes `me` the holder unless the current one is still `live`; returns that live holder, or
   * null once `me` holds the lease.
   */
  claim(me: PollerHolder, live: (current: PollerHolder) => boolean): Promise<PollerHolder | null>;
  /** Pushes the expiry out; false when `holder` no longer holds the lease (taken over). */
  renew(holder: string, expires: number): Promise<boolean>;
  /** Frees the lease at once, if `holder` still has it. */
  release(holder: string): Promise<void>;
}
