/**
 * A streamed upload of one image into the slot that is neither running nor confirmed.
 *
 *   begin({size, sha256}) → {resumeOffset}   write(offset, bytes)…   finish() → the verified image
 *
 * The agent sends the image in order, from resumeOffset. Bytes it sends again for a range
 * already received (it resent a window after a disconnect, or resumed from an earlier offset)
 * are compared with what the slot holds and skipped; different bytes are refused. Bytes are
 * programmed as soon as they make whole write granules, so what write() accepted is on flash
 * (but for the last granule's worth, which finish() pads).
 *
 * Resuming: begin() persists the upload's size and SHA-256 in the boot state before it erases
 * anything. A later begin() of the same image into the same slot — after a disconnect, an agent
 * restart or a power cut — trusts the slot's bytes only as far as the progress log
 * (progress-log.ts) vouches for them, re-erases what follows, and returns that offset. Any other
 * image starts over.
 *
 * finish() hashes what the slot holds, checks it against the announced SHA-256, then verifies
 * the image (signature by a trusted key, security counter ≥ the minimum, manifest). Only then is
 * the slot "ready"; a refusal marks it "invalid" and touches nothing else.
 */

import { crc32, sha256, toHex } from '../../src/protocol/digest.js';
import { FirmwareImageError, type ParsedImage, type TrustedKey } from '../../src/protocol/image/image.js';
import type { SlotProblem, SlotRecord } from './boot-record.js';
import type { BootStateStore } from './boot-state-store.js';
import { BootError } from './errors.js';
import { roundUp, type FlashPort } from './flash-port.js';
import type { SlotName, SlotRegion } from './layout.js';
import type { ProgressLog } from './progress-log.js';
import { eraseRange, programPadded, sameBytes, verifyBytes } from './slots.js';

export interface InstallSpec {
  /** Bytes of the whole image file. */
  size: number;
  /** SHA-256 of the whole image file: with `size`, what identifies an upload for resuming. */
  sha256: Uint8Array;
}

/** What an installer needs from the bootloader that made it. */
export interface InstallContext {
  readonly flash: FlashPort;
  readonly trustedKeys: readonly TrustedKey[];
  readonly store: BootStateStore;
  readonly progress: ProgressLog;
  region(slot: SlotName): SlotRegion;
  /** Runs an operation after the bootloader's others, one at a time. */
  run<T>(op: () => Promise<T>): Promise<T>;
  /** Throws BootError unless `installer` is the current one and its slot may still be written. */
  checkCurrent(installer: Installer): void;
}

interface Session {
  spec: InstallSpec;
  /** Bytes accepted, from the start of the image. */
  received: number;
  /** Bytes programmed, from the start of the slot: `received` less the tail, or the padded size once complete. */
  flashed: number;
  /** Accepted bytes after `flashed`, short of a whole granule. */
  tail: Uint8Array;
  /** Sectors covered by the newest progress mark. */
  marked: number;
  /** CRC-32 of the image bytes of those sectors. */
  crc: number;
}

export const problemOf = (err: FirmwareImageError): SlotProblem => (err.code === 'securityCounter' ? 'securityCounter' : 'verification');

export class Installer {
  private session: Session | null = null;

  constructor(
    private readonly ctx: InstallContext,
    /** The slot this installer writes. */
    readonly slot: SlotName,
    /** Tells installers apart: only the newest one made by the bootloader may act. */
    readonly generation: number,
  ) {}

  /** Starts (or resumes) an upload; the agent sends from `resumeOffset` on. */
  begin(spec: InstallSpec): Promise<{ resumeOffset: number }> {
    return this.ctx.run(async () => {
      this.ctx.checkCurrent(this);
      this.session = null;
      const region = this.ctx.region(this.slot);
      if (!Number.isInteger(spec.size) || spec.size <= 0 || spec.size > region.size) {
        throw new BootError('badRequest', `an image of ${spec.size} bytes does not fit slot ${this.slot} (1..${region.size} bytes)`);
      }
      if (!(spec.sha256 instanceof Uint8Array) || spec.sha256.length !== 32) {
        throw new BootError(
          'badRequest',
          `the image's SHA-256 must be 32 bytes, got ${spec.sha256 instanceof Uint8Array ? spec.sha256.length : typeof spec.sha256}`,
        );
      }
      const announced: InstallSpec = { size: spec.size, sha256: spec.sha256.slice() };
      const state = this.ctx.store.current!;
      const record = state.slots[this.slot];
      const complete = roundUp(announced.size, this.ctx.flash.geometry.writeSize);
      const sectors = Math.ceil(announced.size / this.ctx.flash.geometry.sectorSize);

      if (record.state === 'ready' && record.image && record.image.size === announced.size && sameBytes(record.image.sha256, announced.sha256)) {
        // The slot already holds this very image, verified: nothing to send.
        this.session = { spec: announced, received: announced.size, flashed: complete, tail: new Uint8Array(0), marked: sectors, crc: 0 };
        return { resumeOffset: announced.size };
      }
      const install = state.install;
      if (install && install.slot === this.slot && install.size === announced.size && sameBytes(install.sha256, announced.sha256)) {
        return { resumeOffset: await this.resume(announced, region) };
      }
      await this.ctx.store.save({
        ...state,
        slots: { ...state.slots, [this.slot]: { state: 'writing', wasConfirmed: false, problem: null, image: null } satisfies SlotRecord },
        install: { slot: this.slot, size: announced.size, sha256: announced.sha256 },
      });
      await this.ctx.progress.clear();
      await eraseRange(this.ctx.flash, region.offset, sectors * this.ctx.flash.geometry.sectorSize);
      this.session = { spec: announced, received: 0, flashed: 0, tail: new Uint8Array(0), marked: 0, crc: 0 };
      return { resumeOffset: 0 };
    });
  }

  /** Bytes `offset`.. of the image; `offset` at most what was received so far. */
  write(offset: number, bytes: Uint8Array): Promise<void> {
    return this.ctx.run(async () => {
      this.ctx.checkCurrent(this);
      const s = this.requireSession();
      const end = offset + bytes.length;
      if (!Number.isInteger(offset) || offset < 0 || end > s.spec.size) {
        throw new BootError('badOffset', `bytes ${offset}..${end - 1} are outside the announced ${s.spec.size}-byte image`);
      }
      if (offset > s.received) {
        throw new BootError('badOffset', `a write at ${offset} would leave a gap: ${s.received} bytes were received, send from there`);
      }
      await this.compareReceived(s, offset, bytes);
      if (end <= s.received) return;
      await this.failsSession(async () => {
        const fresh = bytes.subarray(s.received - offset);
        const pending = new Uint8Array(s.tail.length + fresh.length);
        pending.set(s.tail);
        pending.set(fresh, s.tail.length);
        const whole = pending.length - (pending.length % this.ctx.flash.geometry.writeSize);
        if (whole > 0) await this.ctx.flash.write(this.ctx.region(this.slot).offset + s.flashed, pending.subarray(0, whole));
        s.flashed += whole;
        s.tail = pending.slice(whole);
        s.received = end;
        await this.markCompleted(s);
      });
    });
  }

  /** Checks the whole image in the slot; on success the slot is "ready" to activate. */
  finish(): Promise<ParsedImage> {
    return this.ctx.run(async () => {
      this.ctx.checkCurrent(this);
      const s = this.requireSession();
      if (s.received < s.spec.size) {
        throw new BootError('incomplete', `${s.received} of ${s.spec.size} bytes were received; send the rest from offset ${s.received}`);
      }
      const region = this.ctx.region(this.slot);
      await this.failsSession(async () => {
        if (s.tail.length > 0) {
          await programPadded(this.ctx.flash, region.offset + s.flashed, s.tail);
          s.flashed += roundUp(s.tail.length, this.ctx.flash.geometry.writeSize);
          s.tail = new Uint8Array(0);
        }
        await this.markCompleted(s);
      });
      // Whatever happens now, this upload is over: a retry begins again.
      this.session = null;
      const bytes = await this.ctx.flash.read(region.offset, s.spec.size);
      const state = this.ctx.store.current!;
      const digest = sha256(bytes);
      if (!sameBytes(digest, s.spec.sha256)) {
        await this.refuse('verification');
        throw new BootError(
          'hashMismatch',
          `slot ${this.slot} holds bytes with SHA-256 ${toHex(digest)}, not the announced ${toHex(s.spec.sha256)}: the upload was damaged; begin again`,
        );
      }
      let verified;
      try {
        verified = verifyBytes(bytes, this.ctx.trustedKeys, state.minSecurityCounter);
      } catch (err) {
        if (!(err instanceof FirmwareImageError)) throw err;
        await this.refuse(problemOf(err));
        throw new BootError('imageRefused', `slot ${this.slot}: image refused (${err.code}): ${err.message}`, err.code, { cause: err });
      }
      if (verified.image.size !== s.spec.size) {
        await this.refuse('verification');
        throw new BootError('sizeMismatch', `the image's header declares ${verified.image.size} bytes, ${s.spec.size} were announced: bytes follow the image`);
      }
      const record = state.slots[this.slot];
      const ready: SlotRecord = { state: 'ready', wasConfirmed: false, problem: null, image: verified.info };
      const already = record.state === 'ready' && record.image !== null && sameBytes(record.image.sha256, verified.info.sha256) && state.install === null;
      if (!already) await this.ctx.store.save({ ...state, slots: { ...state.slots, [this.slot]: ready }, install: null });
      return verified.image;
    });
  }

  private requireSession(): Session {
    if (!this.session)
      throw new BootError('noInstall', `no upload in progress into slot ${this.slot}: call begin (it resumes an interrupted upload of the same image)`);
    return this.session;
  }

  /** Runs flash writes of the session; if one fails, the session's idea of the slot is no longer sure. */
  private async failsSession(op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (err) {
      this.session = null;
      throw err;
    }
  }

  /** Refuses bytes that differ from those already received for the same range. */
  private async compareReceived(s: Session, offset: number, bytes: Uint8Array): Promise<void> {
    const overlapEnd = Math.min(offset + bytes.length, s.received);
    if (overlapEnd <= offset) return;
    const onFlashEnd = Math.min(overlapEnd, s.flashed);
    let same = true;
    if (onFlashEnd > offset) {
      const held = await this.ctx.flash.read(this.ctx.region(this.slot).offset + offset, onFlashEnd - offset);
      same = sameBytes(held, bytes.subarray(0, onFlashEnd - offset));
    }
    for (let at = Math.max(offset, s.flashed); same && at < overlapEnd; at++) same = s.tail[at - s.flashed] === bytes[at - offset];
    if (!same) {
      throw new BootError('mismatch', `bytes ${offset}..${overlapEnd - 1} differ from the ones received before for this image (${s.received} bytes received)`);
    }
  }

  /** Appends a progress mark for each sector whose image bytes are now all programmed. */
  private async markCompleted(s: Session): Promise<void> {
    const S = this.ctx.flash.geometry.sectorSize;
    const base = this.ctx.region(this.slot).offset;
    for (;;) {
      const start = s.marked * S;
      const end = Math.min(start + S, s.spec.size);
      if (start >= s.spec.size || end > s.flashed) return;
      const crc = crc32(await this.ctx.flash.read(base + start, end - start), s.crc);
      await this.ctx.progress.append(s.spec.sha256, s.marked, crc);
      s.marked += 1;
      s.crc = crc;
    }
  }

  /** Where an interrupted upload of this image may go on: after the last prefix a mark still vouches for. */
  private async resume(spec: InstallSpec, region: SlotRegion): Promise<number> {
    const { sectorSize: S, writeSize } = this.ctx.flash.geometry;
    const sectors = Math.ceil(spec.size / S);
    const marks = await this.ctx.progress.load(spec.sha256);
    const last = Math.max(-1, ...marks.keys());
    let done = 0;
    let doneCrc = 0;
    let crc = 0;
    for (let i = 0; i <= Math.min(last, sectors - 1); i++) {
      const start = i * S;
      crc = crc32(await this.ctx.flash.read(region.offset + start, Math.min(S, spec.size - start)), crc);
      if (marks.get(i) === crc) {
        done = i + 1;
        doneCrc = crc;
      }
    }
    if (done < sectors) await eraseRange(this.ctx.flash, region.offset + done * S, (sectors - done) * S);
    const received = Math.min(done * S, spec.size);
    const flashed = done === sectors ? roundUp(spec.size, writeSize) : received;
    this.session = { spec, received, flashed, tail: new Uint8Array(0), marked: done, crc: doneCrc };
    return received;
  }

  /** The slot's image is not acceptable: mark it so, and forget the upload (a retry starts over). */
  private async refuse(problem: SlotProblem): Promise<void> {
    const state = this.ctx.store.current!;
    await this.ctx.store.save({
      ...state,
      slots: { ...state.slots, [this.slot]: { state: 'invalid', wasConfirmed: false, problem, image: null } satisfies SlotRecord },
      install: null,
    });
  }
}
