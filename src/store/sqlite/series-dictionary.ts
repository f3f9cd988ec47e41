/**
 * The metric dictionary in SQLite: (appliance, service, backend, counter) → series id, and within
 * its appliance a dense `slot` number that indexes the appliance's frames (frame-codec.ts).
 * Tables `metric_appliance` and `metric_series` (database.ts has the DDL).
 *
 * What writing a point needs of its series is cached by id for every series written (a big
 * fleet has hundreds of thousands: keep it small): its appliance and slot in two typed arrays
 * indexed by id (ids are dense from 1), 8 bytes a series instead of an object and a map entry
 * (~80 bytes: 15 MB of an agent's heap at 1,000 appliances). An appliance's keys are cached per appliance
 * while no other connection has committed (series-cache.ts): the history route reads all of an
 * appliance's series per request, and the poller resolves them once per appliance layout.
 */

import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';
import { keyOf, kindName } from '../metric-frames.js';
import type { SeriesKey, SeriesKind } from '../metric-store.js';
import { KIND_COUNTER, KIND_GAUGE, type ApplianceRollup } from '../rollup.js';
import { localKey, SeriesCache } from './series-cache.js';

export { keyOf, kindName };

export interface ApplianceInfo {
  id: number;
  name: string;
  /** Kind of each slot (KIND_COUNTER / KIND_GAUGE). */
  kinds: number[];
  /** Open buckets and per-slot last times; null until first needed (then rebuilt from raw). */
  rollup: ApplianceRollup | null;
}

export interface SeriesInfo {
  id: number;
  appliance: ApplianceInfo;
  slot: number;
  kind: number;
}

interface SeriesRow {
  id: number;
  appliance: number;
  slot: number;
  kind: number;
}

const keyText = (k: SeriesKey) => [k.appliance, k.service ?? '', k.backend ?? '', k.counter].join('/');

/** Series ids kept by id up to here (32 MB of arrays at most); those beyond are read when written. */
const MAX_INDEXED_ID = 2 ** 22;

export class SeriesDictionary {
  /** By series id: its appliance's id (0: not read yet), its slot and its kind. */
  private applianceOf = new Int32Array(1024);
  private slotOf = new Int32Array(1024);
  private kindOf = new Uint8Array(1024);
  private readonly appliances = new Map<number, ApplianceInfo>();
  private readonly keys: SeriesCache;
  private readonly sql: {
    applianceByName: Statement<[string], { id: number }>;
    applianceById: Statement<[number], { name: string }>;
    insertAppliance: Statement<[string]>;
    allAppliances: Statement<[], { id: number }>;
    kinds: Statement<[number], { slot: number; kind: number }>;
    seriesById: Statement<[number], { appliance: number; slot: number; kind: number }>;
    insertSeries: Statement<[number, number, string, string, string, number]>;
  };

  constructor(private readonly db: Db) {
    this.sql = {
      applianceByName: db.prepare('SELECT id FROM metric_appliance WHERE name = ?'),
      applianceById: db.prepare('SELECT name FROM metric_appliance WHERE id = ?'),
      insertAppliance: db.prepare('INSERT INTO metric_appliance (name) VALUES (?)'),
      allAppliances: db.prepare('SELECT id FROM metric_appliance'),
      kinds: db.prepare('SELECT slot, kind FROM metric_series WHERE appliance = ?'),
      seriesById: db.prepare('SELECT appliance, slot, kind FROM metric_series WHERE id = ?'),
      insertSeries: db.prepare('INSERT INTO metric_series (appliance, slot, service, backend, counter, kind) VALUES (?, ?, ?, ?, ?, ?)'),
    };
    this.keys = new SeriesCache(db);
  }

  /** The ids of many series, created where missing in one transaction. */
  resolve(requests: ReadonlyArray<{ key: SeriesKey; kind: SeriesKind }>): number[] {
    const ids = new Array<number>(requests.length);
    const missing: number[] = [];
    // One query per appliance of the batch reads what exists (a poll resolves a whole appliance).
    const known = new Map<string, Map<string, SeriesRow>>();
    const existing = (key: SeriesKey) => {
      let rows = known.get(key.appliance);
      if (!rows) known.set(key.appliance, (rows = this.rowsOf(key.appliance)));
      return rows;
    };
    requests.forEach(({ key, kind }, i) => {
      const row = existing(key).get(localKey(key));
      if (row) ids[i] = this.checkKind(this.remember(row), kind, key);
      else missing.push(checkSeries(key, kind, i));
    });
    // New series are created in one transaction: a commit each would cost ~0.1 ms apiece, a
    // minute for the first poll cycle of a large fleet.
    if (missing.length > 0) {
      try {
        this.db.transaction(() => {
          for (const i of missing) {
            const { key, kind } = requests[i]!;
            const rows = existing(key);
            let row = rows.get(localKey(key)); // asked twice in one batch
            if (!row) rows.set(localKey(key), (row = this.create(key, kind)));
            ids[i] = this.checkKind(this.remember(row), kind, key);
          }
        })();
      } catch (error) {
        // Rolled back: what this batch cached may name rows that no longer exist.
        this.forget();
        throw error;
      }
    }
    return ids;
  }

  /** The series of `key`s of one appliance (null where unknown). */
  find(appliance: string, keys: readonly Omit<SeriesKey, 'appliance'>[]): Array<SeriesInfo | null> {
    const info = this.applianceNamed(appliance, false);
    if (!info) return keys.map(() => null);
    const { byKey } = this.keys.of(info.id);
    return keys.map((k) => {
      const row = byKey.get(localKey(k));
      return row ? this.remember({ id: row.id, appliance: info.id, slot: row.slot, kind: row.kind }) : null;
    });
  }

  /** The appliance's series in creation order: a new array each call, of frozen objects shared between calls. */
  list(appliance: string): Array<SeriesKey & { id: number; kind: SeriesKind }> {
    const info = this.applianceNamed(appliance, false);
    if (!info) return [];
    const entry = this.keys.of(info.id);
    entry.listed ??= entry.rows.map((r) => Object.freeze({ ...keyOf(appliance, r.service, r.backend, r.counter), id: r.id, kind: kindName(r.kind) }));
    return [...entry.listed];
  }

  /** What writing to series `id` needs; RangeError for an id that does not exist. */
  info(id: number): SeriesInfo {
    const appliance = id < this.applianceOf.length ? this.applianceOf[id]! : 0;
    if (appliance !== 0) return { id, appliance: this.applianceById(appliance), slot: this.slotOf[id]!, kind: this.kindOf[id]! };
    const row = this.sql.seriesById.get(id);
    if (!row) throw new RangeError(`unknown series id ${String(id)}`);
    return this.remember({ id, ...row });
  }

  /** Every appliance that has series, as its id. */
  applianceIds(): number[] {
    return this.sql.allAppliances.all().map((r) => r.id);
  }

  /** The appliances read so far (those whose rollups may be open). */
  loaded(): Iterable<ApplianceInfo> {
    return this.appliances.values();
  }

  /** Drop everything cached from the database; it is all read again (rollups rebuilt from raw) on demand. */
  forget(): void {
    this.applianceOf.fill(0);
    this.appliances.clear();
    this.keys.clear();
  }

  private rowsOf(name: string): Map<string, SeriesRow> {
    const out = new Map<string, SeriesRow>();
    const appliance = this.applianceNamed(name, false);
    if (!appliance) return out;
    for (const r of this.keys.rows(appliance.id)) out.set(localKey(r), { id: r.id, appliance: appliance.id, slot: r.slot, kind: r.kind });
    return out;
  }

  private create(key: SeriesKey, kind: SeriesKind): SeriesRow {
    const appliance = this.applianceNamed(key.appliance, true)!;
    // Slots are dense from 0: the next is one past the highest this appliance has.
    const slot = appliance.kinds.length;
    const code = kind === 'gauge' ? KIND_GAUGE : KIND_COUNTER;
    const service = key.service ?? '';
    const backend = key.backend ?? '';
    const id = Number(this.sql.insertSeries.run(appliance.id, slot, service, backend, key.counter, code).lastInsertRowid);
    appliance.kinds[slot] = code;
    this.keys.added(appliance.id, { id, slot, service, backend, counter: key.counter, kind: code });
    return { id, appliance: appliance.id, slot, kind: code };
  }

  private checkKind(info: SeriesInfo, kind: SeriesKind, key: SeriesKey): number {
    if (kindName(info.kind) !== kind) throw new TypeError(`series ${keyText(key)} is a ${kindName(info.kind)}, not a ${kind}`);
    return info.id;
  }

  private remember(row: SeriesRow): SeriesInfo {
    if (Number.isSafeInteger(row.id) && row.id > 0 && row.id < MAX_INDEXED_ID) {
      if (row.id >= this.applianceOf.length) this.grow(row.id);
      this.applianceOf[row.id] = row.appliance;
      this.slotOf[row.id] = row.slot;
      this.kindOf[row.id] = row.kind;
    }
    return { id: row.id, appliance: this.applianceById(row.appliance), slot: row.slot, kind: row.kind };
  }

  private grow(id: number): void {
    let length = this.applianceOf.length;
    while (length <= id) length *= 2;
    const appliances = new Int32Array(length);
    appliances.set(this.applianceOf);
    const slots = new Int32Array(length);
    slots.set(this.slotOf);
    const kinds = new Uint8Array(length);
    kinds.set(this.kindOf);
    this.applianceOf = appliances;
    this.slotOf = slots;
    this.kindOf = kinds;
  }

  private applianceNamed(name: string, create: boolean): ApplianceInfo | null {
    const row = this.sql.applianceByName.get(name);
    if (row) return this.applianceById(row.id, name);
    if (!create) return null;
    return this.applianceById(Number(this.sql.insertAppliance.run(name).lastInsertRowid), name);
  }

  private applianceById(id: number, name?: string): ApplianceInfo {
    let info = this.appliances.get(id);
    if (info) return info;
    name ??= this.sql.applianceById.get(id)!.name;
    const kinds: number[] = [];
    for (const r of this.sql.kinds.all(id)) kinds[r.slot] = r.kind;
    info = { id, name, kinds, rollup: null };
    this.appliances.set(id, info);
    return info;
  }
}

function checkSeries(key: SeriesKey, kind: SeriesKind, index: number): number {
  for (const [field, value] of [
    ['appliance', key.appliance],
    ['counter', key.counter],
  ] as const) {
    if (typeof value !== 'string' || value === '') throw new TypeError(`series ${field} must be a non-empty string`);
  }
  for (const [field, value] of [
    ['service', key.service],
    ['backend', key.backend],
  ] as const) {
    if (value !== undefined && typeof value !== 'string') throw new TypeError(`series ${field} must be a string when given`);
  }
  if (kind !== 'counter' && kind !== 'gauge') throw new TypeError(`series kind must be 'counter' or 'gauge', got ${String(kind)}`);
  return index;
}
