import fc from 'fast-check';
import { MessageType } from '../../../src/protocol/serial/messages.js';
import { PayloadError, decodePayload, encodePayload, messageTypeCode } from '../../../src/protocol/serial/payload.js';
import { message } from '../../unit/protocol/serial/messages.js';
import { mutate, mutations } from '../mutate.js';
import { ensure, expectOnly, hex, sameBytes, target } from '../target.js';

const knownType = fc.constantFrom(...Object.values(MessageType));

/** A type byte and payload bytes: random, or a valid message's payload damaged (sometimes under another type). */
const input = fc.oneof(
  fc.record({ type: fc.oneof(knownType, fc.integer({ min: 0, max: 255 })), payload: fc.uint8Array({ maxLength: 400 }) }),
  fc.record({ message, mutations: mutations(3), retype: fc.option(knownType, { freq: 4 }) }).map(({ message: m, mutations: ms, retype }) => ({
    type: retype ?? messageTypeCode(m),
    payload: mutate(encodePayload(m), ms),
  })),
);

export default target({
  name: 'payload',
  what: 'decodePayload on random and damaged payloads of every type byte: a message or PayloadError (offset within the payload); whatever it accepts re-encodes to the same bytes',
  arbitrary: input,
  check: ({ type, payload }) => {
    const r = expectOnly(() => decodePayload(type, payload), PayloadError);
    if (r.error) {
      const { offset } = r.error as PayloadError;
      ensure(Number.isInteger(offset) && offset >= 0 && offset <= payload.length, () => `PayloadError offset ${offset} outside 0..${payload.length}`);
      return;
    }
    ensure(messageTypeCode(r.value) === type, () => `type 0x${type.toString(16)} decoded as ${r.value.type}`);
    const again = encodePayload(r.value);
    ensure(sameBytes(again, payload), () => `accepted ${hex(payload)} as ${r.value.type}, which re-encodes to ${hex(again)}`);
  },
});
