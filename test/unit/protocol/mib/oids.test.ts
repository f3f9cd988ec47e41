import { describe, expect, it } from 'vitest';
import * as Mib from '../../../../src/protocol/mib/fulcrum-mib.js';
import { SETTING_FIELDS, SETTING_SPECS } from '../../../../src/protocol/mib/service-settings.js';
import { DURATION_LIMITS } from '../../../../src/protocol/rules/limits.js';
import { enumeration, maxAccess, mibDefinitions, mibText, resolveOids } from './mib-text.js';

const defs = mibDefinitions();
const fromText = resolveOids(defs);
/** Every OID constant fulcrum-mib.ts exports (named after the MIB's descriptors). */
const fromTs = new Map(Object.entries(Mib).filter((e): e is [string, readonly number[]] => /^fulcrum/.test(e[0]) && Array.isArray(e[1])));
const def = (name: string) => defs.find((d) => d.name === name)!;
const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

describe('FULCRUM-MIB text and src/protocol/mib agree', () => {
  it('reads the whole module (a sanity check of the simple parser)', () => {
    expect(defs.length).toBeGreaterThan(80);
    expect(fromText.get('fulcrumMIB')).toEqual([1, 3, 6, 1, 4, 1, 32473]);
    expect(defs.filter((d) => d.macro === 'OBJECT-TYPE').length).toBeGreaterThan(60);
  });

  it('every OBJECT-TYPE, notification, group and node of the MIB has the OID the TypeScript says', () => {
    for (const [name, o] of fromText) {
      expect(fromTs.has(name), `${name} is in the MIB but not in fulcrum-mib.ts`).toBe(true);
      expect([...fromTs.get(name)!], name).toEqual(o);
    }
  });

  it('the TypeScript names no object the MIB does not define', () => {
    for (const name of fromTs.keys()) expect(fromText.has(name), `${name} is in fulcrum-mib.ts but not in the MIB`).toBe(true);
  });

  it('no two definitions share an OID', () => {
    const seen = new Map<string, string>();
    for (const [name, o] of fromText) {
      const key = o.join('.');
      expect(seen.get(key), `${name} and ${seen.get(key)} both at ${key}`).toBeUndefined();
      seen.set(key, name);
    }
  });

  it('enumeration codes match the MIB (SNMP enumerations start at 1)', () => {
    const kebabKeys = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [camel(k), v]));
    expect(enumeration(def('fulcrumBackendState'))).toEqual(Mib.BackendStateCode);
    expect(enumeration(def('fulcrumServiceProtocol'))).toEqual(Mib.ProtocolCode);
    expect(enumeration(def('fulcrumCandServiceProtocol'))).toEqual(Mib.ProtocolCode);
    expect(enumeration(def('fulcrumCandServiceAlgorithm'))).toEqual(kebabKeys(Mib.AlgorithmCode));
    expect(enumeration(def('fulcrumCandBackendAdminState'))).toEqual(Mib.AdminStateCode);
    expect(enumeration(def('fulcrumNotifyRollbackReason'))).toEqual(kebabKeys(Mib.RollbackReasonCode));
    expect(enumeration(def('fulcrumCandidateLoad'))).toEqual(Mib.CandidateLoadCode);
    expect(enumeration(def('fulcrumConfirm'))).toEqual(Mib.ConfirmCode);
    expect(enumeration(def('fulcrumLastOperation'))).toEqual(Mib.LastOperationCode);
    expect(enumeration(def('fulcrumLastOperationStatus'))).toEqual(Mib.LastOperationStatusCode);
    expect(enumeration(def('fulcrumFwActiveSlot'))).toEqual(Mib.FwSlotCode);
    expect(enumeration(def('fulcrumFwAction'))).toEqual(Mib.FwActionCode);
    expect(enumeration(def('fulcrumFwDownloadStatus'))).toEqual(Mib.FwDownloadStatusCode);
    expect(enumeration(def('fulcrumFoState'))).toEqual(Mib.FoStateCode);
    expect(enumeration(def('fulcrumFoPeerState'))).toEqual(Mib.FoStateCode);
    expect(enumeration(def('fulcrumFoLastReason'))).toEqual(kebabKeys(Mib.FoReasonCode));
    expect(enumeration(def('fulcrumFoAction'))).toEqual(Mib.FoActionCode);
  });

  it('fulcrumFailover: the action is its only writable object, the peer unit is the index, the notification carries state and reason', () => {
    const under = (name: string) => [...Mib.fulcrumFailover].every((a, i) => fromText.get(name)![i] === a);
    const objects = defs.filter((d) => d.macro === 'OBJECT-TYPE' && under(d.name));
    expect(objects.filter((d) => maxAccess(d) === 'read-write').map((d) => d.name)).toEqual(['fulcrumFoAction']);
    expect(maxAccess(def('fulcrumFoPeerUnit'))).toBe('not-accessible');
    expect(def('fulcrumFoPeerEntry').body).toMatch(/INDEX\s+\{\s*fulcrumFoPeerUnit\s*\}/);
    // Every scalar and column the TypeScript numbers is in the MIB, and the other way round.
    const served = [
      ...Object.values(Mib.FailoverScalar).map((n) => [...Mib.fulcrumFailover, n]),
      ...Object.values(Mib.FoPeerColumn).map((c) => [...Mib.fulcrumFoPeerEntry, c]),
    ];
    const leaves = objects.filter((d) => !/Table$|Entry$/.test(d.name)).map((d) => fromText.get(d.name)!.join('.'));
    expect(new Set(leaves)).toEqual(new Set(served.map((o) => o.join('.'))));
    const notification = def('fulcrumFailoverStateChange').body;
    for (const name of ['fulcrumFoState', 'fulcrumFoLastReason', 'fulcrumFoGroupName', 'fulcrumFoUnit']) expect(notification, name).toContain(name);
    expect(mibText()).toMatch(/fulcrumFailoverNotifyGroup NOTIFICATION-GROUP\s+NOTIFICATIONS\s+\{\s*fulcrumFailoverStateChange\s*\}/);
    expect(/fulcrumCompliance MODULE-COMPLIANCE[\s\S]*?GROUP\s+fulcrumFailoverNotifyGroup[\s\S]*?::=/.test(mibText())).toBe(true);
  });

  it('the only read-write object of the monitoring tables is fulcrumBackendWeight, and index columns are not-accessible', () => {
    const under = (d: { name: string }, node: readonly number[]) => [...node].every((a, i) => fromText.get(d.name)![i] === a);
    const writable = defs.filter(
      (d) =>
        d.macro === 'OBJECT-TYPE' &&
        maxAccess(d) === 'read-write' &&
        !d.name.startsWith('fulcrumCand') &&
        !under(d, Mib.fulcrumConfig) &&
        !under(d, Mib.fulcrumFirmware) &&
        !under(d, Mib.fulcrumFailover),
    );
    expect(writable.map((d) => d.name)).toEqual(['fulcrumBackendWeight']);
    for (const name of ['fulcrumServiceIndex', 'fulcrumBackendIndex', 'fulcrumCandServiceIndex', 'fulcrumCandBackendIndex'])
      expect(maxAccess(def(name)), name).toBe('not-accessible');
  });

  it('SYNTAX ranges agree with the limits the TypeScript enforces', () => {
    expect(def('fulcrumBackendWeight').body).toContain(`Unsigned32 (0..${Mib.WEIGHT_MAX})`);
    expect(def('fulcrumCommit').body).toContain(`Unsigned32 (0..${Mib.MAX_COMMIT_SECONDS})`);
    expect(def('fulcrumRollback').body).toContain(`Unsigned32 (0..${Mib.MAX_ROLLBACK_STEPS})`);
  });

  it("the settings columns of the candidate and running service tables have the contract's codes, ranges and units", () => {
    const label = (name: string) => (name === '5-tuple' ? 'fiveTuple' : camel(name.replace(/^source-ip$/, 'sourceIp')));
    const labels = (codes: Record<string, number>) => Object.fromEntries(Object.entries(codes).map(([k, v]) => [label(k), v]));
    const descriptor = (table: 'Cand' | 'Run', field: string) => {
      const column = (table === 'Cand' ? Mib.CandServiceColumn : Mib.RunServiceColumn)[field as (typeof SETTING_FIELDS)[number]];
      const entry = table === 'Cand' ? Mib.fulcrumCandServiceEntry : Mib.fulcrumRunServiceEntry;
      const found = defs.find((d) => d.macro === 'OBJECT-TYPE' && fromText.get(d.name)!.join('.') === [...entry, column].join('.'));
      expect(found, `${table} ${field}`).toBeDefined();
      return found!;
    };
    const msFields = new Set(['persistenceTimeout', 'idleTimeout', 'healthInterval', 'healthTimeout']);
    for (const table of ['Cand', 'Run'] as const) {
      for (const field of SETTING_FIELDS) {
        const d = descriptor(table, field);
        const spec = SETTING_SPECS[field];
        expect(maxAccess(d), d.name).toBe(table === 'Cand' ? 'read-create' : 'read-only');
        if (spec.kind === 'enum') expect(enumeration(d), d.name).toEqual(labels(spec.codes));
        if (spec.kind === 'unsigned') expect(d.body, d.name).toContain(`Unsigned32 (${spec.min}..${spec.max})`);
        if (spec.kind === 'text') expect(d.body, d.name).toContain('FulcrumHttpPath');
        expect(/UNITS\s+"milliseconds"/.test(d.body), `${d.name} UNITS`).toBe(msFields.has(field));
      }
    }
    expect(SETTING_SPECS.healthInterval).toMatchObject(DURATION_LIMITS.healthInterval);
    expect(mibText()).toMatch(/FulcrumHttpPath ::= TEXTUAL-CONVENTION[\s\S]*?SYNTAX\s+OCTET STRING \(SIZE \(1\.\.1024\)\)/);
  });

  it('fulcrumRunning is read-only, and every accessible object belongs to exactly one group of the compliance', () => {
    const under = (name: string, node: readonly number[]) => [...node].every((a, i) => fromText.get(name)![i] === a);
    const running = defs.filter((d) => d.macro === 'OBJECT-TYPE' && under(d.name, Mib.fulcrumRunning) && maxAccess(d) !== 'not-accessible');
    expect(running.length).toBe(Object.keys(Mib.RunServiceColumn).length + Object.keys(Mib.RunBackendColumn).length);
    for (const d of running) expect(maxAccess(d), d.name).toBe('read-only');

    const text = mibText();
    const groups = [...text.matchAll(/^(\w+) OBJECT-GROUP\s+OBJECTS\s+\{([^}]*)\}/gm)].map((m) => ({
      name: m[1]!,
      objects: m[2]!.split(',').map((x) => x.trim()),
    }));
    const accessible = defs.filter((d) => d.macro === 'OBJECT-TYPE' && maxAccess(d) !== 'not-accessible').map((d) => d.name);
    for (const name of accessible)
      expect(
        groups.filter((g) => g.objects.includes(name)).map((g) => g.name),
        name,
      ).toHaveLength(1);
    const compliance = /fulcrumCompliance MODULE-COMPLIANCE([\s\S]*?)::=/.exec(text)![1]!;
    for (const g of groups) expect(compliance, g.name).toContain(g.name);
    expect(groups.find((g) => g.name === 'fulcrumRunningGroup')!.objects).toHaveLength(running.length);
  });
});
