import { afterEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { openTelnetLink, telnetReopener, type TelnetLink } from '../../../../drivers/console/telnet-link.js';
import { startFakeTelnet, SER2NET_GREETING, type FakeOptions, type FakeServer } from './fake-telnet-server.js';

const [IAC, WILL, WONT, DO, DONT] = [255, 251, 252, 253, 254];
const ALL = Uint8Array.from({ length: 256 }, (_, i) => i);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function server(options: FakeOptions = {}): Promise<FakeServer> {
  const s = await startFakeTelnet({ greeting: SER2NET_GREETING, ...options });
  cleanup.push(() => s.close());
  return s;
}

async function open(s: FakeServer, opts: Partial<Parameters<typeof openTelnetLink>[2]> = {}): Promise<TelnetLink & { problems: string[] }> {
  const problems: string[] = [];
  const link = await openTelnetLink('127.0.0.1', s.port, { baud: 115_200, settleMs: 400, onProblem: (p) => problems.push(p), ...opts });
  cleanup.push(() => link.close());
  return Object.assign(link, { problems });
}

/** Collects a link's data until `n` bytes arrived. */
function collect(link: TelnetLink) {
  const got: number[] = [];
  link.onData((b) => got.push(...b));
  return { got, until: (n: number) => until(() => got.length >= n) };
}

async function until(done: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sub = (s: FakeServer) => s.got.subnegotiations.map((x) => [x.option, ...x.value]);

describe('telnet link (RFC 2217) against a fake console server', () => {
  it('negotiates, sets 115200 8N1, purges, then carries all 256 byte values both ways, escaped on the wire only', async () => {
    const s = await server();
    const link = await open(s);
    expect(link.line).toEqual({ comPort: true, took: { baud: 115_200, dataBits: 8, parity: 'none', stopBits: '1' }, problems: [] });
    expect(link.problems).toEqual([]);
    expect(sub(s)).toEqual([
      [44, 1, 0x00, 0x01, 0xc2, 0x00],
      [44, 2, 8],
      [44, 3, 1],
      [44, 4, 1],
      [44, 12, 3],
    ]);
    // It refused the ECHO the server offered, and asked for nothing outside the policy.
    expect(s.got.negotiations).toContainEqual([DONT, 1]);
    expect(s.got.negotiations.filter(([, o]) => ![0, 1, 3, 44].includes(o))).toEqual([]);

    const rx = collect(link);
    link.write(ALL);
    link.write(Uint8Array.of(0xff, 0xff));
    s.sendData(ALL);
    s.sendData(Uint8Array.of(0xff));
    await until(() => s.got.data.length >= 258);
    await rx.until(257);
    expect(s.got.data).toEqual([...ALL, 0xff, 0xff]);
    expect(rx.got).toEqual([...ALL, 0xff]);
  });

  it('gets the same result when the server sends every byte in its own segment (commands cut anywhere)', async () => {
    const s = await server({ dribble: true });
    const link = await open(s, { settleMs: 2_000 });
    expect(link.line.problems).toEqual([]);
    const rx = collect(link);
    s.sendData(Uint8Array.of(1, 0xff, 2, 0xff, 0xff, 3));
    await rx.until(6);
    expect(rx.got).toEqual([1, 0xff, 2, 0xff, 0xff, 3]);
  });

  it('a server that refuses COM-PORT-OPTION: the link works, the line settings are reported as not set', async () => {
    const s = await server({ comPort: 'refuse' });
    const link = await open(s);
    expect(link.line.comPort).toBe(false);
    expect(link.line.problems).toEqual([expect.stringMatching(/refused COM-PORT-OPTION.*115200 8N1/)]);
    expect(link.problems).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+: the console server refused COM-PORT-OPTION/)]);
    // No settings were sent to a server that said no.
    expect(sub(s)).toEqual([]);
    const rx = collect(link);
    s.sendData(Uint8Array.of(0xff, 0));
    await rx.until(2);
    expect(rx.got).toEqual([0xff, 0]);
  });

  it('…and fails, naming host:port, when the caller requires the line settings', async () => {
    const s = await server({ comPort: 'refuse' });
    const err = await open(s, { requireLineSettings: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect(err).toMatchObject({
      code: 'unreachable',
      message: expect.stringMatching(
        new RegExp(`^127\\.0\\.0\\.1:${s.port}: the serial line could not be set as required: the console server refused COM-PORT-OPTION`),
      ),
    });
  });

  it('a server silent about COM-PORT-OPTION: reported as no answer within the bound, not as a refusal', async () => {
    const s = await server({ comPort: 'silent' });
    const started = Date.now();
    const link = await open(s);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(link.line.problems).toEqual([expect.stringContaining('no answer to WILL COM-PORT-OPTION within 0.4 s')]);
  });

  it('reports a setting the port took differently, and a setting never answered, after the bounded wait', async () => {
    const s = await server({ reply: (command, value) => (command === 1 ? [0, 0, 0xe1, 0x00] : command === 3 ? null : value) });
    const link = await open(s);
    expect(link.line.took).toEqual({ baud: 57_600, dataBits: 8, stopBits: '1' });
    expect(link.line.problems).toEqual(['SET-BAUDRATE: asked 115200, the port took 57600', 'no reply to SET-PARITY none within 0.4 s']);
    const required = await open(s, { requireLineSettings: true }).catch((e: unknown) => e);
    expect(required).toMatchObject({ code: 'unreachable', message: expect.stringContaining('asked 115200, the port took 57600') });
  });

  it('refuses whatever else the server offers, before and during the session, and keeps working', async () => {
    const s = await server({ greeting: [...SER2NET_GREETING, IAC, WILL, 24, IAC, DO, 31, IAC, DO, 39, IAC, 241] });
    const link = await open(s);
    expect(link.line.problems).toEqual([]);
    for (const r of [
      [DONT, 24],
      [WONT, 31],
      [WONT, 39],
    ])
      expect(s.got.negotiations).toContainEqual(r);
    const rx = collect(link);
    // Mid-session: an unknown option, a NOP and an RFC 2217 notification between data bytes.
    s.send([0x41, IAC, WILL, 5, IAC, 241, IAC, 250, 44, 107, 0x30, IAC, 240, 0x42]);
    await rx.until(2);
    await until(() => s.got.negotiations.some(([v, o]) => v === DONT && o === 5));
    expect(rx.got).toEqual([0x41, 0x42]);
  });

  it('drops the bytes the line held before the handshake ended', async () => {
    const s = await server({ greeting: [0x6f, 0x6c, 0x64, ...SER2NET_GREETING] });
    const link = await open(s);
    const rx = collect(link);
    s.sendData(Uint8Array.of(0x6e, 0x65, 0x77));
    await rx.until(3);
    expect(rx.got).toEqual([0x6e, 0x65, 0x77]);
  });

  it('fails clearly on a raw TCP port (no telnet at all) and on a server refusing BINARY', async () => {
    const raw = await server({ raw: true, greeting: [] });
    await expect(open(raw)).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringContaining(`is this a raw TCP port? (use tcp://127.0.0.1:${raw.port})`),
    });
    const noBinary = await server({ binary: 'refuse', greeting: [] });
    await expect(open(noBinary)).rejects.toMatchObject({ code: 'unreachable', message: expect.stringContaining('refused BINARY') });
  });

  it('a connection refused is an operator-grade DriverError naming host:port', async () => {
    const s = await server();
    const port = s.port;
    await s.close();
    await expect(openTelnetLink('127.0.0.1', port, { baud: 9600 })).rejects.toMatchObject({
      code: 'unreachable',
      message: `127.0.0.1:${port}: connection refused (nothing listens on that port: is the console server running, and is the port right?)`,
    });
    await expect(openTelnetLink('127.0.0.1', port, { baud: 0 })).rejects.toMatchObject({ code: 'badTarget' });
  });

  it('the server hanging up closes the link: onClose is told, later writes are harmless', async () => {
    const s = await server();
    const link = await open(s);
    let closed = 0;
    link.onClose(() => closed++);
    s.hangUp();
    await until(() => closed === 1);
    link.write(ALL);
    let late = 0;
    link.onClose(() => late++);
    await until(() => late === 1);
  });

  it('a server switching BINARY off mid-session gets the link closed (bytes would no longer be clean)', async () => {
    const s = await server();
    const link = await open(s);
    let closed = false;
    link.onClose(() => (closed = true));
    s.send([IAC, WONT, 0]);
    await until(() => closed);
    expect(link.problems).toEqual([expect.stringContaining('switched BINARY off')]);
  });

  it('sendBreak exists only when asked for, and holds BREAK ON for the time given', async () => {
    const s = await server();
    const plain = await open(s);
    expect('sendBreak' in plain).toBe(false);
    const withBreak = await openTelnetLink('127.0.0.1', s.port, { baud: 115_200, settleMs: 400, allowBreak: true });
    cleanup.push(() => withBreak.close());
    await withBreak.sendBreak(120);
    await until(() => sub(s).filter((x) => x[1] === 5).length === 2);
    const [on, off] = s.got.subnegotiations.filter((x) => x.value[0] === 5);
    expect([on!.value, off!.value]).toEqual([
      [5, 5],
      [5, 6],
    ]);
    expect(off!.at - on!.at).toBeGreaterThanOrEqual(100);
    await expect(withBreak.sendBreak(0)).rejects.toThrow(RangeError);

    const refusing = await server({ comPort: 'refuse' });
    const noComPort = await openTelnetLink('127.0.0.1', refusing.port, { baud: 115_200, settleMs: 400, allowBreak: true });
    cleanup.push(() => noComPort.close());
    await expect(noComPort.sendBreak(50)).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('cannot send a break: the console server did not accept COM-PORT-OPTION'),
    });
  });

  it('the reopener renegotiates after the server dropped the connection', async () => {
    const s = await server();
    const first = await open(s);
    s.hangUp();
    const again = await telnetReopener('127.0.0.1', s.port, { baud: 115_200, settleMs: 400 }, 3_000)();
    cleanup.push(() => again.close());
    expect(s.connections).toBe(2);
    expect(sub(s).map((x) => x[1])).toEqual([1, 2, 3, 4, 12]);
    expect(first).not.toBe(again);
  });
});
