/**
 * 32-bit non-cryptographic hashes for the forwarding path: MurmurHash3 (x86, 32-bit) mixing
 * applied to numbers. A flow is hashed from the integers the packet parser already holds, so
 * the hot path builds no string and no buffer.
 *
 * Word-wise hashing gives the same result as MurmurHash3 over the little-endian bytes of the
 * words, which keeps the functions checkable against published test vectors.
 *
 * Not collision-resistant: a client who knows the seed can aim many flows at one bucket.
 * Callers facing untrusted traffic should seed from a per-boot secret.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** One MurmurHash3 body round: fold the 32-bit block `k` into the running state `h`. */
function mix(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finalizer: every input bit affects every output bit. Returns an unsigned 32-bit value. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hash of an IPv4 5-tuple. Addresses are unsigned 32-bit numbers (see `ipv4ToU32`), ports
 * 0..65535, `proto` the IP protocol number (6 TCP, 17 UDP).
 */
export function hashFlow4(srcIp: number, srcPort: number, dstIp: number, dstPort: number, proto: number, seed = 0): number {
  let h = mix(seed | 0, srcIp);
  h = mix(h, dstIp);
  h = mix(h, ((srcPort & 0xffff) << 16) | (dstPort & 0xffff));
  h = mix(h, proto);
  return fmix32(h ^ 16);
}

/** Hash of a client address alone: Maglev's `source-ip` key, sticky per client. */
export function hashSourceIp4(ip: number, seed = 0): number {
  return fmix32(mix(seed | 0, ip) ^ 4);
}

/** Hash of the first `n` words of `words`, e.g. an IPv6 5-tuple or a flow-table key. */
export function hashWords(words: Uint32Array, n: number, seed = 0): number {
  let h = seed | 0;
  for (let i = 0; i < n; i++) h = mix(h, words[i]!);
  return fmix32(h ^ (n << 2));
}

/**
 * Hash of a string's UTF-16 code units (two per block). For backend keys, not the packet
 * path: Maglev derives each backend's offset and skip from two seeds of this.
 */
export function hashString(text: string, seed = 0): number {
  const length = text.length;
  const pairs = length & ~1;
  let h = seed | 0;
  for (let i = 0; i < pairs; i += 2) {
    h = mix(h, text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
  }
  if (pairs !== length) {
    // MurmurHash3's tail: a partial block is mixed without the final rotate-multiply-add.
    let k = Math.imul(text.charCodeAt(pairs), C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  return fmix32(h ^ (length << 1));
}

/**
 * Parse a dotted-quad IPv4 address into an unsigned 32-bit number, or -1 if `text` is not
 * exactly four decimal parts of 0..255. Leading zeros are refused: `inet_aton` reads them as
 * octal, so "010.0.0.1" would mean different addresses to different tools.
 */
export function ipv4ToU32(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let result = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= length; i++) {
    const c = i < length ? text.charCodeAt(i) : 0x2e; // a virtual '.' closes the last part
    if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 0x2e) {
      if (digits === 0 || ++parts > 4) return -1;
      result = result * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  return parts === 4 ? result : -1;
}
