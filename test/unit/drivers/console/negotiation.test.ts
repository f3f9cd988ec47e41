import { describe, expect, it } from 'vitest';
import { Negotiator } from '../../../../drivers/console/telnet/negotiation.js';
import { TelnetParser } from '../../../../drivers/console/telnet/parser.js';
import { SER2NET_GREETING } from './fake-telnet-server.js';

const [IAC, WILL, WONT, DO, DONT] = [255, 251, 252, 253, 254] as const;
const [BINARY, ECHO, SGA, COM_PORT] = [0, 1, 3, 44];

/** Feeds the peer's bytes to a negotiator; returns every reply it made, as [verb, option]. */
function feed(n: Negotiator, bytes: number[]): number[][] {
  const replies: number[][] = [];
  for (const e of new TelnetParser().push(Uint8Array.from(bytes))) {
    if (e.kind !== 'negotiation') continue;
    const { reply } = n.receive(e.verb, e.option);
    if (reply) replies.push([reply[1]!, reply[2]!]);
  }
  return replies;
}

describe('option negotiation (RFC 1143 Q method, simplified)', () => {
  it('asks for BINARY and SGA both ways and offers COM-PORT-OPTION', () => {
    const n = new Negotiator();
    expect(n.start().map((f) => [...f])).toEqual([
      [IAC, WILL, BINARY],
      [IAC, WILL, SGA],
      [IAC, WILL, COM_PORT],
      [IAC, DO, BINARY],
      [IAC, DO, SGA],
    ]);
    expect(n.pending).toBe(true);
    // Asked once: a second start sends nothing.
    expect(n.start()).toEqual([]);
  });

  it("against ser2net's greeting and acknowledgements: refuses ECHO only, never answers an acknowledgement, settles with everything on", () => {
    const n = new Negotiator();
    n.start();
    expect(feed(n, SER2NET_GREETING)).toEqual([[DONT, ECHO]]);
    // ser2net acknowledges our requests again (DO SGA twice): no reply, or the two would loop.
    expect(feed(n, [IAC, DO, SGA, IAC, DO, BINARY, IAC, WILL, BINARY, IAC, WILL, SGA, IAC, DO, COM_PORT])).toEqual([]);
    expect(n.pending).toBe(false);
    for (const side of ['us', 'him'] as const) for (const o of [BINARY, SGA]) expect(n.enabled(side, o), `${side} ${o}`).toBe(true);
    expect(n.enabled('us', COM_PORT)).toBe(true);
    expect(n.enabled('him', ECHO)).toBe(false);
    expect(n.refused).toEqual([]);
  });

  it('a server that refuses COM-PORT-OPTION: recorded as a refusal, not answered, the rest unaffected', () => {
    const n = new Negotiator();
    n.start();
    const r = n.receive(DONT, COM_PORT);
    expect(r).toEqual({ reply: null, change: { side: 'us', option: COM_PORT, enabled: false, refused: true } });
    expect(n.refused).toEqual([{ side: 'us', option: COM_PORT }]);
    expect(n.enabled('us', COM_PORT)).toBe(false);
    expect(n.pending).toBe(true); // BINARY and SGA are still unanswered
  });

  it('refuses every option outside the policy, either side, and the ones it asked of the peer when offered for itself', () => {
    const n = new Negotiator();
    n.start();
    // TTYPE, NAWS, LINEMODE offered or asked; COM-PORT offered by the server (we are the client).
    expect(feed(n, [IAC, WILL, 24, IAC, DO, 31, IAC, DO, 34, IAC, WILL, COM_PORT, IAC, DO, ECHO])).toEqual([
      [DONT, 24],
      [WONT, 31],
      [WONT, 34],
      [DONT, COM_PORT],
      [WONT, ECHO],
    ]);
    // A refusal of something never on is not answered.
    expect(feed(n, [IAC, WONT, 24, IAC, DONT, 31])).toEqual([]);
  });

  it('stops answering a peer that offers a refused option forever', () => {
    const n = new Negotiator();
    const offers = Array.from({ length: 50 }, () => [IAC, WILL, 24]).flat();
    expect(feed(n, offers).length).toBe(8);
  });

  it('an option on that the peer switches off is acknowledged once and reported', () => {
    const n = new Negotiator();
    n.start();
    feed(n, [IAC, WILL, BINARY, IAC, DO, BINARY]);
    expect(n.receive(WONT, BINARY)).toEqual({
      reply: Uint8Array.of(IAC, DONT, BINARY),
      change: { side: 'him', option: BINARY, enabled: false, refused: false },
    });
    expect(n.receive(WONT, BINARY)).toEqual({ reply: null, change: null });
    expect(n.receive(DONT, BINARY).reply).toEqual(Uint8Array.of(IAC, WONT, BINARY));
    // Offered again afterwards: still wanted, so accepted (and answered this time: it is a request now).
    expect(n.receive(WILL, BINARY).reply).toEqual(Uint8Array.of(IAC, DO, BINARY));
  });

  it("a peer's request that arrives before our own is answered; our own request then counts as its answer", () => {
    const n = new Negotiator();
    // Not started yet: the server asks first.
    expect(feed(n, [IAC, DO, SGA])).toEqual([[WILL, SGA]]);
    expect(n.enabled('us', SGA)).toBe(true);
    // start() does not ask again for what is already on.
    expect(n.start().map((f) => f[2])).toEqual([BINARY, COM_PORT, BINARY, SGA]);
  });
});
