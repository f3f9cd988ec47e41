import { describe, expect, it } from 'vitest';
import { HealthState } from '../../../../../firmware/forwarding/health/health-state.js';

describe('HealthState (rise/fall)', () => {
  it('starts up and goes down after exactly `fall` consecutive failures', () => {
    const s = new HealthState(2, 3);
    expect(s.up).toBe(true);
    expect(s.observe(false)).toBeNull();
    expect(s.observe(false)).toBeNull();
    expect(s.observe(false)).toBe('down');
    expect(s.up).toBe(false);
  });

  it('a success in between resets the failure streak', () => {
    const s = new HealthState(2, 3);
    s.observe(false);
    s.observe(false);
    expect(s.observe(true)).toBeNull();
    expect(s.observe(false)).toBeNull();
    expect(s.observe(false)).toBeNull();
    expect(s.up).toBe(true);
    expect(s.observe(false)).toBe('down');
  });

  it('comes back after exactly `rise` consecutive successes, a failure restarting the count', () => {
    const s = new HealthState(2, 1);
    expect(s.observe(false)).toBe('down');
    expect(s.observe(true)).toBeNull();
    expect(s.observe(false)).toBeNull();
    expect(s.observe(true)).toBeNull();
    expect(s.observe(true)).toBe('up');
    expect(s.up).toBe(true);
  });
});
