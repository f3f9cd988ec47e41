/** The commit notes of the configuration database: each history entry keeps who committed it, when and why, across a reboot. */
import { describe, expect, it } from 'vitest';
import { ConfigManager } from '../../../../firmware/mgmt/config-manager.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { bytesOf, FlakyStorage, harness, idOf } from './support.js';

describe('ConfigManager: commit notes', () => {
  it('moves a commit’s note onto the history with its config, and keeps it across a reboot', async () => {
    const storage = new FlakyStorage();
    const { manager, clock } = await harness(storage);
    manager.setCandidate(bytesOf(1));
    await manager.commit({ note: { by: 'ada@ops', comment: 'first' } });
    const firstAt = clock.epochMs();
    manager.setCandidate(bytesOf(2));
    await manager.commit({ note: { by: 'bob@ops', comment: 'second' } });
    expect(manager.running.note).toMatchObject({ by: 'bob@ops', comment: 'second' });
    expect(manager.history.map((c) => [c.id, c.note?.by, c.note?.comment])).toEqual([
      [idOf(1), 'ada@ops', 'first'],
      [idOf(0), undefined, undefined],
    ]);
    expect(manager.history[0]!.note!.at).toBe(firstAt);

    const rebooted = await ConfigManager.load({ clock: new FakeClock(), storage, apply: () => undefined });
    expect(rebooted.running.note).toMatchObject({ by: 'bob@ops', comment: 'second' });
    expect(rebooted.history[0]!.note).toMatchObject({ by: 'ada@ops', comment: 'first' });
    rebooted.setCandidate(bytesOf(3));
    await rebooted.commit();
    // The running config's note (saved with startup.rules' state) reaches the history after the reboot.
    expect(rebooted.history[0]!.note).toMatchObject({ by: 'bob@ops', comment: 'second' });
  });

  it('notes a rollback as a commit of its own, with "rollback N" unless a comment is given', async () => {
    const { manager } = await harness();
    manager.setCandidate(bytesOf(1));
    await manager.commit({ note: { by: 'ada@ops', comment: 'first' } });
    await manager.rollback(1, { by: 'bob@ops', comment: '' });
    expect(manager.running.id).toBe(idOf(0));
    expect(manager.running.note).toMatchObject({ by: 'bob@ops', comment: 'rollback 1' });
    expect(manager.history[0]!.note).toMatchObject({ by: 'ada@ops', comment: 'first' });
  });
});
