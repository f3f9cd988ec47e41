/** `fulcrum firmware upgrade|status|rollback --to T`: an appliance's firmware slots. */
import { DriverError, hasFirmwareSlots, type ApplianceDriver, type FirmwareDriver } from '../../../drivers/driver.js';
import { UpgradeError, upgradeAppliance } from '../../upgrade/upgrade.js';
import { parseImage } from '../../protocol/image/image.js';
import { startImageServer, type ImageServer } from '../../upgrade/image-server.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, table } from '../output.js';
import { DelayedProgress } from '../progress.js';
import { withDriver, type TargetOptions } from '../connect.js';
import { readImageFile } from './firmware-files.js';
import { audited, onTarget } from '../audit-cli.js';

/** `--serve-address HOST:PORT[/ADVERTISED]`: where an SNMP appliance fetches the image from (default 127.0.0.1, any port). */
async function imageServerFor(opts: TargetOptions & { serveAddress?: string }): Promise<ImageServer | null> {
  if (!/^snmp:/.test(opts.to) && !(await isSnmpInventoryName(opts))) return null;
  const text = opts.serveAddress ?? '127.0.0.1:0';
  const m = /^(\[[^\]]+\]|[^:/]+):(\d+)(?:\/(.+))?$/.exec(text);
  if (!m) throw new CliError(`--serve-address: expected HOST:PORT, got "${text}"`, EXIT.usage);
  return startImageServer(m[1]!.replace(/^\[|\]$/g, ''), Number(m[2]), m[3]);
}

async function isSnmpInventoryName(opts: TargetOptions): Promise<boolean> {
  if (/^(serial|snmp):/.test(opts.to)) return false;
  const { openStore } = await import('../../store/index.js');
  const store = await openStore(opts.db ? { file: opts.db } : {});
  try {
    return (await store.inventory.get(opts.to))?.target.startsWith('snmp:') ?? false;
  } catch {
    return false;
  } finally {
    await store.close();
  }
}

function slots(d: ApplianceDriver): ApplianceDriver & FirmwareDriver {
  if (!hasFirmwareSlots(d)) throw new CliError(`${d.target}: firmware is managed over the serial console (serial:/dev/ttyX), not this transport`, EXIT.usage);
  return d;
}

export async function upgrade(file: string, opts: TargetOptions & { json?: boolean; serveAddress?: string }): Promise<void> {
  const bytes = readImageFile(file);
  let header;
  try {
    header = parseImage(bytes).header;
  } catch (err) {
    // Checked before the appliance is contacted: a damaged file is the operator's to fix.
    throw new CliError(`${file}: not a valid firmware image: ${(err as Error).message}`, EXIT.invalidInput);
  }
  const progress = new DelayedProgress('uploading', !opts.json && process.stderr.isTTY === true);
  // Over SNMP the appliance pulls the image: serve it for the time of the upgrade.
  const server = await imageServerFor(opts);
  const imageUrl = server?.add(bytes);
  const say = (text: string) => {
    if (!opts.json) process.stderr.write(`${text}\n`);
  };
  try {
    const change = onTarget(
      'firmware upgrade',
      opts,
      (u: { version: string; bytes: number; confirmed: boolean }) => ({ detail: { version: u.version, bytes: u.bytes, confirmed: u.confirmed } }),
      { image: file, securityCounter: header.securityCounter },
    );
    const r = await audited(change, () =>
      withDriver(opts, (d) =>
        upgradeAppliance(slots(d), bytes, {
          onProgress: (sent, total) => progress.update(sent, total),
          ...(imageUrl ? { imageUrl } : {}),
          onStep: (step) => {
            if (step !== 'upload') progress.stop();
            if (step === 'reboot') say('rebooting into the new image (trial boot)…');
            if (step === 'verify') say('waiting for the new image to confirm itself…');
          },
        }),
      ),
    );
    progress.stop();
    await server?.close();
    if (opts.json) printJson(r);
    else
      process.stdout.write(
        `firmware ${r.version} running and confirmed: ${r.bytes} bytes uploaded in ${r.uploadSeconds.toFixed(1)} s, back in ${r.rebootSeconds.toFixed(1)} s after the reboot\n`,
      );
  } catch (err) {
    progress.stop();
    await server?.close();
    if (err instanceof UpgradeError)
      throw new CliError(
        `upgrade failed (${err.code}): ${err.message}`,
        err.code === 'badImage' ? EXIT.invalidInput : err.code === 'unsupported' ? EXIT.usage : EXIT.refused,
      );
    throw err;
  }
}

export async function status(opts: TargetOptions & { json?: boolean }): Promise<void> {
  const s = await withDriver(opts, (d) => slots(d).firmwareStatus());
  const out = {
    active: s.active,
    slots: s.slots.map((x) => ({ slot: x.slot, version: x.version || null, state: x.state, securityCounter: x.securityCounter })),
    minSecurityCounter: s.minSecurityCounter,
    attemptsLeft: s.attemptsLeft,
  };
  if (opts.json) return printJson(out);
  process.stdout.write(
    `running ${s.active.version} from slot ${s.active.slot}${s.active.confirmed ? '' : ' (trial: not confirmed yet)'}; anti-rollback minimum ${s.minSecurityCounter}\n`,
  );
  process.stdout.write(
    `${table(
      ['slot', 'version', 'state', 'security counter'],
      out.slots.map((x) => [x.slot, x.version ?? '-', x.state, x.securityCounter ?? '-']),
    )}\n`,
  );
}

/** Back to the previously confirmed image: the bootloader switches, the appliance reboots into it. */
export async function rollback(opts: TargetOptions & { json?: boolean; bootTimeout?: string }): Promise<void> {
  const r = await audited(
    onTarget('firmware rollback', opts, (b: { version: string; slot: string }) => ({ detail: { version: b.version, slot: b.slot } })),
    () =>
      withDriver(opts, async (d) => {
        const fw = slots(d);
        const to = await fw.rollbackFirmware();
        await fw.rebootAndWait(60_000);
        const s = await fw.firmwareStatus();
        if (s.active.version !== to.version) throw new DriverError('refused', `the appliance runs ${s.active.version} after the rollback, not ${to.version}`);
        return { version: s.active.version, slot: s.active.slot, confirmed: s.active.confirmed };
      }),
  );
  if (opts.json) printJson(r);
  else process.stdout.write(`rolled back: running ${r.version} from slot ${r.slot}\n`);
}
