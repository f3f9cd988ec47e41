import { applyNoise, checkNoise, type NoiseSettings } from './noise.js';
import { LinePacer } from './pacer.js';
import { openPtyPair, type PtyPair } from './pty.js';

export interface SerialLineOptions {
  /** Line speed in bit/s; framing is 8N1, so baud / 10 bytes per second each way. */
  baud: number;
  /** Probability per data bit of a flip (default 0). */
  noiseBer?: number;
  /** Probability per byte of loss (default 0). */
  noiseDrop?: number;
  /** Source of randomness for the noise; inject a seeded one for reproducible runs. */
  random?: () => number;
}

export interface SerialLineStats {
  /** Bytes serialised towards the agent (including those then lost to noise or overrun). */
  bytesToAgent: number;
  /** Bytes serialised from the agent (including those then lost to noise). */
  bytesFromAgent: number;
  /** Bits flipped by noise, both directions. */
  bitsFlipped: number;
  /** Bytes lost to noise, both directions. */
  bytesDropped: number;
  /** Bytes towards the agent lost because the agent's receive buffer was full or nobody had the device open. */
  bytesOverrun: number;
}

/** 8N1: a start bit, 8 data bits, a stop bit. */
const BITS_PER_BYTE = 10;
/**
 * Agent → simulator: stop reading the PTY once this much is waiting to be serialised, so the
 * kernel's buffers fill and the agent's writes (and `drain()`) slow to the line rate, as they
 * would on a real port. Reading resumes below the low mark, early enough to keep the line busy.
 */
const FROM_AGENT_HIGH = 4096;
const FROM_AGENT_LOW = 2048;

/**
 * The simulated physical serial line between the appliance's console and the agent: a real PTY
 * (the agent opens `path` with `serialport`), paced to the baud rate in each direction
 * independently (full duplex), with optional bit errors and byte loss.
 *
 * Agent closing and reopening the device: the simulator keeps the slave open, so the line outlives
 * any number of agent sessions and needs nothing from its owner. While no agent has the device
 * open, bytes towards the agent still cross the line (and count in `bytesToAgent`); they pile up
 * in the kernel's buffer (12–20 KiB on Linux, depending on write sizes) and, once it is full,
 * are lost (`bytesOverrun`).
 * `serialport` flushes the terminal's queues when it opens the device, so a new agent session
 * never receives what piled up. Bytes the simulator queued that are still being serialised when
 * the agent opens do reach the new session, as they would on a real cable. In the other
 * direction, bytes the agent wrote before closing that the line had already read keep crossing
 * and reach onData listeners.
 */
export class SerialLine {
  readonly path: string;
  readonly baud: number;
  private readonly toAgent: LinePacer;
  private readonly fromAgent: LinePacer;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private readonly counters: SerialLineStats = { bytesToAgent: 0, bytesFromAgent: 0, bitsFlipped: 0, bytesDropped: 0, bytesOverrun: 0 };
  private noise: NoiseSettings;
  private readingPaused = false;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly pair: PtyPair,
    options: SerialLineOptions,
    private readonly random: () => number,
  ) {
    this.path = pair.path;
    this.baud = options.baud;
    this.noise = checkNoise({ ber: options.noiseBer ?? 0, drop: options.noiseDrop ?? 0 });
    const byteTimeMs = (BITS_PER_BYTE * 1000) / options.baud;
    this.toAgent = new LinePacer(byteTimeMs, (bytes) => this.arriveAtAgent(bytes));
    this.fromAgent = new LinePacer(byteTimeMs, (bytes) => this.arriveFromAgent(bytes));
    // The kernel's PTY buffer plays the agent's receive buffer. When it is full (the agent is not
    // reading, or nobody has the device open) further bytes are lost, as on a UART without flow
    // control, instead of being queued here and handed to some later reader.
    pair.onFull(() => {
      this.counters.bytesOverrun += pair.discardPending();
    });
    pair.onData((bytes) => {
      this.fromAgent.push(bytes);
      if (!this.readingPaused && this.fromAgent.queuedBytes > FROM_AGENT_HIGH) {
        this.readingPaused = true;
        pair.pause();
      }
    });
  }

  static async open(options: SerialLineOptions): Promise<SerialLine> {
    if (!Number.isFinite(options.baud) || options.baud <= 0) throw new RangeError(`serial baud must be a positive number, got ${options.baud}`);
    checkNoise({ ber: options.noiseBer ?? 0, drop: options.noiseDrop ?? 0 });
    const pair = await openPtyPair();
    return new SerialLine(pair, options, options.random ?? Math.random);
  }

  /** Bytes per second each way. */
  get bytesPerSecond(): number {
    return this.baud / BITS_PER_BYTE;
  }

  /** A snapshot of the counters. */
  get stats(): SerialLineStats {
    return { ...this.counters };
  }

  /** Bytes the agent sent, after they crossed the line. Returns a function removing the listener. */
  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Failures of the underlying PTY (not expected in normal operation). */
  onError(listener: (err: Error) => void): () => void {
    return this.pair.onError(listener);
  }

  /** Send bytes towards the agent; they are copied and queued behind anything already sent. Ignored once closed. */
  write(bytes: Uint8Array): void {
    if (this.closing) return;
    this.toAgent.push(Uint8Array.from(bytes));
  }

  /** Replace both noise settings at once (an omitted one becomes 0). Applies to bytes completing from now on. */
  setNoise(noise: { ber?: number; drop?: number }): void {
    this.noise = checkNoise({ ber: noise.ber ?? 0, drop: noise.drop ?? 0 });
  }

  /** Cut the line: queued bytes are discarded, timers cleared, both PTY fds closed. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.toAgent.stop();
      this.fromAgent.stop();
      this.listeners.clear();
      await this.pair.close();
    })();
    return this.closing;
  }

  private arriveAtAgent(bytes: Uint8Array): void {
    this.counters.bytesToAgent += bytes.length;
    const hit = this.crossLine(bytes);
    if (hit.length === 0) return;
    this.pair.write(hit);
  }

  private arriveFromAgent(bytes: Uint8Array): void {
    this.counters.bytesFromAgent += bytes.length;
    if (this.readingPaused && this.fromAgent.queuedBytes < FROM_AGENT_LOW) {
      this.readingPaused = false;
      this.pair.resume();
    }
    const hit = this.crossLine(bytes);
    if (hit.length === 0) return;
    for (const listener of this.listeners) listener(hit);
  }

  private crossLine(bytes: Uint8Array): Uint8Array {
    const result = applyNoise(bytes, this.noise, this.random);
    this.counters.bitsFlipped += result.bitsFlipped;
    this.counters.bytesDropped += result.bytesDropped;
    return result.bytes;
  }
}
