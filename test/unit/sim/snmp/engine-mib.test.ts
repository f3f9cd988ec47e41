import { describe, expect, it } from 'vitest';
import { MibView, SERVED_OBJECTS } from '../../../../firmware/mgmt/mib-view.js';
import { compareOids, formatOid, type Oid } from '../../../../src/protocol/mib/oid.js';
import { SmiType } from '../../../../src/protocol/mib/smi.js';
import { MemoryStorage } from '../../../../sim/ports/state-dir.js';
import {
  AppendedView,
  engineVarbinds,
  snmpEngineBoots,
  snmpEngineID,
  snmpEngineMaxMessageSize,
  snmpEngineTime,
  usmStatsNotInTimeWindows,
  usmStatsUnknownEngineIDs,
} from '../../../../sim/snmp/engine-mib.js';
import { answerGet, answerGetBulk, answerGetNext } from '../../../../sim/snmp/responder.js';
import { SnmpEngine } from '../../../../sim/snmp/snmp-engine.js';
import { Exception, WireView } from '../../../../sim/snmp/wire-view.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { knownInput } from '../../firmware/mgmt/mib-snapshot.js';

const name = (o: Oid, ...index: number[]) => formatOid([...o, ...index]);
const BIG = 65_000;

async function fixture() {
  const clock = new FakeClock();
  const engine = await SnmpEngine.start({ storage: new MemoryStorage(), clock, serialNumber: 'FL0000000042' });
  const base = new WireView(MibView.build(knownInput()));
  return { clock, engine, base, view: () => new AppendedView(base, engineVarbinds(engine, 1_400)) };
}

describe('the agent’s own objects (snmpEngine group, usmStats) after the appliance’s view', () => {
  it('sort after every object the appliance serves, and in walk order among themselves', async () => {
    const { engine } = await fixture();
    const oids = engineVarbinds(engine, 1_400).map((v) => v.oid);
    for (let i = 1; i < oids.length; i++) expect(compareOids(oids[i - 1]!, oids[i]!)).toBeLessThan(0);
    for (const o of SERVED_OBJECTS) expect(compareOids(o, oids[0]!)).toBeLessThan(0);
  });

  it('GET: the values now (engine id octets, boots, time, max message size, counters), noSuchInstance beside them', async () => {
    const { clock, engine, view } = await fixture();
    await clock.advance(7_500);
    engine.refused('notInTimeWindow');
    const r = answerGet(
      view(),
      [
        name(snmpEngineID, 0),
        name(snmpEngineBoots, 0),
        name(snmpEngineTime, 0),
        name(snmpEngineMaxMessageSize, 0),
        name(usmStatsNotInTimeWindows, 0),
        name(usmStatsUnknownEngineIDs, 0),
        name(snmpEngineBoots, 1),
      ],
      BIG,
    );
    expect(r.varbinds.map((v) => [v.type, v.value])).toEqual([
      [SmiType.OctetString, Buffer.from(engine.engineId, 'hex')],
      [SmiType.Integer, 1],
      [SmiType.Integer, 7],
      [SmiType.Integer, 1_400],
      [SmiType.Counter32, 1],
      [SmiType.Counter32, 0],
      [Exception.noSuchInstance, null],
    ]);
  });

  it('the appliance’s objects are answered as before; a walk runs from its last instance into these, then ends', async () => {
    const { base, view } = await fixture();
    const v = view();
    const last = base.at(base.length - 1);
    expect(answerGet(v, [last.oid], BIG).varbinds[0]).toBe(last);
    expect(answerGetNext(v, [last.oid], BIG).varbinds[0]!.oid).toBe(name(snmpEngineID, 0));
    const bulk = answerGetBulk(v, [last.oid], 0, 10, BIG).varbinds;
    expect(bulk.map((x) => x.oid)).toEqual([
      ...[snmpEngineID, snmpEngineBoots, snmpEngineTime, snmpEngineMaxMessageSize, usmStatsNotInTimeWindows, usmStatsUnknownEngineIDs].map((o) => name(o, 0)),
      name(usmStatsUnknownEngineIDs, 0),
    ]);
    expect(bulk.at(-1)!.type).toBe(Exception.endOfMibView);
    expect(answerGetNext(v, ['1.3.6.1.6.3.11'], BIG).varbinds[0]!.oid).toBe(name(usmStatsNotInTimeWindows, 0));
    expect(answerGet(v, ['1.3.6.1.6.3.15.1.1.3.0'], BIG).varbinds[0]!.type).toBe(Exception.noSuchObject);
  });
});
