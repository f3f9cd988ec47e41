/**
 * Random sequences of operations, timer expiries and reboots: at every step, what storage holds
 * is what the manager says a reboot would run (its startup config, and the history it would
 * have then), and the rollback history never exceeds its cap.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ROLLBACK_STEPS, MgmtError, type ConfigManager } from '../../../../firmware/mgmt/config-manager.js';
import { durable, FlakyStorage, harness, bytesOf, type Harness } from './support.js';

type Step =
  | { kind: 'commit'; n: number; confirmMs: number }
  | { kind: 'confirm' }
  | { kind: 'rollback'; steps: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'reboot' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('commit' as const), n: fc.integer({ min: 0, max: 6 }), confirmMs: fc.constantFrom(0, 0, 1_000, 5_000) }),
  fc.record({ kind: fc.constant('confirm' as const) }),
  fc.record({ kind: fc.constant('rollback' as const), steps: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(500, 1_000, 3_000) }),
  fc.record({ kind: fc.constant('reboot' as const) }),
);

/** The history a reboot now would show: while a commit is pending, the unconfirmed config is rollback 1. */
function rebootView(m: ConfigManager): { startupId: string; history: string[] } {
  const s = m.status();
  const history = m.pending ? [s.runningId, ...s.history].slice(0, MAX_ROLLBACK_STEPS) : s.history;
  return { startupId: s.startupId, history };
}

describe('ConfigManager (property)', () => {
  it('storage always holds what a reboot should run', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const storage = new FlakyStorage();
        let h: Harness = await harness(storage);
        for (const s of steps) {
          try {
            if (s.kind === 'commit') {
              h.manager.setCandidate(bytesOf(s.n));
              await h.manager.commit({ confirmTimeoutMs: s.confirmMs });
            } else if (s.kind === 'confirm') await h.manager.confirm();
            else if (s.kind === 'rollback') await h.manager.rollback(s.steps);
            else if (s.kind === 'advance') {
              await h.clock.advance(s.ms);
              await h.manager.whenIdle();
            } else {
              h.manager.stop();
              h = await harness(storage);
              expect(h.manager.pending).toBeNull();
              expect(h.manager.loadProblems).toEqual([]);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(MgmtError);
            expect(['nothingToConfirm', 'noSuchRollback']).toContain((err as MgmtError).code);
          }
          const m = h.manager;
          expect(m.history.length).toBeLessThanOrEqual(MAX_ROLLBACK_STEPS);
          if (!m.pending) expect(m.status().runningId).toBe(m.status().startupId);
          const saved = await durable(storage);
          expect({ startupId: saved.startupId, history: saved.history }).toEqual(rebootView(m));
        }
        h.manager.stop();
      }),
      { numRuns: 80 },
    );
  });
});
