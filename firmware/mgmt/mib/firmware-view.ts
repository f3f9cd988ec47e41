/** fulcrumFirmware (FULCRUM-MIB): the slots and the network download, as scalars in walk order. */
import { FirmwareScalar, FwActionCode, FwDownloadStatusCode, FwSlotCode, fulcrumFirmware } from '../../../src/protocol/mib/fulcrum-mib.js';
import type { Oid } from '../../../src/protocol/mib/oid.js';
import { SmiType, TruthValue, type Varbind } from '../../../src/protocol/mib/smi.js';
import type { FirmwareStatus } from '../../../src/protocol/serial/messages.js';
import type { DownloadState } from '../firmware-download.js';

export interface FirmwareViewInput {
  status: FirmwareStatus;
  download: Readonly<DownloadState>;
}

export const FIRMWARE_OBJECTS: readonly Oid[] = Object.values(FirmwareScalar).map((n) => [...fulcrumFirmware, n]);

const U32 = 0xffff_ffff;

export function firmwareVarbinds(input: FirmwareViewInput): Varbind[] {
  const at = (n: number): Oid => [...fulcrumFirmware, n, 0];
  const d = input.download;
  const gauge = (n: number, v: number) => ({ oid: at(n), type: SmiType.Gauge32, value: Math.min(U32, Math.max(0, v)) }) as const;
  return [
    { oid: at(FirmwareScalar.activeSlot), type: SmiType.Integer, value: input.status.active.slot === 'A' ? FwSlotCode.slotA : FwSlotCode.slotB },
    { oid: at(FirmwareScalar.activeConfirmed), type: SmiType.Integer, value: input.status.active.confirmed ? TruthValue.true : TruthValue.false },
    gauge(FirmwareScalar.minSecurityCounter, input.status.minSecurityCounter),
    { oid: at(FirmwareScalar.downloadUrl), type: SmiType.OctetString, value: d.url },
    { oid: at(FirmwareScalar.downloadSha256), type: SmiType.OctetString, value: d.sha256 },
    { oid: at(FirmwareScalar.action), type: SmiType.Integer, value: FwActionCode.idle },
    { oid: at(FirmwareScalar.downloadStatus), type: SmiType.Integer, value: FwDownloadStatusCode[d.status] },
    gauge(FirmwareScalar.downloadBytes, d.bytes),
    gauge(FirmwareScalar.downloadSize, d.size),
    { oid: at(FirmwareScalar.downloadMessage), type: SmiType.OctetString, value: d.message.slice(0, 255) },
  ];
}
