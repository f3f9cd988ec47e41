import { describe, expect, it } from 'vitest';
import { GroupConfigError } from '../../../../firmware/failover/errors.js';
import { groupConfig, masterDownMs } from '../../../../firmware/failover/group-config.js';

const key = new Uint8Array(32);

describe('group config', () => {
  it('fills the VRRP-like defaults: priority 100, preemption on, no delay, 150 ms heartbeats', () => {
    expect(groupConfig({ name: 'pair-a', unit: 1, key })).toMatchObject({ priority: 100, preempt: true, preemptDelayMs: 0, intervalMs: 150 });
  });

  it('names the field at fault', () => {
    const field = (input: Parameters<typeof groupConfig>[0]) => {
      try {
        groupConfig(input);
      } catch (err) {
        expect(err).toBeInstanceOf(GroupConfigError);
        return (err as GroupConfigError).field;
      }
      return null;
    };
    expect(field({ name: 'has space', unit: 1, key })).toBe('group');
    expect(field({ name: 'a', unit: 0, key })).toBe('unit');
    expect(field({ name: 'a', unit: 256, key })).toBe('unit');
    expect(field({ name: 'a', unit: 1, key, priority: 255 })).toBe('priority');
    expect(field({ name: 'a', unit: 1, key: new Uint8Array(15) })).toBe('group-key');
    expect(field({ name: 'a', unit: 1, key, intervalMs: 5 })).toBe('heartbeat-interval');
    expect(field({ name: 'a', unit: 1, key, preemptDelayMs: -1 })).toBe('preempt-delay');
  });

  it("gives keepalived's 3.6 s master-down at its defaults (1 s adverts, priority 100) and well under 1 s at ours", () => {
    expect(masterDownMs(100, 1_000)).toBeCloseTo(3_609.4, 1);
    expect(masterDownMs(100, 150)).toBeLessThan(600);
  });
});
