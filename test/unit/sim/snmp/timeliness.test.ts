import { describe, expect, it } from 'vitest';
import { ENGINE_MAX, TIME_WINDOW_S, timeliness, type IncomingTimes, type LocalEngine } from '../../../../sim/snmp/timeliness.js';

const local: LocalEngine = { engineId: '80007ed904464c30303030303030303432', boots: 3, time: 1_000 };
const message = (over: Partial<IncomingTimes> = {}): IncomingTimes => ({
  engineId: local.engineId,
  boots: local.boots,
  time: local.time,
  authenticated: true,
  ...over,
});

describe('RFC 3414 timeliness (3.2 steps 3 and 7a)', () => {
  it('a message for this engine, same boots, time within ±150 s: ok, both edges of the window included', () => {
    expect(TIME_WINDOW_S).toBe(150);
    expect(timeliness(local, message())).toBe('ok');
    expect(timeliness(local, message({ time: local.time + 150 }))).toBe('ok');
    expect(timeliness(local, message({ time: local.time - 150 }))).toBe('ok');
    // Engine ids are compared as octets: the hex spelling's case does not matter.
    expect(timeliness(local, message({ engineId: local.engineId.toUpperCase() }))).toBe('ok');
  });

  it('one second outside the window, either way: notInTimeWindow', () => {
    expect(timeliness(local, message({ time: local.time + 151 }))).toBe('notInTimeWindow');
    expect(timeliness(local, message({ time: local.time - 151 }))).toBe('notInTimeWindow');
    // A capture replayed 402 s later.
    expect(timeliness({ ...local, time: local.time + 402 }, message())).toBe('notInTimeWindow');
  });

  it('other boots (the engine restarted since, or the message is from the future): notInTimeWindow, whatever the time', () => {
    expect(timeliness(local, message({ boots: local.boots - 1 }))).toBe('notInTimeWindow');
    expect(timeliness(local, message({ boots: local.boots + 1 }))).toBe('notInTimeWindow');
    expect(timeliness({ ...local, boots: 4, time: 2 }, message({ boots: 3, time: 2 }))).toBe('notInTimeWindow');
  });

  it('boots latched at 2^31-1: every authenticated message is outside the window', () => {
    const latched = { ...local, boots: ENGINE_MAX };
    expect(timeliness(latched, message({ boots: ENGINE_MAX }))).toBe('notInTimeWindow');
  });

  it('another engine id, or none (discovery): unknownEngineId, checked before the time and whatever the security level', () => {
    const other = '80007ed904464c30303030303030303433';
    expect(timeliness(local, message({ engineId: other }))).toBe('unknownEngineId');
    expect(timeliness(local, message({ engineId: other, boots: 0, time: 0 }))).toBe('unknownEngineId');
    expect(timeliness(local, message({ engineId: '', boots: 0, time: 0, authenticated: false }))).toBe('unknownEngineId');
  });

  it('an unauthenticated message for this engine is not timed (step 7 is for authenticated messages)', () => {
    expect(timeliness(local, message({ authenticated: false, boots: 0, time: 0 }))).toBe('ok');
  });
});
