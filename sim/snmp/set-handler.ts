/**
 * Answers SET. Four kinds of request: weight writes (fulcrumBackendWeight, checked here),
 * configuration writes (fulcrumConfig: the candidate rows, lock, commit, confirm, rollback;
 * checked by firmware/mgmt/mib/candidate.ts through the target), firmware steps
 * (fulcrumFirmware) and the failover action (fulcrumFailover), each checked under
 * firmware/mgmt/mib/ through the target. One request is one kind: a weight write commits at once, while a candidate edit does not, so mixing them would make one
 * request mean two different things. Everything else is notWritable. The checks follow
 * RFC 3416 4.2.5 in its order, and the request is applied all or nothing: the first failing
 * varbind fails the request and nothing changes.
 */

import type { WeightChange } from '../../firmware/mgmt/mib/weights.js';
import { WEIGHT_MAX, fulcrumBackendWeight, fulcrumConfig, fulcrumFailover, fulcrumFirmware } from '../../src/protocol/mib/fulcrum-mib.js';
import { startsWith } from '../../src/protocol/mib/oid.js';
import { ErrorStatus, SmiType } from '../../src/protocol/mib/smi.js';
import { arcsOf } from './responder.js';
import { varbindSize, type WireVarbind } from './wire-view.js';

/** What a weight write reaches: the appliance's running config (sim/snmp/appliance-mib.ts). */
export interface WeightTarget {
  rowExists(service: number, backend: number): boolean;
  pendingConfirm(): boolean;
  /** Commits the changes; rejects with the reason when the appliance refuses (nothing changed). */
  commitWeights(changes: readonly WeightChange[]): Promise<void>;
}

/** What a firmware write reaches (sim/snmp/appliance-mib.ts); absent: fulcrumFirmware is not writable. */
export interface FirmwareTarget {
  /** Checks and applies a fulcrumFirmware request all or nothing; the status and 1-based index of the failing varbind, or noError. */
  setFirmware(varbinds: readonly { oid: readonly number[]; type: number; value: unknown }[]): Promise<{ errorStatus: number; errorIndex: number }>;
}

/** What a failover action reaches (sim/snmp/appliance-mib.ts); absent: fulcrumFailover is not writable. */
export interface FailoverTarget {
  /** Checks and applies a fulcrumFailover request all or nothing; the status and 1-based index of the failing varbind, or noError. */
  setFailover(varbinds: readonly { oid: readonly number[]; type: number; value: unknown }[]): { errorStatus: number; errorIndex: number };
}

/** What a configuration write reaches (sim/snmp/appliance-mib.ts); absent: fulcrumConfig is not writable. */
export interface ConfigTarget {
  /** Checks and applies a fulcrumConfig request all or nothing; the status and 1-based index of the failing varbind, or noError. */
  setConfig(varbinds: readonly { oid: readonly number[]; type: number; value: unknown }[]): Promise<{ errorStatus: number; errorIndex: number }>;
}

export interface SetResponse {
  errorStatus: number;
  /** 1-based position of the failing varbind; 0 on success. */
  errorIndex: number;
  varbinds: WireVarbind[];
}

/**
 * `canWrite` is the requester's access (a read-only community or user gets noAccess);
 * `target` is null when the appliance takes no writes at all.
 */
export async function answerSet(
  varbinds: readonly WireVarbind[],
  canWrite: boolean,
  target: (WeightTarget & Partial<ConfigTarget> & Partial<FirmwareTarget> & Partial<FailoverTarget>) | null,
): Promise<SetResponse> {
  const echo = varbinds.map((v) => ({ oid: v.oid, type: v.type, value: v.value }));
  const fail = (status: number, index: number): SetResponse => ({ errorStatus: status, errorIndex: index, varbinds: echo });
  // RFC 3416 4.2.5 (1): nothing is in a read-only requester's write view.
  if (!canWrite) return fail(ErrorStatus.noAccess, varbinds.length > 0 ? 1 : 0);

  const names = varbinds.map((v) => arcsOf(v.oid));
  // fulcrumFirmware: a request of its own kind too (an upgrade step, never mixed with a config edit).
  if (names.some((a) => startsWith(a, fulcrumFirmware)) && target?.setFirmware) {
    const other = names.findIndex((a) => !startsWith(a, fulcrumFirmware));
    if (other >= 0) return fail(ErrorStatus.inconsistentValue, other + 1);
    const r = await target.setFirmware(varbinds.map((v, i) => ({ oid: names[i]!, type: v.type, value: v.value })));
    return { ...r, varbinds: echo };
  }
  // fulcrumFailover: an operator action on the group, never mixed with anything else.
  if (names.some((a) => startsWith(a, fulcrumFailover)) && target?.setFailover) {
    const other = names.findIndex((a) => !startsWith(a, fulcrumFailover));
    if (other >= 0) return fail(ErrorStatus.inconsistentValue, other + 1);
    const r = target.setFailover(varbinds.map((v, i) => ({ oid: names[i]!, type: v.type, value: v.value })));
    return { ...r, varbinds: echo };
  }
  const firstConfig = names.findIndex((a) => startsWith(a, fulcrumConfig));
  if (firstConfig >= 0 && target?.setConfig) {
    const other = names.findIndex((a) => !startsWith(a, fulcrumConfig));
    if (other >= 0) return fail(startsWith(names[other]!, fulcrumBackendWeight) ? ErrorStatus.inconsistentValue : ErrorStatus.notWritable, other + 1);
    const r = await target.setConfig(varbinds.map((v, i) => ({ oid: names[i]!, type: v.type, value: v.value })));
    return { ...r, varbinds: echo };
  }

  const changes: WeightChange[] = [];
  for (const [i, v] of varbinds.entries()) {
    const arcs = arcsOf(v.oid);
    // (2): no variable under this prefix can ever be written.
    if (!target || !startsWith(arcs, fulcrumBackendWeight)) return fail(ErrorStatus.notWritable, i + 1);
    // (3) and (6): Unsigned32 travels with the Gauge32 tag.
    if (v.type !== SmiType.Gauge32) return fail(ErrorStatus.wrongType, i + 1);
    const weight = v.value;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > WEIGHT_MAX) return fail(ErrorStatus.wrongValue, i + 1);
    // (7): rows of this table are never created by a write (it mirrors the running config).
    const index = arcs.slice(fulcrumBackendWeight.length);
    const [service, backend] = index;
    if (index.length !== 2 || service === undefined || backend === undefined || !target.rowExists(service, backend)) return fail(ErrorStatus.noCreation, i + 1);
    changes.push({ service, backend, weight });
  }
  if (changes.length === 0 || !target) return { errorStatus: ErrorStatus.noError, errorIndex: 0, varbinds: echo };
  // (10): committing now would also confirm the pending commit — not what a weight write means.
  if (target.pendingConfirm()) return fail(ErrorStatus.inconsistentValue, 1);
  try {
    await target.commitWeights(changes);
  } catch {
    // The appliance changes all or nothing: a refused commit left the running config as it was,
    // which is what commitFailed says. The reason is in fulcrumLastOperationMessage.
    return fail(ErrorStatus.commitFailed, 1);
  }
  return { errorStatus: ErrorStatus.noError, errorIndex: 0, varbinds: echo };
}

/** An upper bound of the encoded size of the varbinds of a SET's response (an echo of the request). */
export function setResponseSize(varbinds: readonly WireVarbind[]): number {
  let size = 0;
  for (const v of varbinds) {
    const value = v.value;
    const length = Buffer.isBuffer(value) ? value.length : typeof value === 'string' ? Buffer.byteLength(value) : 9;
    size += varbindSize(arcsOf(v.oid), length);
  }
  return size;
}
