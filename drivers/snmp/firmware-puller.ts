/**
 * Firmware over SNMP (FULCRUM-MIB fulcrumFirmware): the appliance pulls the image itself from an
 * HTTP URL the agent serves, and the agent drives the steps with fulcrumFwAction — download,
 * activate, reboot — polling fulcrumFwDownloadStatus/Bytes for progress. What the console does
 * with fw* messages, the MIB does with scalars.
 */
import { FulcrumMib as M, formatOid, ErrorStatus, SmiType, TruthValue, sysUpTime } from '../../src/protocol/mib/index.js';
import type { FirmwareStatus } from '../../src/protocol/serial/messages.js';
import { sha256 } from '../../src/protocol/digest.js';
import { DriverError, type FirmwareUpload } from '../driver.js';
import { SetError, type SnmpSession, type Varbind } from './session.js';

const scalar = (o: readonly number[]) => `${formatOid(o)}.0`;
const POLL_MS = 300;
const STATUS_BY_CODE = new Map<number, string>(Object.entries(M.FwDownloadStatusCode).map(([k, v]) => [v, k]));

export class FirmwarePuller {
  constructor(private readonly session: SnmpSession) {}

  async status(): Promise<FirmwareStatus> {
    const [slot, confirmed, min, version] = await this.session.get(
      [M.fulcrumFwActiveSlot, M.fulcrumFwActiveConfirmed, M.fulcrumFwMinSecurityCounter, M.fulcrumFirmwareVersion].map(scalar),
    );
    if (slot?.value === null || slot?.value === undefined || typeof slot.value !== 'number')
      throw new DriverError('refused', 'the appliance has no fulcrumFirmware objects (no network upgrades)', 'unsupported');
    return {
      active: { slot: slot.value === M.FwSlotCode.slotA ? 'A' : 'B', version: text(version), confirmed: confirmed?.value === TruthValue.true },
      // The MIB lists the running image only; the console's fwStatus lists every slot.
      slots: [],
      minSecurityCounter: Number(min?.value ?? 0),
      attemptsLeft: 0,
    };
  }

  /** Has the appliance fetch `image` from `url` into its inactive slot, and waits until it is verified. */
  async pull(image: Uint8Array, url: string, onProgress?: (held: number, total: number) => void): Promise<FirmwareUpload> {
    await this.action('download', [
      { oid: scalar(M.fulcrumFwDownloadUrl), type: SmiType.OctetString, value: new TextEncoder().encode(url) },
      { oid: scalar(M.fulcrumFwDownloadSha256), type: SmiType.OctetString, value: sha256(image) },
    ]);
    for (;;) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const [status, bytes, message] = await this.session.get([M.fulcrumFwDownloadStatus, M.fulcrumFwDownloadBytes, M.fulcrumFwDownloadMessage].map(scalar));
      onProgress?.(Number(bytes?.value ?? 0), image.length);
      const state = STATUS_BY_CODE.get(Number(status?.value));
      // The MIB does not say where a resumed fetch started: the appliance fetched (at most) the whole image.
      // The version is not in the MIB until the image runs: '' says so.
      if (state === 'ready') {
        const active = (await this.status()).active.slot;
        return { bytesSent: image.length, resumedFrom: 0, lineBytes: 0, slot: active === 'A' ? 'B' : 'A', version: '', securityCounter: 0 };
      }
      if (state === 'failed') throw new DriverError('refused', `the appliance could not fetch or verify the image: ${text(message)}`, 'imageRejected');
      // Idle in the middle of a fetch: something else on the appliance's MIB (an operator,
      // another agent) activated or reset the slot since this fetch began.
      if (state === 'idle')
        throw new DriverError(
          'refused',
          'the download was cancelled on the appliance while it fetched the image (another agent or an operator activated or reset its firmware slot)',
        );
      if (state !== 'downloading') throw new DriverError('refused', `unexpected download status ${String(status?.value)}`);
    }
  }

  activate = () => this.action('activate');
  confirm = () => this.action('confirm');
  rollback = () => this.action('rollback');
  reboot = () => this.action('reboot');

  /** Writes fulcrumFwAction (with `extra` varbinds in the same request); a refusal carries fulcrumFwDownloadMessage. */
  private async action(action: keyof typeof M.FwActionCode, extra: Varbind[] = []): Promise<void> {
    try {
      await this.session.set([...extra, { oid: scalar(M.fulcrumFwAction), type: SmiType.Integer, value: M.FwActionCode[action] }]);
    } catch (err) {
      if (!(err instanceof SetError)) throw err;
      const [message] = await this.session.get([scalar(M.fulcrumFwDownloadMessage)]).catch(() => [undefined]);
      const reason = text(message) || Object.entries(ErrorStatus).find(([, v]) => v === err.status)?.[0] || `status ${err.status}`;
      throw new DriverError('refused', `${action}: ${reason}`, err.status === ErrorStatus.inconsistentValue ? 'firmwareState' : 'commitFailed');
    }
  }

  /** sysUpTime in centiseconds. */
  async uptime(): Promise<number> {
    const [up] = await this.session.get([`${formatOid(sysUpTime)}.0`]);
    return Number(up?.value ?? 0);
  }
}

function text(vb: { value: unknown } | undefined): string {
  const v = vb?.value;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return typeof v === 'string' ? v : '';
}
