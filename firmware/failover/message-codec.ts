/**
 * Decodes one failover message as a member receives it: the envelope (structure, group, MAC,
 * link), this member's own unit refused, the body by kind, and last the replay check, which is
 * committed only for a message accepted whole. Everything refused is a HeartbeatError with
 * its code; nothing here throws anything else for any input bytes.
 */
import { BytesError } from '../../src/protocol/bytes/index.js';
import { openEnvelope, type Expect, type Header } from './envelope.js';
import { HeartbeatError } from './errors.js';
import { decodeHeartbeat, type Heartbeat } from './heartbeat-codec.js';
import { decodeMirror, type MirrorBatch } from './mirror-codec.js';
import type { ReplayGuard } from './replay-guard.js';

export type FailoverMessage = { kind: 'heartbeat'; header: Header; heartbeat: Heartbeat } | { kind: 'mirror'; header: Header; mirror: MirrorBatch };

export interface Receiver extends Expect {
  /** The receiving member's unit: its own messages coming back are refused. */
  ownUnit: number;
  guard: ReplayGuard;
}

export function decodeMessage(bytes: Uint8Array, receiver: Receiver): FailoverMessage {
  let message: FailoverMessage;
  try {
    const { header, kind, body } = openEnvelope(bytes, receiver);
    if (header.unit === receiver.ownUnit) throw new HeartbeatError('ownUnit', `unit ${header.unit} is this member's own`);
    message = kind === 'heartbeat' ? { kind, header, heartbeat: decodeHeartbeat(body) } : { kind, header, mirror: decodeMirror(body) };
  } catch (err) {
    if (err instanceof HeartbeatError) throw err;
    // The byte reader's own checks (bad UTF-8 in the group name…) arrive as its error type.
    if (err instanceof BytesError) throw new HeartbeatError('malformed', err.message, err.offset);
    throw err;
  }
  const { unit, link, epoch, seq } = message.header;
  if (!receiver.guard.isNew(unit, link, epoch, seq)) {
    const last = receiver.guard.last(unit, link)!;
    throw new HeartbeatError('replay', `unit ${unit} on ${link}: epoch ${epoch} seq ${seq} is not above epoch ${last.epoch} seq ${last.seq}`);
  }
  receiver.guard.commit(unit, link, epoch, seq);
  return message;
}
