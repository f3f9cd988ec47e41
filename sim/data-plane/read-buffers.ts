/**
 * Read buffers for the backend side of TCP flows, reused across reads and flows.
 *
 * A socket without one gets a fresh 64 KiB allocation for every read, which the kernel must
 * fault in and zero before it copies the data: on a bulk transfer that costs more CPU than the
 * forwarding itself. A socket given one reads into the same memory every time, which stays in
 * the CPU's caches. The size is HAProxy's default `tune.bufsize`.
 */
export const READ_BUFFER_BYTES = 16 * 1024;

export class ReadBufferPool {
  private readonly free: Buffer[] = [];

  /** `keep` bounds the idle buffers held (memory kept after a burst of flows ends). */
  constructor(
    readonly size = READ_BUFFER_BYTES,
    private readonly keep = 1024,
  ) {}

  take(): Buffer {
    // Unzeroed on purpose: only the bytes just read into a buffer are ever sent from it.
    return this.free.pop() ?? Buffer.allocUnsafe(this.size);
  }

  /** Hands back a buffer that nothing (no pending write) refers to any more. */
  give(buffer: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buffer);
  }
}
