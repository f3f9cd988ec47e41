import fc from 'fast-check';
import { compareOids, formatOid } from '../../../src/protocol/mib/oid.js';
import { ErrorStatus } from '../../../src/protocol/mib/smi.js';
import { configId } from '../../../src/protocol/rules/index.js';
import { loadRules } from '../../../src/rules/index.js';
import { ApplianceMib } from '../../../sim/snmp/appliance-mib.js';
import { arcsOf, answerGet, answerGetBulk, answerGetNext, type ReadResponse } from '../../../sim/snmp/responder.js';
import { answerSet } from '../../../sim/snmp/set-handler.js';
import { Exception, type WireVarbind } from '../../../sim/snmp/wire-view.js';
import { FakeClock } from '../../support/fake-clock.js';
import { ensure, target } from '../target.js';
import { bootAppliance } from './boot-appliance.js';
import { oidArcs, varbinds, type FuzzVarbind } from './snmp-inputs.js';

const SEEDS = [
  'services: []',
  'services:\n  - name: web\n    listen: 10.0.0.1:80\n    backends: [{address: 10.0.0.2:80, weight: 5}, {address: 10.0.0.3:80}]',
  `services:
  - name: api
    listen: "[2001:db8::1]:443"
    algorithm: maglev
    maglev-table-size: 251
    health: { type: tcp, interval: 2s, timeout: 1s, rise: 2, fall: 3 }
    backends: [{address: 10.0.1.1:443}, {address: 10.0.1.2:443, backup: true}]
  - name: dns
    listen: 10.0.0.1:53
    protocol: udp
    backends: [{address: 10.0.2.1:53, state: drain}]`,
].map((text) => loadRules(text, 'seed.yaml'));

/** Health probes are scheduled on the fake clock, which never moves: none may run. */
const ERROR_STATUSES = new Set<number>(Object.values(ErrorStatus));

const wire = (vbs: readonly FuzzVarbind[]): WireVarbind[] =>
  vbs.map((v) => ({ oid: formatOid(v.oid), type: v.type, value: (v.value instanceof Uint8Array ? Buffer.from(v.value) : v.value) as WireVarbind['value'] }));

const request = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      canWrite: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      varbinds,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('get' as const, 'getnext' as const, 'getbulk' as const),
      names: fc.array(oidArcs, { maxLength: 6 }),
      nonRepeaters: fc.integer({ min: -2, max: 8 }),
      maxRepetitions: fc.integer({ min: -2, max: 40 }),
      budget: fc.oneof(fc.constant(1_400), fc.constant(65_000), fc.integer({ min: 0, max: 2_000 })),
    }),
  },
);

type Request = typeof request extends fc.Arbitrary<infer R> ? R : never;

function checkRead(r: Request & { kind: 'get' | 'getnext' | 'getbulk' }, response: ReadResponse): void {
  ensure(
    response.errorStatus === ErrorStatus.noError || response.errorStatus === ErrorStatus.tooBig,
    () => `read answered error status ${response.errorStatus}`,
  );
  if (response.errorStatus === ErrorStatus.tooBig) return ensure(response.varbinds.length === 0, 'tooBig with varbinds');
  const n = r.names.length;
  if (r.kind === 'get' || r.kind === 'getnext') ensure(response.varbinds.length === n, () => `${r.kind} of ${n} names answered ${response.varbinds.length}`);
  if (r.kind === 'getbulk') {
    const nonRep = Math.min(Math.max(r.nonRepeaters, 0), n);
    const bound = nonRep + Math.max(r.maxRepetitions, 0) * (n - nonRep);
    ensure(response.varbinds.length <= bound, () => `getbulk answered ${response.varbinds.length} varbinds, more than N + M × R = ${bound}`);
  }
  if (r.kind === 'getnext') {
    response.varbinds.forEach((v, i) => {
      if (v.type === Exception.endOfMibView) return;
      ensure(compareOids(arcsOf(v.oid), r.names[i]!) > 0, () => `getnext of ${formatOid(r.names[i]!)} answered ${v.oid}, not after it`);
    });
  }
}

export default target({
  name: 'snmp-agent',
  what: "the simulator's SNMP request path without sockets (answerSet on ApplianceMib over a booted firmware, answerGet/GetNext/GetBulk on its view): never throws; known error statuses and indexes; a refused SET changes nothing; reads keep RFC 3416's shapes",
  arbitrary: fc.record({ seed: fc.nat({ max: SEEDS.length - 1 }), requests: fc.array(request, { minLength: 1, maxLength: 4 }) }),
  async: true,
  check: async ({ seed, requests }) => {
    const clock = new FakeClock();
    const appliance = await bootAppliance(clock, SEEDS[seed]!);
    const mib = new ApplianceMib(appliance, { clock, sysName: 'fuzz' });
    try {
      for (const r of requests) {
        if (r.kind === 'set') {
          const before = appliance.configId;
          const sent = wire(r.varbinds);
          const response = await answerSet(sent, r.canWrite, mib);
          ensure(ERROR_STATUSES.has(response.errorStatus), () => `SET answered error status ${response.errorStatus}`);
          const okIndex =
            response.errorStatus === ErrorStatus.noError ? response.errorIndex === 0 : response.errorIndex >= 0 && response.errorIndex <= sent.length;
          ensure(okIndex, () => `SET answered error index ${response.errorIndex} of ${sent.length} (status ${response.errorStatus})`);
          ensure(response.varbinds.length === sent.length, 'SET response does not echo the request');
          if (response.errorStatus !== ErrorStatus.noError)
            ensure(appliance.configId === before, () => `a refused SET (status ${response.errorStatus}) changed the running config`);
        } else {
          const names = r.names.map(formatOid);
          const view = mib.current();
          const response =
            r.kind === 'get'
              ? answerGet(view, names, r.budget)
              : r.kind === 'getnext'
                ? answerGetNext(view, names, r.budget)
                : answerGetBulk(view, names, r.nonRepeaters, r.maxRepetitions, r.budget);
          checkRead(r, response);
        }
        ensure(configId(appliance.rules) === appliance.configId, 'the running table and the running config id disagree');
      }
    } finally {
      mib.close();
      appliance.stop();
    }
  },
});
