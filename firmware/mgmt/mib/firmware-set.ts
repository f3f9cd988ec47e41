/**
 * SETs of fulcrumFirmware: checked whole first (RFC 3416 4.2.5: types, values, writability),
 * then applied — the URL and SHA-256 before the action, so one request can name an image and
 * start fetching it. An action the slots refuse leaves the URL and SHA-256 as they were.
 */
import { FirmwareScalar, FwActionCode, MAX_FW_URL_LENGTH, fulcrumFirmware } from '../../../src/protocol/mib/fulcrum-mib.js';
import { startsWith } from '../../../src/protocol/mib/oid.js';
import { ErrorStatus, SmiType } from '../../../src/protocol/mib/smi.js';
import { MgmtError } from '../errors.js';
import type { FirmwareOps } from '../firmware-ops.js';
import { describeError } from '../../../src/protocol/describe-error.js';

export type FwAction = Exclude<keyof typeof FwActionCode, 'idle'>;

export interface FirmwareSetVarbind {
  oid: readonly number[];
  type: number;
  value: unknown;
}

export type FirmwareSetPlan = { ok: true; url?: string; sha256?: Uint8Array; action?: FwAction } | { ok: false; errorStatus: number; errorIndex: number };

const ACTION_BY_CODE = new Map<number, keyof typeof FwActionCode>(Object.entries(FwActionCode).map(([k, v]) => [v, k as keyof typeof FwActionCode]));

export function planFirmwareSet(varbinds: readonly FirmwareSetVarbind[]): FirmwareSetPlan {
  const plan: { url?: string; sha256?: Uint8Array; action?: FwAction } = {};
  const fail = (status: number, i: number): FirmwareSetPlan => ({ ok: false, errorStatus: status, errorIndex: i + 1 });
  for (const [i, v] of varbinds.entries()) {
    if (!startsWith(v.oid, fulcrumFirmware) || v.oid.length !== fulcrumFirmware.length + 2 || v.oid.at(-1) !== 0) return fail(ErrorStatus.notWritable, i);
    const scalar = v.oid[fulcrumFirmware.length];
    const bytes = v.value instanceof Uint8Array ? v.value : typeof v.value === 'string' ? new TextEncoder().encode(v.value) : null;
    switch (scalar) {
      case FirmwareScalar.downloadUrl: {
        if (v.type !== SmiType.OctetString || !bytes) return fail(ErrorStatus.wrongType, i);
        if (bytes.length > MAX_FW_URL_LENGTH) return fail(ErrorStatus.wrongLength, i);
        const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
        if (text !== '' && !/^http:\/\/[^/\s]+\/\S*$/.test(text)) return fail(ErrorStatus.wrongValue, i);
        plan.url = text;
        break;
      }
      case FirmwareScalar.downloadSha256:
        if (v.type !== SmiType.OctetString || !bytes) return fail(ErrorStatus.wrongType, i);
        if (bytes.length !== 0 && bytes.length !== 32) return fail(ErrorStatus.wrongLength, i);
        plan.sha256 = bytes.slice();
        break;
      case FirmwareScalar.action: {
        if (v.type !== SmiType.Integer) return fail(ErrorStatus.wrongType, i);
        const action = typeof v.value === 'number' ? ACTION_BY_CODE.get(v.value) : undefined;
        if (!action) return fail(ErrorStatus.wrongValue, i);
        if (action !== 'idle') {
          if (plan.action) return fail(ErrorStatus.inconsistentValue, i);
          plan.action = action;
        }
        break;
      }
      default:
        return fail(ErrorStatus.notWritable, i);
    }
  }
  return { ok: true, ...plan };
}

/** Applies a checked plan; an action refused by the slots → inconsistentValue, its reason in fulcrumFwDownloadMessage. */
export async function applyFirmwareSet(
  ops: FirmwareOps,
  plan: Extract<FirmwareSetPlan, { ok: true }>,
  actionIndex: number,
): Promise<{ errorStatus: number; errorIndex: number }> {
  const before = { url: ops.download.state.url, sha256: ops.download.state.sha256 };
  try {
    ops.download.target({ ...(plan.url !== undefined ? { url: plan.url } : {}), ...(plan.sha256 !== undefined ? { sha256: plan.sha256 } : {}) });
    switch (plan.action) {
      case 'download':
        ops.download.start();
        break;
      case 'activate':
        await ops.activate();
        break;
      case 'confirm':
        await ops.confirm();
        break;
      case 'rollback':
        await ops.rollback();
        break;
      case 'reboot':
        ops.reboot();
        break;
      case undefined:
        break;
    }
    return { errorStatus: ErrorStatus.noError, errorIndex: 0 };
  } catch (err) {
    if (ops.download.state.status !== 'downloading') ops.download.target(before);
    ops.download.noteFailure(describeError(err));
    const semantic = err instanceof MgmtError && ['firmwareState', 'badRequest', 'unsupported', 'noTransfer'].includes(err.code);
    return { errorStatus: semantic ? ErrorStatus.inconsistentValue : ErrorStatus.commitFailed, errorIndex: Math.max(1, actionIndex) };
  }
}
