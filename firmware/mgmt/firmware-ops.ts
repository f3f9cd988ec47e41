/**
 * Firmware management as the channels see it (serial fw* messages; SNMP later): the upload into
 * the inactive slot, activation for a trial boot, confirm, rollback, status and reboot, over the
 * bootloader (firmware/boot). Bootloader refusals become MgmtErrors with wire codes.
 *
 * Chunks of a windowed upload can arrive out of order (a frame lost and sent again while later
 * ones got through); the installer takes bytes in order only, so chunks ahead of the next
 * expected offset wait here, in RAM, up to REORDER_LIMIT bytes. A power cut loses them, and the
 * agent's next fwBegin learns from where to send again.
 */

import { formatVersion } from '../../src/protocol/image/image.js';
import type { FirmwareStatus } from '../../src/protocol/serial/messages.js';
import { BootError, type BootStatus, type Bootloader, type Installer } from '../boot/index.js';
import type { ImageFetchPort } from '../ports.js';
import { MgmtError } from './errors.js';
import { FirmwareDownload, type SlotUpload } from './firmware-download.js';

export interface FirmwareOps extends SlotUpload {
  activate(): Promise<{ slot: 'A' | 'B'; version: string }>;
  confirm(): Promise<{ slot: 'A' | 'B'; version: string }>;
  rollback(): Promise<{ slot: 'A' | 'B'; version: string }>;
  status(): FirmwareStatus;
  /** Restart the appliance once the answer to this request has left. */
  reboot(): void;
  /** A network upgrade the appliance pulls itself (SNMP's fulcrumFirmware objects). */
  readonly download: FirmwareDownload;
}

const REORDER_LIMIT = 256 * 1024;

export function firmwareOps(bootloader: Bootloader, reboot: () => void, fetch: ImageFetchPort | null = null): FirmwareOps {
  let installer: Installer | null = null;
  let next = 0;
  const waiting = new Map<number, Uint8Array>();
  let waitingBytes = 0;

  const drain = async (inst: Installer) => {
    for (let bytes = waiting.get(next); bytes; bytes = waiting.get(next)) {
      waiting.delete(next);
      waitingBytes -= bytes.length;
      await inst.write(next, bytes);
      next += bytes.length;
    }
  };

  const ops: Omit<FirmwareOps, 'download'> = {
    begin: (size, sha256) =>
      mapped(async () => {
        installer = bootloader.installer();
        waiting.clear();
        waitingBytes = 0;
        const r = await installer.begin({ size, sha256 });
        next = r.resumeOffset;
        return r;
      }),
    write: (offset, bytes) =>
      mapped(async () => {
        const inst = installer;
        if (!inst) throw new MgmtError('noTransfer', 'firmware chunk without fwBegin');
        if (offset + bytes.length <= next) return; // already written: a repeat after a lost answer
        if (offset > next) {
          if (waitingBytes + bytes.length > REORDER_LIMIT)
            throw new MgmtError('noTransfer', `chunk at ${offset} is too far ahead of ${next}: send from ${next}`);
          if (!waiting.has(offset)) {
            waiting.set(offset, bytes.slice());
            waitingBytes += bytes.length;
          }
          return;
        }
        await inst.write(offset, bytes);
        next = Math.max(next, offset + bytes.length);
        await drain(inst);
      }),
    finish: () =>
      mapped(async () => {
        if (!installer) throw new MgmtError('noTransfer', 'fwEnd without fwBegin');
        const image = await installer.finish();
        const status = bootloader.status();
        const slot = status.slots.find((s) => s.state === 'ready' && s.slot !== status.active?.slot)?.slot ?? (status.active?.slot === 'A' ? 'B' : 'A');
        installer = null;
        return { slot, version: formatVersion(image.header.version), securityCounter: image.header.securityCounter };
      }),
    activate: () => mapped(() => bootloader.activate()),
    confirm: () => mapped(() => bootloader.confirm()),
    rollback: () => mapped(() => bootloader.rollback()),
    status: () => wireStatus(bootloader.status()),
    reboot,
  };
  return { ...ops, download: new FirmwareDownload(ops, fetch) };
}

/** Bootloader refusals as wire errors: an image that fails a check, or a state that forbids the step. */
async function mapped<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (!(err instanceof BootError)) throw err;
    switch (err.code) {
      case 'imageRefused':
      case 'hashMismatch':
      case 'sizeMismatch':
        throw new MgmtError('imageRejected', err.imageCode ? `${err.message} [${err.imageCode}]` : err.message, { cause: err });
      case 'badRequest':
      case 'badOffset':
      case 'mismatch':
        throw new MgmtError('badRequest', err.message, { cause: err });
      case 'noInstall':
      case 'incomplete':
        throw new MgmtError('noTransfer', err.message, { cause: err });
      default:
        throw new MgmtError('firmwareState', err.message, { cause: err });
    }
  }
}

function wireStatus(s: BootStatus): FirmwareStatus {
  const active = s.active ?? { slot: 'A' as const, version: '', confirmed: false };
  return {
    active: { slot: active.slot, version: active.version, confirmed: active.confirmed },
    slots: s.slots.map((x) => ({ slot: x.slot, state: x.state, version: x.version ?? '', securityCounter: x.securityCounter })),
    minSecurityCounter: s.minSecurityCounter,
    attemptsLeft: s.attemptsLeft,
  };
}
