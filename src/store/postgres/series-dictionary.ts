/**
 * The metric dictionary on PostgreSQL (tables `metric_appliance`, `metric_series`):
 * (appliance, service, backend, counter) → series id, and within its appliance a dense `slot`.
 * Invariant: a slot is allocated while the appliance's row is locked (FOR UPDATE) and is one
 * past the highest stored, so two agents creating series of one appliance at once never hand
 * out one slot twice; a batch's new series are created in one transaction, all or none.
 *
 * What writing needs of a series is cached by id; `load()` fetches the uncached ids of a batch
 * in one query so `info()` can then answer synchronously.
 */
import type { PgClient, PgDb } from './connection.js';
import { keyOf, kindName, type FrameAppliance, type FrameSeries } from '../metric-frames.js';
import type { SeriesKey, SeriesKind } from '../metric-store.js';
import { KIND_COUNTER, KIND_GAUGE } from '../rollup.js';

export interface PgApplianceInfo extends FrameAppliance {
  name: string;
}

export interface PgSeriesInfo extends FrameSeries<PgApplianceInfo> {
  id: number;
}

interface SeriesRow {
  id: number;
  appliance: number;
  slot: number;
  kind: number;
  service: string;
  backend: string;
  counter: string;
}

const localKey = (k: { service?: string; backend?: string; counter: string }) => `${k.service ?? ''}\u0000${k.backend ?? ''}\u0000${k.counter}`;
const keyText = (k: SeriesKey) => [k.appliance, k.service ?? '', k.backend ?? '', k.counter].join('/');
const SERIES = 'SELECT id, appliance, slot, kind, service, backend, counter FROM metric_series';

export class PgSeriesDictionary {
  private readonly byId = new Map<number, PgSeriesInfo>();
  private readonly appliances = new Map<number, PgApplianceInfo>();

  constructor(private readonly db: PgDb) {}

  async resolve(requests: ReadonlyArray<{ key: SeriesKey; kind: SeriesKind }>): Promise<number[]> {
    const ids = new Array<number>(requests.length);
    const known = new Map<string, Map<string, SeriesRow>>();
    for (const name of new Set(requests.map((r) => r.key.appliance))) known.set(name, await this.rowsOf(this.db, name));
    const missing: number[] = [];
    requests.forEach(({ key, kind }, i) => {
      const row = known.get(key.appliance)?.get(localKey(key));
      if (row) ids[i] = this.checkKind(this.remember(row, key.appliance), kind, key);
      else missing.push(checkSeries(key, kind, i));
    });
    if (missing.length === 0) return ids;
    try {
      await this.db.transaction(async (client) => {
        // Per appliance (locked, so slots stay dense), its new series in one INSERT: a round
        // trip per series made the first cycle of a fleet take seconds.
        const byAppliance = new Map<string, number[]>();
        for (const i of missing) {
          const name = requests[i]!.key.appliance;
          const list = byAppliance.get(name);
          if (list) list.push(i);
          else byAppliance.set(name, [i]);
        }
        for (const [name, indexes] of byAppliance) {
          const appliance = await this.lockAppliance(client, name);
          const fresh: SeriesRow[] = [];
          for (const i of indexes) {
            const { key, kind } = requests[i]!;
            if (appliance.rows.has(localKey(key))) continue; // asked twice, or created by another agent meanwhile
            const row: SeriesRow = {
              id: 0,
              appliance: appliance.id,
              slot: appliance.next++,
              kind: kind === 'gauge' ? KIND_GAUGE : KIND_COUNTER,
              service: key.service ?? '',
              backend: key.backend ?? '',
              counter: key.counter,
            };
            appliance.rows.set(localKey(key), row);
            fresh.push(row);
          }
          if (fresh.length > 0) {
            const inserted = await client.query<{ id: number; slot: number }>(
              `INSERT INTO metric_series (appliance, slot, service, backend, counter, kind)
               SELECT $1, slot, service, backend, counter, kind
               FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::int[]) AS t(slot, service, backend, counter, kind)
               RETURNING id, slot`,
              [
                appliance.id,
                fresh.map((r) => r.slot),
                fresh.map((r) => r.service),
                fresh.map((r) => r.backend),
                fresh.map((r) => r.counter),
                fresh.map((r) => r.kind),
              ],
            );
            const idOf = new Map(inserted.rows.map((r) => [Number(r.slot), Number(r.id)]));
            for (const row of fresh) row.id = idOf.get(row.slot)!;
          }
          for (const i of indexes) {
            const { key, kind } = requests[i]!;
            ids[i] = this.checkKind(this.remember(appliance.rows.get(localKey(key))!, key.appliance), kind, key);
          }
        }
      });
    } catch (error) {
      // Rolled back: what this batch cached may name rows that no longer exist.
      this.forget();
      throw error;
    }
    return ids;
  }

  /** The series of `keys` of one appliance, null where unknown. */
  async find(appliance: string, keys: readonly Omit<SeriesKey, 'appliance'>[]): Promise<Array<PgSeriesInfo | null>> {
    const rows = await this.rowsOf(this.db, appliance);
    return keys.map((k) => {
      const row = rows.get(localKey(k));
      return row ? this.remember(row, appliance) : null;
    });
  }

  async list(appliance: string): Promise<Array<SeriesKey & { id: number; kind: SeriesKind }>> {
    const rows = [...(await this.rowsOf(this.db, appliance)).values()].sort((a, b) => a.id - b.id);
    return rows.map((r) => ({ ...keyOf(appliance, r.service, r.backend, r.counter), id: r.id, kind: kindName(r.kind) }));
  }

  /** Reads the series of `ids` not cached yet, in one query, so `info()` knows them all; RangeError for an id that does not exist. */
  async load(ids: Iterable<number>): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.byId.has(id));
    if (wanted.length === 0) return;
    if (wanted.some((id) => !Number.isSafeInteger(id))) throw new RangeError(`unknown series id ${String(wanted.find((id) => !Number.isSafeInteger(id)))}`);
    // Every series of the appliances named: rollups need the kind of each of their slots.
    const rows = (
      await this.db.query<SeriesRow & { name: string }>(
        `SELECT s.id, s.appliance, s.slot, s.kind, s.service, s.backend, s.counter, a.name FROM metric_series s JOIN metric_appliance a ON a.id = s.appliance
         WHERE s.appliance IN (SELECT appliance FROM metric_series WHERE id = ANY($1::bigint[]))`,
        [wanted],
      )
    ).rows;
    for (const r of rows) this.remember(r, r.name);
    const absent = wanted.find((id) => !this.byId.has(id));
    if (absent !== undefined) throw new RangeError(`unknown series id ${String(absent)}`);
  }

  /** What writing to series `id` needs (after `load`); RangeError for one not loaded. */
  info(id: number): PgSeriesInfo {
    const info = this.byId.get(id);
    if (!info) throw new RangeError(`unknown series id ${String(id)}`);
    return info;
  }

  /** The appliances read so far (those whose rollups may be open). */
  loaded(): Iterable<PgApplianceInfo> {
    return this.appliances.values();
  }

  forget(): void {
    this.byId.clear();
    this.appliances.clear();
  }

  private async rowsOf(client: PgClient, name: string): Promise<Map<string, SeriesRow>> {
    const rows = (await client.query<SeriesRow>(`${SERIES} WHERE appliance = (SELECT id FROM metric_appliance WHERE name = $1) ORDER BY id`, [name])).rows;
    // Rollups need the kind of every slot of a cached appliance, not only of the series asked for.
    if (rows.length > 0) {
      const appliance = this.applianceInfo(rows[0]!.appliance, name);
      for (const r of rows) appliance.kinds[r.slot] = r.kind;
    }
    return new Map(rows.map((r) => [localKey(r), r]));
  }

  /** The appliance's row, created if needed and locked until the transaction ends, with its series and next free slot. */
  private async lockAppliance(client: PgClient, name: string) {
    await client.query('INSERT INTO metric_appliance (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    const id = (await client.query<{ id: number }>('SELECT id FROM metric_appliance WHERE name = $1 FOR UPDATE', [name])).rows[0]!.id;
    const rows = await this.rowsOf(client, name);
    const next = Math.max(-1, ...[...rows.values()].map((r) => r.slot)) + 1;
    return { id, rows, next };
  }

  private checkKind(info: PgSeriesInfo, kind: SeriesKind, key: SeriesKey): number {
    if (kindName(info.kind) !== kind) throw new TypeError(`series ${keyText(key)} is a ${kindName(info.kind)}, not a ${kind}`);
    return info.id;
  }

  /** Callers learn every series of a newly seen appliance (rowsOf, load), so its kinds fill in whole. */
  private applianceInfo(id: number, name: string): PgApplianceInfo {
    let appliance = this.appliances.get(id);
    if (!appliance) this.appliances.set(id, (appliance = { id, name, kinds: [], rollup: null }));
    return appliance;
  }

  private remember(row: Omit<SeriesRow, 'service' | 'backend' | 'counter'>, name: string): PgSeriesInfo {
    const appliance = this.applianceInfo(row.appliance, name);
    // A series another agent created after this one cached the appliance: its slot's kind is learnt here.
    appliance.kinds[row.slot] = row.kind;
    let info = this.byId.get(row.id);
    if (!info) this.byId.set(row.id, (info = { id: row.id, appliance, slot: row.slot, kind: row.kind }));
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
