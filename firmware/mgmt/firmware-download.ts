/**
 * A network upgrade the appliance pulls itself (FULCRUM-MIB fulcrumFirmware): given a URL and
 * the image's SHA-256, it fetches the image into the inactive slot through the same installer as
 * a console upload, resuming where the slot already holds it (HTTP Range), and has it verified.
 * The manager polls the progress and then activates and reboots, as over the console.
 */
import type { ImageFetchPort } from '../ports.js';
import { MgmtError } from './errors.js';
import { describeError } from '../../src/protocol/describe-error.js';

/** What a download writes through: the inactive slot's upload, as the console's fw* messages use it. */
export interface SlotUpload {
  begin(size: number, sha256: Uint8Array): Promise<{ resumeOffset: number }>;
  write(offset: number, bytes: Uint8Array): Promise<void>;
  finish(): Promise<{ slot: 'A' | 'B'; version: string; securityCounter: number }>;
}

export type DownloadStatus = 'idle' | 'downloading' | 'ready' | 'failed';

export interface DownloadState {
  url: string;
  /** 32 bytes, or empty before one is set. */
  sha256: Uint8Array;
  status: DownloadStatus;
  /** Bytes of the image the slot holds so far. */
  bytes: number;
  /** 0 until known. */
  size: number;
  /** Why the last download or action failed; '' otherwise. */
  message: string;
}

export class FirmwareDownload {
  private current: DownloadState = { url: '', sha256: new Uint8Array(0), status: 'idle', bytes: 0, size: 0, message: '' };

  constructor(
    private readonly ops: SlotUpload,
    private readonly fetch: ImageFetchPort | null,
  ) {}

  get state(): Readonly<DownloadState> {
    return this.current;
  }

  /** Sets what the next download fetches; refused while one runs. */
  target(change: { url?: string; sha256?: Uint8Array }): void {
    if (this.current.status === 'downloading') throw new MgmtError('firmwareState', 'a download is under way');
    this.current = { ...this.current, ...change };
  }

  /** Records why a firmware action failed, for the manager's read-back. */
  noteFailure(message: string): void {
    this.current = { ...this.current, message };
  }

  /** Starts the download in the background; refused when it cannot start at all. */
  start(): void {
    const { url, sha256 } = this.current;
    if (!this.fetch) throw new MgmtError('unsupported', 'this appliance cannot fetch images over the network');
    if (this.current.status === 'downloading') throw new MgmtError('firmwareState', 'a download is under way');
    if (!/^http:\/\/[^/\s]+\/\S*$/.test(url)) throw new MgmtError('badRequest', `set fulcrumFwDownloadUrl to an http:// URL first (it is "${url}")`);
    if (sha256.length !== 32) throw new MgmtError('badRequest', 'set fulcrumFwDownloadSha256 (32 bytes) first');
    this.current = { ...this.current, status: 'downloading', bytes: 0, size: 0, message: '' };
    void this.run(this.fetch, url, sha256);
  }

  private async run(fetch: ImageFetchPort, url: string, sha256: Uint8Array): Promise<void> {
    try {
      const size = await fetch.size(url);
      this.current = { ...this.current, size };
      let offset = (await this.ops.begin(size, sha256)).resumeOffset;
      this.current = { ...this.current, bytes: offset };
      if (offset < size) {
        await fetch.read(url, offset, async (chunk) => {
          await this.ops.write(offset, chunk);
          offset += chunk.length;
          this.current = { ...this.current, bytes: offset };
        });
      }
      if (offset !== size) throw new MgmtError('noTransfer', `the server sent ${offset} of ${size} bytes`);
      await this.ops.finish();
      this.current = { ...this.current, status: 'ready' };
    } catch (err) {
      this.current = { ...this.current, status: 'failed', message: describeError(err) };
    }
  }
}
