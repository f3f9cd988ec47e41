/**
 * The readable side of fulcrumConfig 1..9 (lock, load, candidate tables, candidate id and
 * error, commit/confirm/rollback) as varbinds in walk order, for the MIB view. Columns a
 * notReady row has no value for yet are left out: a GET of them is noSuchInstance. A settings
 * column nobody wrote shows the value the row stands for (the base service's, else the default),
 * so what a manager reads is what a commit would run.
 */

import { fromHex } from '../../../src/protocol/digest.js';
import {
  AdminStateCode,
  AlgorithmCode,
  CandBackendColumn,
  CandServiceColumn,
  CandidateLoadCode,
  ConfirmCode,
  ProtocolCode,
  fulcrumCandBackendEntry,
  fulcrumCandServiceEntry,
  fulcrumCandidateConfigId,
  fulcrumCandidateError,
  fulcrumCandidateLoad,
  fulcrumCandidateSpinLock,
  fulcrumCommit,
  fulcrumConfirm,
  fulcrumRollback,
} from '../../../src/protocol/mib/fulcrum-mib.js';
import { RowStatus, SmiType, TruthValue, type Varbind } from '../../../src/protocol/mib/smi.js';
import { buildCandidate, effectiveSettings, type CandidateState, type RowState } from './candidate.js';
import { settingValue, SETTING_FIELDS, type SettingField } from '../../../src/protocol/mib/service-settings.js';

/** fulcrumCandServiceEntry's settings columns → the setting each shows. */
const SETTING_OF_COLUMN = new Map<number, SettingField>(SETTING_FIELDS.map((f) => [CandServiceColumn[f], f]));

const rowStatus = (s: RowState): number => RowStatus[s];
const byIndex = <T>(m: ReadonlyMap<number, T>): [number, T][] => [...m].sort((a, b) => a[0] - b[0]);

export function candidateVarbinds(state: CandidateState): Varbind[] {
  const out: Varbind[] = [];
  const int = (oid: readonly number[], value: number) => out.push({ oid, type: SmiType.Integer, value });
  const gauge = (oid: readonly number[], value: number) => out.push({ oid, type: SmiType.Gauge32, value });
  const text = (oid: readonly number[], value: string) => out.push({ oid, type: SmiType.OctetString, value });
  int([...fulcrumCandidateSpinLock, 0], state.spinLock);
  int([...fulcrumCandidateLoad, 0], CandidateLoadCode.none);

  const services = byIndex(state.services).map(([i, r]) => [i, r, effectiveSettings(r, state.base)] as const);
  for (const column of Object.values(CandServiceColumn)) {
    const setting = SETTING_OF_COLUMN.get(column);
    for (const [i, r, settings] of services) {
      const o = [...fulcrumCandServiceEntry, column, i];
      if (setting) out.push({ oid: o, ...settingValue(setting, settings) } as Varbind);
      else if (column === CandServiceColumn.name && r.name !== null) text(o, r.name);
      else if (column === CandServiceColumn.listen && r.listen !== null) text(o, r.listen);
      else if (column === CandServiceColumn.protocol) int(o, ProtocolCode[r.protocol]);
      else if (column === CandServiceColumn.algorithm) int(o, AlgorithmCode[r.algorithm]);
      else if (column === CandServiceColumn.fallback) text(o, r.fallback);
      else if (column === CandServiceColumn.rowStatus) int(o, rowStatus(r.status));
    }
  }
  const backends = byIndex(state.backends).flatMap(([s, m]) => byIndex(m).map(([b, r]) => [s, b, r] as const));
  for (const column of Object.values(CandBackendColumn)) {
    for (const [s, b, r] of backends) {
      const o = [...fulcrumCandBackendEntry, column, s, b];
      if (column === CandBackendColumn.address && r.address !== null) text(o, r.address);
      else if (column === CandBackendColumn.weight) gauge(o, r.weight);
      else if (column === CandBackendColumn.maxConns) gauge(o, r.maxConns);
      else if (column === CandBackendColumn.backup) int(o, r.backup ? TruthValue.true : TruthValue.false);
      else if (column === CandBackendColumn.adminState) int(o, AdminStateCode[r.adminState]);
      else if (column === CandBackendColumn.rowStatus) int(o, rowStatus(r.status));
    }
  }

  const built = buildCandidate(state);
  out.push({ oid: [...fulcrumCandidateConfigId, 0], type: SmiType.OctetString, value: built.ok ? fromHex(built.id) : new Uint8Array(0) });
  text([...fulcrumCandidateError, 0], built.ok ? '' : built.error);
  gauge([...fulcrumCommit, 0], 0);
  int([...fulcrumConfirm, 0], ConfirmCode.idle);
  gauge([...fulcrumRollback, 0], 0);
  return out;
}
