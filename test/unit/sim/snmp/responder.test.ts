import { describe, expect, it } from 'vitest';
import { MibView } from '../../../../firmware/mgmt/mib-view.js';
import * as Mib from '../../../../src/protocol/mib/fulcrum-mib.js';
import { sysDescr, sysObjectID, sysUpTime } from '../../../../src/protocol/mib/mib2.js';
import { formatOid, type Oid } from '../../../../src/protocol/mib/oid.js';
import { ErrorStatus, SmiType } from '../../../../src/protocol/mib/smi.js';
import { answerGet, answerGetBulk, answerGetNext } from '../../../../sim/snmp/responder.js';
import { Exception, WireView } from '../../../../sim/snmp/wire-view.js';
import { backend, knownInput } from '../../firmware/mgmt/mib-snapshot.js';

const wire = new WireView(MibView.build(knownInput()));
const name = (o: Oid, ...index: number[]) => formatOid([...o, ...index]);
const BIG = 65_000;

describe('SNMP responder (RFC 3416 4.2)', () => {
  it('GET: values, Counter64 as an 8-byte Buffer, noSuchInstance and noSuchObject', () => {
    const r = answerGet(
      wire,
      [name(sysDescr, 0), name(Mib.fulcrumServiceConnsTotal, 2), name(Mib.fulcrumBackendState, 7, 1), name(Mib.fulcrumNotifyDetail, 0)],
      BIG,
    );
    expect(r.errorStatus).toBe(ErrorStatus.noError);
    expect(r.varbinds[0]).toMatchObject({ oid: name(sysDescr, 0), type: SmiType.OctetString, value: expect.stringContaining('FL-1000') });
    const c64 = r.varbinds[1]!.value as Buffer;
    expect(c64).toHaveLength(8);
    expect(c64.readBigUInt64BE()).toBe(2n ** 63n + 5n);
    expect(r.varbinds[2]).toMatchObject({ oid: name(Mib.fulcrumBackendState, 7, 1), type: Exception.noSuchInstance, value: null });
    expect(r.varbinds[3]).toMatchObject({ oid: name(Mib.fulcrumNotifyDetail, 0), type: Exception.noSuchObject, value: null });
  });

  it('GETNEXT: the next instance per varbind, endOfMibView named as requested past the end', () => {
    const r = answerGetNext(wire, [name(sysDescr, 0), name(Mib.fulcrumBackendTable), '1.3.6.1.4.1.32474'], BIG);
    expect(r.varbinds.map((v) => v.oid)).toEqual([name(sysObjectID, 0), name(Mib.fulcrumBackendAddress, 1, 1), '1.3.6.1.4.1.32474']);
    expect(r.varbinds[1]!.value).toBe('192.0.2.1:80');
    expect(r.varbinds[2]!.type).toBe(Exception.endOfMibView);
  });

  it('GET and GETNEXT answer tooBig with no varbinds when the response would not fit', () => {
    const r = answerGet(wire, [name(sysDescr, 0), name(sysDescr, 0)], 60);
    expect(r).toEqual({ errorStatus: ErrorStatus.tooBig, errorIndex: 0, varbinds: [] });
  });

  it('GETBULK returns N + M × R varbinds, not max-repetitions in all', () => {
    const r = answerGetBulk(wire, [name(sysUpTime), name(Mib.fulcrumBackendAddress), name(Mib.fulcrumBackendConnsTotal)], 1, 4, BIG);
    expect(r.varbinds).toHaveLength(1 + 4 * 2);
    expect(r.varbinds[0]!.oid).toBe(name(sysUpTime, 0));
    // Repetitions interleave the repeaters: row by row.
    expect(r.varbinds.slice(1).map((v) => v.oid)).toEqual([
      name(Mib.fulcrumBackendAddress, 1, 1),
      name(Mib.fulcrumBackendConnsTotal, 1, 1),
      name(Mib.fulcrumBackendAddress, 1, 2),
      name(Mib.fulcrumBackendConnsTotal, 1, 2),
      name(Mib.fulcrumBackendAddress, 2, 1),
      name(Mib.fulcrumBackendConnsTotal, 2, 1),
      name(Mib.fulcrumBackendAddress, 2, 2),
      name(Mib.fulcrumBackendConnsTotal, 2, 2),
    ]);
  });

  it('GETBULK walks on past a column into the next (like GETNEXT), and stops after a repetition of all endOfMibView', () => {
    const last = wire.view.varbinds[wire.length - 1]!.oid;
    const r = answerGetBulk(wire, [formatOid(wire.view.varbinds[wire.length - 3]!.oid), formatOid(last)], 0, 10, BIG);
    // Repetition 1: two instances / end; 2: one instance / end; 3: end / end -> stop there.
    expect(r.varbinds.map((v) => v.type === Exception.endOfMibView)).toEqual([false, true, false, true, true, true]);
    // endOfMibView keeps the name the repeater had reached.
    expect(r.varbinds[5]!.oid).toBe(formatOid(last));
    expect(r.varbinds[4]!.oid).toBe(formatOid(last));
  });

  it('GETBULK drops varbinds from the end, never errs, when the response would exceed the message size', () => {
    const all = answerGetBulk(wire, [name(Mib.fulcrumObjects)], 0, 1000, BIG);
    // Every instance after the system group, then one repetition of endOfMibView.
    expect(all.varbinds.length).toBe(wire.length - 7 + 1);
    expect(all.varbinds.at(-1)!.type).toBe(Exception.endOfMibView);
    const cut = answerGetBulk(wire, [name(Mib.fulcrumObjects)], 0, 1000, 400);
    expect(cut.errorStatus).toBe(ErrorStatus.noError);
    expect(cut.varbinds.length).toBeGreaterThan(3);
    expect(cut.varbinds.length).toBeLessThan(all.varbinds.length);
    expect(cut.varbinds).toEqual(all.varbinds.slice(0, cut.varbinds.length));
  });

  it('GETBULK with max-repetitions 0 or only non-repeaters answers the non-repeaters alone', () => {
    expect(answerGetBulk(wire, [name(sysDescr), name(sysUpTime)], 1, 0, BIG).varbinds.map((v) => v.oid)).toEqual([name(sysDescr, 0)]);
    expect(answerGetBulk(wire, [name(sysDescr), name(sysUpTime)], 5, 9, BIG).varbinds).toHaveLength(2);
    expect(answerGetBulk(wire, [name(sysDescr)], -3, 2, BIG).varbinds).toHaveLength(2);
  });

  it('walking a 1,000-backend view with GETBULK visits every instance once, in order', () => {
    const input = knownInput();
    input.counters.services[0]!.backends = Array.from({ length: 1000 }, (_, i) =>
      backend(`192.0.2.${1 + Math.floor(i / 250)}:${9000 + (i % 250)}`, { connsTotal: BigInt(i) }),
    );
    const big = new WireView(MibView.build(input));
    const seen: string[] = [];
    let from = name(Mib.fulcrumMIB);
    for (;;) {
      const r = answerGetBulk(big, [from], 0, 50, BIG);
      const inside = r.varbinds.filter((v) => v.type !== Exception.endOfMibView && v.oid.startsWith(`${name(Mib.fulcrumMIB)}.`));
      seen.push(...inside.map((v) => v.oid));
      if (inside.length < r.varbinds.length || r.varbinds.length === 0) break;
      from = r.varbinds[r.varbinds.length - 1]!.oid;
    }
    expect(seen).toHaveLength(big.length - 7);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((o) => o.startsWith(`${name(Mib.fulcrumBackendConnsTotal)}.`))).toHaveLength(1003);
  });
});
