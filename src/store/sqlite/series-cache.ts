/**
 * The series of each appliance as the SQLite dictionary last read them, so that a history read
 * of an appliance's ~200 series costs no query per series. Invariant: an entry is served only
 * while the connection's `PRAGMA data_version` is the one it was read under (SQLite changes it
 * when another connection — another process on the file — commits), this connection's own new
 * series are added as they are inserted, and the owner drops everything when a transaction
 * that inserted some rolls back. Nothing deletes or renames a series, so that is all that can
 * make an entry stale.
 *
 * Only reads (the history route, listings) fill it, bounded to the appliances read last
 * (CACHED_APPLIANCES). The poller resolving an appliance's series (once per layout) reads
 * through it without filling it: a fleet's whole dictionary (1,000 appliances × ~200 series,
 * with their names and keys) was ~50 MB of a polling agent's live heap, kept for nothing.
 */

import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';
import type { SeriesKey, SeriesKind } from '../metric-store.js';

/** A series as the dictionary stores it ('' for an absent service or backend). */
export interface StoredSeries {
  id: number;
  slot: number;
  service: string;
  backend: string;
  counter: string;
  kind: number;
}

/** An appliance's series: in creation (id) order, and by local key. */
export interface ApplianceSeries {
  rows: StoredSeries[];
  byKey: Map<string, StoredSeries>;
  /** What the dictionary made of `rows` for its callers (frozen, shared), until a series is added. */
  listed?: ReadonlyArray<Readonly<SeriesKey & { id: number; kind: SeriesKind }>>;
}

/** A series' key within its appliance. */
export const localKey = (k: { service?: string; backend?: string; counter: string }): string => `${k.service ?? ''}\u0000${k.backend ?? ''}\u0000${k.counter}`;

/** Appliances whose series are kept: an entry is ~50 KB at 200 series. */
export const CACHED_APPLIANCES = 4096;

export class SeriesCache {
  /** In order of last use, oldest first. */
  private readonly entries = new Map<number, ApplianceSeries>();
  private readonly dataVersion: Statement<[], number>;
  private readonly seriesOf: Statement<[number], StoredSeries>;
  private version = Number.NaN;

  constructor(
    db: Db,
    private readonly capacity = CACHED_APPLIANCES,
  ) {
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.seriesOf = db.prepare('SELECT id, slot, service, backend, counter, kind FROM metric_series WHERE appliance = ? ORDER BY id');
  }

  /** The series of appliance `id`, read again if another connection committed since. */
  of(id: number): ApplianceSeries {
    this.checkVersion();
    let entry = this.entries.get(id);
    if (entry) {
      // Last used goes last.
      this.entries.delete(id);
    } else {
      const rows = this.seriesOf.all(id);
      entry = { rows, byKey: new Map(rows.map((r) => [localKey(r), r])) };
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(id, entry);
    return entry;
  }

  /** The series of appliance `id` as `of` has them, without keeping them when they were not kept already. */
  rows(id: number): readonly StoredSeries[] {
    this.checkVersion();
    return this.entries.get(id)?.rows ?? this.seriesOf.all(id);
  }

  /** A series this connection just inserted for appliance `id` (ids only grow: it goes last). */
  added(id: number, row: StoredSeries): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.rows.push(row);
    entry.byKey.set(localKey(row), row);
    delete entry.listed;
  }

  private checkVersion(): void {
    const version = this.dataVersion.get()!;
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
