import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, MessageType, type Message } from '../../../../src/protocol/serial/messages.js';
import { PayloadError, decodePayload, encodePayload, messageTypeCode } from '../../../../src/protocol/serial/payload.js';
import { IDENTITY, SAMPLES, id, message, prefix } from './messages.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const roundTrip = (m: Message) => decodePayload(messageTypeCode(m), encodePayload(m));

function payloadError(type: number, payload: Uint8Array): PayloadError {
  try {
    decodePayload(type, payload);
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return error as PayloadError;
  }
  throw new Error(`expected a PayloadError for type 0x${type.toString(16)} payload ${hex(payload)}`);
}

describe('message payloads', () => {
  it.each(SAMPLES.map((m) => [m.type + ('kind' in m ? ` ${m.kind}` : ''), m] as const))('round-trips %s', (_name, m) => {
    expect(roundTrip(m)).toEqual(m);
  });

  it('round-trips arbitrary valid messages, and whatever decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodePayload(m);
        const decoded = decodePayload(messageTypeCode(m), bytes);
        expect(decoded).toEqual(m);
        expect(hex(encodePayload(decoded))).toBe(hex(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  // The documented layouts, written out by hand: the format is a contract, not whatever the encoder does.
  it.each<[string, Message, string]>([
    ['hello', { type: 'hello', maxPayload: 4096, window: 32, sessionId: 0xdeadbeef }, '1000 20 deadbeef'],
    ['info', { type: 'info' }, ''],
    ['read', { type: 'read', object: 'candidate', offset: 0x10000, maxBytes: 4084 }, '02 00010000 0ff4'],
    [
      'putBegin',
      { type: 'putBegin', mode: 'patch', size: 17, baseIdPrefix: prefix(0x11), resultIdPrefix: prefix(0x22), commitAfter: true, confirmTimeoutMs: 600_000 },
      '01 01 00000011 1111111111111111 2222222222222222 000927c0',
    ],
    ['putChunk', { type: 'putChunk', offset: 4092, bytes: fromHex('0001ff') }, '00000ffc 0001ff'],
    ['commit', { type: 'commit', confirmTimeoutMs: 30_000 }, '00007530'],
    ['rollback', { type: 'rollback', steps: 1 }, '01'],
    [
      'infoOk',
      { type: 'infoOk', identity: { ...IDENTITY, configId: id(0xab), model: 'M', serialNumber: 'S1', firmware: '' } },
      `${'ab'.repeat(32)} 00015180 00000000 01 4d 02 5331 00`,
    ],
    ['readOk', { type: 'readOk', snapshot: 3, total: 10, offset: 8, bytes: fromHex('0102') }, '00000003 0000000a 00000008 0102'],
    ['putChunkOk', { type: 'putChunkOk', offset: 4092 }, '00000ffc'],
    ['putEndOk', { type: 'putEndOk', candidateId: id(1), committed: false, previousId: id(2) }, `${'01'.repeat(32)} 00 ${'02'.repeat(32)}`],
    ['error', { type: 'error', code: 'hashMismatch', message: 'é' }, '04 02 c3a9'],
    [
      'backend-state',
      { type: 'event', kind: 'backend-state', at: 1_700_000_000_000, service: 'web', address: '10.0.0.2:80', up: true },
      '01 0000018bcfe56800 03 776562 0b 31302e302e302e323a3830 01',
    ],
    ['rollback event', { type: 'event', kind: 'rollback', at: 1, configId: id(9), reason: 'operator' }, `03 0000000000000001 ${'09'.repeat(32)} 01`],
  ])('encodes %s as documented', (_name, m, layout) => {
    expect(hex(encodePayload(m))).toBe(hex(fromHex(layout)));
  });

  it('uses the type codes of messages.ts', () => {
    expect(messageTypeCode({ type: 'putEnd' })).toBe(0x06);
    expect(messageTypeCode({ type: 'error', code: 'storage', message: '' })).toBe(0xe0);
    expect(ErrorCode.storage).toBe(12);
  });

  it('refuses every truncation and every trailing byte', () => {
    for (const m of SAMPLES) {
      const bytes = encodePayload(m);
      const type = messageTypeCode(m);
      // Types whose last field runs to the end of the payload accept a shorter one: that is a different message, not an error.
      const openEnded = m.type === 'putChunk' || m.type === 'fwChunk' || m.type === 'readOk';
      const fixedPart = m.type === 'putChunk' || m.type === 'fwChunk' ? 4 : m.type === 'readOk' ? 12 : bytes.length;
      for (let keep = 0; keep < (openEnded ? fixedPart : bytes.length); keep++) payloadError(type, bytes.subarray(0, keep));
      if (!openEnded) expect(payloadError(type, Uint8Array.from([...bytes, 0])).message).toMatch(/trailing/);
    }
  });

  it('refuses unknown codes, out-of-range values and malformed text, with the offset', () => {
    expect(payloadError(0x7f, new Uint8Array(0)).message).toMatch(/unknown message type 0x7f/);
    expect(payloadError(MessageType.read, fromHex('04 00000000 0001')).offset).toBe(0); // object 4
    expect(payloadError(MessageType.read, fromHex('01 00000000 0000')).offset).toBe(5); // maxBytes 0
    expect(payloadError(MessageType.hello, fromHex('03ff 01 00000000')).message).toMatch(/maxPayload 1023 is below 1024/);
    expect(payloadError(MessageType.putBegin, fromHex(`02 00 00000001 ${'00'.repeat(16)} 00000000`)).message).toMatch(/unknown put mode code 2/);
    expect(payloadError(MessageType.putBegin, fromHex(`00 02 00000001 ${'00'.repeat(16)} 00000000`)).offset).toBe(1); // commitAfter 2
    expect(payloadError(MessageType.error, fromHex('00 00')).message).toMatch(/unknown error code 0/);
    expect(payloadError(MessageType.error, fromHex('01 02 c328')).message).toMatch(/not valid UTF-8/);
    expect(payloadError(MessageType.error, fromHex('01 03 eda080')).message).toMatch(/not valid UTF-8/); // a surrogate
    expect(payloadError(MessageType.readOk, fromHex('00000000 00000001 00000000 0102')).message).toMatch(/past total/);
    expect(payloadError(MessageType.event, fromHex('04 0000000000000000')).message).toMatch(/unknown event kind/);
    expect(payloadError(MessageType.event, fromHex(`03 0000000000000000 ${'00'.repeat(32)} 02`)).message).toMatch(/rollback reason/);
    expect(payloadError(MessageType.event, fromHex(`02 0020000000000000 ${'00'.repeat(32)} 00`)).message).toMatch(/beyond 2\^53/);
  });

  it('keeps a leading byte-order mark, so decoded text re-encodes identically', () => {
    const m: Message = { type: 'error', code: 'storage', message: '\ufeffdisk' };
    expect(roundTrip(m)).toEqual(m);
  });

  it('clips a long error message at a character boundary instead of failing', () => {
    const long = 'ü'.repeat(200); // 400 bytes
    const decoded = roundTrip({ type: 'error', code: 'applyFailed', message: long });
    expect(decoded).toEqual({ type: 'error', code: 'applyFailed', message: 'ü'.repeat(127) });
  });

  it('drops the fraction of an event timestamp', () => {
    const decoded = roundTrip({ type: 'event', kind: 'commit', at: 1_700_000_000_000.75, configId: id(1), pendingConfirm: false });
    expect(decoded).toMatchObject({ at: 1_700_000_000_000 });
  });

  it('refuses to encode values the decoder would refuse (a caller bug)', () => {
    const bad: Message[] = [
      { type: 'hello', maxPayload: 512, window: 4, sessionId: 1 },
      { type: 'hello', maxPayload: 4096, window: 0, sessionId: 1 },
      { type: 'hello', maxPayload: 4096, window: 4, sessionId: 2 ** 32 },
      { type: 'read', object: 'counters', offset: -1, maxBytes: 10 },
      { type: 'rollback', steps: 0 },
      { type: 'rollback', steps: 1.5 },
      { type: 'putBegin', mode: 'full', size: 1, baseIdPrefix: prefix(0), resultIdPrefix: new Uint8Array(7), commitAfter: false, confirmTimeoutMs: 0 },
      { type: 'confirmOk', configId: new Uint8Array(31) },
      { type: 'readOk', snapshot: 0, total: 1, offset: 0, bytes: new Uint8Array(2) },
      { type: 'infoOk', identity: { ...IDENTITY, model: 'x'.repeat(256) } },
      { type: 'infoOk', identity: { ...IDENTITY, model: '\ud800' } },
      { type: 'event', kind: 'commit', at: -1, configId: id(0), pendingConfirm: true },
      { type: 'read', object: 'bogus' as 'running', offset: 0, maxBytes: 1 },
    ];
    for (const m of bad) expect(() => encodePayload(m), JSON.stringify(m)).toThrow(RangeError);
  });

  it('never throws anything but PayloadError on arbitrary payloads of any type', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xff }), fc.uint8Array({ maxLength: 120 }), (type, payload) => {
        try {
          const decoded = decodePayload(type, payload);
          // Whatever is accepted has exactly one encoding.
          expect(hex(encodePayload(decoded))).toBe(hex(payload));
        } catch (error) {
          expect(error).toBeInstanceOf(PayloadError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
