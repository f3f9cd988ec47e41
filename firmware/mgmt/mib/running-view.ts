/**
 * fulcrumRunning (fulcrumObjects 7): the running rule table, every setting, as varbinds in walk
 * order for the MIB view. Read-only; a manager reads the whole configuration back with one walk
 * of this subtree, while pollers keep walking the counters tables, which carry none of it.
 *
 * Invariant: rows are numbered as fulcrumServiceTable's and fulcrumBackendTable's are (the
 * running table's order: services by name, backends by address, from 1), so a row here and a
 * row there with the same index are the same service or backend.
 */

import {
  AdminStateCode,
  AlgorithmCode,
  ProtocolCode,
  RunBackendColumn,
  RunServiceColumn,
  fulcrumRunBackendEntry,
  fulcrumRunServiceEntry,
} from '../../../src/protocol/mib/fulcrum-mib.js';
import type { Oid } from '../../../src/protocol/mib/oid.js';
import { settingsOf, settingValue, SETTING_FIELDS, type SettingField } from '../../../src/protocol/mib/service-settings.js';
import { SmiType, TruthValue, type Varbind } from '../../../src/protocol/mib/smi.js';
import type { RuleTable } from '../../../src/protocol/rules/index.js';

/** The columns the view serves (their OIDs without an index), in walk order. */
export const RUNNING_OBJECTS: readonly Oid[] = [
  ...Object.values(RunServiceColumn).map((c) => [...fulcrumRunServiceEntry, c]),
  ...Object.values(RunBackendColumn).map((c) => [...fulcrumRunBackendEntry, c]),
];

const SETTING_OF_COLUMN = new Map<number, SettingField>(SETTING_FIELDS.map((f) => [RunServiceColumn[f], f]));

export function runningVarbinds(table: RuleTable): Varbind[] {
  const out: Varbind[] = [];
  const int = (o: Oid, value: number) => out.push({ oid: o, type: SmiType.Integer, value });
  const gauge = (o: Oid, value: number) => out.push({ oid: o, type: SmiType.Gauge32, value });
  const text = (o: Oid, value: string) => out.push({ oid: o, type: SmiType.OctetString, value });
  const services = table.services.map((s) => ({ s, settings: settingsOf(s) }));
  // A table walks column by column, rows in index order within each column.
  for (const column of Object.values(RunServiceColumn)) {
    const setting = SETTING_OF_COLUMN.get(column);
    services.forEach(({ s, settings }, i) => {
      const o: Oid = [...fulcrumRunServiceEntry, column, i + 1];
      if (setting) return void out.push({ oid: o, ...settingValue(setting, settings) } as Varbind);
      switch (column) {
        case RunServiceColumn.name:
          return text(o, s.name);
        case RunServiceColumn.listen:
          return text(o, s.listen);
        case RunServiceColumn.protocol:
          return int(o, ProtocolCode[s.protocol]);
        case RunServiceColumn.algorithm:
          return int(o, AlgorithmCode[s.algorithm]);
        case RunServiceColumn.fallback:
          return text(o, s.fallback ?? '');
        default:
          // The settings columns, served above.
          return;
      }
    });
  }
  for (const column of Object.values(RunBackendColumn)) {
    table.services.forEach((s, i) => {
      s.backends.forEach((b, j) => {
        const o: Oid = [...fulcrumRunBackendEntry, column, i + 1, j + 1];
        switch (column) {
          case RunBackendColumn.address:
            return text(o, b.address);
          case RunBackendColumn.weight:
            return gauge(o, b.weight);
          case RunBackendColumn.maxConns:
            return gauge(o, b.maxConnections);
          case RunBackendColumn.backup:
            return int(o, b.backup ? TruthValue.true : TruthValue.false);
          case RunBackendColumn.adminState:
            return int(o, AdminStateCode[b.state]);
        }
      });
    });
  }
  return out;
}
