/**
 * Independent decoders for the tests: a generic protobuf reader (any field order, unknown
 * fields skipped, as Prometheus' parser does) turned into WriteRequest, and a snappy block
 * decoder written from the format description — so neither the encoder nor snappyjs checks itself.
 */
import type { TimeSeries } from '../../../../src/poller/remote-write/write-request.js';

interface Field {
  field: number;
  wire: number;
  /** varint (as bigint), fixed64 (8 bytes), or length-delimited bytes. */
  varint?: bigint;
  bytes?: Uint8Array;
}

function readVarint(b: Uint8Array, pos: { at: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.at >= b.length) throw new Error('truncated varint');
    const byte = b[pos.at++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7n;
    if (shift > 63n) throw new Error('varint too long');
  }
}

function fields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  const pos = { at: 0 };
  while (pos.at < b.length) {
    const key = Number(readVarint(b, pos));
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, varint: readVarint(b, pos) });
    else if (wire === 1) {
      if (pos.at + 8 > b.length) throw new Error('truncated fixed64');
      out.push({ field, wire, bytes: b.subarray(pos.at, pos.at + 8) });
      pos.at += 8;
    } else if (wire === 2) {
      const len = Number(readVarint(b, pos));
      if (pos.at + len > b.length) throw new Error('truncated length-delimited field');
      out.push({ field, wire, bytes: b.subarray(pos.at, pos.at + len) });
      pos.at += len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

const text = new TextDecoder('utf-8', { fatal: true });

export function decodeWriteRequest(b: Uint8Array): TimeSeries[] {
  return fields(b)
    .filter((f) => f.field === 1 && f.wire === 2)
    .map((ts) => {
      const labels: { name: string; value: string }[] = [];
      const samples: { value: number; timestamp: number }[] = [];
      for (const f of fields(ts.bytes!)) {
        if (f.field === 1 && f.wire === 2) {
          let name = '';
          let value = '';
          for (const lf of fields(f.bytes!)) {
            if (lf.field === 1) name = text.decode(lf.bytes!);
            if (lf.field === 2) value = text.decode(lf.bytes!);
          }
          labels.push({ name, value });
        } else if (f.field === 2 && f.wire === 2) {
          let value = 0;
          let timestamp = 0;
          for (const sf of fields(f.bytes!)) {
            if (sf.field === 1 && sf.wire === 1) value = new DataView(sf.bytes!.buffer, sf.bytes!.byteOffset, 8).getFloat64(0, true);
            if (sf.field === 2 && sf.wire === 0) timestamp = Number(BigInt.asIntN(64, sf.varint!));
          }
          samples.push({ value, timestamp });
        }
      }
      return { labels, samples };
    });
}

/** Snappy block format: varint length, then elements — literal (tag 00), copy with 1-, 2- or 4-byte offset (01, 10, 11). */
export function decodeSnappyBlock(b: Uint8Array): Uint8Array {
  const pos = { at: 0 };
  const length = Number(readVarint(b, pos));
  const out = new Uint8Array(length);
  let o = 0;
  while (pos.at < b.length) {
    const tag = b[pos.at++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >> 2;
      if (len >= 60) {
        const extra = len - 59;
        len = 0;
        for (let i = 0; i < extra; i++) len |= b[pos.at++]! << (8 * i);
      }
      len += 1;
      if (pos.at + len > b.length || o + len > length) throw new Error('literal past the end');
      out.set(b.subarray(pos.at, pos.at + len), o);
      pos.at += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      len = 4 + ((tag >> 2) & 7);
      offset = ((tag >> 5) << 8) | b[pos.at++]!;
    } else if (kind === 2) {
      len = 1 + (tag >> 2);
      offset = b[pos.at]! | (b[pos.at + 1]! << 8);
      pos.at += 2;
    } else {
      len = 1 + (tag >> 2);
      offset = (b[pos.at]! | (b[pos.at + 1]! << 8) | (b[pos.at + 2]! << 16) | (b[pos.at + 3]! << 24)) >>> 0;
      pos.at += 4;
    }
    if (offset === 0 || offset > o || o + len > length) throw new Error('bad copy');
    // Byte by byte: a copy may overlap what it writes (offset < length repeats a pattern).
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset]!;
  }
  if (o !== length) throw new Error(`decoded ${o} bytes, header said ${length}`);
  return out;
}
