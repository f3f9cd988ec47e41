import { createHash } from 'node:crypto';

/** SHA-256 of some bytes: config ids and transfer checks on both sides of the wire. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

export function fromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(text)) throw new TypeError(`not lower-case hex: ${text.slice(0, 16)}`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** CRC-32 (IEEE 802.3, the one of zlib and Ethernet): frames on the wire, journals in flash. */
export { crc32 } from 'node:zlib';
