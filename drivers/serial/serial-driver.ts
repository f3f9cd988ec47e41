import { createHash } from 'node:crypto';
import type { CountersSnapshot } from '../../src/protocol/counters.js';
import { decodeCounters } from '../../src/protocol/counters.js';
import { computePatch } from '../../src/protocol/rules/patch.js';
import type { Identity, Request, Response } from '../../src/protocol/serial/messages.js';
import { decodeHistoryList } from '../../src/protocol/serial/payload-config-slots.js';
import {
  DriverError,
  type ApplianceDriver,
  type ApplianceEvent,
  type ApplianceInfo,
  type CommitNoteText,
  type ConfigSlotChoice,
  type ConfigSlotsDriver,
  type HistorySlot,
  type FirmwareDriver,
  type FirmwareUpload,
  type GroupAction,
  type GroupControl,
  type PushOptions,
  type PushResult,
} from '../driver.js';
import { FirmwareChannel, expect } from './firmware-channel.js';
import type { FirmwareStatus } from '../../src/protocol/serial/messages.js';
import { openSerialLink, reopener } from './port-link.js';
import { parseSerialTarget } from './target.js';
import { SerialTransport, type ByteLink } from './transport.js';
import { sendChunks } from './chunk-sender.js';
import { PUT_CHUNK_HEADER_BYTES } from '../../src/protocol/serial/payload.js';
import { fromHex, toHex } from '../../src/protocol/digest.js';

/** What the agent asks for; the appliance may grant less. */
const WANT_PAYLOAD = 4096;
const WANT_WINDOW = 8;
/** How long a vanished device is waited for before the operation fails. */
const RECONNECT_FOR_MS = 15_000;
/** Whole-push attempts when the appliance lost the transfer (it restarted mid-push). */
const PUSH_ATTEMPTS = 3;

/**
 * An appliance behind its serial console port. It asks for 4 KiB payloads, which bring
 * framing overhead down to 0.4% on a clean line; on a noisy one the chunk sender shrinks its
 * pieces to what the observed error rate favours.
 */
export class SerialDriver implements ApplianceDriver, FirmwareDriver, GroupControl, ConfigSlotsDriver {
  private maxPayload = WANT_PAYLOAD;
  private readonly firmware: FirmwareChannel;
  /** Operations since the handshake: a push's byte count includes the handshake only if it came first. */
  private requestsSinceHello = 0;
  private window = 1;
  private identity: Identity | null = null;

  private constructor(
    readonly target: string,
    private readonly transport: SerialTransport,
  ) {
    this.firmware = new FirmwareChannel(transport, () => ({ maxPayload: this.maxPayload, window: this.window }));
  }

  /** `reconnectForMs`: how long a vanished device is waited for (default 15 s). */
  static async connect(target: string, options: { reconnectForMs?: number } = {}): Promise<SerialDriver> {
    const { path, baud } = parseSerialTarget(target);
    let link;
    try {
      link = await openSerialLink(path, baud);
    } catch (err) {
      throw new DriverError('unreachable', `${target}: cannot open ${path}: ${(err as Error).message}`);
    }
    const reconnectForMs = options.reconnectForMs ?? RECONNECT_FOR_MS;
    return SerialDriver.overLink(target, link, { baud, where: path, reconnect: reopener(path, baud, reconnectForMs), reconnectForMs });
  }

  /**
   * The driver over a console line opened elsewhere (a console server's TCP port): `where` names
   * it in messages, `reconnect` reopens it when it goes away (none: the driver fails instead).
   */
  static async overLink(
    target: string,
    link: ByteLink,
    line: { baud: number; where: string; reconnect?: () => Promise<ByteLink>; reconnectForMs?: number },
  ): Promise<SerialDriver> {
    let driver: SerialDriver | null = null;
    const transport = new SerialTransport(link, {
      baud: line.baud,
      window: 1,
      maxPayload: WANT_PAYLOAD,
      reconnect: line.reconnect,
      reconnectForMs: line.reconnectForMs ?? RECONNECT_FOR_MS,
      verifyPeer: { request: () => driver!.helloRequest(), judge: (r) => driver!.samePeer(r, line.where) },
    });
    driver = new SerialDriver(target, transport);
    try {
      await driver.hello();
    } catch (err) {
      await transport.close();
      throw err;
    }
    return driver;
  }

  /** Bytes this connection has written to the line so far, handshake included. */
  get bytesWritten(): number {
    return this.transport.bytesWritten;
  }

  get stats() {
    return { bytesWritten: this.transport.bytesWritten, retransmissions: this.transport.retransmissions, ...this.transport.decoderStats };
  }

  private readonly sessionId = (Math.random() * 2 ** 32) >>> 0;

  /** The handshake; the same session id after a reconnect lets the appliance answer repeats from its cache. */
  private helloRequest(): Request {
    return { type: 'hello', maxPayload: WANT_PAYLOAD, window: WANT_WINDOW, sessionId: this.sessionId };
  }

  /** After a reconnect: is it the appliance this driver was talking to? null if so, else why not. */
  private samePeer(r: Response, path: string): string | null {
    if (r.type !== 'helloOk') return `unexpected answer ${r.type} to the handshake`;
    const was = this.identity?.serialNumber;
    if (was !== undefined && r.identity.serialNumber !== was)
      return `a different appliance (serial number ${r.identity.serialNumber}) answers on ${path}, not ${was}`;
    return null;
  }

  private async hello(): Promise<void> {
    const r = expect(await this.transport.request(this.helloRequest()), 'helloOk');
    this.maxPayload = r.maxPayload;
    this.identity = r.identity;
    this.window = r.window;
    this.transport.setWindow(r.window);
  }

  async info(): Promise<ApplianceInfo> {
    this.requestsSinceHello++;
    const r = expect(await this.transport.request({ type: 'info' }), 'infoOk');
    this.identity = r.identity;
    return toInfo(r.identity);
  }

  readRunning(): Promise<Uint8Array> {
    return this.read('running', (offset, maxBytes) => ({ type: 'read', object: 'running', offset, maxBytes }));
  }

  async counters(): Promise<CountersSnapshot> {
    return decodeCounters(await this.read('counters', (offset, maxBytes) => ({ type: 'read', object: 'counters', offset, maxBytes })));
  }

  readSlot(choice: ConfigSlotChoice): Promise<Uint8Array> {
    const index = choice.slot === 'rollback' ? choice.steps : 0;
    const what = choice.slot === 'rollback' ? `rollback ${index}` : `the ${choice.slot} config`;
    return slotsSupported(
      what,
      this.read(what, (offset, maxBytes) => ({ type: 'readSlot', slot: choice.slot, index, offset, maxBytes })),
    );
  }

  async history(): Promise<HistorySlot[]> {
    const bytes = await slotsSupported(
      'the history',
      this.read('the history', (offset, maxBytes) => ({ type: 'readSlot', slot: 'history', index: 0, offset, maxBytes })),
    );
    return decodeHistoryList(bytes).map((e, i) => ({ steps: i + 1, configId: toHex(e.configId), at: e.at === 0 ? null : e.at, by: e.by, comment: e.comment }));
  }

  /** Leaves the note with the appliance for this session's next commit; an appliance too old for notes commits without one. */
  private async sendNote(note: CommitNoteText | undefined): Promise<void> {
    if (note === undefined) return;
    const r = await this.transport.request({ type: 'commitNote', by: clip(note.by), comment: clip(note.comment) });
    if (r.type === 'error' && r.code === 'unsupported') return;
    expect(r, 'commitNoteOk');
  }

  async push(encoding: Uint8Array, options: PushOptions): Promise<PushResult> {
    const started = performance.now();
    // A push that is the connection's first act is charged for the handshake too.
    const bytesBefore = this.requestsSinceHello === 0 ? 0 : this.transport.bytesWritten;
    const bytes = () => this.transport.bytesWritten - bytesBefore;
    this.requestsSinceHello++;
    const resultId = createHash('sha256').update(encoding).digest();
    await this.sendNote(options.note);
    let lastError: unknown;
    for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
      const running = attempt === 1 && this.identity ? toHex(this.identity.configId) : (await this.info()).configId;
      if (running === toHex(resultId) && attempt > 1) {
        // An earlier attempt committed before the answer was lost.
        return { configId: running, previousConfigId: running, mode: 'full', bytes: bytes(), seconds: (performance.now() - started) / 1000 };
      }
      const base = options.baseFor?.(running) ?? null;
      const patch = base ? computePatch(base, encoding) : null;
      const delta = patch !== null && patch.length < encoding.length;
      const body = delta ? patch : encoding;
      try {
        const done = await this.transfer(body, delta, fromHex(running), resultId, options);
        return {
          configId: toHex(done.candidateId),
          previousConfigId: toHex(done.previousId),
          mode: delta ? 'delta' : 'full',
          bytes: bytes(),
          seconds: (performance.now() - started) / 1000,
        };
      } catch (err) {
        lastError = err;
        // The appliance forgot the transfer (restarted) or the base moved: start over from what it runs.
        if (!(err instanceof DriverError) || !['noTransfer', 'baseMismatch'].includes(err.remote ?? '')) throw err;
      }
    }
    throw lastError;
  }

  private async transfer(body: Uint8Array, delta: boolean, runningId: Uint8Array, resultId: Uint8Array, options: PushOptions) {
    const begin: Request = {
      type: 'putBegin',
      mode: delta ? 'patch' : 'full',
      size: body.length,
      baseIdPrefix: runningId.subarray(0, 8),
      resultIdPrefix: resultId.subarray(0, 8),
      commitAfter: true,
      confirmTimeoutMs: options.confirmTimeoutMs,
    };
    expect(await this.transport.request(begin), 'putBeginOk');
    await sendChunks(
      this.transport,
      body,
      { maxChunk: this.maxPayload - PUT_CHUNK_HEADER_BYTES, window: this.window, onProgress: options.onProgress },
      (r) => void expect(r, 'putChunkOk'),
    );
    const end = expect(await this.transport.request({ type: 'putEnd' }), 'putEndOk');
    if (toHex(end.candidateId) !== toHex(resultId))
      throw new DriverError('refused', `the appliance assembled ${toHex(end.candidateId)}, not ${toHex(resultId)}`, 'hashMismatch');
    if (this.identity) this.identity = { ...this.identity, configId: end.candidateId };
    return end;
  }

  async confirm(): Promise<{ configId: string }> {
    this.requestsSinceHello++;
    const r = expect(await this.transport.request({ type: 'confirm' }), 'confirmOk');
    return { configId: toHex(r.configId) };
  }

  async rollback(steps: number, note?: CommitNoteText): Promise<{ configId: string }> {
    this.requestsSinceHello++;
    await this.sendNote(note);
    const r = expect(await this.transport.request({ type: 'rollback', steps }), 'rollbackOk');
    return { configId: toHex(r.configId) };
  }

  async groupAction(action: GroupAction): Promise<NonNullable<ApplianceInfo['group']>> {
    this.requestsSinceHello++;
    const r = expect(await this.transport.request({ type: 'groupAction', action }), 'groupActionOk');
    if (this.identity) this.identity = { ...this.identity, group: r.group };
    return { ...r.group };
  }

  firmwareStatus(): Promise<FirmwareStatus> {
    this.requestsSinceHello++;
    return this.firmware.status();
  }

  uploadFirmware(image: Uint8Array, options: { onProgress?: (sent: number, total: number) => void } = {}): Promise<FirmwareUpload> {
    this.requestsSinceHello++;
    return this.firmware.upload(image, options.onProgress);
  }

  activateFirmware() {
    return this.firmware.activate();
  }

  confirmFirmware() {
    return this.firmware.confirm();
  }

  rollbackFirmware() {
    return this.firmware.rollback();
  }

  /**
   * The appliance answers, then restarts: its console goes quiet for the boot. The handshake is
   * repeated until it answers again as the same appliance (its serial number), with a fresh
   * uptime, or `timeoutMs` runs out.
   */
  async rebootAndWait(timeoutMs: number): Promise<void> {
    const before = this.identity?.serialNumber;
    await this.firmware.reboot();
    const deadline = performance.now() + timeoutMs;
    let last: unknown = null;
    // The box needs a moment to go down: a handshake answered before that is the old boot's.
    await new Promise((r) => setTimeout(r, 500));
    while (performance.now() < deadline) {
      try {
        await this.hello();
        if (before !== undefined && this.identity?.serialNumber !== before)
          throw new DriverError('refused', `a different appliance (${this.identity?.serialNumber}) answers after the reboot`);
        return;
      } catch (err) {
        if (err instanceof DriverError && err.code === 'refused') throw err;
        last = err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new DriverError(
      'unreachable',
      `the appliance did not come back within ${Math.round(timeoutMs / 1000)} s of the reboot${last instanceof Error ? ` (${last.message})` : ''}`,
    );
  }

  onEvent(listener: (e: ApplianceEvent) => void): () => void {
    return this.transport.onEvent((m) => {
      if (m.kind === 'backend-state') listener({ kind: m.kind, at: m.at, service: m.service, address: m.address, up: m.up });
      else if (m.kind === 'commit') listener({ kind: m.kind, at: m.at, configId: toHex(m.configId), pendingConfirm: m.pendingConfirm });
      else listener({ kind: m.kind, at: m.at, configId: toHex(m.configId), reason: m.reason });
    });
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  /** Reads a whole object: the first piece fixes the snapshot, the rest are fetched in parallel up to the window. */
  private async read(object: string, request: (offset: number, maxBytes: number) => Request): Promise<Uint8Array> {
    this.requestsSinceHello++;
    // Pieces of 1 KiB keep answers within what the retransmission timer allows for.
    const maxBytes = Math.min(1_000, this.maxPayload - 16);
    for (let attempt = 0; attempt < 3; attempt++) {
      const first = expect(await this.transport.request(request(0, maxBytes)), 'readOk');
      const out = new Uint8Array(first.total);
      out.set(first.bytes, 0);
      // The appliance's pieces are as large as it allows: step by what the first one held.
      const step = first.bytes.length;
      if (step === 0 && first.total > 0) throw new DriverError('refused', `the appliance sent an empty piece of ${object}`);
      const rest: Promise<boolean>[] = [];
      for (let offset = step; offset < first.total; offset += step) {
        rest.push(
          this.transport.request(request(offset, step)).then((r) => {
            if (r.type === 'error' && r.code === 'badRead') return false;
            const piece = expect(r, 'readOk');
            if (piece.snapshot !== first.snapshot || piece.bytes.length !== Math.min(step, first.total - offset)) return false;
            out.set(piece.bytes, offset);
            return true;
          }),
        );
      }
      // A piece from another snapshot means the object changed while being read: read again.
      if ((await Promise.all(rest)).every(Boolean)) return out;
    }
    throw new DriverError('unreachable', `${object} kept changing while being read`);
  }
}

/** An appliance that predates readSlot answers `unsupported`: say what that means. */
async function slotsSupported(what: string, reading: Promise<Uint8Array>): Promise<Uint8Array> {
  try {
    return await reading;
  } catch (err) {
    if (err instanceof DriverError && err.remote === 'unsupported')
      throw new DriverError('refused', `reading ${what} is unsupported by this appliance's firmware (it reads only the running table)`, 'unsupported');
    throw err;
  }
}

/** Notes travel as str8: at most 255 bytes, cut at a character boundary. */
function clip(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= 255) return text;
  let end = 255;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

function toInfo(id: Identity): ApplianceInfo {
  return {
    model: id.model,
    serialNumber: id.serialNumber,
    firmware: id.firmware,
    configId: toHex(id.configId),
    uptimeSeconds: id.uptimeSeconds,
    pendingConfirm: id.pendingConfirmMs > 0 ? Math.ceil(id.pendingConfirmMs / 1000) : null,
    ...(id.group ? { group: { ...id.group } } : {}),
  };
}
