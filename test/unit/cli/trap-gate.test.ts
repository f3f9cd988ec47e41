import { describe, expect, it } from 'vitest';
import { TrapGate } from '../../../src/cli/trap-gate.js';

describe('the trap gate', () => {
  it('lets a source burst 50, then 20 a second, and counts the rest per source', () => {
    let now = 1_000_000;
    const gate = new TrapGate({ rate: 20, burst: 50, now: () => now });
    const admitted = () => Array.from({ length: 100 }, () => gate.admit('10.0.0.1', true)).filter(Boolean).length;
    expect(admitted()).toBe(50);
    now += 1_000;
    expect(admitted()).toBe(20);
    // Another source has its own bucket.
    expect(gate.admit('10.0.0.2', true)).toBe(true);
    const summary = gate.takeSummary()!;
    expect(summary).toMatchObject({ total: 130, reasons: { rateLimited: 130, unknownSource: 0, badCredentials: 0 }, rateLimited: { '10.0.0.1': 130 } });
    expect(gate.takeSummary()).toBeNull();
  });

  it('turns strangers away without a bucket, and names at most 100 of them', () => {
    const gate = new TrapGate({ rate: 20, burst: 50 });
    for (let i = 0; i < 300; i++) expect(gate.admit(`192.0.2.${i % 250}`, false)).toBe(false);
    gate.drop('badCredentials', '10.0.0.1');
    const summary = gate.takeSummary()!;
    expect(summary.total).toBe(301);
    expect(summary.reasons).toEqual({ unknownSource: 300, badCredentials: 1, rateLimited: 0 });
    expect(Object.keys(summary.refused)).toHaveLength(101);
    expect(summary.refused['other']).toBeGreaterThan(0);
  });
});
