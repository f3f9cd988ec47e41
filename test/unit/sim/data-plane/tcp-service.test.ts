/**
 * The simulator's TCP relay against real loopback sockets: bytes arrive intact both ways
 * (also when one side reads slowly), a FIN crosses in each direction, a failed connect goes to
 * the next backend, an idle flow is ended, and every ended flow gives its number back.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ForwardingCore } from '../../../../firmware/forwarding/forwarding-core.js';
import type { Backend } from '../../../../src/protocol/rules/model.js';
import { freePort } from '../../../../sim/free-port.js';
import { TcpService } from '../../../../sim/data-plane/tcp-service.js';
import { service, table } from '../../../support/rules.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listening(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

async function vip(backendPorts: number[], options: { idleTimeoutMs?: number; maxFlows?: number } = {}): Promise<number> {
  const port = await freePort();
  const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  const backends: Partial<Backend>[] = backendPorts.map((p) => ({ address: `127.0.0.1:${p}` }));
  const rules = table(service({ name: 'web', listen: `127.0.0.1:${port}`, idleTimeoutMs, backends }));
  const core = new ForwardingCore(rules, { random: () => 0.5, maxFlows: options.maxFlows ?? 64, nowEpochMs: 0 });
  const tcp = new TcpService(core, 0, `127.0.0.1:${port}`, idleTimeoutMs);
  await tcp.start();
  cleanups.push(async () => {
    tcp.closeFlows();
    await tcp.stop();
  });
  return port;
}

/** Connects, sends `request` then a FIN, and collects all it gets until the proxy's FIN. */
function exchange(port: number, request: Buffer, readSlowly = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (readSlowly) {
        socket.pause();
        setImmediate(() => socket.resume());
      }
    });
    socket.on('end', () => {
      socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.on('error', reject);
    socket.end(request);
  });
}

/** A backend that reads the whole request (until the client's FIN), then answers `answer(request)` and a FIN. */
function answering(answer: (request: Buffer) => Buffer): Promise<number> {
  return listening((socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => socket.end(answer(Buffer.concat(chunks))));
    socket.on('error', () => socket.destroy());
  });
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('TcpService', () => {
  it('relays a request and its answer, each ended by a FIN that crosses the proxy', async () => {
    const backend = await answering((request) => Buffer.concat([Buffer.from('got '), request]));
    const port = await vip([backend]);
    expect((await exchange(port, Buffer.from('ping'))).toString()).toBe('got ping');
  });

  it('carries megabytes intact both ways, also to a client that reads slowly', async () => {
    const large = randomBytes(8 * 1024 * 1024);
    // The backend answers with its own large body followed by a digest of what it received.
    const backend = await answering((request) => Buffer.concat([large, Buffer.from(digest(request))]));
    const port = await vip([backend]);
    const upload = randomBytes(3 * 1024 * 1024 + 17);
    for (const readSlowly of [false, true]) {
      const answer = await exchange(port, upload, readSlowly);
      expect(answer.length).toBe(large.length + 64);
      expect(digest(answer.subarray(0, large.length))).toBe(digest(large));
      expect(answer.subarray(large.length).toString()).toBe(digest(upload));
    }
  });

  it('sends a client whose first backend refuses to the next one', async () => {
    const refusing = await freePort();
    const backend = await answering(() => Buffer.from('second'));
    const port = await vip([refusing, backend]);
    // Round robin starts at either: every connection must reach the live one.
    for (let i = 0; i < 4; i++) expect((await exchange(port, Buffer.from('x'))).toString()).toBe('second');
  });

  it('ends a flow with no bytes either way for the idle timeout, closing both sockets', async () => {
    let backendEnded!: () => void;
    const backendSide = new Promise<void>((resolve) => (backendEnded = resolve));
    // The proxy's FIN is what the backend sees of it closing the flow.
    const backend = await listening((socket) => {
      socket.on('end', () => {
        backendEnded();
        socket.end();
      });
      socket.on('error', () => socket.destroy());
    });
    const port = await vip([backend], { idleTimeoutMs: 1_000 });
    const client = net.connect({ host: '127.0.0.1', port });
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('close', () => resolve()));
    await backendSide;
  });

  it('gives every ended flow its number back: more connections than the table holds, one after another', async () => {
    const backend = await answering(() => Buffer.from('ok'));
    const port = await vip([backend], { maxFlows: 4 });
    for (let i = 0; i < 20; i++) expect((await exchange(port, Buffer.from('x'))).toString()).toBe('ok');
  });
});
