/**
 * Client addresses as 32-bit words, the form the flow tables and hashes key on.
 * IPv4 (and IPv4-mapped IPv6, as dual-stack sockets report it) becomes one word; IPv6 four.
 */
export interface ClientWords {
  /** 1 for IPv4, 4 for IPv6. */
  count: 1 | 4;
  words: Uint32Array;
}

const MAPPED_PREFIX = '::ffff:';

export function ipv4Word(text: string): number {
  let word = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return -1;
      word = word * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return (word * 256 + part) >>> 0;
}

/** Parses an address as a socket reports it into `out` (4 words, reused by the caller). */
export function clientWords(text: string, out: Uint32Array): 1 | 4 {
  const v4 = ipv4Word(text.startsWith(MAPPED_PREFIX) ? text.slice(MAPPED_PREFIX.length) : text);
  if (v4 >= 0) {
    out[0] = v4;
    return 1;
  }
  const groups = expandIpv6(text);
  for (let w = 0; w < 4; w++) out[w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return 4;
}

function expandIpv6(text: string): number[] {
  const zone = text.indexOf('%');
  const bare = zone >= 0 ? text.slice(0, zone) : text;
  const [head, tail] = bare.includes('::') ? (bare.split('::', 2) as [string, string]) : [bare, null];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16) & 0xffff));
  const left = parse(head);
  const right = tail === null ? [] : parse(tail);
  const fill = Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0);
  return [...left, ...fill, ...right].slice(0, 8);
}
