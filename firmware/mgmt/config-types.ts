/**
 * The configuration database's vocabulary (config-manager.ts): what it is given (the port that
 * makes a table run, its options), what it reports (events, status, results) and the state it
 * restores from storage. Types only: no behaviour lives here.
 */

import type { RuleTable } from '../../src/protocol/rules/index.js';
import type { Clock, StoragePort } from '../ports.js';
import type { ConfigRecord } from './config-record.js';
import type { SavedState } from './history-journal.js';

/** Makes a table run (the appliance swaps its forwarding core). Throwing means it did not. */
export type ApplyConfig = (table: RuleTable, encoding: Uint8Array, id: string) => Promise<void> | void;

export type ConfigEvent =
  /** `detail` says why when the commit did not come from a `commit` (an interrupted one taken up again at boot). */
  | { kind: 'commit'; configId: string; pendingConfirm: boolean; at: number; detail?: string }
  /** A pending commit was confirmed: `configId` is now the startup config; `by` when the confirm said why (a failover peer). */
  | { kind: 'confirm'; configId: string; at: number; by?: string }
  | { kind: 'rollback'; configId: string; reason: 'confirm-timeout' | 'operator'; at: number }
  /** The confirm deadline passed but the previous config could not be put back; retried in `retryInMs`. */
  | { kind: 'revert-failed'; configId: string; detail: string; retryInMs: number; at: number };

export interface ConfigManagerOptions {
  clock: Clock;
  storage: StoragePort;
  apply: ApplyConfig;
  /** Called synchronously after each change; a listener that throws does not undo it. */
  onEvent?: (e: ConfigEvent) => void;
}

export interface LoadOptions extends ConfigManagerOptions {
  /** What runs when storage holds no readable startup config (Appliance.boot's seed); default: an empty table. */
  fallback?: RuleTable;
}

/** The state `load` rebuilds from storage; also lets a caller construct a manager over a known state. */
export interface RestoredState {
  running: ConfigRecord;
  history: readonly ConfigRecord[];
  /** What storage holds: startup id ('' if none) and the history saved with it. */
  saved: SavedState;
  /** What `load` had to repair or ignore, for the log. */
  problems?: readonly string[];
  /**
   * A commit confirmed that was pending when the box went down (storage's rollback 1, marked so
   * by the journal), which a failover member may take up again (ConfigManager.resumeInterrupted).
   */
  interrupted?: ConfigRecord | null;
}

export interface ConfigStatus {
  runningId: string;
  /** The confirmed config, the one a reboot runs. */
  startupId: string;
  candidateId: string | null;
  /** Milliseconds left before the pending commit reverts; 0 when none is pending. */
  pendingConfirmMs: number;
  /** Ids of the history, most recent first: history[0] is `rollback 1`. */
  history: string[];
}

export interface ChangeResult {
  /** The config running now. */
  configId: string;
  /** The config it replaced. */
  previousId: string;
}

export interface PendingConfirm {
  /** Monotonic time (Clock.now) at which the commit reverts. */
  deadline: number;
  /** The config it reverts to: the last confirmed one. */
  previous: ConfigRecord;
}
