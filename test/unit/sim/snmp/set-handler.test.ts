import { describe, expect, it } from 'vitest';
import type { WeightChange } from '../../../../firmware/mgmt/mib/weights.js';
import * as Mib from '../../../../src/protocol/mib/fulcrum-mib.js';
import { sysDescr } from '../../../../src/protocol/mib/mib2.js';
import { formatOid, type Oid } from '../../../../src/protocol/mib/oid.js';
import { ErrorStatus, SmiType } from '../../../../src/protocol/mib/smi.js';
import { answerSet, type FailoverTarget, type WeightTarget } from '../../../../sim/snmp/set-handler.js';

const name = (o: Oid, ...index: number[]) => formatOid([...o, ...index]);
const weight = (s: number, b: number, value: unknown, type: number = SmiType.Gauge32) => ({
  oid: name(Mib.fulcrumBackendWeight, s, b),
  type,
  value: value as number,
});

function target(over: Partial<WeightTarget> = {}): WeightTarget & { commits: WeightChange[][] } {
  const commits: WeightChange[][] = [];
  return {
    commits,
    rowExists: (s, b) => s === 1 && b >= 1 && b <= 2,
    pendingConfirm: () => false,
    commitWeights: async (c) => void commits.push([...c]),
    ...over,
  };
}

describe('SNMP SET (RFC 3416 4.2.5)', () => {
  it('commits every weight of the request at once and echoes the varbinds', async () => {
    const t = target();
    const r = await answerSet([weight(1, 1, 5), weight(1, 2, 0)], true, t);
    expect(r).toEqual({ errorStatus: ErrorStatus.noError, errorIndex: 0, varbinds: [weight(1, 1, 5), weight(1, 2, 0)] });
    expect(t.commits).toEqual([
      [
        { service: 1, backend: 1, weight: 5 },
        { service: 1, backend: 2, weight: 0 },
      ],
    ]);
  });

  it('answers a read-only requester noAccess, changing nothing', async () => {
    const t = target();
    expect(await answerSet([weight(1, 1, 5)], false, t)).toMatchObject({ errorStatus: ErrorStatus.noAccess, errorIndex: 1 });
    expect(t.commits).toEqual([]);
  });

  it('answers notWritable for read-only and unimplemented objects, naming the first such varbind', async () => {
    const t = target();
    const r = await answerSet([weight(1, 1, 5), { oid: name(sysDescr, 0), type: SmiType.OctetString, value: 'x' }], true, t);
    expect(r).toMatchObject({ errorStatus: ErrorStatus.notWritable, errorIndex: 2 });
    expect((await answerSet([{ oid: name(Mib.fulcrumCommit, 0), type: SmiType.Gauge32, value: 0 }], true, t)).errorStatus).toBe(ErrorStatus.notWritable);
    expect((await answerSet([weight(1, 1, 5)], true, null)).errorStatus).toBe(ErrorStatus.notWritable);
    expect(t.commits).toEqual([]);
  });

  it('checks type, range and row: wrongType, wrongValue, noCreation', async () => {
    const t = target();
    expect((await answerSet([weight(1, 1, 5, SmiType.Integer)], true, t)).errorStatus).toBe(ErrorStatus.wrongType);
    expect((await answerSet([weight(1, 1, 65_536)], true, t)).errorStatus).toBe(ErrorStatus.wrongValue);
    expect((await answerSet([weight(1, 3, 1)], true, t)).errorStatus).toBe(ErrorStatus.noCreation);
    expect((await answerSet([{ oid: name(Mib.fulcrumBackendWeight, 1), type: SmiType.Gauge32, value: 1 }], true, t)).errorStatus).toBe(ErrorStatus.noCreation);
    expect(t.commits).toEqual([]);
  });

  it('refuses while a commit awaits confirmation (inconsistentValue) and reports a refused commit as commitFailed', async () => {
    expect((await answerSet([weight(1, 1, 5)], true, target({ pendingConfirm: () => true }))).errorStatus).toBe(ErrorStatus.inconsistentValue);
    const refused = target({ commitWeights: () => Promise.reject(new Error('listen address in use')) });
    expect(await answerSet([weight(1, 1, 5)], true, refused)).toMatchObject({ errorStatus: ErrorStatus.commitFailed, errorIndex: 1 });
  });

  it('hands fulcrumConfig requests to the config target whole, and keeps them apart from weight writes', async () => {
    const seen: unknown[] = [];
    const t = { ...target(), setConfig: async (v: readonly unknown[]) => (seen.push(v), { errorStatus: ErrorStatus.wrongValue, errorIndex: 2 }) };
    const load = { oid: name(Mib.fulcrumCandidateLoad, 0), type: SmiType.Integer, value: 3 };
    const lock = { oid: name(Mib.fulcrumCandidateSpinLock, 0), type: SmiType.Integer, value: 0 };
    expect(await answerSet([lock, load], true, t)).toMatchObject({ errorStatus: ErrorStatus.wrongValue, errorIndex: 2, varbinds: [lock, load] });
    expect(seen).toEqual([
      [
        { oid: [...Mib.fulcrumCandidateSpinLock, 0], type: SmiType.Integer, value: 0 },
        { oid: [...Mib.fulcrumCandidateLoad, 0], type: SmiType.Integer, value: 3 },
      ],
    ]);
    expect(await answerSet([load, weight(1, 1, 5)], true, t)).toMatchObject({ errorStatus: ErrorStatus.inconsistentValue, errorIndex: 2 });
    expect(await answerSet([load, { oid: name(sysDescr, 0), type: SmiType.OctetString, value: 'x' }], true, t)).toMatchObject({
      errorStatus: ErrorStatus.notWritable,
      errorIndex: 2,
    });
    expect(await answerSet([load], false, t)).toMatchObject({ errorStatus: ErrorStatus.noAccess, errorIndex: 1 });
    expect(seen).toHaveLength(1);
    expect(t.commits).toEqual([]);
  });

  it('hands fulcrumFailover requests to the failover target whole, never mixed with another kind', async () => {
    const seen: unknown[] = [];
    const t: WeightTarget & FailoverTarget = {
      ...target(),
      setFailover: (vbs) => {
        seen.push(vbs.map((v) => [...v.oid]));
        return { errorStatus: ErrorStatus.inconsistentValue, errorIndex: 1 };
      },
    };
    const go = { oid: name(Mib.fulcrumFoAction, 0), type: SmiType.Integer, value: Mib.FoActionCode.goStandby };
    expect(await answerSet([go], true, t)).toEqual({ errorStatus: ErrorStatus.inconsistentValue, errorIndex: 1, varbinds: [go] });
    expect(seen).toEqual([[[...Mib.fulcrumFoAction, 0]]]);
    expect(await answerSet([go, weight(1, 1, 5)], true, t)).toMatchObject({ errorStatus: ErrorStatus.inconsistentValue, errorIndex: 2 });
    expect(seen).toHaveLength(1);
    expect(await answerSet([go], false, t)).toMatchObject({ errorStatus: ErrorStatus.noAccess });
    // A target that takes no failover actions: the object is not writable.
    expect(await answerSet([go], true, target())).toMatchObject({ errorStatus: ErrorStatus.notWritable, errorIndex: 1 });
  });
});
