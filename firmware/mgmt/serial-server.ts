import { applyPatch, PatchError } from '../../src/protocol/rules/patch.js';
import { sha256 } from '../../src/protocol/digest.js';
import { encodeFrame, FrameDecoder, type RejectedFrame } from '../../src/protocol/serial/frame.js';
import { MIN_MAX_PAYLOAD } from '../../src/protocol/serial/session.js';
import type { ApplianceEventMessage, ConfigSlotName, Frame, ReadObjectName, Request, Response } from '../../src/protocol/serial/messages.js';
import { encodeHistoryList } from '../../src/protocol/serial/payload-config-slots.js';
import type { ConsolePort } from '../ports.js';
import { MgmtError } from './errors.js';
import type { CommitNoteText, ManagementOps } from './management-ops.js';
import { Transfer } from './transfer.js';
import { describeError } from '../../src/protocol/describe-error.js';

/** Limits this appliance grants in `hello`. */
export const SERVER_MAX_PAYLOAD = 4096;
export const SERVER_MAX_WINDOW = 32;
/** Answers kept for repeated requests (retransmissions): comfortably more than a window. */
const CACHE = 64;

/**
 * The serial console's management server. Requests are executed one at a time in arrival order
 * (the agent's fast-retransmit relies on it); each answer is kept by sequence number so a
 * repeated request is answered again without being executed again; a frame that fails its
 * CRC or does not decode is dropped and counted by the decoder, never acted upon.
 */
export class SerialServer {
  private readonly decoder: FrameDecoder;
  private readonly answers = new Map<number, Uint8Array>();
  private readonly running = new Set<number>();
  private queue: Promise<void> = Promise.resolve();
  private sessionId: number | null = null;
  /** Until a hello says otherwise (an agent that reconnected to a restarted box), the protocol's minimum. */
  private maxPayload = MIN_MAX_PAYLOAD;
  private transfer: Transfer | null = null;
  private readonly snapshots = new Map<string, { id: number; bytes: Uint8Array }>();
  /** The session's commitNote, for its next commit or rollback (then forgotten). */
  private note: CommitNoteText | null = null;
  private snapshotSeq = 0;
  private eventSeq = 0;

  constructor(
    private readonly port: ConsolePort,
    private readonly ops: ManagementOps,
  ) {
    this.decoder = new FrameDecoder({ maxPayload: SERVER_MAX_PAYLOAD, onFrame: (f) => this.onFrame(f), onReject: (r) => this.onReject(r) });
    port.onData((bytes) => this.decoder.push(bytes));
  }

  get stats() {
    return this.decoder.stats;
  }

  /** Sends an event to whoever listens on the console; best effort, never acknowledged. */
  notify(event: ApplianceEventMessage): void {
    this.eventSeq = (this.eventSeq + 1) & 0xffff;
    this.port.write(encodeFrame({ seq: this.eventSeq, message: event }));
  }

  private onFrame(frame: Frame): void {
    const message = frame.message;
    if (!isRequest(message)) return; // our own frames echoed back by an unconfigured line
    const cached = this.answers.get(frame.seq);
    if (cached && message.type !== 'hello') {
      this.port.write(cached);
      return;
    }
    if (this.running.has(frame.seq)) return; // still working on the first copy
    this.running.add(frame.seq);
    this.queue = this.queue.then(async () => {
      const response = await this.execute(message);
      let wire: Uint8Array;
      try {
        wire = encodeFrame({ seq: frame.seq, message: response });
      } catch (err) {
        // An answer that cannot be encoded is a bug here, not the agent's: say so instead of dying.
        wire = encodeFrame({ seq: frame.seq, message: { type: 'error', code: 'applyFailed', message: `internal: ${describeError(err)}` } });
      }
      this.running.delete(frame.seq);
      this.remember(frame.seq, wire);
      this.port.write(wire);
    });
  }

  /** A frame with a good CRC that does not decode: tell the agent now rather than let it time out. */
  private onReject(r: RejectedFrame): void {
    if (r.type & 0x80) return; // appliance → agent types: our own frames echoed back
    const code = r.reason === 'unsupportedVersion' || r.unknownType ? 'unsupported' : 'badRequest';
    this.port.write(encodeFrame({ seq: r.seq, message: { type: 'error', code, message: r.detail } }));
  }

  private remember(seq: number, wire: Uint8Array): void {
    this.answers.delete(seq);
    this.answers.set(seq, wire);
    if (this.answers.size > CACHE) this.answers.delete(this.answers.keys().next().value!);
  }

  private async execute(request: Request): Promise<Response> {
    try {
      return await this.handle(request);
    } catch (err) {
      if (err instanceof MgmtError) return { type: 'error', code: err.code, message: err.message };
      return { type: 'error', code: 'applyFailed', message: describeError(err) };
    }
  }

  private async handle(request: Request): Promise<Response> {
    const ops = this.ops;
    switch (request.type) {
      case 'hello':
        if (request.sessionId !== this.sessionId) {
          // A new agent session: sequence numbers start afresh, old answers mean nothing.
          this.sessionId = request.sessionId;
          this.answers.clear();
          this.note = null;
        }
        this.maxPayload = Math.min(request.maxPayload, SERVER_MAX_PAYLOAD);
        return { type: 'helloOk', maxPayload: this.maxPayload, window: Math.max(1, Math.min(request.window, SERVER_MAX_WINDOW)), identity: ops.identity() };
      case 'info':
        return { type: 'infoOk', identity: ops.identity() };
      case 'read':
        return this.read(request.object, request.offset, request.maxBytes);
      case 'readSlot':
        return this.read(slotKey(request.slot, request.index), request.offset, request.maxBytes);
      case 'commitNote':
        this.note = { by: request.by, comment: request.comment };
        return { type: 'commitNoteOk' };
      case 'putBegin':
        this.transfer = new Transfer(request.mode, request.size, request.baseIdPrefix, request.resultIdPrefix, request.commitAfter, request.confirmTimeoutMs);
        return { type: 'putBeginOk' };
      case 'putChunk':
        if (!this.transfer) throw new MgmtError('noTransfer', 'put-chunk without put-begin');
        this.transfer.write(request.offset, request.bytes);
        return { type: 'putChunkOk', offset: request.offset };
      case 'putEnd':
        return this.finishTransfer();
      case 'commit': {
        const r = await ops.commit(request.confirmTimeoutMs, this.takeNote());
        return { type: 'commitOk', configId: r.configId, previousId: r.previousId };
      }
      case 'confirm':
        return { type: 'confirmOk', configId: (await ops.confirm()).configId };
      case 'rollback':
        return { type: 'rollbackOk', configId: (await ops.rollback(request.steps, this.takeNote())).configId };
      case 'groupAction':
        return { type: 'groupActionOk', group: ops.groupAction(request.action) };
      default:
        return this.handleFirmware(request);
    }
  }

  private async handleFirmware(request: Request): Promise<Response> {
    const fw = this.ops.firmware;
    if (!fw) throw new MgmtError('unsupported', 'this appliance has no firmware slots');
    switch (request.type) {
      case 'fwBegin':
        return { type: 'fwBeginOk', resumeOffset: (await fw.begin(request.size, request.sha256)).resumeOffset };
      case 'fwChunk':
        await fw.write(request.offset, request.bytes);
        return { type: 'fwChunkOk', offset: request.offset };
      case 'fwEnd':
        return { type: 'fwEndOk', ...(await fw.finish()) };
      case 'fwActivate':
        return { type: 'fwActivateOk', ...(await fw.activate()) };
      case 'fwConfirm':
        return { type: 'fwConfirmOk', ...(await fw.confirm()) };
      case 'fwRollback':
        return { type: 'fwRollbackOk', ...(await fw.rollback()) };
      case 'fwStatus':
        return { type: 'fwStatusOk', status: fw.status() };
      case 'reboot':
        fw.reboot();
        return { type: 'rebootOk' };
      default:
        throw new MgmtError('unsupported', `${request.type} is not a request`);
    }
  }

  private async finishTransfer(): Promise<Response> {
    const t = this.transfer;
    if (!t) throw new MgmtError('noTransfer', 'put-end without put-begin');
    if (!t.complete) throw new MgmtError('noTransfer', `${t.missingBytes} bytes of the transfer never arrived`);
    this.transfer = null;
    let candidate = t.bytes;
    if (t.mode === 'patch') {
      const running = this.ops.identity().configId;
      if (!startsWith(running, t.baseIdPrefix)) throw new MgmtError('baseMismatch', 'the patch is against a config that is not running');
      try {
        candidate = applyPatch(this.ops.runningEncoding(), t.bytes);
      } catch (err) {
        if (err instanceof PatchError) throw new MgmtError('badRequest', `patch: ${err.message}`);
        throw err;
      }
    }
    if (!startsWith(sha256(candidate), t.resultIdPrefix)) throw new MgmtError('hashMismatch', 'the assembled candidate is not the one announced');
    const candidateId = await this.ops.setCandidate(candidate);
    if (!t.commitAfter) return { type: 'putEndOk', candidateId, committed: false, previousId: this.ops.identity().configId };
    const r = await this.ops.commit(t.confirmTimeoutMs, this.takeNote());
    return { type: 'putEndOk', candidateId, committed: true, previousId: r.previousId };
  }

  private takeNote(): CommitNoteText | undefined {
    const note = this.note;
    this.note = null;
    return note ?? undefined;
  }

  private objectBytes(object: ObjectKey): Uint8Array | null {
    const ops = this.ops;
    if (object === 'running') return ops.runningEncoding();
    if (object === 'counters') return ops.countersEncoding();
    if (object === 'candidate') return ops.candidateEncoding();
    if (object === 'startup') return ops.startupEncoding();
    if (object === 'history') return encodeHistoryList(ops.history());
    return ops.rollbackEncoding(Number(object.slice('rollback '.length)));
  }

  /** Large objects are read in pieces from a snapshot taken when offset 0 is asked for. */
  private read(object: ObjectKey, offset: number, maxBytes: number): Response {
    let snap = this.snapshots.get(object);
    if (offset === 0 || !snap) {
      if (offset !== 0) throw new MgmtError('badRead', `read ${object} must start at offset 0`);
      const bytes = this.objectBytes(object);
      if (!bytes && object.startsWith('rollback'))
        throw new MgmtError('noSuchRollback', `there is no ${object}: the history holds ${this.ops.history().length}`);
      if (!bytes && object === 'candidate') throw new MgmtError('noCandidate', 'there is no candidate config');
      if (!bytes) throw new MgmtError('badRead', `there is no ${object} config`);
      this.snapshotSeq = (this.snapshotSeq + 1) >>> 0;
      snap = { id: this.snapshotSeq, bytes };
      this.snapshots.set(object, snap);
    }
    if (offset > snap.bytes.length) throw new MgmtError('badRead', `offset ${offset} is past the end (${snap.bytes.length} bytes)`);
    const size = Math.max(1, Math.min(maxBytes, this.maxPayload - 16));
    return { type: 'readOk', snapshot: snap.id, total: snap.bytes.length, offset, bytes: snap.bytes.subarray(offset, offset + size) };
  }
}

/** What `read` and `readSlot` fetch, one key per object (rollback N with its number). */
type ObjectKey = ReadObjectName | Exclude<ConfigSlotName, 'rollback'> | `rollback ${number}`;

function slotKey(slot: ConfigSlotName, index: number): ObjectKey {
  return slot === 'rollback' ? `rollback ${index}` : slot;
}

function isRequest(m: Frame['message']): m is Request {
  return [
    'readSlot',
    'commitNote',
    'hello',
    'info',
    'read',
    'putBegin',
    'putChunk',
    'putEnd',
    'commit',
    'confirm',
    'rollback',
    'fwBegin',
    'fwChunk',
    'fwEnd',
    'fwActivate',
    'fwConfirm',
    'fwRollback',
    'fwStatus',
    'reboot',
    'groupAction',
  ].includes(m.type);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
