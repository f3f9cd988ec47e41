import { describe, expect, it } from 'vitest';
import { EXIT, exitForDriverError, exitName, unknownName } from '../../../src/cli/exit-codes.js';
import { describeLeft } from '../../../src/cli/push-interrupt.js';

describe('exit codes', () => {
  it('tells "nothing to act on" from a refusal', () => {
    expect(exitForDriverError('refused', 'nothingToConfirm')).toBe(EXIT.nothingToDo);
    expect(exitForDriverError('refused', 'noSuchRollback')).toBe(EXIT.nothingToDo);
    expect(exitForDriverError('refused', 'applyFailed')).toBe(EXIT.refused);
    expect(exitForDriverError('refused')).toBe(EXIT.refused);
    expect(exitForDriverError('unreachable')).toBe(EXIT.unreachable);
    expect(exitForDriverError('badTarget')).toBe(EXIT.usage);
  });

  it('names every code once, for JSON errors', () => {
    const names = Object.values(EXIT).map(exitName);
    expect(new Set(names).size).toBe(Object.keys(EXIT).length);
    expect(exitName(3)).toBe('invalidInput');
    expect(exitName(42)).toBe('failure');
    expect(unknownName('edge-9')).toBe('edge-9: no such appliance in the inventory (fulcrum appliance list)');
  });
});

describe('an interrupted push', () => {
  const pushing = 'aa'.repeat(32);
  const before = 'bb'.repeat(32);
  it('says what the appliance runs: unchanged, pending confirm until a time, or committed', () => {
    expect(describeLeft({ configId: before, pendingConfirm: null }, pushing, 'lb1', 0)).toBe(`interrupted: running config unchanged: ${before}`);
    expect(describeLeft({ configId: pushing, pendingConfirm: 300 }, pushing, 'lb1', Date.UTC(2025, 0, 1))).toBe(
      `interrupted after the commit: commit pending confirm until 2025-01-01T00:05:00Z (running ${pushing}); fulcrum rules confirm --to lb1 keeps it, otherwise it reverts by itself`,
    );
    expect(describeLeft({ configId: pushing, pendingConfirm: null }, pushing, 'lb1', 0)).toContain('the push had completed');
  });
});
