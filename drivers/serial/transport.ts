import { encodeFrame, FrameDecoder } from '../../src/protocol/serial/frame.js';
import type { ApplianceEventMessage, Frame, Request, Response } from '../../src/protocol/serial/messages.js';
import { DriverError } from '../driver.js';

/** The byte pipe under the transport: a serial port, or anything that behaves like one. */
export interface ByteLink {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
  /** The device went away (unplugged, closed by the other end). */
  onClose(listener: () => void): void;
  close(): Promise<void>;
}

export interface TransportOptions {
  /** Line rate in baud (8N1): sizes the retransmission timeout. */
  baud: number;
  /** Requests in flight at once. */
  window: number;
  /** Largest payload the decoder accepts. */
  maxPayload: number;
  /** Give up on a request after this many transmissions. */
  maxTries?: number;
  /** Reopens the link after it closed; rejects when the device is gone for good. */
  reconnect?: () => Promise<ByteLink>;
  /** How long reconnecting may take in all, wrong peers included (default 15 s). */
  reconnectForMs?: number;
  /**
   * After a reconnect and before anything in flight is sent again: a request (a handshake) and
   * a judge of its answer, null when the peer is the one we had, else why not. A device path can
   * lead somewhere else after a replug (a reused /dev/pts/N, a swapped cable): nothing must be
   * resent to another appliance.
   */
  verifyPeer?: { request: () => Request; judge: (answer: Response) => string | null };
}

/** How long the post-reconnect handshake is waited for before the link is reopened again. */
const PROBE_TIMEOUT_MS = 1_000;

interface Pending {
  seq: number;
  wire: Uint8Array;
  tries: number;
  sentAt: number;
  timer: NodeJS.Timeout | null;
  resolve: (r: Response) => void;
  reject: (e: Error) => void;
}

/** Processing time allowed to the appliance on top of the line's own delays. */
const MARGIN_MS = 150;
const ANSWER_ALLOWANCE = 1_100;
const DEFAULT_TRIES = 8;

/**
 * Request/response over a framed serial link, with a window of requests in flight.
 *
 * The appliance answers requests in the order they arrive and the line keeps order, so an
 * answer to request B tells the agent that any request sent before B and still unanswered was
 * lost (or its answer was): it is sent again at once instead of after a timeout. The timeout
 * covers the rest — the last request of a burst, a lost answer with nothing behind it — and is
 * computed from the bytes queued on the line, not a fixed guess. Retransmissions are the very
 * same frame (same sequence number): the appliance answers a repeat from its cache.
 */
export class SerialTransport {
  private link: ByteLink | null;
  private seq: number;
  private readonly inFlight = new Map<number, Pending>();
  private readonly queue: { request: Request; resolve: (r: Response) => void; reject: (e: Error) => void }[] = [];
  private readonly decoder: FrameDecoder;
  private readonly eventListeners = new Set<(e: ApplianceEventMessage) => void>();
  /** When the line will have sent everything written so far (ms, performance.now clock). */
  private lineFreeAt = 0;
  private reconnecting: Promise<void> | null = null;
  private probe: { seq: number; answered: (r: Response) => void } | null = null;
  /** From a close until the reopened link's peer is verified: nothing but the handshake may be sent. */
  private verifying = false;
  /** Why the device is gone for good (reconnecting failed, or there is no way to): later requests fail with it. */
  private gone: DriverError | null = null;
  private closed = false;
  /** Bytes handed to the link, framing and retransmissions included. */
  bytesWritten = 0;
  retransmissions = 0;

  constructor(
    link: ByteLink,
    private readonly options: TransportOptions,
  ) {
    this.seq = Math.floor(Math.random() * 0x10000);
    this.decoder = new FrameDecoder({ maxPayload: Math.max(options.maxPayload, 4096), onFrame: (f) => this.onFrame(f) });
    this.link = null;
    this.attach(link);
  }

  get decoderStats() {
    return this.decoder.stats;
  }

  /** Sends a request and resolves with its response (an `error` response too: the caller decides). */
  request(request: Request): Promise<Response> {
    if (this.closed) return Promise.reject(new DriverError('unreachable', 'transport closed'));
    if (this.gone) return Promise.reject(this.gone);
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  onEvent(listener: (e: ApplianceEventMessage) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  setWindow(window: number): void {
    this.options.window = window;
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.inFlight.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new DriverError('unreachable', 'transport closed'));
    }
    this.inFlight.clear();
    for (const q of this.queue.splice(0)) q.reject(new DriverError('unreachable', 'transport closed'));
    await this.link?.close();
    this.link = null;
  }

  private attach(link: ByteLink): void {
    this.link = link;
    // A frame the old link cut off must not swallow the first frame of the new one.
    this.decoder.reset();
    link.onData((bytes) => this.decoder.push(bytes));
    link.onClose(() => {
      if (this.link !== link) return;
      this.link = null;
      if (!this.closed) void this.recover();
    });
  }

  /** The device vanished: reopen it, then send again whatever was in flight. */
  private recover(): Promise<void> {
    if (this.reconnecting) return this.reconnecting;
    const reconnect = this.options.reconnect;
    if (!reconnect) {
      this.gone = new DriverError('unreachable', 'serial device closed');
      this.failAll(this.gone);
      return Promise.resolve();
    }
    this.verifying = true;
    for (const p of this.inFlight.values()) if (p.timer) clearTimeout(p.timer);
    const deadline = Date.now() + (this.options.reconnectForMs ?? 15_000);
    const attempt = async (): Promise<void> => {
      const link = await reconnect();
      if (this.closed) return void (await link.close());
      this.attach(link);
      this.lineFreeAt = 0;
      const problem = await this.probePeer();
      if (problem !== null) {
        this.link = null;
        await link.close();
        if (Date.now() > deadline) throw new Error(problem);
        await new Promise((r) => setTimeout(r, 200));
        return attempt();
      }
      this.verifying = false;
      for (const p of this.inFlight.values()) this.transmit(p);
      this.pump();
    };
    this.reconnecting = attempt().then(
      () => {
        this.reconnecting = null;
      },
      (err: Error) => {
        this.reconnecting = null;
        this.verifying = false;
        this.gone = new DriverError('unreachable', `serial device gone: ${err.message}`);
        this.failAll(this.gone);
      },
    );
    return this.reconnecting;
  }

  /** The post-reconnect handshake: null when the peer is the one we had. */
  private probePeer(): Promise<string | null> {
    const verify = this.options.verifyPeer;
    if (!verify || !this.link) return Promise.resolve(null);
    this.seq = (this.seq + 1) & 0xffff;
    const seq = this.seq;
    const wire = encodeFrame({ seq, message: verify.request() });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.probe = null;
        resolve('no answer to the handshake after reconnecting');
      }, PROBE_TIMEOUT_MS);
      this.probe = {
        seq,
        answered: (r) => {
          clearTimeout(timer);
          this.probe = null;
          resolve(verify.judge(r));
        },
      };
      this.link!.write(wire);
      this.bytesWritten += wire.length;
    });
  }

  private failAll(err: Error): void {
    for (const p of this.inFlight.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.inFlight.clear();
    for (const q of this.queue.splice(0)) q.reject(err);
  }

  private pump(): void {
    while (this.link && !this.verifying && this.inFlight.size < this.options.window && this.queue.length > 0) {
      const { request, resolve, reject } = this.queue.shift()!;
      this.seq = (this.seq + 1) & 0xffff;
      const pending: Pending = { seq: this.seq, wire: encodeFrame({ seq: this.seq, message: request }), tries: 0, sentAt: 0, timer: null, resolve, reject };
      this.inFlight.set(pending.seq, pending);
      this.transmit(pending);
    }
  }

  private transmit(p: Pending): void {
    if (!this.link || this.verifying) return;
    p.tries++;
    if (p.tries > 1) this.retransmissions++;
    const now = performance.now();
    p.sentAt = now;
    this.link.write(p.wire);
    this.bytesWritten += p.wire.length;
    // The request reaches the appliance once the line has sent it; its answer needs about as long again.
    const msPerByte = 10_000 / this.options.baud;
    this.lineFreeAt = Math.max(this.lineFreeAt, now) + p.wire.length * msPerByte;
    // Answers are small (a read piece at most 1 KiB by default): allow for one behind the request.
    const rto = (this.lineFreeAt - now) * 2 + ANSWER_ALLOWANCE * msPerByte + MARGIN_MS;
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(() => this.timedOut(p), rto * Math.min(4, 2 ** (p.tries - 1)));
  }

  private timedOut(p: Pending): void {
    p.timer = null;
    if (!this.inFlight.has(p.seq)) return;
    if (p.tries >= (this.options.maxTries ?? DEFAULT_TRIES)) {
      this.inFlight.delete(p.seq);
      p.reject(new DriverError('unreachable', `no answer after ${p.tries} tries`));
      this.pump();
      return;
    }
    if (this.link) this.transmit(p);
  }

  private onFrame(frame: Frame): void {
    const message = frame.message;
    if (message.type === 'event') {
      for (const l of this.eventListeners) l(message);
      return;
    }
    if (this.probe && frame.seq === this.probe.seq && isResponse(message)) return this.probe.answered(message);
    const p = this.inFlight.get(frame.seq);
    if (!p || !isResponse(message)) return; // a late duplicate answer, or our own echo: ignore
    this.inFlight.delete(frame.seq);
    if (p.timer) clearTimeout(p.timer);
    // Everything last sent before this request and still unanswered was lost on the way
    // (a resend moves sentAt on, so one loss triggers one resend, not one per later answer).
    for (const other of this.inFlight.values()) {
      if (other.sentAt < p.sentAt) this.transmit(other);
    }
    p.resolve(message);
    this.pump();
  }
}

function isResponse(m: Frame['message']): m is Response {
  return m.type.endsWith('Ok') || m.type === 'error';
}
