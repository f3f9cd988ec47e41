import type net from 'node:net';
import { endSocket } from './socket.js';
import {
  Negotiator,
  Option,
  TelnetParser,
  escapeData,
  optionName,
  parseReply,
  type ComPortReply,
  type OptionChange,
  type TelnetEvent,
} from './telnet/index.js';

/**
 * One telnet connection to a console server: the socket, the parser and the option negotiator
 * wired together. It answers the peer's negotiation by itself at any time, keeps the latest
 * COM-PORT-OPTION reply to each command, and hands data on only once `deliver()` is called: bytes
 * before that are what the line held before this session (and the purge) and mean nothing to it.
 */
export class TelnetSession {
  private readonly parser = new TelnetParser();
  readonly negotiator = new Negotiator();
  private readonly dataListeners: ((bytes: Uint8Array) => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];
  private readonly waiters = new Set<() => void>();
  /** The latest COM-PORT-OPTION message from the server per command (SET-BAUDRATE = 1 …). */
  readonly replies = new Map<number, Uint8Array>();
  private delivering = false;
  /** Whether the peer has sent any telnet command at all: a raw port never does. */
  heardTelnet = false;
  closed = false;
  /** Why the session closed itself, when it did. */
  closedBecause: string | null = null;

  constructor(
    private readonly socket: net.Socket,
    readonly where: string,
    private readonly onProblem: (message: string) => void = () => undefined,
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.parser.push(chunk)) this.handle(event);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
      for (const l of this.closeListeners) l();
    });
  }

  /** Bytes for the serial line: 0xFF doubled. */
  sendData(bytes: Uint8Array): void {
    this.sendRaw(escapeData(bytes));
  }

  /** Telnet frames, as they are. */
  sendRaw(bytes: Uint8Array): void {
    if (!this.socket.destroyed && this.socket.writable && bytes.length > 0) this.socket.write(bytes);
  }

  /** From now on data reaches the listeners. */
  deliver(): void {
    this.delivering = true;
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: () => void): void {
    if (this.closed) queueMicrotask(listener);
    else this.closeListeners.push(listener);
  }

  /** Resolves true once `done()` holds (checked after every chunk received), false on timeout or close. */
  waitFor(done: () => boolean, ms: number): Promise<boolean> {
    if (done() || this.closed) return Promise.resolve(done());
    return new Promise((resolve) => {
      const check = () => {
        if (!done() && !this.closed) return;
        finish(done());
      };
      const timer = setTimeout(() => finish(done()), ms);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      this.waiters.add(check);
    });
  }

  close(): Promise<void> {
    return endSocket(this.socket);
  }

  /** Closes the connection for a reason of ours (the owner hears 'close' and may reconnect). */
  abort(reason: string): void {
    this.closedBecause ??= reason;
    this.onProblem(`${this.where}: ${reason}`);
    this.socket.destroy();
  }

  private handle(event: TelnetEvent): void {
    switch (event.kind) {
      case 'data':
        if (!this.delivering) return;
        for (const l of this.dataListeners) l(event.bytes);
        return;
      case 'negotiation': {
        this.heardTelnet = true;
        const { reply, change } = this.negotiator.receive(event.verb, event.option);
        if (reply) this.sendRaw(reply);
        if (change) this.changed(change);
        return;
      }
      case 'subnegotiation': {
        this.heardTelnet = true;
        const reply: ComPortReply | null = event.option === Option.COM_PORT ? parseReply(event.value) : null;
        if (reply) this.replies.set(reply.command, reply.value);
        return;
      }
      case 'command':
        // NOP, GA, AYT…: nothing a binary console session acts on.
        this.heardTelnet = true;
        return;
      case 'malformed':
        this.onProblem(`${this.where}: ${event.reason}`);
        return;
    }
  }

  private changed(change: OptionChange): void {
    // Once the link is in use, losing BINARY would let the server translate CR and NUL in the
    // frames: better to close, and let the reconnect negotiate a clean channel again.
    if (this.delivering && change.option === Option.BINARY && !change.enabled) {
      this.abort(
        `the console server switched ${optionName(change.option)} off (${change.side === 'us' ? 'for what we send' : 'for what it sends'}): closing the connection`,
      );
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
