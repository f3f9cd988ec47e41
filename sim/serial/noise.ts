/**
 * Line noise on bytes as they cross the wire. Only the 8 data bits are modelled: a hit on a start
 * or stop bit would be a framing error on real hardware, which a PTY cannot signal.
 */

export interface NoiseSettings {
  /** Probability that any one data bit arrives flipped (a byte is hit with ≈ 8 × ber). */
  ber: number;
  /** Probability that a byte is lost entirely. */
  drop: number;
}

export interface NoiseResult {
  bytes: Uint8Array;
  bitsFlipped: number;
  bytesDropped: number;
}

export function checkNoise(noise: NoiseSettings): NoiseSettings {
  for (const [name, p] of Object.entries(noise)) {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`serial noise ${name} must be a probability in [0, 1], got ${String(p)}`);
  }
  return noise;
}

/** Returns `bytes` itself when the line is clean (no copy, no draws from `random`). */
export function applyNoise(bytes: Uint8Array, noise: NoiseSettings, random: () => number): NoiseResult {
  if (noise.ber === 0 && noise.drop === 0) return { bytes, bitsFlipped: 0, bytesDropped: 0 };
  const out = new Uint8Array(bytes.length);
  let kept = 0;
  let bitsFlipped = 0;
  let bytesDropped = 0;
  for (const byte of bytes) {
    if (noise.drop > 0 && random() < noise.drop) {
      bytesDropped += 1;
      continue;
    }
    let value = byte;
    if (noise.ber > 0) {
      // Each bit independently: a byte can take several hits, as on a real noisy line.
      for (let bit = 0; bit < 8; bit++) {
        if (random() < noise.ber) {
          value ^= 1 << bit;
          bitsFlipped += 1;
        }
      }
    }
    out[kept++] = value;
  }
  return { bytes: out.subarray(0, kept), bitsFlipped, bytesDropped };
}
