/**
 * The serial failover cable between two members (F5's hardware failover, in the simulator a
 * pseudo-terminal pair). `--failover-link PATH`: if PATH exists it is the cable's end to open
 * (a device, or a PTY slave another process holds the master of); if it does not, this member
 * creates a PTY pair, keeps the master and makes PATH a symlink to the slave for its peer.
 * An opened end that goes away (the peer's process died with its PTY) is reopened every
 * REOPEN_MS for as long as the link lives: the cable is silent meanwhile, never an error.
 */
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import type { HeartbeatLink } from '../../firmware/failover/ports.js';
import { openPtyPair, type PtyPair } from '../serial/pty.js';
import { linkDevice } from '../serial/device-link.js';
import { FrameSplitter, frameMessage } from './frame-splitter.js';

const REOPEN_MS = 250;
const BAUD = 115_200;

export class SerialFailoverLink implements HeartbeatLink {
  readonly name = 'serial' as const;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private readonly splitter = new FrameSplitter((m) => {
    for (const l of this.listeners) l(m);
  });
  private port: SerialPort | null = null;
  private pty: PtyPair | null = null;
  private reopen: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(readonly path: string) {}

  /** The far end's name when this member created the PTY (what PATH points at), else null. */
  get createdDevice(): string | null {
    return this.pty?.path ?? null;
  }

  get garbled(): number {
    return this.splitter.garbled;
  }

  static async open(path: string): Promise<SerialFailoverLink> {
    const link = new SerialFailoverLink(path);
    if (existsSync(path)) link.openDevice();
    else {
      const pty = await openPtyPair();
      link.pty = pty;
      pty.onData((bytes) => link.splitter.push(bytes));
      // Nobody reads the far end yet, or the peer died: heartbeats are only worth their freshness.
      pty.onFull(() => pty.discardPending());
      pty.onError(() => undefined);
      try {
        linkDevice(path, pty.path);
      } catch (err) {
        await pty.close();
        throw new Error(`--failover-link ${path}: cannot create the link (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
    return link;
  }

  send(bytes: Uint8Array): void {
    const frame = frameMessage(bytes);
    if (this.pty) this.pty.write(frame);
    else if (this.port?.isOpen) this.port.write(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), () => undefined);
  }

  onMessage(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    if (this.reopen) clearTimeout(this.reopen);
    this.reopen = null;
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await this.pty?.close();
  }

  private openDevice(): void {
    if (this.closed) return;
    const port = new SerialPort({ path: this.path, baudRate: BAUD, autoOpen: false });
    port.open((err) => {
      if (this.closed) {
        if (!err) port.close(() => undefined);
        return;
      }
      if (err) return this.retry();
      this.port = port;
      port.on('data', (d: Buffer) => this.splitter.push(d));
      // A vanished device (EIO) surfaces as an error and a close: reopen, do not crash.
      port.on('error', () => {
        if (port.isOpen) port.close(() => undefined);
      });
      port.on('close', () => {
        if (this.port === port) this.port = null;
        this.retry();
      });
    });
  }

  private retry(): void {
    if (this.closed || this.reopen) return;
    this.reopen = setTimeout(() => {
      this.reopen = null;
      this.openDevice();
    }, REOPEN_MS);
    this.reopen.unref();
  }
}
