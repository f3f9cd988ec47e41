/**
 * The appliance's bootloader: which slot boots, trial boots of new images, confirm, revert,
 * rollback, and the installer for the slot that may be written. Boot state: boot-record.ts and
 * boot-state-store.ts; uploads: installer.ts; docs/firmware.md ("Bootloader") is the overview.
 *
 * One slot is *confirmed* (permanent). activate() marks the other, verified slot *pending* with
 * a number of trial attempts (RAUC's boot attempts, MCUboot's test mode). At each boot:
 *   - pending with attempts left → the count goes down (durably, BEFORE the image starts, so a
 *     crash loop exhausts it) and the pending slot boots in trial;
 *   - pending with none left → revert: the pending slot becomes invalid, the confirmed one boots;
 *   - the chosen slot is always verified again (hash, signature, security counter) before it
 *     boots; if it fails, the other slot boots if it verifies (and becomes the confirmed one);
 *     if neither does: BootError('noBootableImage').
 * Attempts count boots that never reach the firmware. Once the trial image is up it calls
 * markRunning(), which spends the attempts left: from then on any reboot before confirm() — a
 * failed health check, a hang, a power cut — reverts, as in MCUboot.
 *
 * confirm() makes a trial image the confirmed one and raises the anti-rollback minimum to its
 * security counter. rollback() (see there) goes back to the previously confirmed image.
 * Every state-changing operation runs one at a time, and changes the boot state with one
 * durable write (boot-state-store.ts), so a power cut leaves the old or the new decision.
 */

import { FirmwareImageError, formatVersion, type ParsedImage, type SimulatedBehaviour, type TrustedKey } from '../../src/protocol/image/image.js';
import type { ImageErrorCode } from '../../src/protocol/image/image.js';
import { OperationQueue } from '../mgmt/operation-queue.js';
import type { BootState, SlotRecord } from './boot-record.js';
import { BootStateStore, type BootStateUpdate } from './boot-state-store.js';
import { BootError } from './errors.js';
import { installFactoryImage } from './factory-install.js';
import { checkGeometry, type FlashPort } from './flash-port.js';
import { Installer, problemOf, type InstallContext } from './installer.js';
import { checkLayout, otherSlot, type FlashLayout, type SlotName, type SlotRegion } from './layout.js';
import { ProgressLog } from './progress-log.js';
import { verifySlot, type VerifiedImage } from './slots.js';
import { describeStatus, type BootStatus, type RunningImage } from './status.js';

/** Trial boots of a newly activated image before it is reverted (RAUC's default). */
export const DEFAULT_TRIAL_ATTEMPTS = 3;

export interface BootloaderOptions {
  /** Keys whose signatures the bootloader accepts (the host's configuration and its factory key). */
  trustedKeys: readonly TrustedKey[];
  /** Written to slot A and confirmed when the flash holds no boot state (a new box). */
  factoryImage: Uint8Array;
  /** Default DEFAULT_TRIAL_ATTEMPTS; 1..255. */
  trialAttempts?: number;
}

/** What the bootloader did on its way to the image it booted, for the log and the event stream. */
export type BootEvent =
  | { kind: 'factoryInstall'; slot: SlotName; version: string }
  /** The pending slot's trial ended without confirm(): it is now invalid. */
  | { kind: 'reverted'; slot: SlotName; version: string | null; to: SlotName }
  /** A slot chosen to boot did not verify: it is now invalid. */
  | { kind: 'refused'; slot: SlotName; imageCode: ImageErrorCode; message: string }
  /** The confirmed slot did not verify; the other one boots and is now the confirmed one. */
  | { kind: 'fallback'; from: SlotName; to: SlotName };

export interface BootResult {
  slot: SlotName;
  image: ParsedImage;
  version: string;
  /** Booted on trial: it must confirm() (after markRunning() and its health check) or it reverts. */
  trial: boolean;
  /** The behaviours the image's simulator manifest asks the host to play (see manifest.ts). */
  simulate: SimulatedBehaviour[];
  events: BootEvent[];
}

export interface SlotChoice {
  slot: SlotName;
  version: string;
}

interface Running extends RunningImage {
  verified: VerifiedImage;
}

export class Bootloader {
  private readonly queue = new OperationQueue();
  private readonly progress: ProgressLog;
  private readonly trialAttempts: number;
  private running: Running | null = null;
  private installerGeneration = 0;

  private constructor(
    private readonly flash: FlashPort,
    private readonly layout: FlashLayout,
    private readonly options: BootloaderOptions,
    private readonly store: BootStateStore,
  ) {
    this.progress = new ProgressLog(flash, layout.progress);
    this.trialAttempts = options.trialAttempts ?? DEFAULT_TRIAL_ATTEMPTS;
  }

  /** Reads the boot state (writes nothing). One instance per power-on. */
  static async open(flash: FlashPort, layout: FlashLayout, options: BootloaderOptions): Promise<Bootloader> {
    checkGeometry(flash.geometry);
    checkLayout(flash.geometry, layout);
    const attempts = options.trialAttempts ?? DEFAULT_TRIAL_ATTEMPTS;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 255) throw new RangeError(`trial attempts ${attempts} is not in 1..255`);
    return new Bootloader(flash, layout, options, await BootStateStore.open(flash, layout));
  }

  /** Chooses, verifies and hands over the image to run (see the file comment). */
  boot(): Promise<BootResult> {
    return this.queue.run(async () => {
      if (this.running) throw new BootError('alreadyBooted', `already booted slot ${this.running.slot}: a new boot needs a new power-on`);
      const events: BootEvent[] = [];
      let state: BootState;
      if (this.store.current) {
        state = this.store.current;
      } else {
        state = await installFactoryImage(this.flash, this.layout.slots.A, this.options, this.store);
        events.push({ kind: 'factoryInstall', slot: 'A', version: formatVersion(state.slots.A.image!.version) });
      }

      if (state.pending !== null) {
        const pending = state.pending;
        if (state.attemptsLeft > 0) {
          const verified = await this.tryVerify(pending, state.minSecurityCounter);
          if (!(verified instanceof FirmwareImageError)) {
            state = await this.store.save({ ...state, attemptsLeft: state.attemptsLeft - 1 });
            return this.started(pending, verified, true, events);
          }
          events.push({ kind: 'refused', slot: pending, imageCode: verified.code, message: verified.message });
          state = await this.save(state, { pending: null, attemptsLeft: 0 }, { [pending]: invalid(state.slots[pending], problemOf(verified)) });
        } else {
          events.push({ kind: 'reverted', slot: pending, version: versionOf(state.slots[pending]), to: state.confirmed });
          state = await this.save(state, { pending: null }, { [pending]: invalid(state.slots[pending], 'trial') });
        }
      }

      const confirmed = state.confirmed;
      const verified = await this.tryVerify(confirmed, state.minSecurityCounter);
      if (!(verified instanceof FirmwareImageError)) return this.started(confirmed, verified, false, events);
      events.push({ kind: 'refused', slot: confirmed, imageCode: verified.code, message: verified.message });
      const other = otherSlot(confirmed);
      const fallback = await this.tryVerify(other, state.minSecurityCounter);
      if (fallback instanceof FirmwareImageError) {
        throw new BootError(
          'noBootableImage',
          `no bootable image: slot ${confirmed} (confirmed): ${verified.message}; slot ${other}: ${fallback.message}`,
          verified.code,
        );
      }
      events.push({ kind: 'fallback', from: confirmed, to: other });
      state = await this.save(
        state,
        {
          confirmed: other,
          pending: null,
          attemptsLeft: 0,
          minSecurityCounter: Math.max(state.minSecurityCounter, fallback.info.securityCounter),
          install: state.install?.slot === other ? null : state.install,
        },
        { [confirmed]: invalid(state.slots[confirmed], problemOf(verified)), [other]: confirmedRecord(fallback) },
      );
      return this.started(other, fallback, false, events);
    });
  }

  /**
   * The running image reports that it is up (called before its health check). For a trial image
   * this spends the attempts left: a reboot before confirm() now reverts. Otherwise nothing.
   */
  markRunning(): Promise<void> {
    return this.queue.run(async () => {
      const running = this.requireBooted();
      const state = this.store.current!;
      if (!running.trial || state.pending !== running.slot || state.attemptsLeft === 0) return;
      await this.store.save({ ...state, attemptsLeft: 0 });
    });
  }

  /**
   * Makes the running trial image the confirmed one (after its health check passed), and raises
   * the anti-rollback minimum to its security counter; an image in the other slot below the new
   * minimum becomes invalid. Confirming an image that is already confirmed does nothing.
   */
  confirm(): Promise<SlotChoice> {
    return this.queue.run(async () => {
      const running = this.requireBooted();
      const state = this.store.current!;
      const choice = { slot: running.slot, version: running.version };
      if (state.confirmed === running.slot) return choice;
      if (state.pending !== running.slot) {
        throw new BootError(
          'nothingToConfirm',
          `slot ${running.slot} (${running.version}) runs, but its trial was rolled back: slot ${state.confirmed} boots next`,
        );
      }
      const min = Math.max(state.minSecurityCounter, running.verified.info.securityCounter);
      const other = otherSlot(running.slot);
      const otherRecord = state.slots[other];
      const stale = otherRecord.state === 'ready' && otherRecord.image !== null && otherRecord.image.securityCounter < min;
      await this.save(
        state,
        { confirmed: running.slot, pending: null, attemptsLeft: 0, minSecurityCounter: min },
        { [running.slot]: confirmedRecord(running.verified), [other]: stale ? invalid(otherRecord, 'securityCounter') : otherRecord },
      );
      running.trial = false;
      return choice;
    });
  }

  /**
   * Marks the verified image in the other slot pending: the next boots try it (trial). The
   * running image must be the confirmed one. Activating again before the reboot does nothing.
   * The image is verified again first; a refusal leaves the boot decision as it was.
   */
  activate(): Promise<SlotChoice> {
    return this.queue.run(async () => {
      const running = this.requireBooted();
      const state = this.store.current!;
      if (state.pending !== null && state.pending !== running.slot) {
        return { slot: state.pending, version: versionOf(state.slots[state.pending]) ?? '?' };
      }
      if (running.slot !== state.confirmed) {
        throw new BootError('nothingToActivate', `slot ${running.slot} (${running.version}) runs on trial: confirm or roll it back (and reboot) first`);
      }
      const target = otherSlot(running.slot);
      const record = state.slots[target];
      if (record.state !== 'ready') {
        throw new BootError(
          'nothingToActivate',
          `slot ${target} is ${record.state}${record.problem ? ` (${record.problem})` : ''}: install an image into it first`,
        );
      }
      const verified = await this.tryVerify(target, state.minSecurityCounter);
      if (verified instanceof FirmwareImageError) {
        await this.save(state, {}, { [target]: invalid(record, problemOf(verified)) });
        throw new BootError('imageRefused', `slot ${target}: image refused (${verified.code}): ${verified.message}`, verified.code, { cause: verified });
      }
      await this.save(state, { pending: target, attemptsLeft: this.trialAttempts }, { [target]: { ...record, image: verified.info } });
      return { slot: target, version: formatVersion(verified.info.version) };
    });
  }

  /**
   * Chooses what boots next, going back:
   * - while a trial is pending or running, cancels it: the confirmed slot boots next (the trial
   *   image stays ready and may be activated again);
   * - otherwise makes the other slot the confirmed one, without a trial. It must hold an image
   *   that was confirmed before (since it was written) and still verifies, security counter
   *   included: going back below the anti-rollback minimum is refused.
   * The running image keeps running until the next boot. Returns the slot that boots next.
   */
  rollback(): Promise<SlotChoice> {
    return this.queue.run(async () => {
      this.requireBooted();
      const state = this.store.current!;
      if (state.pending !== null) {
        await this.save(state, { pending: null, attemptsLeft: 0 }, {});
        return { slot: state.confirmed, version: versionOf(state.slots[state.confirmed]) ?? '?' };
      }
      const target = otherSlot(state.confirmed);
      const record = state.slots[target];
      if (!record.wasConfirmed || record.state !== 'ready') {
        const why = record.state === 'ready' ? 'was never confirmed' : `is ${record.state}${record.problem ? ` (${record.problem})` : ''}`;
        throw new BootError('noRollbackTarget', `nothing to roll back to: slot ${target} ${why}`);
      }
      const verified = await this.tryVerify(target, state.minSecurityCounter);
      if (verified instanceof FirmwareImageError) {
        await this.save(state, {}, { [target]: invalid(record, problemOf(verified)) });
        throw new BootError('noRollbackTarget', `cannot roll back to slot ${target} (${versionOf(record) ?? '?'}): ${verified.message}`, verified.code, {
          cause: verified,
        });
      }
      await this.save(state, { confirmed: target }, { [target]: confirmedRecord(verified) });
      return { slot: target, version: formatVersion(verified.info.version) };
    });
  }

  /** An installer for the slot that may be written now; an older installer stops working. */
  installer(): Installer {
    const slot = this.installTarget();
    if (slot === null) throw new BootError('noInstallTarget', this.installBlocker());
    this.installerGeneration += 1;
    return new Installer(this.installContext(), slot, this.installerGeneration);
  }

  status(): BootStatus {
    return describeStatus(this.store.current, this.running, this.installTarget());
  }

  /** Sector erase counts of the flash, for diagnostics. */
  wear(): Promise<number[]> {
    return this.flash.wear();
  }

  /** The slot neither running nor the fallback: only while the confirmed image runs and nothing is pending. */
  private installTarget(): SlotName | null {
    const state = this.store.current;
    if (!this.running || !state || state.pending !== null || this.running.slot !== state.confirmed) return null;
    return otherSlot(this.running.slot);
  }

  private installBlocker(): string {
    const state = this.store.current;
    if (!this.running || !state) return 'the bootloader has not booted yet';
    if (state.pending !== null && state.pending !== this.running.slot)
      return `slot ${state.pending} is activated for a trial at the next boot: reboot, or roll back, first`;
    if (state.pending !== null) return `slot ${this.running.slot} runs on trial: confirm or roll it back first`;
    return `slot ${state.confirmed} boots next (rolled back): reboot first`;
  }

  private installContext(): InstallContext {
    return {
      flash: this.flash,
      trustedKeys: this.options.trustedKeys,
      store: this.store,
      progress: this.progress,
      region: (slot) => this.region(slot),
      run: (op) => this.queue.run(op),
      checkCurrent: (installer) => {
        if (installer.generation !== this.installerGeneration) throw new BootError('noInstall', 'this installer was replaced by a newer one');
        if (this.installTarget() !== installer.slot)
          throw new BootError('noInstallTarget', `slot ${installer.slot} may no longer be written: ${this.installBlocker()}`);
      },
    };
  }

  private region(slot: SlotName): SlotRegion {
    return this.layout.slots[slot];
  }

  private requireBooted(): Running {
    if (!this.running) throw new BootError('notBooted', 'the bootloader has not booted an image yet');
    return this.running;
  }

  private started(slot: SlotName, verified: VerifiedImage, trial: boolean, events: BootEvent[]): BootResult {
    const version = formatVersion(verified.info.version);
    this.running = { slot, version, trial, verified };
    return { slot, image: verified.image, version, trial, simulate: verified.simulate, events };
  }

  /** The slot's image verified, or the reason it is refused (other failures, of the flash, throw). */
  private async tryVerify(slot: SlotName, minSecurityCounter: number): Promise<VerifiedImage | FirmwareImageError> {
    try {
      return await verifySlot(this.flash, this.region(slot), this.options.trustedKeys, minSecurityCounter);
    } catch (err) {
      if (err instanceof FirmwareImageError) return err;
      throw err;
    }
  }

  private save(state: BootState, change: Partial<BootStateUpdate>, slots: Partial<Record<SlotName, SlotRecord>>): Promise<BootState> {
    return this.store.save({ ...state, ...change, slots: { ...state.slots, ...slots } });
  }
}

const confirmedRecord = (verified: VerifiedImage): SlotRecord => ({ state: 'ready', wasConfirmed: true, problem: null, image: verified.info });

const invalid = (record: SlotRecord, problem: SlotRecord['problem']): SlotRecord => ({ ...record, state: 'invalid', problem });

const versionOf = (record: SlotRecord): string | null => (record.image ? formatVersion(record.image.version) : null);
