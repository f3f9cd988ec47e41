import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * An in-process telnet console server on 127.0.0.1 (port from the OS) for the link tests. It
 * scans the client's bytes with its own simple code (not the codec under test), records what it
 * got, answers negotiation the way ser2net does (it acknowledges again what it already offered)
 * or as a scenario asks, and replies to RFC 2217 requests with command + 100.
 */

const IAC = 255;
const SB = 250;
const SE = 240;
const [WILL, WONT, DO, DONT] = [251, 252, 253, 254];

/** What ser2net 4.3 sends first on a telnet(rfc2217) port (recorded): WILL SGA, DO SGA, WILL ECHO, DONT ECHO, DO BINARY, WILL BINARY, DO COM-PORT. */
export const SER2NET_GREETING = [IAC, WILL, 3, IAC, DO, 3, IAC, WILL, 1, IAC, DONT, 1, IAC, DO, 0, IAC, WILL, 0, IAC, DO, 44];

export interface FakeOptions {
  /** Sent on every new connection, before anything else. */
  greeting?: number[];
  /** The answer to the client's WILL COM-PORT-OPTION. */
  comPort?: 'accept' | 'refuse' | 'silent';
  /** The answer to the client's WILL/DO BINARY. */
  binary?: 'accept' | 'refuse';
  /** The value replied to a COM-PORT request (command < 100); null: no reply. Default: the value asked. */
  reply?: (command: number, value: number[]) => number[] | null;
  /** No telnet at all: a raw TCP port. */
  raw?: boolean;
  /** Send every byte in its own write, a few ms apart, so the client sees commands cut anywhere. */
  dribble?: boolean;
}

export interface Received {
  data: number[];
  negotiations: [verb: number, option: number][];
  subnegotiations: { option: number; value: number[]; at: number }[];
}

export interface FakeServer {
  port: number;
  /** What the latest connection received. */
  got: Received;
  connections: number;
  /** Raw bytes to the latest client. */
  send(bytes: number[]): void;
  /** Data to the latest client, 0xFF doubled. */
  sendData(bytes: Uint8Array): void;
  /** Drops the latest connection. */
  hangUp(): void;
  close(): Promise<void>;
}

export async function startFakeTelnet(options: FakeOptions = {}): Promise<FakeServer> {
  let current: net.Socket | null = null;
  const sockets = new Set<net.Socket>();
  const fake: FakeServer = {
    port: 0,
    got: { data: [], negotiations: [], subnegotiations: [] },
    connections: 0,
    send: (bytes) => void write(current, bytes, options.dribble),
    sendData: (bytes) => fake.send([...bytes].flatMap((b) => (b === IAC ? [IAC, IAC] : [b]))),
    hangUp: () => current?.destroy(),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    current = socket;
    fake.connections++;
    const got: Received = { data: [], negotiations: [], subnegotiations: [] };
    fake.got = got;
    if (options.greeting) void write(socket, greeting(options.greeting, options.comPort ?? 'accept'), options.dribble);
    let pending: number[] = [];
    socket.on('data', (chunk) => {
      if (options.raw) return void got.data.push(...chunk);
      pending.push(...chunk);
      pending = scan(
        pending,
        got,
        (verb, option) => answer(socket, verb, option),
        (option, value) => subAnswer(socket, option, value),
      );
    });
  });
  const answer = (socket: net.Socket, verb: number, option: number) => {
    const agree = verb === WILL ? DO : WILL;
    const refuse = verb === WILL ? DONT : WONT;
    if (verb !== WILL && verb !== DO) return;
    if (option === 44 && verb === WILL) {
      const mode = options.comPort ?? 'accept';
      if (mode !== 'silent') void write(socket, [IAC, mode === 'accept' ? DO : DONT, 44], options.dribble);
    } else if (option === 0) void write(socket, [IAC, (options.binary ?? 'accept') === 'accept' ? agree : refuse, 0], options.dribble);
    else if (option === 3) void write(socket, [IAC, agree, 3], options.dribble);
    else void write(socket, [IAC, refuse, option], options.dribble);
  };
  const subAnswer = (socket: net.Socket, option: number, value: number[]) => {
    const [command, ...rest] = value;
    if (option !== 44 || command === undefined || command >= 100) return;
    const reply = options.reply ? options.reply(command, rest) : rest;
    if (reply === null) return;
    const body = [command + 100, ...reply].flatMap((b) => (b === IAC ? [IAC, IAC] : [b]));
    void write(socket, [IAC, SB, 44, ...body, IAC, SE], options.dribble);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.port = (server.address() as AddressInfo).port;
  return fake;
}

/** A server that refuses or ignores COM-PORT-OPTION does not offer it first either: DO COM-PORT is taken out. */
function greeting(bytes: number[], comPort: FakeOptions['comPort']): number[] {
  if (comPort === 'accept') return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === IAC && bytes[i + 1] === DO && bytes[i + 2] === 44) i += 2;
    else out.push(bytes[i]!);
  }
  return out;
}

/** Takes every complete item off the front of `bytes`; returns the incomplete rest. */
function scan(bytes: number[], got: Received, onVerb: (verb: number, option: number) => void, onSub: (option: number, value: number[]) => void): number[] {
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] !== IAC) {
      got.data.push(bytes[i++]!);
      continue;
    }
    const next = bytes[i + 1];
    if (next === undefined) break;
    if (next === IAC) {
      got.data.push(IAC);
      i += 2;
    } else if (next >= WILL && next <= DONT) {
      const option = bytes[i + 2];
      if (option === undefined) break;
      got.negotiations.push([next, option]);
      onVerb(next, option);
      i += 3;
    } else if (next === SB) {
      // Find the IAC SE that ends it, skipping doubled IACs.
      let j = i + 2;
      const value: number[] = [];
      let done = false;
      while (j < bytes.length) {
        if (bytes[j] === IAC && bytes[j + 1] === IAC) {
          value.push(IAC);
          j += 2;
        } else if (bytes[j] === IAC && bytes[j + 1] === SE) {
          done = true;
          j += 2;
          break;
        } else if (bytes[j] === IAC && bytes[j + 1] === undefined) break;
        else value.push(bytes[j++]!);
      }
      if (!done) break;
      const [option, ...rest] = value;
      got.subnegotiations.push({ option: option!, value: rest, at: Date.now() });
      onSub(option!, rest);
      i = j;
    } else i += 2;
  }
  return bytes.slice(i);
}

/** Serialises writes to one socket, so dribbled bytes of two messages do not interleave. */
const queues = new WeakMap<net.Socket, Promise<void>>();
function write(socket: net.Socket | null, bytes: number[], dribble = false): Promise<void> {
  if (!socket) return Promise.resolve();
  const before = queues.get(socket) ?? Promise.resolve();
  const next = before.then(async () => {
    if (!dribble) return void (socket.destroyed || socket.write(Uint8Array.from(bytes)));
    for (const b of bytes) {
      if (socket.destroyed) return;
      socket.write(Uint8Array.of(b));
      await new Promise((r) => setTimeout(r, 2));
    }
  });
  queues.set(socket, next);
  return next;
}
