/**
 * The firmware half of the serial driver: uploads into the inactive slot with the same windowed
 * chunk sender as rule tables (resuming from where the appliance says it already holds the
 * image), and the slot operations. Kept apart from serial-driver.ts, which owns the session.
 */
import type { FirmwareStatus, Request, Response } from '../../src/protocol/serial/messages.js';
import { FW_CHUNK_HEADER_BYTES } from '../../src/protocol/serial/payload.js';
import { sha256 } from '../../src/protocol/digest.js';
import { DriverError, type FirmwareUpload } from '../driver.js';
import { sendChunks } from './chunk-sender.js';
import type { SerialTransport } from './transport.js';

export interface ChannelParams {
  maxPayload: number;
  window: number;
}

export class FirmwareChannel {
  constructor(
    private readonly transport: SerialTransport,
    private readonly params: () => ChannelParams,
  ) {}

  async status(): Promise<FirmwareStatus> {
    return expect(await this.transport.request({ type: 'fwStatus' }), 'fwStatusOk').status;
  }

  async upload(image: Uint8Array, onProgress?: (sent: number, total: number) => void): Promise<FirmwareUpload> {
    const lineBefore = this.transport.bytesWritten;
    const begin = expect(await this.transport.request({ type: 'fwBegin', size: image.length, sha256: sha256(image) }), 'fwBeginOk');
    const from = begin.resumeOffset;
    if (from > image.length) throw new DriverError('refused', `the appliance asks to resume at ${from}, past the image's ${image.length} bytes`);
    const { maxPayload, window } = this.params();
    onProgress?.(from, image.length);
    await sendChunks(
      this.transport,
      image.subarray(from),
      {
        maxChunk: maxPayload - FW_CHUNK_HEADER_BYTES,
        window,
        baseOffset: from,
        request: (offset, bytes): Request => ({ type: 'fwChunk', offset, bytes }),
        onProgress: onProgress ? (sent) => onProgress(from + sent, image.length) : undefined,
      },
      (r) => void expect(r, 'fwChunkOk'),
    );
    const end = expect(await this.transport.request({ type: 'fwEnd' }), 'fwEndOk');
    return {
      bytesSent: image.length - from,
      resumedFrom: from,
      lineBytes: this.transport.bytesWritten - lineBefore,
      slot: end.slot,
      version: end.version,
      securityCounter: end.securityCounter,
    };
  }

  async activate() {
    return pick(expect(await this.transport.request({ type: 'fwActivate' }), 'fwActivateOk'));
  }

  async confirm() {
    return pick(expect(await this.transport.request({ type: 'fwConfirm' }), 'fwConfirmOk'));
  }

  async rollback() {
    return pick(expect(await this.transport.request({ type: 'fwRollback' }), 'fwRollbackOk'));
  }

  async reboot(): Promise<void> {
    expect(await this.transport.request({ type: 'reboot' }), 'rebootOk');
  }
}

const pick = (r: { slot: 'A' | 'B'; version: string }) => ({ slot: r.slot, version: r.version });

export function expect<T extends Response['type']>(r: Response, type: T): Extract<Response, { type: T }> {
  if (r.type === type) return r as Extract<Response, { type: T }>;
  if (r.type === 'error') throw new DriverError('refused', r.message, r.code);
  throw new DriverError('refused', `unexpected answer ${r.type} (wanted ${type})`);
}
