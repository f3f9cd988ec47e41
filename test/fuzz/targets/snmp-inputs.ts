/**
 * SET requests for the SNMP targets: OIDs aimed at the writable objects (candidate scalars and
 * rows, backend weights) and just beside them, with types and values that fit, almost fit, or
 * are nonsense — as a confused or hostile manager would send them.
 */

import fc from 'fast-check';
import * as M from '../../../src/protocol/mib/fulcrum-mib.js';
import { sysDescr } from '../../../src/protocol/mib/mib2.js';
import type { Oid } from '../../../src/protocol/mib/oid.js';
import { RowStatus, SmiType } from '../../../src/protocol/mib/smi.js';

const index = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 65_535, 65_536, 2 ** 31 - 1, 2 ** 32 - 1) },
);
const column = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 2, max: 7 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 12 }) });

const aimed: fc.Arbitrary<Oid> = fc.oneof(
  fc.constantFrom(...Object.values(M.ConfigScalar)).map((s) => [...M.fulcrumConfig, s, 0]),
  fc.tuple(column, index).map(([c, i]) => M.columnInstance(M.fulcrumCandServiceEntry, c, i)),
  fc.tuple(column, index, index).map(([c, s, b]) => M.columnInstance(M.fulcrumCandBackendEntry, c, s, b)),
  fc.tuple(index, index).map(([s, b]) => [...M.fulcrumBackendWeight, s, b]),
  fc.constantFrom([...sysDescr, 0], [...M.fulcrumConfigId, 0], [...M.fulcrumServiceName, 1], M.fulcrumConfig, M.fulcrumCandServiceEntry),
);

/** Aimed OIDs, sometimes cut short or with arcs added; and OIDs from nowhere. */
export const oidArcs: fc.Arbitrary<Oid> = fc.oneof(
  { weight: 8, arbitrary: aimed },
  {
    weight: 2,
    arbitrary: fc
      .tuple(aimed, fc.nat(), fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 3 }))
      .map(([o, cut, extra]) => [...o.slice(0, Math.max(2, o.length - (cut % 3))), ...extra]),
  },
  { weight: 1, arbitrary: fc.array(fc.nat({ max: 2 ** 32 - 1 }), { minLength: 2, maxLength: 14 }).map((a) => [a[0]! % 3, a[1]! % 40, ...a.slice(2)]) },
);

export const smiType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(SmiType.Integer, SmiType.OctetString, SmiType.Gauge32) },
  { weight: 1, arbitrary: fc.constantFrom(SmiType.Counter32, SmiType.Counter64, SmiType.TimeTicks, SmiType.ObjectIdentifier, 5, 0, 0x80, 255) },
);

const texts = [
  'web',
  'svc-1',
  '10.0.0.1:80',
  '10.0.0.2:8080',
  '[2001:db8::1]:443',
  '0.0.0.0:80',
  '10.0.0.1:0',
  '10.0.0.1',
  'x'.repeat(64),
  'x'.repeat(65),
  '',
  ' web',
  'ü',
  'a:b:c',
  '[::]:1',
];
const interesting = [
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  -1,
  65_535,
  65_536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  1.5,
  -0,
  NaN,
  Infinity,
  -Infinity,
];

export const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...interesting) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 4, arbitrary: fc.constantFrom(...texts).map((t) => new TextEncoder().encode(t)) },
  { weight: 1, arbitrary: fc.constantFrom(...texts) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, true, false, 1n, 2n ** 64n, [], {}, [1, 3, 6], { length: 3 }) },
  { weight: 1, arbitrary: fc.double() },
);

/** RowStatus writes are what drives the row machinery: make them common. */
export const rowStatusValue = fc.constantFrom(
  RowStatus.active,
  RowStatus.notInService,
  RowStatus.notReady,
  RowStatus.createAndGo,
  RowStatus.createAndWait,
  RowStatus.destroy,
);

export interface FuzzVarbind {
  oid: Oid;
  type: number;
  value: unknown;
}

export const varbind: fc.Arbitrary<FuzzVarbind> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ oid: oidArcs, type: smiType, value }) },
  { weight: 2, arbitrary: fc.record({ oid: oidArcs, type: fc.constant(SmiType.Integer), value: rowStatusValue }) },
);

export const varbinds = fc.array(varbind, { maxLength: 8 });
