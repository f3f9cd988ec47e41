import type { Persistence } from '../../src/protocol/rules/model.js';
import { FlowTable } from './flow/flow-table.js';

/** Clients remembered per service; beyond this the oldest idle entries are what gives way. */
const MAX_CLIENTS = 65_536;

/**
 * Source-address persistence (F5's source_addr, HAProxy's `stick on src`): a client that came
 * back within the timeout of its last flow goes to the backend it had, if that backend can
 * still take it. Kept in two small flow tables, one per address width.
 */
export class SourcePersistence {
  private readonly v4: FlowTable;
  private v6: FlowTable | null = null;

  constructor(private readonly config: Persistence) {
    this.v4 = new FlowTable({ keyWords: 1, maxEntries: MAX_CLIENTS, idleTimeoutMs: config.timeoutMs });
  }

  /** The remembered backend of the client whose address words are words[at .. at+count), or -1. */
  recall(words: Uint32Array, at: number, count: 1 | 4, now: number): number {
    const table = count === 1 ? this.v4 : this.v6;
    return table ? table.get(words.subarray(at, at + count), now) : -1;
  }

  remember(words: Uint32Array, at: number, count: 1 | 4, backend: number, now: number): void {
    const table = count === 1 ? this.v4 : (this.v6 ??= new FlowTable({ keyWords: 4, maxEntries: MAX_CLIENTS, idleTimeoutMs: this.config.timeoutMs }));
    const key = words.subarray(at, at + count);
    // A full table refuses; forgetting a client costs only its stickiness, never its flow.
    table.set(key, backend, now);
  }

  /** Every remembered client (expired ones not yet reclaimed included): the failover mirror's full copy. */
  forEach(visit: (words: Uint32Array, count: 1 | 4, backend: number) => void): void {
    this.v4.forEach((backend, key) => visit(key, 1, backend));
    this.v6?.forEach((backend, key) => visit(key, 4, backend));
  }
}
