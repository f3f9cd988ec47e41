/**
 * Carrying a fleet push on from what a dead runner recorded (src/provision/fleet-resume.ts): the
 * decision for a target whose push was sent, and whole runs over in-memory appliances and an
 * in-memory journal — the first run stopped mid-way, the second resuming from its rows. The end
 * must be what one uninterrupted run could have produced, and nothing confirmed is pushed again.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApplianceDriver } from '../../../drivers/driver.js';
import { configId, type RuleTable } from '../../../src/protocol/rules/index.js';
import { pushToFleet, type FleetAccess, type FleetPushRequest, type FleetStep } from '../../../src/provision/fleet-push.js';
import { resumeAction, type FleetJournal, type FleetResume } from '../../../src/provision/fleet-resume.js';
import { ConfigCache } from '../../../src/store/config-cache.js';
import type { FleetPushFailure, FleetTargetChange, FleetTargetRecord } from '../../../src/store/fleet-pushes.js';
import type { ApplianceRecord } from '../../../src/store/inventory.js';
import { FakeAppliance } from '../../support/fake-appliance.js';
import { service, table } from '../../support/rules.js';

const tableOf = (weight: number): RuleTable => table(service({ name: 'web', listen: '127.0.0.1:8000', backends: [{ weight }] }));
const OLD = tableOf(1);
const NEW = tableOf(2);
const WANTED = configId(NEW);
const BEFORE = configId(OLD);

/** The push's rows as a store keeps them, refusing every write once `lost` is set (another runner took the lease). */
class MemoryJournal implements FleetJournal {
  readonly rows = new Map<string, FleetTargetRecord>();
  failure: FleetPushFailure | null = null;
  lost = false;

  constructor(names: readonly string[], from?: FleetResume) {
    names.forEach((appliance, position) =>
      this.rows.set(appliance, {
        appliance,
        position,
        canary: false,
        state: 'waiting',
        before: null,
        after: null,
        error: null,
        sent: false,
        baseline: null,
        updated: 0,
      }),
    );
    for (const t of from?.targets ?? []) this.rows.set(t.appliance, { ...t });
    this.failure = from?.failure ?? null;
  }

  async record(changes: readonly FleetTargetChange[]): Promise<boolean> {
    if (this.lost) return false;
    for (const { appliance, ...change } of changes) {
      const row = this.rows.get(appliance)!;
      this.rows.set(appliance, { ...row, ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) });
    }
    return true;
  }

  async fail(failure: FleetPushFailure): Promise<boolean> {
    if (this.lost) return false;
    this.failure ??= failure;
    return true;
  }

  async held(): Promise<boolean> {
    return !this.lost;
  }

  resume(): FleetResume {
    return { targets: [...this.rows.values()].sort((a, b) => a.position - b.position), failure: this.failure };
  }
}

function fleet(names: readonly string[]) {
  const appliances = new Map(names.map((n) => [n, new FakeAppliance(OLD, `serial:/dev/${n}`)]));
  const records: ApplianceRecord[] = names.map((name) => ({ name, target: `serial:/dev/${name}`, credentials: {}, created: 0 }));
  const access: FleetAccess = { use: <T>(r: ApplianceRecord, work: (d: ApplianceDriver) => Promise<T>) => work(appliances.get(r.name)!) };
  return { appliances, records, access, get: (n: string) => appliances.get(n)! };
}

const cache = new ConfigCache(mkdtempSync(path.join(tmpdir(), 'fulcrum-fleet-resume-')));
const request = (records: ApplianceRecord[], extra: Partial<FleetPushRequest>): FleetPushRequest => ({
  rules: NEW,
  targets: records,
  canary: 1,
  confirmTimeoutMs: 120_000,
  settleMs: 0,
  cache,
  concurrency: 1,
  ...extra,
});

/** A first run that dies (its lease taken) right after `appliance` was pushed, unconfirmed; its journal. */
async function dieAfterPush(f: ReturnType<typeof fleet>, appliance: string): Promise<MemoryJournal> {
  const journal = new MemoryJournal(f.records.map((r) => r.name));
  const report = await pushToFleet(request(f.records, { journal }), f.access, {
    onStep: (step) => {
      if (step.step === 'pushed' && step.appliance === appliance) journal.lost = true;
    },
  });
  expect(report.interrupted).toBe(true);
  expect(report.ok).toBe(false);
  return journal;
}

async function resume(f: ReturnType<typeof fleet>, dead: MemoryJournal) {
  const journal = new MemoryJournal(
    f.records.map((r) => r.name),
    dead.resume(),
  );
  const steps: FleetStep[] = [];
  const report = await pushToFleet(request(f.records, { journal, resume: dead.resume() }), f.access, { onStep: (s) => steps.push(s) });
  return { report, steps, journal };
}

describe('the resume decision for a target whose push was sent', () => {
  const baseline = { start: new Uint8Array(1), end: new Uint8Array(1), seconds: 3 };
  const target = { before: BEFORE, baseline };

  it('counts an appliance on the wanted id with nothing pending as confirmed', () => {
    expect(resumeAction(target, { configId: WANTED, pendingConfirm: null }, WANTED, 3000)).toEqual({ action: 'confirmed' });
  });

  it('checks a pending one against its recorded counters when its commit outlasts the check', () => {
    expect(resumeAction(target, { configId: WANTED, pendingConfirm: 60 }, WANTED, 3000)).toEqual({ action: 'check' });
  });

  it('reverts a pending one that would revert during the check, or has nothing to be judged against', () => {
    expect(resumeAction(target, { configId: WANTED, pendingConfirm: 12 }, WANTED, 3000)).toMatchObject({
      action: 'revert',
      why: expect.stringMatching(/reverts in 12 s/),
    });
    expect(resumeAction({ before: BEFORE, baseline: null }, { configId: WANTED, pendingConfirm: 60 }, WANTED, 3000)).toMatchObject({ action: 'revert' });
  });

  it('pushes one back on its old config, and leaves one running anything else alone', () => {
    expect(resumeAction(target, { configId: BEFORE, pendingConfirm: null }, WANTED, 3000)).toEqual({ action: 'push' });
    const other = configId(tableOf(9));
    expect(resumeAction(target, { configId: other, pendingConfirm: null }, WANTED, 3000)).toMatchObject({
      action: 'leftAlone',
      reason: expect.stringContaining(other.slice(0, 12)),
    });
    expect(resumeAction(target, { configId: BEFORE, pendingConfirm: 30 }, WANTED, 3000)).toMatchObject({ action: 'leftAlone' });
  });
});

describe('a fleet push carried on from a dead runner', () => {
  it('confirms the pending one after its check, pushes the ones not reached, and never redoes a confirmed one', async () => {
    const f = fleet(['a', 'b', 'c']);
    const dead = await dieAfterPush(f, 'b');
    // The canary was confirmed before the runner died; b is pending; c was not reached.
    expect([f.get('a').pendingConfirm, f.get('b').pendingConfirm, f.get('c').pushes.length]).toEqual([null, 120, 0]);
    expect(dead.rows.get('b')).toMatchObject({ state: 'pushing', sent: true, baseline: expect.objectContaining({ seconds: expect.any(Number) }) });
    const { report, steps, journal } = await resume(f, dead);
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => [r.name, r.result])).toEqual([
      ['a', 'changed'],
      ['b', 'changed'],
      ['c', 'changed'],
    ]);
    for (const n of ['a', 'b', 'c']) expect([n, configId(f.get(n).running), f.get(n).pendingConfirm]).toEqual([n, WANTED, null]);
    expect(['a', 'b', 'c'].map((n) => f.get(n).pushes.length)).toEqual([1, 1, 1]);
    expect(steps.filter((s) => s.step === 'pushed').map((s) => s.appliance)).toEqual(['c']);
    expect([...journal.rows.values()].map((t) => t.state)).toEqual(['confirmed', 'confirmed', 'confirmed']);
  });

  it('rolls back a pending one whose commit would revert mid-check, then pushes it again', async () => {
    const f = fleet(['a', 'b']);
    const dead = await dieAfterPush(f, 'b');
    f.get('b').pendingConfirm = 4;
    const { report, steps } = await resume(f, dead);
    expect(report.ok).toBe(true);
    expect(steps.map((s) => [s.step, s.appliance])).toEqual([
      ['rolled back', 'b'],
      ['pushed', 'b'],
      ['verified', 'b'],
      ['confirmed', 'b'],
    ]);
    expect([f.get('a').pushes.length, f.get('b').pushes.length, configId(f.get('b').running), f.get('b').pendingConfirm]).toEqual([1, 2, WANTED, null]);
  });

  it('counts one the dead runner confirmed without recording it as done', async () => {
    const f = fleet(['a', 'b']);
    const dead = await dieAfterPush(f, 'b');
    await f.get('b').confirm();
    const { report, steps } = await resume(f, dead);
    expect(report.ok).toBe(true);
    expect(steps.map((s) => [s.step, s.appliance])).toEqual([['confirmed', 'b']]);
    expect(f.get('b').pushes.length).toBe(1);
  });

  it('fails as one run does when someone else changed a pushed one meanwhile: the rest is rolled back, that one left alone', async () => {
    const f = fleet(['a', 'b']);
    const dead = await dieAfterPush(f, 'b');
    f.get('b').running = tableOf(9);
    f.get('b').pendingConfirm = null;
    const { report, journal } = await resume(f, dead);
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({ appliance: 'b', reason: expect.stringMatching(/changed by someone else/) });
    expect(report.rolledBack).toEqual(['a']);
    expect([configId(f.get('a').running), configId(f.get('b').running)]).toEqual([BEFORE, configId(tableOf(9))]);
    expect(journal.failure?.appliance).toBe('b');
  });

  it('only rolls back when the dead runner had already failed', async () => {
    const f = fleet(['a', 'b', 'c']);
    const dead = await dieAfterPush(f, 'b');
    dead.failure = { appliance: 'b', reason: 'service web stopped taking connections' };
    const { report } = await resume(f, dead);
    expect(report.ok).toBe(false);
    expect(report.rolledBack).toEqual(['a', 'b']);
    for (const n of ['a', 'b', 'c']) expect([n, configId(f.get(n).running), f.get(n).pendingConfirm]).toEqual([n, BEFORE, null]);
    expect(f.get('c').pushes.length).toBe(0);
  });

  it("takes a target recorded failed for the run's failure when the runner died before recording that", async () => {
    const f = fleet(['a', 'b', 'c']);
    const dead = await dieAfterPush(f, 'b');
    dead.lost = false;
    await dead.record([{ appliance: 'b', state: 'failed', error: 'backend 127.0.0.1:9000 of service web went down' }]);
    const { report } = await resume(f, dead);
    expect(report.failure).toEqual({ appliance: 'b', reason: 'backend 127.0.0.1:9000 of service web went down' });
    expect(report.rolledBack).toEqual(['a', 'b']);
    expect(['a', 'b', 'c'].map((n) => configId(f.get(n).running))).toEqual([BEFORE, BEFORE, BEFORE]);
  });

  it('plans again when the dead runner did not get past planning', async () => {
    const f = fleet(['a', 'b']);
    const { report } = await resume(f, new MemoryJournal(['a', 'b']));
    expect(report.ok).toBe(true);
    expect(report.canary).toEqual(['a']);
    expect(['a', 'b'].map((n) => [configId(f.get(n).running), f.get(n).pushes.length])).toEqual([
      [WANTED, 1],
      [WANTED, 1],
    ]);
  });

  it('a runner whose lease is taken acts no further: nothing more is pushed, confirmed or rolled back', async () => {
    const f = fleet(['a', 'b']);
    const journal = new MemoryJournal(['a', 'b']);
    const report = await pushToFleet(request(f.records, { journal }), f.access, {
      onStep: (step) => {
        if (step.step === 'verified' && step.appliance === 'a') journal.lost = true;
      },
    });
    expect(report.interrupted).toBe(true);
    // Checked healthy, but the confirm is fenced by the lease: it stays pending, for the adopter.
    expect([f.get('a').pendingConfirm, f.get('b').pushes.length]).toEqual([120, 0]);
    expect(journal.rows.get('a')?.state).toBe('pushing');
  });
});
