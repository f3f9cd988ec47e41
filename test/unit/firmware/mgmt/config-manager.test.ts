import { describe, expect, it } from 'vitest';
import {
  ConfigManager,
  HISTORY_FILE,
  MAX_ROLLBACK_STEPS,
  MAX_CONFIRM_TIMEOUT_MS,
  MgmtError,
  REVERT_RETRY_MS,
  STARTUP_FILE,
} from '../../../../firmware/mgmt/config-manager.js';
import { decodeJournal } from '../../../../firmware/mgmt/history-journal.js';
import { configId, decodeRules, type RuleTable } from '../../../../src/protocol/rules/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { bytesOf, commitTable, durable, FlakyStorage, harness, idOf, table } from './support.js';

async function mgmtError(promise: Promise<unknown> | (() => unknown)): Promise<MgmtError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(err).toBeInstanceOf(MgmtError);
    expect((err as MgmtError).name).toBe('MgmtError');
    return err as MgmtError;
  }
  throw new Error('expected a MgmtError');
}

/** The id of the startup config on flash. */
const startupId = (storage: FlakyStorage): string | null => {
  const bytes = storage.blobs.get(STARTUP_FILE);
  return bytes ? configId(decodeRules(bytes)) : null;
};

describe('ConfigManager: load', () => {
  it('restores running = startup from storage, with an empty history on a fresh box', async () => {
    const { manager } = await harness();
    expect(manager.status()).toEqual({ runningId: idOf(0), startupId: idOf(0), candidateId: null, pendingConfirmMs: 0, history: [] });
    expect(manager.pending).toBeNull();
    expect(manager.loadProblems).toEqual([]);
  });

  it('runs the fallback table when no startup config is stored, and saves it with the first change', async () => {
    const storage = new FlakyStorage();
    const fallback: RuleTable = table(7);
    const m = await ConfigManager.load({ clock: new FakeClock(), storage, apply: () => undefined, fallback });
    expect(m.running.id).toBe(idOf(7));
    expect(m.loadProblems.join()).toMatch(/no startup\.rules/);
    await commitTable(m, 1);
    expect(await durable(storage)).toEqual({ startupId: idOf(1), history: [idOf(7)], interrupted: null, problems: [] });
  });

  it('treats a corrupt or unreadable history as empty, never as fatal', async () => {
    const { storage } = await harness();
    storage.blobs.set(HISTORY_FILE, Uint8Array.of(1, 2, 3));
    let m = await ConfigManager.load({ clock: new FakeClock(), storage, apply: () => undefined });
    expect(m.history).toEqual([]);
    expect(m.running.id).toBe(idOf(0));
    expect(m.loadProblems.join()).toMatch(/history\.bin.*empty history/);

    const failing = {
      read: async (name: string) => (name === HISTORY_FILE ? Promise.reject(new Error('EIO')) : storage.read(name)),
      writeAtomic: storage.writeAtomic.bind(storage),
    };
    m = await ConfigManager.load({ clock: new FakeClock(), storage: failing, apply: () => undefined });
    expect(m.history).toEqual([]);
    expect(m.loadProblems.join()).toMatch(/EIO/);
  });

  it('replaces an unreadable startup config by the fallback and says so', async () => {
    const { storage } = await harness();
    storage.blobs.set(STARTUP_FILE, Uint8Array.of(9, 9, 9));
    const m = await ConfigManager.load({ clock: new FakeClock(), storage, apply: () => undefined });
    expect(m.running.table).toEqual({ services: [] });
    expect(m.loadProblems.join()).toMatch(/startup\.rules unreadable/);
  });
});

describe('ConfigManager: candidate', () => {
  it('decodes and keeps the candidate, returning its id', async () => {
    const { manager, applied, storage } = await harness();
    expect(manager.setCandidate(bytesOf(1))).toBe(idOf(1));
    expect(manager.status().candidateId).toBe(idOf(1));
    expect(manager.candidate?.table).toEqual(table(1));
    expect(applied).toEqual([]);
    expect(storage.writes).toEqual([]);
  });

  it('refuses bytes that are not a canonical rule table with invalidConfig, changing nothing', async () => {
    const { manager, storage, applied } = await harness();
    manager.setCandidate(bytesOf(1));
    const bad = bytesOf(2);
    bad[bad.length - 1] = 0xff; // the backup flag byte: only 0 or 1 is canonical
    for (const bytes of [bad, new Uint8Array(0), Uint8Array.of(0x46, 0x52, 0x55, 0x4c, 0x09), bytesOf(2).subarray(0, 10)]) {
      const err = await mgmtError(() => manager.setCandidate(bytes));
      expect(err.code).toBe('invalidConfig');
      expect(err.message).toMatch(/candidate is not a valid rule table: .+at byte \d+/);
    }
    expect(manager.status()).toEqual({ runningId: idOf(0), startupId: idOf(0), candidateId: idOf(1), pendingConfirmMs: 0, history: [] });
    expect(applied).toEqual([]);
    expect(storage.writes).toEqual([]);
  });

  it('copies the candidate bytes, so the caller may reuse its buffer', async () => {
    const { manager } = await harness();
    const buffer = bytesOf(1);
    manager.setCandidate(buffer);
    buffer.fill(0);
    await manager.commit();
    expect(manager.running.id).toBe(idOf(1));
    expect(decodeRules(manager.running.encoding)).toEqual(table(1));
  });
});

describe('ConfigManager: plain commit', () => {
  it('refuses to commit without a candidate', async () => {
    const { manager, storage } = await harness();
    expect((await mgmtError(manager.commit())).code).toBe('noCandidate');
    expect(storage.writes).toEqual([]);
  });

  it('applies the candidate, writes startup and history, clears the candidate and reports', async () => {
    const { manager, storage, applied, events, clock } = await harness();
    await clock.advance(5_000);
    manager.setCandidate(bytesOf(1));
    expect(await manager.commit()).toEqual({ configId: idOf(1), previousId: idOf(0) });
    expect(applied).toEqual([idOf(1)]);
    expect(storage.writes).toEqual([HISTORY_FILE, STARTUP_FILE]);
    expect(storage.blobs.get(STARTUP_FILE)).toEqual(bytesOf(1));
    const { journal } = decodeJournal(storage.blobs.get(HISTORY_FILE)!);
    expect(journal.current.startupId).toBe(idOf(1));
    expect(journal.current.history.map((c) => c.id)).toEqual([idOf(0)]);
    expect(manager.status()).toEqual({ runningId: idOf(1), startupId: idOf(1), candidateId: null, pendingConfirmMs: 0, history: [idOf(0)] });
    expect(events).toEqual([{ kind: 'commit', configId: idOf(1), pendingConfirm: false, at: clock.epochMs() }]);
    expect(await durable(storage)).toEqual({ startupId: idOf(1), history: [idOf(0)], interrupted: null, problems: [] });
  });

  it('caps the history at 10, most recent first, and restores it after a reboot', async () => {
    const h = await harness();
    for (let n = 1; n <= 12; n++) await commitTable(h.manager, n);
    const expected = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2].map(idOf);
    expect(MAX_ROLLBACK_STEPS).toBe(10);
    expect(h.manager.status().history).toEqual(expected);
    const rebooted = await h.reboot();
    expect(rebooted.status()).toEqual({ runningId: idOf(12), startupId: idOf(12), candidateId: null, pendingConfirmMs: 0, history: expected });
    expect(rebooted.history.map((c) => c.table)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2].map(table));
    expect(rebooted.loadProblems).toEqual([]);
  });

  it('keeps a candidate staged after the commit was called: the commit takes the one it was called with', async () => {
    const { manager } = await harness();
    manager.setCandidate(bytesOf(1));
    const committing = manager.commit();
    manager.setCandidate(bytesOf(2));
    expect(await committing).toEqual({ configId: idOf(1), previousId: idOf(0) });
    expect(manager.status().runningId).toBe(idOf(1));
    expect(manager.status().candidateId).toBe(idOf(2));
  });

  it('refuses confirm timeouts that are not whole milliseconds a timer can hold', async () => {
    const { manager } = await harness();
    manager.setCandidate(bytesOf(1));
    for (const confirmTimeoutMs of [-1, 1.5, Number.NaN, MAX_CONFIRM_TIMEOUT_MS + 1]) {
      expect((await mgmtError(manager.commit({ confirmTimeoutMs }))).code).toBe('badRequest');
    }
    expect(manager.running.id).toBe(idOf(0));
  });
});

describe('ConfigManager: commit confirmed', () => {
  it('reverts at exactly the deadline, not before, keeping startup old throughout', async () => {
    const { manager, storage, applied, events, clock } = await harness();
    manager.setCandidate(bytesOf(1));
    await manager.commit({ confirmTimeoutMs: 60_000 });
    expect(applied).toEqual([idOf(1)]);
    expect(events).toEqual([{ kind: 'commit', configId: idOf(1), pendingConfirm: true, at: clock.epochMs() }]);
    expect(manager.status()).toMatchObject({ runningId: idOf(1), startupId: idOf(0), pendingConfirmMs: 60_000, history: [idOf(0)] });
    expect(manager.pending).toEqual({ deadline: 60_000, previous: manager.startup });
    expect(startupId(storage)).toBe(idOf(0));
    // Only the history was written: storage holds what the revert leads to.
    expect(storage.writes).toEqual([HISTORY_FILE]);

    await clock.advance(59_999);
    await manager.whenIdle();
    expect(manager.status()).toMatchObject({ runningId: idOf(1), pendingConfirmMs: 1 });
    expect(applied).toEqual([idOf(1)]);
    expect(startupId(storage)).toBe(idOf(0));

    await clock.advance(1);
    await manager.whenIdle();
    expect(applied).toEqual([idOf(1), idOf(0)]);
    expect(events.at(-1)).toEqual({ kind: 'rollback', configId: idOf(0), reason: 'confirm-timeout', at: clock.epochMs() });
    expect(clock.now()).toBe(60_000);
    expect(manager.status()).toEqual({ runningId: idOf(0), startupId: idOf(0), candidateId: null, pendingConfirmMs: 0, history: [idOf(1), idOf(0)] });
    expect(manager.pending).toBeNull();
    expect(startupId(storage)).toBe(idOf(0));
    expect(await durable(storage)).toEqual({ startupId: idOf(0), history: [idOf(1), idOf(0)], interrupted: null, problems: [] });
    // Nothing more fires later.
    await clock.advance(600_000);
    expect(applied).toHaveLength(2);
  });

  it('boots the confirmed config after a reboot while pending, with the unconfirmed one as rollback 1', async () => {
    const h = await harness();
    await commitTable(h.manager, 1);
    await commitTable(h.manager, 2, 30_000);
    const rebooted = await h.reboot();
    expect(rebooted.status()).toEqual({ runningId: idOf(1), startupId: idOf(1), candidateId: null, pendingConfirmMs: 0, history: [idOf(2), idOf(1), idOf(0)] });
    h.manager.stop();
  });

  it('confirm cancels the revert, writes startup and reports', async () => {
    const { manager, storage, applied, events, clock } = await harness();
    await commitTable(manager, 1, 10_000);
    await clock.advance(4_000);
    expect(await manager.confirm()).toEqual({ configId: idOf(1) });
    expect(startupId(storage)).toBe(idOf(1));
    expect(events.at(-1)).toEqual({ kind: 'confirm', configId: idOf(1), at: clock.epochMs() });
    expect(manager.status()).toEqual({ runningId: idOf(1), startupId: idOf(1), candidateId: null, pendingConfirmMs: 0, history: [idOf(0)] });
    await clock.advance(60_000);
    await manager.whenIdle();
    expect(applied).toEqual([idOf(1)]);
    expect(manager.running.id).toBe(idOf(1));
    expect(await durable(storage)).toEqual({ startupId: idOf(1), history: [idOf(0)], interrupted: null, problems: [] });
    expect((await mgmtError(manager.confirm())).code).toBe('nothingToConfirm');
  });

  it('a confirm naming a config confirms only that one, and says why when told', async () => {
    const { manager, storage, events, clock } = await harness();
    await commitTable(manager, 1, 10_000);
    await commitTable(manager, 2, 10_000);
    // Decided while 1 was pending, its turn comes with 2 pending: it must not confirm 2.
    const stale = await mgmtError(manager.confirm({ configId: idOf(1), by: 'failover peer unit 1 runs it confirmed' }));
    expect(stale.code).toBe('nothingToConfirm');
    expect(manager.pending).not.toBeNull();
    expect(startupId(storage)).toBe(idOf(0));
    expect(await manager.confirm({ configId: idOf(2), by: 'failover peer unit 1 runs it confirmed' })).toEqual({ configId: idOf(2) });
    expect(events.at(-1)).toEqual({ kind: 'confirm', configId: idOf(2), at: clock.epochMs(), by: 'failover peer unit 1 runs it confirmed' });
    expect(startupId(storage)).toBe(idOf(2));
  });

  it('refuses confirm with nothing pending', async () => {
    const { manager, storage } = await harness();
    const err = await mgmtError(manager.confirm());
    expect(err.code).toBe('nothingToConfirm');
    expect(storage.writes).toEqual([]);
  });

  it('a second commit confirmed keeps the confirmed revert target and restarts the deadline', async () => {
    const { manager, applied, events, clock } = await harness();
    await commitTable(manager, 1, 10_000);
    await clock.advance(5_000);
    await commitTable(manager, 2, 10_000);
    expect(manager.pending?.previous.id).toBe(idOf(0));
    expect(manager.status()).toMatchObject({ runningId: idOf(2), startupId: idOf(0), pendingConfirmMs: 10_000, history: [idOf(1), idOf(0)] });

    await clock.advance(5_000); // the first deadline: nothing happens
    await manager.whenIdle();
    expect(manager.running.id).toBe(idOf(2));
    await clock.advance(4_999);
    await manager.whenIdle();
    expect(manager.running.id).toBe(idOf(2));
    await clock.advance(1);
    await manager.whenIdle();
    expect(applied).toEqual([idOf(1), idOf(2), idOf(0)]);
    expect(events.at(-1)).toMatchObject({ kind: 'rollback', configId: idOf(0), reason: 'confirm-timeout' });
    expect(manager.status()).toMatchObject({ runningId: idOf(0), pendingConfirmMs: 0, history: [idOf(2), idOf(1), idOf(0)] });
  });

  it('a plain commit during a pending one confirms: startup is written and nothing reverts', async () => {
    const { manager, storage, applied, clock } = await harness();
    await commitTable(manager, 1, 10_000);
    await commitTable(manager, 2);
    expect(startupId(storage)).toBe(idOf(2));
    expect(manager.status()).toEqual({ runningId: idOf(2), startupId: idOf(2), candidateId: null, pendingConfirmMs: 0, history: [idOf(1), idOf(0)] });
    await clock.advance(20_000);
    await manager.whenIdle();
    expect(applied).toEqual([idOf(1), idOf(2)]);
    expect(await durable(storage)).toEqual({ startupId: idOf(2), history: [idOf(1), idOf(0)], interrupted: null, problems: [] });
  });

  it('a commit queued behind the timer revert runs after it, on the reverted state', async () => {
    const { manager, clock } = await harness();
    await commitTable(manager, 1, 1_000);
    await clock.advance(1_000); // the revert is queued
    manager.setCandidate(bytesOf(2));
    expect(await manager.commit()).toEqual({ configId: idOf(2), previousId: idOf(0) });
    expect(manager.status().history).toEqual([idOf(0), idOf(1), idOf(0)]);
  });

  it('retries the revert when the core refuses the old table, and reports it', async () => {
    const { manager, applied, events, clock, refuse } = await harness();
    await commitTable(manager, 1, 1_000);
    refuse.add(idOf(0));
    await clock.advance(1_000);
    await manager.whenIdle();
    expect(events.at(-1)).toMatchObject({ kind: 'revert-failed', configId: idOf(0), retryInMs: REVERT_RETRY_MS });
    expect(manager.running.id).toBe(idOf(1));
    expect(manager.pending).not.toBeNull();
    refuse.clear();
    await clock.advance(REVERT_RETRY_MS);
    await manager.whenIdle();
    expect(applied).toEqual([idOf(1), idOf(0)]);
    expect(events.at(-1)).toMatchObject({ kind: 'rollback', configId: idOf(0), reason: 'confirm-timeout' });
    expect(manager.pending).toBeNull();
  });
});

describe('ConfigManager: rollback', () => {
  async function withHistory() {
    const h = await harness();
    for (let n = 1; n <= 11; n++) await commitTable(h.manager, n);
    return h; // running 11, history 10..1
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('rollback %i runs that history entry, makes it startup and pushes the replaced config', async (steps) => {
    const h = await withHistory();
    const target = 11 - steps;
    h.events.length = 0;
    expect(await h.manager.rollback(steps)).toEqual({ configId: idOf(target), previousId: idOf(11) });
    expect(h.applied.at(-1)).toBe(idOf(target));
    const history = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2].map(idOf);
    expect(h.manager.status()).toEqual({ runningId: idOf(target), startupId: idOf(target), candidateId: null, pendingConfirmMs: 0, history });
    expect(h.events).toEqual([{ kind: 'rollback', configId: idOf(target), reason: 'operator', at: h.clock.epochMs() }]);
    expect(await durable(h.storage)).toEqual({ startupId: idOf(target), history, interrupted: null, problems: [] });
  });

  it('defaults to rollback 1', async () => {
    const { manager } = await harness();
    await commitTable(manager, 1);
    await manager.rollback();
    expect(manager.status()).toMatchObject({ runningId: idOf(0), history: [idOf(1), idOf(0)] });
  });

  it('refuses steps outside the history with noSuchRollback, changing nothing', async () => {
    const h = await withHistory();
    const before = h.manager.status();
    const writes = h.storage.writes.length;
    for (const steps of [0, 11, -1, 1.5, Number.NaN]) {
      const err = await mgmtError(h.manager.rollback(steps));
      expect(err.code).toBe('noSuchRollback');
      expect(err.message).toMatch(/rollback 1 to 10/);
    }
    const fresh = await harness();
    expect((await mgmtError(fresh.manager.rollback(1))).message).toMatch(/holds no configs/);
    expect(h.manager.status()).toEqual(before);
    expect(h.storage.writes).toHaveLength(writes);
  });

  it('cancels a pending confirm', async () => {
    const { manager, storage, applied, events, clock } = await harness();
    await commitTable(manager, 1);
    await commitTable(manager, 2, 5_000);
    await manager.rollback(2); // history is [1, 0]: go to 0
    expect(events.at(-1)).toMatchObject({ kind: 'rollback', configId: idOf(0), reason: 'operator' });
    expect(manager.pending).toBeNull();
    await clock.advance(10_000);
    await manager.whenIdle();
    expect(applied).toEqual([idOf(1), idOf(2), idOf(0)]);
    expect(manager.status()).toEqual({ runningId: idOf(0), startupId: idOf(0), candidateId: null, pendingConfirmMs: 0, history: [idOf(2), idOf(1), idOf(0)] });
    expect(await durable(storage)).toEqual({ startupId: idOf(0), history: [idOf(2), idOf(1), idOf(0)], interrupted: null, problems: [] });
  });
});

describe('ConfigManager: apply failures', () => {
  type Op = {
    name: string;
    prepare?: (h: Awaited<ReturnType<typeof harness>>) => Promise<void>;
    run: (h: Awaited<ReturnType<typeof harness>>) => Promise<unknown>;
    refused: number;
  };
  const ops: Op[] = [
    { name: 'commit', run: (h) => commitTable(h.manager, 2), refused: 2 },
    { name: 'commit confirmed', run: (h) => commitTable(h.manager, 2, 1_000), refused: 2 },
    { name: 'commit during pending', prepare: (h) => commitTable(h.manager, 3, 9_000), run: (h) => commitTable(h.manager, 2), refused: 2 },
    { name: 'rollback', run: (h) => h.manager.rollback(1), refused: 0 },
    { name: 'rollback during pending', prepare: (h) => commitTable(h.manager, 3, 9_000), run: (h) => h.manager.rollback(2), refused: 0 },
  ];

  it.each(ops)('$name: apply throwing fails with applyFailed and changes nothing', async (op) => {
    const h = await harness();
    await commitTable(h.manager, 1);
    await op.prepare?.(h);
    const before = { status: h.manager.status(), pending: h.manager.pending, blobs: h.storage.snapshot(), applied: [...h.applied], events: h.events.length };
    h.refuse.add(idOf(op.refused));
    const err = await mgmtError(op.run(h));
    expect(err.code).toBe('applyFailed');
    expect(err.message).toMatch(/refusing/);
    expect(h.manager.status()).toEqual({ ...before.status, candidateId: h.manager.status().candidateId });
    expect(h.manager.pending).toEqual(before.pending);
    expect(h.storage.snapshot()).toEqual(before.blobs);
    expect(h.applied).toEqual(before.applied);
    expect(h.events).toHaveLength(before.events);
    h.manager.stop();
  });
});

describe('ConfigManager: serialised operations', () => {
  it('runs one operation at a time, in call order', async () => {
    const clock = new FakeClock();
    const storage = new FlakyStorage();
    storage.blobs.set(STARTUP_FILE, bytesOf(0));
    let inFlight = 0;
    let most = 0;
    const log: string[] = [];
    const apply = async (_t: RuleTable, _e: Uint8Array, id: string) => {
      inFlight++;
      most = Math.max(most, inFlight);
      log.push(`start ${id.slice(0, 6)}`);
      for (let i = 0; i < 20; i++) await Promise.resolve();
      log.push(`end ${id.slice(0, 6)}`);
      inFlight--;
    };
    const manager = await ConfigManager.load({ clock, storage, apply });
    manager.setCandidate(bytesOf(1));
    const a = manager.commit();
    manager.setCandidate(bytesOf(2));
    const b = manager.commit({ confirmTimeoutMs: 1_000 });
    const c = manager.confirm();
    const d = manager.rollback(2);
    const results = await Promise.all([a, b, c, d]);
    expect(most).toBe(1);
    expect(results).toEqual([
      { configId: idOf(1), previousId: idOf(0) },
      { configId: idOf(2), previousId: idOf(1) },
      { configId: idOf(2) },
      { configId: idOf(0), previousId: idOf(2) },
    ]);
    const s = (n: number) => idOf(n).slice(0, 6);
    expect(log).toEqual([`start ${s(1)}`, `end ${s(1)}`, `start ${s(2)}`, `end ${s(2)}`, `start ${s(0)}`, `end ${s(0)}`]);
    expect(manager.status()).toEqual({ runningId: idOf(0), startupId: idOf(0), candidateId: null, pendingConfirmMs: 0, history: [idOf(2), idOf(1), idOf(0)] });
  });

  it('a failed operation does not block the ones behind it', async () => {
    const { manager, refuse } = await harness();
    refuse.add(idOf(1));
    manager.setCandidate(bytesOf(1));
    const a = manager.commit();
    manager.setCandidate(bytesOf(2));
    const b = manager.commit();
    await expect(a).rejects.toMatchObject({ code: 'applyFailed' });
    await expect(b).resolves.toEqual({ configId: idOf(2), previousId: idOf(0) });
  });

  it('an event listener that throws does not fail the operation', async () => {
    const storage = new FlakyStorage();
    storage.blobs.set(STARTUP_FILE, bytesOf(0));
    const manager = await ConfigManager.load({
      clock: new FakeClock(),
      storage,
      apply: () => undefined,
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    await commitTable(manager, 1);
    expect(manager.running.id).toBe(idOf(1));
  });
});

describe('ConfigManager: constructed without load', () => {
  it('runs an empty table and writes both blobs on its first change', async () => {
    const storage = new FlakyStorage();
    const manager = new ConfigManager({ clock: new FakeClock(), storage, apply: () => undefined });
    expect(manager.running.table).toEqual({ services: [] });
    await commitTable(manager, 1, 5_000); // startup stays the empty table, which is saved now
    expect(decodeRules(storage.blobs.get(STARTUP_FILE)!)).toEqual({ services: [] });
    manager.stop();
  });
});
