import { describe, expect, it } from 'vitest';
import type { Identity, Message } from '../../../../src/protocol/serial/messages.js';
import { PayloadError, decodePayload, encodePayload, messageTypeCode } from '../../../../src/protocol/serial/payload.js';
import { IDENTITY } from './messages.js';

const roundTrip = (m: Message) => decodePayload(messageTypeCode(m), encodePayload(m));
const grouped: Identity = { ...IDENTITY, group: { name: 'pair-a', unit: 2, state: 'standby' } };

describe('the identity of a failover group member', () => {
  it('carries the group after the firmware, in helloOk and infoOk', () => {
    for (const state of ['active', 'standby', 'offline'] as const) {
      const identity = { ...grouped, group: { ...grouped.group!, state } };
      expect(roundTrip({ type: 'infoOk', identity })).toEqual({ type: 'infoOk', identity });
      expect(roundTrip({ type: 'helloOk', maxPayload: 4096, window: 8, identity })).toEqual({ type: 'helloOk', maxPayload: 4096, window: 8, identity });
    }
  });

  it('leaves a lone appliance byte for byte as before: the group is a trailer, absent when there is none', () => {
    const lone = encodePayload({ type: 'infoOk', identity: IDENTITY });
    const member = encodePayload({ type: 'infoOk', identity: grouped });
    expect(member.subarray(0, lone.length)).toEqual(lone);
    expect(member.length - lone.length).toBe(1 + 'pair-a'.length + 2);
    expect(roundTrip({ type: 'infoOk', identity: IDENTITY })).toEqual({ type: 'infoOk', identity: IDENTITY });
  });

  it('refuses a trailer that is not a whole group, naming it trailing bytes', () => {
    const member = encodePayload({ type: 'infoOk', identity: grouped });
    const lone = encodePayload({ type: 'infoOk', identity: IDENTITY }).length;
    const refuse = (bytes: Uint8Array) => {
      try {
        decodePayload(messageTypeCode({ type: 'infoOk', identity: IDENTITY }), bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(PayloadError);
        return (err as PayloadError).message;
      }
      throw new Error('accepted');
    };
    for (let keep = lone + 1; keep < member.length; keep++) expect(refuse(member.subarray(0, keep))).toMatch(/trailing byte\(s\) after the identity/);
    const badState = Uint8Array.from(member);
    badState[badState.length - 1] = 9;
    expect(refuse(badState)).toMatch(/unknown group state/);
    const unit0 = Uint8Array.from(member);
    unit0[unit0.length - 2] = 0;
    expect(refuse(unit0)).toMatch(/group unit 0/);
    expect(refuse(Uint8Array.from([...member, 0]))).toMatch(/trailing/);
  });

  it('refuses to encode a group the decoder would refuse', () => {
    expect(() => encodePayload({ type: 'infoOk', identity: { ...grouped, group: { name: 'x'.repeat(33), unit: 1, state: 'active' } } })).toThrow(RangeError);
    expect(() => encodePayload({ type: 'infoOk', identity: { ...grouped, group: { name: '', unit: 1, state: 'active' } } })).toThrow(RangeError);
  });
});
