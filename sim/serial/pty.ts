import fs from 'node:fs';
import tty from 'node:tty';
import { SerialPort } from 'serialport';
import { loadNativePty } from './native-pty.js';

/**
 * A pseudo-terminal pair standing in for a serial cable: this process holds the master, and the
 * agent opens `path` (the slave, /dev/pts/N) with `serialport` exactly like a real device.
 * Bytes move as fast as the kernel allows; pacing and noise belong to SerialLine.
 */
export interface PtyPair {
  /** The slave device the agent opens. */
  readonly path: string;
  readonly masterFd: number;
  /** Bytes accepted by write() and not yet taken by the kernel. */
  readonly pendingBytes: number;
  /** Bytes the agent wrote. Returns a function that removes the listener. */
  onData(listener: (bytes: Uint8Array) => void): () => void;
  /** Read or write failures other than a full kernel buffer. */
  onError(listener: (err: Error) => void): () => void;
  /**
   * The kernel refused bytes (its buffer towards the agent is full: the agent is slow or has not
   * opened the device). By default they stay queued and are retried; a listener may call
   * discardPending() instead.
   */
  onFull(listener: () => void): () => void;
  /** Drop every queued byte not yet handed to the kernel; returns how many. */
  discardPending(): number;
  /** Stop / restart reading the master, so the kernel pushes back on the agent's writes. */
  pause(): void;
  resume(): void;
  /** Queue bytes towards the agent; never blocks, never throws for a full buffer. */
  write(bytes: Uint8Array): void;
  /** Releases both fds and any timer; idempotent. */
  close(): Promise<void>;
}

/** Coalesce queued chunks into writes of at most this size (fewer syscalls, bounded copies). */
const MAX_WRITE = 64 * 1024;
/** Node cannot poll a raw fd for writability, so a full kernel buffer is retried after this long. */
const RETRY_MS = 2;

export async function openPtyPair(): Promise<PtyPair> {
  const term = loadNativePty().open(80, 24);
  try {
    // termios belongs to the terminal, not to an fd: opening the slave once through serialport's
    // binding makes it raw (no echo, no CR/NL translation, no signals) before any agent exists,
    // so nothing the simulator writes early is echoed back or mangled. The slave fd we keep
    // open holds those settings for the terminal's whole life.
    const probe = await SerialPort.binding.open({ path: term.pty, baudRate: 115200 });
    await probe.close();
  } catch (err) {
    fs.closeSync(term.master);
    fs.closeSync(term.slave);
    throw err;
  }
  return new NodePtyPair(term.master, term.slave, term.pty);
}

class NodePtyPair implements PtyPair {
  private readonly reader: tty.ReadStream;
  private readonly dataListeners = new Set<(bytes: Uint8Array) => void>();
  private readonly errorListeners = new Set<(err: Error) => void>();
  private readonly fullListeners = new Set<() => void>();
  private queue: Uint8Array[] = [];
  private pending = 0;
  private writing = false;
  private retry: NodeJS.Timeout | null = null;
  private writeSettled: (() => void) | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    readonly masterFd: number,
    /** Kept open and never read: if every slave fd closed, the pts would vanish and the master read EIO. */
    private readonly slaveFd: number,
    readonly path: string,
  ) {
    // Reading through a tty stream is fine (libuv polls the fd). Writing through it is not: libuv
    // marks a pty master as "blocking writes" and a large write would stall the event loop, so
    // writes go through fs.write on the non-blocking fd instead (see pump()).
    this.reader = new tty.ReadStream(masterFd);
    this.reader.on('data', (chunk: Buffer) => {
      for (const listener of this.dataListeners) listener(chunk);
    });
    this.reader.on('error', (err) => this.fail(err));
    // The line is passive: whoever owns it (the appliance, a test) keeps the process alive.
    this.reader.unref();
  }

  get pendingBytes(): number {
    return this.pending;
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  onError(listener: (err: Error) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  onFull(listener: () => void): () => void {
    this.fullListeners.add(listener);
    return () => this.fullListeners.delete(listener);
  }

  discardPending(): number {
    let dropped = 0;
    for (const c of this.queue) dropped += c.length;
    this.queue = [];
    this.pending -= dropped;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    return dropped;
  }

  pause(): void {
    if (!this.closing) this.reader.pause();
  }

  resume(): void {
    if (!this.closing) this.reader.resume();
  }

  write(bytes: Uint8Array): void {
    if (this.closing || bytes.length === 0) return;
    // Copy: the caller may reuse its buffer before the kernel takes the bytes.
    this.queue.push(Uint8Array.from(bytes));
    this.pending += bytes.length;
    this.pump();
  }

  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }

  private async release(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.queue = [];
    this.pending = 0;
    this.dataListeners.clear();
    this.fullListeners.clear();
    // A write in the thread pool still uses the master fd: closing it now could let the fd
    // number be reused and the write land in someone else's file.
    if (this.writing) await new Promise<void>((resolve) => (this.writeSettled = resolve));
    // Destroying the stream closes the master fd (libuv owns it now); closing it again by
    // number would be a double close.
    if (!this.reader.closed) {
      await new Promise<void>((resolve) => {
        this.reader.once('close', () => resolve());
        this.reader.destroy();
      });
    }
    await new Promise<void>((resolve) => fs.close(this.slaveFd, () => resolve()));
    this.errorListeners.clear();
  }

  /** One fs.write in flight at a time, so bytes reach the kernel in order. */
  private pump(): void {
    if (this.writing || this.retry || this.closing || this.queue.length === 0) return;
    const chunk = this.takeChunk();
    this.writing = true;
    fs.write(this.masterFd, chunk, 0, chunk.length, null, (err, written) => {
      this.writing = false;
      if (this.closing) {
        this.writeSettled?.();
        return;
      }
      if (err) {
        if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK') {
          // Kernel buffer full (the agent is slow or absent): keep the bytes, try again shortly,
          // unless a listener chose to discard them.
          this.queue.unshift(chunk);
          for (const listener of this.fullListeners) listener();
          if (this.queue.length === 0 || this.closing) return;
          this.retry = setTimeout(() => {
            this.retry = null;
            this.pump();
          }, RETRY_MS);
          this.retry.unref();
          return;
        }
        this.queue = [];
        this.pending = 0;
        this.fail(err);
        return;
      }
      this.pending -= written;
      if (written < chunk.length) this.queue.unshift(chunk.subarray(written));
      this.pump();
    });
  }

  /** The head of the queue, merged with the chunks behind it up to MAX_WRITE bytes. */
  private takeChunk(): Uint8Array {
    const first = this.queue[0]!;
    if (this.queue.length === 1 || first.length >= MAX_WRITE) return this.queue.shift()!;
    let size = 0;
    let count = 0;
    for (const c of this.queue) {
      if (count > 0 && size + c.length > MAX_WRITE) break;
      size += c.length;
      count += 1;
    }
    const merged = new Uint8Array(size);
    let offset = 0;
    for (const c of this.queue.splice(0, count)) {
      merged.set(c, offset);
      offset += c.length;
    }
    return merged;
  }

  private fail(err: Error): void {
    if (this.errorListeners.size === 0) {
      // Nobody to tell: do not crash the simulator over its console line, but leave a trace.
      process.emitWarning(`serial pty ${this.path}: ${err.message}`);
      return;
    }
    for (const listener of this.errorListeners) listener(err);
  }
}
