/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999).
 *
 * Why COBS on the console line: after encoding, 0x00 never occurs inside a frame, so 0x00 can
 * delimit frames and a receiver that lost sync (line noise, a reboot mid-frame) is back in step
 * at the very next 0x00. Unlike SLIP or HDLC escaping, the cost is bounded whatever the data:
 * at most one byte per 254 (a firmware image full of 0xC0 or 0x7E costs nothing extra).
 *
 * The encoding is a sequence of blocks. A block is a code byte c (1..255) followed by c − 1
 * non-zero data bytes; a block with c < 255 that is not the last stands for its data followed by
 * one 0x00, a block with c = 255 for its 254 data bytes alone. As in the usual variant, no block
 * is started after a full 255-block that ends the input, so 254 non-zero bytes cost one byte.
 *
 *   []            → 01
 *   [00]          → 01 01
 *   [11 22 00 33] → 03 11 22 02 33
 *
 * Encoded length: n + max(1, ⌈n / 254⌉) at most.
 */
import { BytesError } from '../bytes/index.js';

/** Bytes that are not a COBS encoding. `offset` is where the decoder found out. */
export class CobsError extends BytesError {
  override readonly name = 'CobsError';
}

/** Data bytes a 0xFF block carries. */
const FULL_BLOCK = 254;

/** The longest encoding of `length` bytes (what a receive buffer must hold). */
export function cobsMaxEncodedLength(length: number): number {
  return length + Math.max(1, Math.ceil(length / FULL_BLOCK));
}

export function cobsEncode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(input.length));
  let codeAt = 0;
  let code = 1;
  let o = 1;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
      continue;
    }
    out[o++] = byte;
    code++;
    // A full block carries no implied zero; open the next one only if there is more to carry.
    if (code === 0xff && i + 1 < input.length) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    }
  }
  out[codeAt] = code;
  return out.slice(0, o);
}

/**
 * The bytes `encoded` stands for (without its 0x00 delimiter). Throws CobsError on anything
 * `cobsEncode` would not have produced: empty input, a 0x00 inside, a block running past the
 * end, or the one redundant spelling (an empty last block right after a full one), so a decoded
 * frame always re-encodes to the bytes that carried it.
 */
export function cobsDecode(encoded: Uint8Array): Uint8Array {
  if (encoded.length === 0) throw new CobsError('empty input (the shortest encoding is 01)', 0);
  const out = new Uint8Array(encoded.length);
  let o = 0;
  let i = 0;
  let afterFull = false;
  while (i < encoded.length) {
    const code = encoded[i]!;
    if (code === 0) throw new CobsError('0x00 inside an encoding', i);
    const end = i + code;
    if (end > encoded.length) {
      throw new CobsError(`block of ${code - 1} data byte(s) runs past the end (${encoded.length - i - 1} left)`, i);
    }
    for (let j = i + 1; j < end; j++) {
      const byte = encoded[j]!;
      if (byte === 0) throw new CobsError('0x00 inside an encoding', j);
      out[o++] = byte;
    }
    const last = end === encoded.length;
    if (last && code === 1 && afterFull) throw new CobsError('redundant empty block after a full block', i);
    if (!last && code !== 0xff) out[o++] = 0;
    afterFull = code === 0xff;
    i = end;
  }
  return out.slice(0, o);
}
