/**
 * Digests both sides of the wire compute: SHA-256 (config ids, transfer checks; through the
 * CryptoPort) and CRC-32 (frames, journals in flash), plus hex. No Node: the firmware carries this.
 */

import { cryptoPort } from './crypto.js';

/** SHA-256 of some bytes, by the host's CryptoPort. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return cryptoPort().sha256(bytes);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b]!;
  return out;
}

export function fromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new TypeError(`not lower-case hex: ${text.slice(0, 16)}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// The reflected table of polynomial 0xEDB88320, built once.
const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/**
 * CRC-32 (IEEE 802.3, the one of zlib and Ethernet), continuing from `value` like zlib.crc32,
 * so a stream can be checked piece by piece.
 */
export function crc32(bytes: Uint8Array | string, value = 0): number {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
