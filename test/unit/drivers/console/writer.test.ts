import { describe, expect, it } from 'vitest';
import { breakRequest, judgeReplies, lineRequests, parseReply, purgeRequest, replyValue } from '../../../../drivers/console/telnet/com-port.js';
import { DO, WILL } from '../../../../drivers/console/telnet/constants.js';
import { concatFrames, escapeData, negotiationFrame, subnegotiationFrame } from '../../../../drivers/console/telnet/writer.js';

const [IAC, SB, SE] = [255, 250, 240];
const arr = (u: Uint8Array) => [...u];

describe('telnet writer', () => {
  it('doubles every 0xFF in data and nothing else', () => {
    expect(arr(escapeData(Uint8Array.of(0xff)))).toEqual([IAC, IAC]);
    expect(arr(escapeData(Uint8Array.of(1, 0xff, 0xff, 0x0d, 0x00, 0xff)))).toEqual([1, IAC, IAC, IAC, IAC, 0x0d, 0x00, IAC, IAC]);
  });

  it('returns the very same array when there is nothing to escape', () => {
    const plain = Uint8Array.of(0, 1, 0xfe, 0x0d, 0x0a);
    expect(escapeData(plain)).toBe(plain);
  });

  it('builds negotiation and subnegotiation frames, doubling 0xFF inside the value', () => {
    expect(arr(negotiationFrame(WILL, 44))).toEqual([IAC, WILL, 44]);
    expect(arr(negotiationFrame(DO, 0))).toEqual([IAC, DO, 0]);
    expect(arr(subnegotiationFrame(44, Uint8Array.of(1, 0, 0, 0xff, 0xff)))).toEqual([IAC, SB, 44, 1, 0, 0, IAC, IAC, IAC, IAC, IAC, SE]);
    expect(arr(concatFrames([Uint8Array.of(1), Uint8Array.of(), Uint8Array.of(2, 3)]))).toEqual([1, 2, 3]);
    expect(() => negotiationFrame(WILL, 256)).toThrow(RangeError);
  });
});

describe('RFC 2217 requests and replies', () => {
  it('sets 115200 8N1: baud as 4 bytes big-endian, then data size, parity, stop size', () => {
    expect(lineRequests({ baud: 115_200, dataBits: 8, parity: 'none', stopBits: 1 }).map(arr)).toEqual([
      [IAC, SB, 44, 1, 0x00, 0x01, 0xc2, 0x00, IAC, SE],
      [IAC, SB, 44, 2, 8, IAC, SE],
      [IAC, SB, 44, 3, 1, IAC, SE],
      [IAC, SB, 44, 4, 1, IAC, SE],
    ]);
    expect(lineRequests({ baud: 9600, dataBits: 7, parity: 'even', stopBits: 1.5 }).map(arr).slice(1)).toEqual([
      [IAC, SB, 44, 2, 7, IAC, SE],
      [IAC, SB, 44, 3, 3, IAC, SE],
      [IAC, SB, 44, 4, 3, IAC, SE],
    ]);
  });

  it('doubles a 0xFF byte inside a baud rate (rates like 255 or 65535 are legal on the wire)', () => {
    expect(arr(lineRequests({ baud: 0xffff, dataBits: 8, parity: 'none', stopBits: 1 })[0]!)).toEqual([IAC, SB, 44, 1, 0, 0, IAC, IAC, IAC, IAC, IAC, SE]);
  });

  it('refuses values RFC 2217 cannot carry (0 would only ask for the current rate)', () => {
    expect(() => lineRequests({ baud: 0, dataBits: 8, parity: 'none', stopBits: 1 })).toThrow(/baud/);
    expect(() => lineRequests({ baud: 2 ** 32, dataBits: 8, parity: 'none', stopBits: 1 })).toThrow(/baud/);
    expect(() => lineRequests({ baud: 9600, dataBits: 9 as 8, parity: 'none', stopBits: 1 })).toThrow(/data bits/);
    expect(() => lineRequests({ baud: 9600, dataBits: 8, parity: 'weird' as 'none', stopBits: 1 })).toThrow(/parity/);
  });

  it('purge and break frames', () => {
    expect(arr(purgeRequest())).toEqual([IAC, SB, 44, 12, 3, IAC, SE]);
    expect(arr(breakRequest(true))).toEqual([IAC, SB, 44, 5, 5, IAC, SE]);
    expect(arr(breakRequest(false))).toEqual([IAC, SB, 44, 5, 6, IAC, SE]);
  });

  it('reads server replies: command − 100 and the value the port took', () => {
    expect(parseReply(Uint8Array.of(101, 0, 0, 0x25, 0x80))).toEqual({ command: 1, value: Uint8Array.of(0, 0, 0x25, 0x80) });
    // A client-side command (< 100) echoed back is not a reply.
    expect(parseReply(Uint8Array.of(1, 0, 0, 0x25, 0x80))).toBeNull();
    expect(parseReply(Uint8Array.of())).toBeNull();
    expect(replyValue(1, Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBe(0xffffffff);
    expect(replyValue(1, Uint8Array.of(0, 1, 0xc2, 0))).toBe(115_200);
    expect(replyValue(1, Uint8Array.of(0, 1))).toBeNull();
    expect(replyValue(2, Uint8Array.of(8))).toBe(8);
    expect(replyValue(3, Uint8Array.of(3))).toBe('even');
    expect(replyValue(3, Uint8Array.of(9))).toBeNull();
    expect(replyValue(4, Uint8Array.of(3))).toBe('1.5');
  });

  it('judges the replies against what was asked: taken, taken differently, malformed, missing', () => {
    const line = { baud: 115_200, dataBits: 8, parity: 'none', stopBits: 1 } as const;
    const exact = new Map([
      [1, Uint8Array.of(0, 1, 0xc2, 0)],
      [2, Uint8Array.of(8)],
      [3, Uint8Array.of(1)],
      [4, Uint8Array.of(1)],
    ]);
    expect(judgeReplies(line, exact, 2_000)).toEqual({ took: { baud: 115_200, dataBits: 8, parity: 'none', stopBits: '1' }, problems: [] });
    const off = new Map([
      [1, Uint8Array.of(0, 0, 0x25, 0x80)],
      [2, Uint8Array.of(8, 8)],
      [4, Uint8Array.of(2)],
    ]);
    expect(judgeReplies(line, off, 2_000)).toEqual({
      took: { baud: 9600, stopBits: '2' },
      problems: [
        'SET-BAUDRATE: asked 115200, the port took 9600',
        'a malformed reply to SET-DATASIZE 8',
        'no reply to SET-PARITY none within 2 s',
        'SET-STOPSIZE: asked 1, the port took 2',
      ],
    });
  });
});
