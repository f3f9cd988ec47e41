import { describe, expect, it } from 'vitest';
import { APPLIANCE_LIMITS, MIN_MAX_PAYLOAD, RESPONSE_CACHE_SIZE, negotiate, nextSeq, seqDistance } from '../../../../src/protocol/serial/session.js';
import { encodePayload } from '../../../../src/protocol/serial/payload.js';
import { IDENTITY } from './messages.js';

describe('session rules', () => {
  it('grants the smaller of the proposal and the appliance limits', () => {
    expect(APPLIANCE_LIMITS).toEqual({ maxPayload: 4096, window: 32 });
    expect(negotiate({ maxPayload: 65_535, window: 255 })).toEqual({ maxPayload: 4096, window: 32 });
    expect(negotiate({ maxPayload: 1024, window: 4 })).toEqual({ maxPayload: 1024, window: 4 });
    expect(negotiate({ maxPayload: 8192, window: 8 }, { maxPayload: 2048, window: 16 })).toEqual({ maxPayload: 2048, window: 8 });
    expect(RESPONSE_CACHE_SIZE).toBe(64);
  });

  it('wraps sequence numbers at 16 bits', () => {
    expect(nextSeq(0)).toBe(1);
    expect(nextSeq(0xffff)).toBe(0);
    expect(seqDistance(0xfffe, 1)).toBe(3);
    expect(seqDistance(5, 5)).toBe(0);
  });

  it('fits every control message in the smallest maxPayload, even with 255-byte texts', () => {
    const long = 'x'.repeat(255);
    const helloOk = encodePayload({ type: 'helloOk', maxPayload: 4096, window: 1, identity: { ...IDENTITY, model: long, serialNumber: long, firmware: long } });
    expect(helloOk.length).toBe(811);
    const event = encodePayload({ type: 'event', kind: 'backend-state', at: 0, service: long, address: long, up: true });
    const error = encodePayload({ type: 'error', code: 'storage', message: long + long });
    for (const payload of [helloOk, event, error]) expect(payload.length).toBeLessThanOrEqual(MIN_MAX_PAYLOAD);
  });
});
