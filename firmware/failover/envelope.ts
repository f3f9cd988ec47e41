/**
 * The authenticated envelope every failover message travels in, on either link:
 *
 *   u32 magic "FLFO"  u8 version (1)  u8 kind (1 heartbeat, 2 mirror)  u8 link (0 udp, 1 serial)
 *   str8 group  u8 unit  u64 epoch  u32 seq  body (by kind)  32 mac
 *
 * mac = HMAC-SHA256(group key, every byte before it), computed through the CryptoPort. The link
 * is inside the MAC, so a copy moved from one path to the other is refused, and each link keeps
 * its own sequence numbers (the same heartbeat may go out on both). `openEnvelope` checks the
 * structure, the group, the MAC (in constant time) and the link, in that order, and hands back
 * a reader positioned on the body; replay is the caller's last check (message-codec.ts).
 */
import { cryptoPort } from '../../src/protocol/crypto.js';
import { ByteReader, ByteWriter } from '../../src/protocol/bytes/index.js';
import { HeartbeatError } from './errors.js';

export const MAGIC = 0x464c464f;
export const WIRE_VERSION = 1;
export const MAC_BYTES = 32;
/** The largest message a member sends or takes: one UDP datagram without fragmentation on most paths. */
export const MAX_MESSAGE_BYTES = 1400;

export type LinkName = 'udp' | 'serial';
export const LINK_CODE: Record<LinkName, number> = { udp: 0, serial: 1 };
const LINK_BY_CODE: readonly LinkName[] = ['udp', 'serial'];

export type MessageKind = 'heartbeat' | 'mirror';
export const KIND_CODE: Record<MessageKind, number> = { heartbeat: 1, mirror: 2 };
const KIND_BY_CODE: Record<number, MessageKind> = { 1: 'heartbeat', 2: 'mirror' };

export interface Header {
  group: string;
  unit: number;
  /** The sender's boot id: strictly increasing across its boots. */
  epoch: number;
  /** Per link and per boot, strictly increasing from 1. */
  seq: number;
  link: LinkName;
}

export interface Opened {
  header: Header;
  kind: MessageKind;
  body: ByteReader;
}

/** What a receiver expects of every message. */
export interface Expect {
  group: string;
  key: Uint8Array;
  /** The link the bytes arrived on. */
  link: LinkName;
}

/** Writes header, body and MAC. RangeError for a field out of range (a caller's bug). */
export function sealEnvelope(header: Header, kind: MessageKind, key: Uint8Array, writeBody: (out: ByteWriter) => void): Uint8Array {
  const out = new ByteWriter(128);
  out.u32(MAGIC, 'magic');
  out.u8(WIRE_VERSION, 'version');
  out.u8(KIND_CODE[kind], 'kind');
  out.u8(LINK_CODE[header.link], 'link');
  out.str8(header.group, 'group');
  out.u8(header.unit, 'unit');
  out.u64(header.epoch, 'epoch');
  out.u32(header.seq, 'seq');
  writeBody(out);
  const signed = out.written();
  const mac = cryptoPort().hmacSha256(key, signed);
  out.bytes(mac);
  const sealed = out.finish();
  if (sealed.length > MAX_MESSAGE_BYTES) throw new RangeError(`failover message of ${sealed.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  return sealed;
}

/** Equal lengths compared without an early exit, so timing does not tell how much of a forged MAC was right. */
function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function openEnvelope(bytes: Uint8Array, expect: Expect): Opened {
  const fail = (message: string, offset: number) => new HeartbeatError('malformed', message, offset);
  if (bytes.length > MAX_MESSAGE_BYTES) throw fail(`${bytes.length} bytes, more than ${MAX_MESSAGE_BYTES}`, MAX_MESSAGE_BYTES);
  if (bytes.length < MAC_BYTES + 4) throw fail(`${bytes.length} bytes, too short for a failover message`, 0);
  const signedLength = bytes.length - MAC_BYTES;
  const input = new ByteReader(bytes.subarray(0, signedLength), fail);
  if (input.u32('magic') !== MAGIC) throw fail('not a failover message (magic)', 0);
  const version = input.u8('version');
  if (version !== WIRE_VERSION) throw fail(`version ${version}, this member speaks ${WIRE_VERSION}`, 4);
  const kindAt = input.offset;
  const kind = KIND_BY_CODE[input.u8('kind')];
  if (kind === undefined) throw fail('unknown message kind', kindAt);
  const linkAt = input.offset;
  const link = LINK_BY_CODE[input.u8('link')];
  if (link === undefined) throw fail('unknown link code', linkAt);
  const groupAt = input.offset;
  const group = input.str8('group');
  const unit = input.u8('unit');
  const epoch = input.u64('epoch');
  const seq = input.u32('seq');
  if (group !== expect.group) throw new HeartbeatError('wrongGroup', `group "${group}", this member is in "${expect.group}"`, groupAt);
  const mac = cryptoPort().hmacSha256(expect.key, bytes.subarray(0, signedLength));
  if (!macEquals(mac, bytes.subarray(signedLength)))
    throw new HeartbeatError('badMac', `from unit ${unit}: the MAC does not match the group key`, signedLength);
  if (link !== expect.link) throw new HeartbeatError('wrongLink', `sent on the ${link} link, received on ${expect.link}`, linkAt);
  if (unit === 0) throw fail('unit 0', groupAt);
  return { header: { group, unit, epoch, seq, link }, kind, body: input };
}
