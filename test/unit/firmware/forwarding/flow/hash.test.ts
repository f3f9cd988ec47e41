import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmix32, hashFlow4, hashSourceIp4, hashString, hashWords, ipv4ToU32 } from '../../../../../firmware/forwarding/flow/hash.js';

/** MurmurHash3 x86_32 over bytes, written from the specification as an independent reference. */
function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  let h = seed >>> 0;
  const blocks = bytes.length >> 2;
  for (let i = 0; i < blocks; i++) {
    const j = i * 4;
    let k = bytes[j]! | (bytes[j + 1]! << 8) | (bytes[j + 2]! << 16) | (bytes[j + 3]! << 24);
    k = Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
    h = (Math.imul(rotl(h ^ k, 13), 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  if (tail < bytes.length) {
    let k = 0;
    for (let i = bytes.length - 1; i >= tail; i--) k = (k << 8) | bytes[i]!;
    h ^= Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const wordsLE = (words: number[]) => new Uint8Array(Uint32Array.from(words).buffer);
// By code unit: Array.from(string) would iterate code points and merge surrogate pairs.
const utf16LE = (s: string) => new Uint8Array(Uint16Array.from({ length: s.length }, (_, i) => s.charCodeAt(i)).buffer);

describe('MurmurHash3 reference', () => {
  it('matches published test vectors', () => {
    expect(murmur3Bytes(ascii(''), 0)).toBe(0);
    expect(murmur3Bytes(ascii(''), 1)).toBe(0x514e28b7);
    expect(murmur3Bytes(ascii('test'), 0)).toBe(0xba6bd213);
    expect(murmur3Bytes(new Uint8Array(4), 0)).toBe(0x2362f9de);
    expect(murmur3Bytes(ascii('aaaa'), 0x9747b28c)).toBe(0x5a97808a);
    expect(murmur3Bytes(ascii('Hello, world!'), 0x9747b28c)).toBe(0x24884cba);
  });
});

describe('hashWords', () => {
  it('is MurmurHash3 of the words in little-endian order', () => {
    expect(hashWords(Uint32Array.of(0x74736574), 1)).toBe(0xba6bd213); // "test"
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 12 }), fc.nat({ max: 0xffffffff }), (words, seed) => {
        expect(hashWords(Uint32Array.from(words), words.length, seed)).toBe(murmur3Bytes(wordsLE(words), seed));
      }),
    );
  });

  it('hashes only the first n words', () => {
    expect(hashWords(Uint32Array.of(1, 2, 3), 2)).toBe(hashWords(Uint32Array.of(1, 2, 99), 2));
    expect(hashWords(Uint32Array.of(1, 2, 3), 3)).not.toBe(hashWords(Uint32Array.of(1, 2, 99), 3));
  });
});

describe('hashFlow4 and hashSourceIp4', () => {
  it('equal hashWords over [src, dst, sport:dport, proto] and [ip]', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffff }),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffff }),
        fc.constantFrom(6, 17),
        fc.nat({ max: 0xffffffff }),
        (src, sport, dst, dport, proto, seed) => {
          const words = Uint32Array.of(src, dst, ((sport << 16) | dport) >>> 0, proto);
          expect(hashFlow4(src, sport, dst, dport, proto, seed)).toBe(hashWords(words, 4, seed));
          expect(hashSourceIp4(src, seed)).toBe(hashWords(Uint32Array.of(src), 1, seed));
        },
      ),
    );
  });

  it('changes when any field changes, including swapping source and destination', () => {
    const base = hashFlow4(0x0a000001, 40000, 0xc0000201, 443, 6);
    expect(hashFlow4(0x0a000002, 40000, 0xc0000201, 443, 6)).not.toBe(base);
    expect(hashFlow4(0x0a000001, 40001, 0xc0000201, 443, 6)).not.toBe(base);
    expect(hashFlow4(0x0a000001, 40000, 0xc0000202, 443, 6)).not.toBe(base);
    expect(hashFlow4(0x0a000001, 40000, 0xc0000201, 444, 6)).not.toBe(base);
    expect(hashFlow4(0x0a000001, 40000, 0xc0000201, 443, 17)).not.toBe(base);
    expect(hashFlow4(0xc0000201, 443, 0x0a000001, 40000, 6)).not.toBe(base);
    expect(hashFlow4(0x0a000001, 40000, 0xc0000201, 443, 6, 1)).not.toBe(base);
  });

  it('spreads sequential clients evenly over buckets', () => {
    const buckets = new Array<number>(64).fill(0);
    for (let i = 0; i < 65_536; i++) buckets[hashFlow4(0x0a000000 + i, 50_000, 0xc0000201, 443, 6) & 63]!++;
    expect(Math.max(...buckets) / (65_536 / 64)).toBeLessThan(1.1);
    expect(Math.min(...buckets) / (65_536 / 64)).toBeGreaterThan(0.9);
  });

  it('avalanches: one flipped input bit flips about half the output bits', () => {
    let flipped = 0;
    let trials = 0;
    for (let i = 0; i < 2_000; i++) {
      const ip = Math.imul(i, 0x9e3779b1) >>> 0;
      const h = hashSourceIp4(ip);
      for (let bit = 0; bit < 32; bit++) {
        let d = (h ^ hashSourceIp4((ip ^ (1 << bit)) >>> 0)) >>> 0;
        while (d) {
          flipped += d & 1;
          d >>>= 1;
        }
        trials++;
      }
    }
    expect(flipped / trials).toBeGreaterThan(15.5);
    expect(flipped / trials).toBeLessThan(16.5);
  });

  it('fmix32 is a bijection on a sample (no two inputs collide)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) seen.add(fmix32(i));
    expect(seen.size).toBe(100_000);
  });
});

describe('hashString', () => {
  it('is MurmurHash3 of the UTF-16LE code units, odd lengths included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.nat({ max: 0xffffffff }), (s, seed) => {
        expect(hashString(s, seed)).toBe(murmur3Bytes(utf16LE(s), seed));
      }),
    );
  });

  it('gives unrelated values for two seeds (maglev offset and skip)', () => {
    let same = 0;
    for (let i = 0; i < 1_000; i++) {
      const key = `10.0.${i >> 8}.${i & 255}:80`;
      if (hashString(key, 1) % 65_537 === hashString(key, 2) % 65_537) same++;
    }
    expect(same).toBeLessThan(3);
  });
});

describe('ipv4ToU32', () => {
  it('parses dotted quads', () => {
    expect(ipv4ToU32('192.0.2.1')).toBe(0xc0000201);
    expect(ipv4ToU32('0.0.0.0')).toBe(0);
    expect(ipv4ToU32('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4ToU32('10.20.30.40')).toBe(0x0a141e28);
  });

  it('round-trips every address', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (ip) => {
        const text = [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
        expect(ipv4ToU32(text)).toBe(ip);
      }),
    );
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.300',
    '01.2.3.4',
    '1.2.3.00',
    '1..2.3',
    '.1.2.3',
    '1.2.3.',
    'a.b.c.d',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.-4',
    '1.2.3.4:80',
    '1234.1.1.1',
    '::1',
  ])('refuses %j', (text) => {
    expect(ipv4ToU32(text)).toBe(-1);
  });
});
