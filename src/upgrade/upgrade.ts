/**
 * One appliance's firmware upgrade, as `fulcrum firmware upgrade` and rollouts run it: upload
 * into the inactive slot (resumed if an earlier upload of the same image got part of the way),
 * activate for a trial boot, reboot, wait for the appliance, and check it runs the new image
 * confirmed by its own self-test, with the configuration it had. An image that crashes or fails
 * its self-test makes the appliance go back to the previous image by itself: the upgrade then
 * fails saying so.
 *
 * Idempotent: an appliance already running the image, confirmed, is a success with nothing sent
 * — which is what lets a rollout re-run a device it lost track of.
 */
import { DriverError, hasFirmwareSlots, type ApplianceDriver, type FirmwareDriver } from '../../drivers/driver.js';
import { formatVersion, parseImage } from '../protocol/image/image.js';
import type { FirmwareStatus } from '../protocol/serial/messages.js';

export interface UpgradeOptions {
  signal?: AbortSignal;
  /** Upload progress: (bytes of the image the appliance holds, image size). */
  onProgress?: (sent: number, total: number) => void;
  /** Called as the upgrade moves on, for logs and progress lines. */
  onStep?: (step: 'upload' | 'activate' | 'reboot' | 'verify') => void;
  /** How long the appliance may take to answer after the reboot (default 60 s). */
  bootTimeoutMs?: number;
  /** How long the new image may take to confirm itself once it answers (default 30 s). */
  confirmTimeoutMs?: number;
  /** Where the appliance can fetch the image over HTTP, for transports where it pulls it (SNMP). */
  imageUrl?: string;
  /**
   * Asked before each act that changes the appliance (upload, activate, reboot); throws when
   * the caller may no longer act on it (a rollout whose lease another process took over).
   */
  fence?: () => Promise<void>;
}

export interface UpgradeResult {
  version: string;
  /** Image bytes sent (0 when it was already there). */
  bytes: number;
  uploadSeconds: number;
  rebootSeconds: number;
  confirmed: boolean;
}

export type UpgradeErrorCode = 'unsupported' | 'badImage' | 'reverted' | 'notConfirmed' | 'configChanged' | 'aborted';

export class UpgradeError extends Error {
  override readonly name = 'UpgradeError';
  constructor(
    readonly code: UpgradeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const POLL_MS = 500;

export async function upgradeAppliance(driver: ApplianceDriver, image: Uint8Array, options: UpgradeOptions = {}): Promise<UpgradeResult> {
  if (!hasFirmwareSlots(driver)) {
    throw new UpgradeError('unsupported', `${driver.target}: this transport has no firmware slots`);
  }
  let version: string;
  try {
    version = formatVersion(parseImage(image).header.version);
  } catch (err) {
    throw new UpgradeError('badImage', `not a firmware image: ${(err as Error).message}`);
  }
  const checkAbort = () => {
    if (options.signal?.aborted) throw new UpgradeError('aborted', 'the upgrade was aborted');
  };
  const beforeActing = async () => {
    checkAbort();
    await options.fence?.();
    checkAbort();
  };
  const before = await driver.firmwareStatus();
  if (before.active.version === version && before.active.confirmed) return { version, bytes: 0, uploadSeconds: 0, rebootSeconds: 0, confirmed: true };
  const configBefore = (await driver.info()).configId;

  await beforeActing();
  options.onStep?.('upload');
  const t0 = performance.now();
  const upload = await driver.uploadFirmware(image, {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.imageUrl ? { url: options.imageUrl } : {}),
  });
  const uploadSeconds = (performance.now() - t0) / 1000;
  // Over SNMP the appliance does not report the version it verified (''): the status after the reboot does.
  if (upload.version !== '' && upload.version !== version)
    throw new UpgradeError('badImage', `the appliance verified version ${upload.version}, not ${version}`);

  await beforeActing();
  options.onStep?.('activate');
  await driver.activateFirmware();
  await beforeActing();
  options.onStep?.('reboot');
  const t1 = performance.now();
  await driver.rebootAndWait(options.bootTimeoutMs ?? 60_000);
  const rebootSeconds = (performance.now() - t1) / 1000;

  options.onStep?.('verify');
  const status = await waitForVerdict(driver, version, before.active.version, options.confirmTimeoutMs ?? 30_000, options.bootTimeoutMs ?? 60_000);
  const configAfter = (await driver.info()).configId;
  if (configAfter !== configBefore) {
    throw new UpgradeError(
      'configChanged',
      `version ${version} runs config ${configAfter.slice(0, 12)}, not ${configBefore.slice(0, 12)} as before the upgrade: check it, then \`fulcrum firmware rollback\` if needed`,
    );
  }
  return { version, bytes: upload.bytesSent, uploadSeconds, rebootSeconds, confirmed: status.active.confirmed };
}

/**
 * Polls the slots until the new image confirmed itself (success), or the appliance runs the old
 * one again (it reverted: crash on boot, failed self-test). A self-test that fails restarts the
 * box, so the appliance may vanish for a while in between: that is waited for.
 */
async function waitForVerdict(
  driver: ApplianceDriver & FirmwareDriver,
  version: string,
  previous: string,
  confirmMs: number,
  bootMs: number,
): Promise<FirmwareStatus> {
  const deadline = performance.now() + confirmMs + bootMs;
  let unconfirmedSince: number | null = null;
  for (;;) {
    let status: FirmwareStatus | null = null;
    try {
      status = await driver.firmwareStatus();
    } catch (err) {
      if (!(err instanceof DriverError && err.code === 'unreachable')) throw err;
    }
    if (status) {
      if (status.active.version === version && status.active.confirmed) return status;
      if (status.active.version !== version) {
        throw new UpgradeError(
          'reverted',
          `the appliance went back to ${status.active.version || previous}: version ${version} did not boot or failed its self-test`,
        );
      }
      unconfirmedSince ??= performance.now();
      if (performance.now() - unconfirmedSince > confirmMs) {
        throw new UpgradeError(
          'notConfirmed',
          `version ${version} runs but did not confirm itself within ${Math.round(confirmMs / 1000)} s; it reverts at the next reboot`,
        );
      }
    }
    if (performance.now() > deadline)
      throw new DriverError('unreachable', `no verdict on version ${version} within ${Math.round((confirmMs + bootMs) / 1000)} s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
