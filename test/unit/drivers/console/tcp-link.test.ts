import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openTcpLink, tcpReopener } from '../../../../drivers/console/tcp-link.js';

const ALL = Uint8Array.from({ length: 256 }, (_, i) => i);

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
  vi.restoreAllMocks();
});

/** A raw console port: records what it gets, keeps its latest client. */
async function rawServer(port = 0) {
  const got: number[] = [];
  let client: net.Socket | null = null;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    client = s;
    sockets.add(s);
    s.on('data', (d) => got.push(...d));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  cleanup.push(stop);
  return { port: (server.address() as AddressInfo).port, got, client: () => client!, stop };
}

async function until(done: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('raw TCP link', () => {
  it('carries all 256 byte values both ways untouched, with Nagle off', async () => {
    const noDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    const s = await rawServer();
    const link = await openTcpLink('127.0.0.1', s.port);
    cleanup.push(() => link.close());
    expect(noDelay).toHaveBeenCalledWith(true);
    const rx: number[] = [];
    link.onData((b) => rx.push(...b));
    link.write(ALL);
    await until(() => s.got.length === 256 && s.client() !== null);
    s.client().write(ALL);
    await until(() => rx.length === 256);
    expect(s.got).toEqual([...ALL]);
    expect(rx).toEqual([...ALL]);
  });

  it('a reset by the peer closes the link without an uncaught exception; writes after it are harmless', async () => {
    const s = await rawServer();
    const link = await openTcpLink('127.0.0.1', s.port);
    let closed = 0;
    link.onClose(() => closed++);
    await until(() => s.client() !== null);
    s.client().resetAndDestroy();
    // Writing into the reset connection provokes EPIPE/ECONNRESET: it must only close the link.
    for (let i = 0; i < 20 && closed === 0; i++) {
      link.write(ALL);
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => closed === 1);
    link.write(ALL);
    await link.close();
    expect(closed).toBe(1);
  });

  it('close() ends the connection after the bytes written before it', async () => {
    const s = await rawServer();
    const link = await openTcpLink('127.0.0.1', s.port);
    link.write(ALL);
    await link.close();
    await until(() => s.got.length === 256);
  });

  it('a refused connection is a DriverError naming host:port', async () => {
    const s = await rawServer();
    await s.stop();
    await expect(openTcpLink('127.0.0.1', s.port)).rejects.toMatchObject({
      name: 'DriverError',
      code: 'unreachable',
      message: expect.stringMatching(new RegExp(`^127\\.0\\.0\\.1:${s.port}: connection refused`)),
    });
  });

  it('the reopener waits for the console server to come back, and gives up after its time with the last reason', async () => {
    const s = await rawServer();
    const port = s.port;
    await s.stop();
    setTimeout(() => void rawServer(port), 300);
    const link = await tcpReopener('127.0.0.1', port, 3_000, {}, 50)();
    cleanup.push(() => link.close());

    const gone = await rawServer();
    await gone.stop();
    const started = Date.now();
    await expect(tcpReopener('127.0.0.1', gone.port, 300, {}, 50)()).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringContaining('connection refused'),
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
