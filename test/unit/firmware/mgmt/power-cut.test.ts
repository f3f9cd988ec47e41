/**
 * Storage faults at every write of every operation: afterwards, and after a reboot, the startup
 * config is the old or the new one and the history is the one saved with it, never a mix.
 */
import { describe, expect, it } from 'vitest';
import { HISTORY_FILE, MgmtError, STARTUP_FILE, type ConfigManager } from '../../../../firmware/mgmt/config-manager.js';
import { commitTable, durable, FlakyStorage, harness, idOf, type FaultMode, type Harness } from './support.js';

interface Scenario {
  name: string;
  /** Builds the state before the operation (no faults). */
  prepare: (m: ConfigManager) => Promise<void>;
  op: (m: ConfigManager) => Promise<unknown>;
  /** Durable writes the operation makes, in order. */
  writes: string[];
}

const BOTH = [HISTORY_FILE, STARTUP_FILE];
const history3 = async (m: ConfigManager) => {
  for (let n = 1; n <= 3; n++) await commitTable(m, n);
};
const full = async (m: ConfigManager) => {
  for (let n = 1; n <= 11; n++) await commitTable(m, n);
};

const scenarios: Scenario[] = [
  { name: 'first commit', prepare: async () => undefined, op: (m) => commitTable(m, 5), writes: BOTH },
  { name: 'commit', prepare: history3, op: (m) => commitTable(m, 5), writes: BOTH },
  { name: 'commit with a full history', prepare: full, op: (m) => commitTable(m, 20), writes: BOTH },
  { name: 'commit confirmed', prepare: history3, op: (m) => commitTable(m, 5, 60_000), writes: [HISTORY_FILE] },
  { name: 'confirm', prepare: async (m) => (await history3(m), await commitTable(m, 5, 60_000)), op: (m) => m.confirm(), writes: BOTH },
  {
    name: 'second commit confirmed',
    prepare: async (m) => (await history3(m), await commitTable(m, 5, 60_000)),
    op: (m) => commitTable(m, 6, 60_000),
    writes: [HISTORY_FILE],
  },
  { name: 'commit during pending', prepare: async (m) => (await history3(m), await commitTable(m, 5, 60_000)), op: (m) => commitTable(m, 6), writes: BOTH },
  { name: 'rollback 1', prepare: history3, op: (m) => m.rollback(1), writes: BOTH },
  { name: 'rollback 3', prepare: history3, op: (m) => m.rollback(3), writes: BOTH },
  { name: 'rollback 10', prepare: full, op: (m) => m.rollback(10), writes: BOTH },
  { name: 'rollback during pending', prepare: async (m) => (await history3(m), await commitTable(m, 5, 60_000)), op: (m) => m.rollback(2), writes: BOTH },
  {
    name: 'rollback 1 during pending (away from the pending config)',
    prepare: async (m) => (await history3(m), await commitTable(m, 5, 60_000)),
    op: (m) => m.rollback(1),
    writes: [HISTORY_FILE],
  },
];

async function prepared(s: Scenario): Promise<Harness> {
  const h = await harness(new FlakyStorage());
  await s.prepare(h.manager);
  return h;
}

type Durable = Awaited<ReturnType<typeof durable>>;

describe('durable writes', () => {
  it.each(scenarios)('$name writes $writes, in that order', async (s) => {
    const h = await prepared(s);
    const before = h.storage.writes.length;
    await s.op(h.manager);
    expect(h.storage.writes.slice(before)).toEqual(s.writes);
    // What storage holds always matches what the manager says a reboot would run.
    const status = h.manager.status();
    const saved = await durable(h.storage);
    expect(saved.startupId).toBe(status.startupId);
    expect(saved.problems).toEqual([]);
    h.manager.stop();
  });
});

const modes: FaultMode[] = ['throw', 'power-cut', 'throw-after-write'];

describe.each(modes)('storage fault (%s) at each write', (mode) => {
  for (const s of scenarios) {
    it(`${s.name}: afterwards and after a reboot, storage holds the old or the new state`, async () => {
      // The two acceptable outcomes, as a reboot sees them.
      const reference = await prepared(s);
      const old: Durable = await durable(reference.storage);
      await s.op(reference.manager);
      const next: Durable = await durable(reference.storage);
      reference.manager.stop();
      expect(old.problems).toEqual([]);
      expect(next.problems).toEqual([]);
      expect(next).not.toEqual(old);

      for (let k = 1; k <= s.writes.length; k++) {
        const h = await prepared(s);
        const statusBefore = h.manager.status();
        const runningBefore = h.manager.running.id;
        h.storage.failWrite(k, mode);
        let error: unknown = null;
        await s.op(h.manager).catch((err: unknown) => (error = err));
        expect(error, `write ${k}`).toBeInstanceOf(MgmtError);
        expect((error as MgmtError).code).toBe('storage');
        expect((error as MgmtError).message).toMatch(/simulated failure/);

        // The operation failed whole: the manager still describes, and the core still runs, the old config.
        expect({ ...h.manager.status(), candidateId: null }, `write ${k}`).toEqual({ ...statusBefore, candidateId: null });
        expect(h.applied.at(-1) ?? runningBefore).toBe(runningBefore);

        h.storage.revive();
        const after = await durable(h.storage);
        expect(after.problems, `write ${k}`).toEqual([]);
        if (mode === 'throw-after-write' && k === s.writes.length) expect(after, `write ${k}`).toEqual(next);
        else expect([old, next], `write ${k}`).toContainEqual(after);

        if (mode !== 'power-cut') {
          // The box stayed up: the operation, retried, succeeds and leaves the new state.
          await s.op(h.manager);
          expect(await durable(h.storage), `retry after write ${k}`).toEqual(next);
        }
        h.manager.stop();
      }
    });
  }
});

describe('the revert at the confirm timeout', () => {
  it('clears the pending mark; a power cut at that write leaves the commit interrupted, as it still was', async () => {
    for (const cut of [false, true]) {
      const h = await harness();
      await commitTable(h.manager, 1);
      await commitTable(h.manager, 2, 5_000);
      expect((await durable(h.storage)).interrupted).toBe(idOf(2));
      const before = h.storage.writes.length;
      if (cut) h.storage.failWrite(1, 'power-cut');
      await h.clock.advance(5_000);
      await h.manager.whenIdle();
      h.storage.revive();
      const after = await durable(h.storage);
      expect(after).toEqual({ startupId: idOf(1), history: [idOf(2), idOf(1), idOf(0)], interrupted: cut ? idOf(2) : null, problems: [] });
      expect(h.storage.writes.slice(before)).toEqual(cut ? [] : [HISTORY_FILE]);
      h.manager.stop();
    }
  });
});

describe('a fault that cuts the power between the two writes', () => {
  it('boots the old config with the old history (plain commit)', async () => {
    const h = await harness();
    for (let n = 1; n <= 3; n++) await commitTable(h.manager, n);
    h.storage.failWrite(2, 'power-cut');
    await expect(commitTable(h.manager, 4)).rejects.toMatchObject({ code: 'storage' });
    h.storage.revive();
    expect(await durable(h.storage)).toEqual({ startupId: idOf(3), history: [idOf(2), idOf(1), idOf(0)], interrupted: null, problems: [] });
  });

  it('a later good write still finds the right side of the journal', async () => {
    const h = await harness();
    await commitTable(h.manager, 1);
    h.storage.failWrite(2, 'throw'); // journal written, startup not
    await expect(commitTable(h.manager, 2)).rejects.toMatchObject({ code: 'storage' });
    await commitTable(h.manager, 3, 5_000); // journal only; its "previous" must be what storage holds
    h.storage.failWrite(1, 'power-cut');
    await expect(h.manager.confirm()).rejects.toMatchObject({ code: 'storage' });
    h.storage.revive();
    // The confirm never landed: the commit of 3 was still pending when the power went.
    expect(await durable(h.storage)).toEqual({ startupId: idOf(1), history: [idOf(3), idOf(1), idOf(0)], interrupted: idOf(3), problems: [] });
    h.manager.stop();
  });
});
