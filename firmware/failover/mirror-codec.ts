/**
 * Mirrored forwarding state, sent by the active to the standby inside the envelope
 * (envelope.ts), so that a client keeps its backend across a failover:
 *
 *   8 configIdPrefix  u8 count (1..MAX_MIRROR_ENTRIES)  entry × count
 *   entry := u8 kind (1 persistence, 2 udp-session)  u16 service  u8 width (1 IPv4, 4 IPv6)
 *            u32 × width address words  [u16 port: udp-session only]  u16 backend
 *
 * Services and backends are indexes into the rule table whose config id starts with the
 * prefix: a receiver running another config ignores the batch. backend 0xffff is the fallback
 * (a UDP session may be on it; a persistence entry never is). A batch is bounded by count and
 * by the envelope's size, whatever the address widths.
 */
import type { ByteReader, ByteWriter } from '../../src/protocol/bytes/index.js';
import { sealEnvelope, type Header } from './envelope.js';
import { HeartbeatError } from './errors.js';
import { CONFIG_PREFIX_BYTES } from './heartbeat-codec.js';

/** 24 IPv6 sessions (24 bytes each) plus the header fit MAX_MESSAGE_BYTES with room to spare. */
export const MAX_MIRROR_ENTRIES = 48;
export const FALLBACK_BACKEND = 0xffff;

export type MirrorEntry =
  | { kind: 'persistence'; service: number; words: Uint32Array; backend: number }
  | { kind: 'udp-session'; service: number; words: Uint32Array; port: number; backend: number };

export interface MirrorBatch {
  configIdPrefix: Uint8Array;
  entries: MirrorEntry[];
}

const KIND = { persistence: 1, 'udp-session': 2 } as const;

export function encodeMirror(header: Header, batch: MirrorBatch, key: Uint8Array): Uint8Array {
  const n = batch.entries.length;
  if (n < 1 || n > MAX_MIRROR_ENTRIES) throw new RangeError(`a mirror batch holds 1..${MAX_MIRROR_ENTRIES} entries, got ${n}`);
  return sealEnvelope(header, 'mirror', key, (out: ByteWriter) => {
    out.fixed(batch.configIdPrefix, CONFIG_PREFIX_BYTES, 'configIdPrefix');
    out.u8(n, 'count');
    for (const e of batch.entries) {
      if (e.words.length !== 1 && e.words.length !== 4) throw new RangeError(`mirror entry address of ${e.words.length} words`);
      if (e.kind === 'persistence' && e.backend === FALLBACK_BACKEND) throw new RangeError('a persistence entry cannot name the fallback');
      out.u8(KIND[e.kind], 'entry kind');
      out.u16(e.service, 'entry service');
      out.u8(e.words.length, 'entry width');
      for (const w of e.words) out.u32(w, 'entry address word');
      if (e.kind === 'udp-session') out.u16(e.port, 'entry port');
      out.u16(e.backend, 'entry backend');
    }
  });
}

export function decodeMirror(body: ByteReader): MirrorBatch {
  const configIdPrefix = body.bytes(CONFIG_PREFIX_BYTES, 'configIdPrefix');
  const countAt = body.offset;
  const count = body.u8('count');
  if (count < 1 || count > MAX_MIRROR_ENTRIES) throw new HeartbeatError('malformed', `mirror count ${count} is outside 1..${MAX_MIRROR_ENTRIES}`, countAt);
  const entries: MirrorEntry[] = [];
  for (let i = 0; i < count; i++) {
    const kindAt = body.offset;
    const kind = body.u8('entry kind');
    if (kind !== KIND.persistence && kind !== KIND['udp-session']) throw new HeartbeatError('malformed', `unknown mirror entry kind ${kind}`, kindAt);
    const service = body.u16('entry service');
    const widthAt = body.offset;
    const width = body.u8('entry width');
    if (width !== 1 && width !== 4) throw new HeartbeatError('malformed', `address width ${width} (1 or 4)`, widthAt);
    const words = new Uint32Array(width);
    for (let w = 0; w < width; w++) words[w] = body.u32('entry address word');
    if (kind === KIND['udp-session']) {
      const port = body.u16('entry port');
      entries.push({ kind: 'udp-session', service, words, port, backend: body.u16('entry backend') });
    } else {
      const backendAt = body.offset;
      const backend = body.u16('entry backend');
      if (backend === FALLBACK_BACKEND) throw new HeartbeatError('malformed', 'a persistence entry names the fallback', backendAt);
      entries.push({ kind: 'persistence', service, words, backend });
    }
  }
  body.end();
  return { configIdPrefix, entries };
}
