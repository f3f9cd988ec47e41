/**
 * An array of unsigned 64-bit counters that wrap at 2^64 like an SNMP Counter64.
 * Kept as two Uint32Array halves so the hot path adds plain numbers: BigInt arithmetic per
 * packet or per chunk would cost more than the forwarding itself.
 */
const TWO_32 = 4_294_967_296;

export class Counter64Array {
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;

  constructor(readonly length: number) {
    this.lo = new Uint32Array(length);
    this.hi = new Uint32Array(length);
  }

  /** Adds a non-negative integer below 2^53. */
  add(i: number, n: number): void {
    const sum = this.lo[i]! + n;
    if (sum < TWO_32) {
      this.lo[i] = sum;
      return;
    }
    // Split n first so no intermediate value passes 2^53, where doubles stop being exact.
    const nLo = n % TWO_32;
    const lo = this.lo[i]! + nLo;
    const carry = lo >= TWO_32 ? 1 : 0;
    this.lo[i] = lo - carry * TWO_32;
    // Uint32Array stores modulo 2^32, which is exactly the wrap of the high half.
    this.hi[i] = this.hi[i]! + (n - nLo) / TWO_32 + carry;
  }

  get(i: number): bigint {
    return (BigInt(this.hi[i]!) << 32n) | BigInt(this.lo[i]!);
  }

  /** Sets a value (bootstrapping carried-over counters, or tests placing a counter near its wrap). */
  set(i: number, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.hi[i] = Number(v >> 32n);
    this.lo[i] = Number(v & 0xffff_ffffn);
  }
}
