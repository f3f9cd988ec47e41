/**
 * The agent's own objects, read over SNMP after the appliance's: the snmpEngine group of
 * SNMP-FRAMEWORK-MIB (RFC 3411: snmpEngineID, -Boots, -Time, -MaxMessageSize) and the USM
 * counters this agent keeps (SNMP-USM-MIB, RFC 3414: usmStatsNotInTimeWindows,
 * usmStatsUnknownEngineIDs). Read-only: a SET of them is notWritable like any object outside
 * FULCRUM-MIB's writable ones.
 *
 * They sort after everything the appliance's view holds (1.3.6.1.6 comes after 1.3.6.1.2 and
 * 1.3.6.1.4), so the combined view is the appliance's followed by these. Their values are taken
 * per request: snmpEngineTime moves every second and a counter with each refusal, unlike the
 * appliance's snapshot, which may be a second old.
 */

import { compareOids, startsWith, type Oid } from '../../src/protocol/mib/oid.js';
import { SmiType, type Varbind } from '../../src/protocol/mib/smi.js';
import type { SnmpEngine } from './snmp-engine.js';
import { wireVarbind, type ReadView, type SizedVarbind } from './wire-view.js';

const snmpEngine: Oid = [1, 3, 6, 1, 6, 3, 10, 2, 1];
const usmStats: Oid = [1, 3, 6, 1, 6, 3, 15, 1, 1];
export const snmpEngineID: Oid = [...snmpEngine, 1];
export const snmpEngineBoots: Oid = [...snmpEngine, 2];
export const snmpEngineTime: Oid = [...snmpEngine, 3];
export const snmpEngineMaxMessageSize: Oid = [...snmpEngine, 4];
export const usmStatsNotInTimeWindows: Oid = [...usmStats, 2];
export const usmStatsUnknownEngineIDs: Oid = [...usmStats, 4];

/** The objects served here, in walk order. */
const OBJECTS: readonly Oid[] = [snmpEngineID, snmpEngineBoots, snmpEngineTime, snmpEngineMaxMessageSize, usmStatsNotInTimeWindows, usmStatsUnknownEngineIDs];

/** The instances, in walk order, with the engine's values now. */
export function engineVarbinds(engine: SnmpEngine, maxMessageSize: number): Varbind[] {
  const stats = engine.stats;
  return [
    { oid: [...snmpEngineID, 0], type: SmiType.OctetString, value: Buffer.from(engine.engineId, 'hex') },
    { oid: [...snmpEngineBoots, 0], type: SmiType.Integer, value: engine.boots },
    { oid: [...snmpEngineTime, 0], type: SmiType.Integer, value: engine.time },
    { oid: [...snmpEngineMaxMessageSize, 0], type: SmiType.Integer, value: maxMessageSize },
    { oid: [...usmStatsNotInTimeWindows, 0], type: SmiType.Counter32, value: stats.notInTimeWindows },
    { oid: [...usmStatsUnknownEngineIDs, 0], type: SmiType.Counter32, value: stats.unknownEngineIds },
  ];
}

/** `base` followed by `tail`, whose instances all sort after base's (test/unit/sim/snmp/engine-mib.test.ts checks it for these objects). */
export class AppendedView implements ReadView {
  private readonly tail: readonly SizedVarbind[];

  constructor(
    private readonly base: ReadView,
    private readonly tailVarbinds: readonly Varbind[],
  ) {
    this.tail = tailVarbinds.map(wireVarbind);
  }

  get length(): number {
    return this.base.length + this.tail.length;
  }

  at(i: number): SizedVarbind {
    return i < this.base.length ? this.base.at(i) : this.tail[i - this.base.length]!;
  }

  indexOf(o: Oid): number {
    const i = this.base.indexOf(o);
    if (i >= 0) return i;
    const j = this.tailVarbinds.findIndex((v) => compareOids(v.oid, o) === 0);
    return j >= 0 ? this.base.length + j : -1;
  }

  nextIndex(o: Oid): number {
    const i = this.base.nextIndex(o);
    if (i < this.base.length) return i;
    const j = this.tailVarbinds.findIndex((v) => compareOids(v.oid, o) > 0);
    return this.base.length + (j >= 0 ? j : this.tail.length);
  }

  serves(o: Oid): boolean {
    return this.base.serves(o) || OBJECTS.some((object) => startsWith(o, object));
  }
}
