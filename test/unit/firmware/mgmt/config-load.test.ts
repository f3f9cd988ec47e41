/**
 * What a boot finds of a commit confirmed that was pending when the box went down
 * (config-load.ts), and taking it up again (ConfigManager.resumeInterrupted): reported only when
 * storage says it was pending — never after a confirm, a revert or an operator's rollback away
 * from it, which leave the same startup config and history — and taken up at most once.
 */
import { describe, expect, it } from 'vitest';
import { ConfigManager, HISTORY_FILE, MgmtError } from '../../../../firmware/mgmt/config-manager.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { commitTable, durable, harness, idOf, table, type Harness } from './support.js';

const DETAIL = 'restarted during a commit confirmed';

/** A box that committed 1, then 2 confirmed, and lost power while 2 was pending. */
async function interruptedBox(): Promise<Harness> {
  const h = await harness();
  await commitTable(h.manager, 1);
  await commitTable(h.manager, 2, 60_000);
  h.manager.stop();
  return h;
}

async function bootOver(h: Harness): Promise<{ clock: FakeClock; manager: ConfigManager; applied: string[]; events: unknown[] }> {
  const clock = new FakeClock();
  const applied: string[] = [];
  const events: unknown[] = [];
  const manager = await ConfigManager.load({
    clock,
    storage: h.storage,
    apply: (_t, _e, id) => {
      if (h.refuse.has(id)) throw new Error(`refusing ${id.slice(0, 8)}`);
      applied.push(id);
    },
    onEvent: (e) => events.push(e),
  });
  return { clock, manager, applied, events };
}

describe('ConfigManager.load and an interrupted commit', () => {
  it('reports the commit pending at the power cut, and still boots the startup config', async () => {
    const h = await interruptedBox();
    const { manager } = await bootOver(h);
    expect(manager.interruptedCommit?.id).toBe(idOf(2));
    expect(manager.interruptedCommit?.table).toEqual(table(2));
    expect(manager.running.id).toBe(idOf(1));
    expect(manager.pending).toBeNull();
    expect(manager.history.map((c) => c.id)).toEqual([2, 1, 0].map(idOf));
  });

  it.each([
    ['confirmed', (m: ConfigManager) => m.confirm()],
    ['rolled back by an operator', (m: ConfigManager) => m.rollback(1)],
    ['replaced by a plain commit', (m: ConfigManager) => commitTable(m, 3)],
  ])('reports none once it was %s', async (_what, op) => {
    const h = await harness();
    await commitTable(h.manager, 1);
    await commitTable(h.manager, 2, 60_000);
    await op(h.manager);
    h.manager.stop();
    expect((await durable(h.storage)).interrupted).toBeNull();
  });

  it('reports none once it reverted at its timeout, though storage then holds what it held while pending', async () => {
    const h = await harness();
    await commitTable(h.manager, 1);
    await commitTable(h.manager, 2, 5_000);
    await h.clock.advance(5_000);
    await h.manager.whenIdle();
    expect(await durable(h.storage)).toEqual({ startupId: idOf(1), history: [2, 1, 0].map(idOf), interrupted: null, problems: [] });
  });

  it('reports the later of two commits confirmed', async () => {
    const h = await harness();
    await commitTable(h.manager, 2, 60_000);
    await commitTable(h.manager, 3, 60_000);
    h.manager.stop();
    expect((await durable(h.storage)).interrupted).toBe(idOf(3));
  });
});

describe('ConfigManager.resumeInterrupted', () => {
  it('runs the commit pending for the window, then reverts exactly as a confirm timeout does', async () => {
    const h = await interruptedBox();
    const { clock, manager, applied, events } = await bootOver(h);
    expect(await manager.resumeInterrupted(3_000, DETAIL)).toBe(idOf(2));
    expect(applied).toEqual([idOf(2)]);
    expect(manager.running.id).toBe(idOf(2));
    expect(manager.startup.id).toBe(idOf(1));
    expect(manager.status().pendingConfirmMs).toBe(3_000);
    expect(manager.history.map((c) => c.id)).toEqual([1, 0].map(idOf));
    expect(manager.interruptedCommit).toBeNull();
    expect(events).toEqual([{ kind: 'commit', configId: idOf(2), pendingConfirm: true, at: expect.any(Number), detail: DETAIL }]);
    await clock.advance(3_000);
    await manager.whenIdle();
    expect(manager.running.id).toBe(idOf(1));
    expect(events.at(-1)).toMatchObject({ kind: 'rollback', configId: idOf(1), reason: 'confirm-timeout' });
    expect(await durable(h.storage)).toEqual({ startupId: idOf(1), history: [2, 1, 0].map(idOf), interrupted: null, problems: [] });
  });

  it('is confirmed or rolled back as any pending commit', async () => {
    const confirmed = await bootOver(await interruptedBox());
    await confirmed.manager.resumeInterrupted(3_000, DETAIL);
    await confirmed.manager.confirm({ configId: idOf(2), by: 'failover peer unit 2 runs it confirmed' });
    expect(confirmed.manager.status()).toMatchObject({ runningId: idOf(2), startupId: idOf(2), pendingConfirmMs: 0 });

    const h = await interruptedBox();
    const rolled = await bootOver(h);
    await rolled.manager.resumeInterrupted(3_000, DETAIL);
    await rolled.manager.rollback(1);
    expect(rolled.manager.status()).toMatchObject({ runningId: idOf(1), startupId: idOf(1), pendingConfirmMs: 0 });
    expect((await durable(h.storage)).interrupted).toBeNull();
  });

  it('takes a commit up once: a power cut inside the window boots the startup config with nothing to take up', async () => {
    const h = await interruptedBox();
    const first = await bootOver(h);
    const writes = h.storage.writes.length;
    await first.manager.resumeInterrupted(3_000, DETAIL);
    // The mark is spent with one journal write, before the config runs.
    expect(h.storage.writes.slice(writes)).toEqual([HISTORY_FILE]);
    first.manager.stop();
    const second = await bootOver(h);
    expect(second.manager.running.id).toBe(idOf(1));
    expect(second.manager.interruptedCommit).toBeNull();
    expect(await second.manager.resumeInterrupted(3_000, DETAIL)).toBeNull();
  });

  it('a power cut at the write that spends the mark changes nothing: the next boot finds it again', async () => {
    const h = await interruptedBox();
    const { manager, applied } = await bootOver(h);
    h.storage.failWrite(1, 'power-cut');
    await expect(manager.resumeInterrupted(3_000, DETAIL)).rejects.toMatchObject({ code: 'storage' });
    expect(applied).toEqual([]);
    expect(manager.running.id).toBe(idOf(1));
    h.storage.revive();
    expect((await durable(h.storage)).interrupted).toBe(idOf(2));
  });

  it('a commit the core now refuses stays down: the startup config runs, and the mark is spent', async () => {
    const h = await interruptedBox();
    h.refuse.add(idOf(2));
    const { manager } = await bootOver(h);
    await expect(manager.resumeInterrupted(3_000, DETAIL)).rejects.toMatchObject({ code: 'applyFailed' });
    expect(manager.status()).toMatchObject({ runningId: idOf(1), pendingConfirmMs: 0 });
    expect((await durable(h.storage)).interrupted).toBeNull();
  });

  it('takes nothing up once anything changed the database, or with no timeout', async () => {
    const h = await interruptedBox();
    const { manager } = await bootOver(h);
    await expect(manager.resumeInterrupted(0, DETAIL)).rejects.toBeInstanceOf(MgmtError);
    await commitTable(manager, 3, 60_000);
    expect(manager.interruptedCommit).toBeNull();
    expect(await manager.resumeInterrupted(3_000, DETAIL)).toBeNull();
    expect(manager.running.id).toBe(idOf(3));
    manager.stop();
  });
});
