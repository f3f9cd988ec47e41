/**
 * One direction of a serial line as a transmitter: bytes are serialised one after another, each
 * taking `byteTimeMs`, and a byte is handed on only once its last bit would have left the wire.
 *
 * Every queued chunk gets its start time when it is queued (the later of "now" and the moment
 * the previous byte finishes), so byte k of a chunk completes exactly at start + (k + 1) × byteTime.
 * Release times are computed from a monotonic clock, never counted in timer ticks: timers fire
 * late and coarsely, which only delays delivery a little and never changes the long-run rate.
 */

/** While a long stream is in flight, release in batches this far apart (bounded CPU). */
const TICK_MS = 5;

interface Chunk {
  bytes: Uint8Array;
  /** Bytes of this chunk already handed on. */
  released: number;
  /** When the chunk's first byte starts being serialised. */
  start: number;
}

export class LinePacer {
  /** FIFO of chunks; `first` indexes the head so taking one off is O(1). */
  private chunks: Chunk[] = [];
  private first = 0;
  private queued = 0;
  /** When the last queued byte finishes; -Infinity while nothing was ever sent. */
  private tailDone = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly byteTimeMs: number,
    /** Called with the bytes that completed since the previous call (one array per tick). */
    private readonly deliver: (bytes: Uint8Array) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Bytes waiting to be serialised (or being serialised). */
  get queuedBytes(): number {
    return this.queued;
  }

  push(bytes: Uint8Array): void {
    if (this.stopped || bytes.length === 0) return;
    const start = Math.max(this.tailDone, this.now());
    this.chunks.push({ bytes, released: 0, start });
    this.tailDone = start + bytes.length * this.byteTimeMs;
    this.queued += bytes.length;
    this.schedule();
  }

  /** Forget queued bytes and the timer; an idle or stopped pacer holds nothing. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.chunks = [];
    this.first = 0;
    this.queued = 0;
  }

  private readonly tick = (): void => {
    this.timer = null;
    const done = this.release(this.now());
    // Schedule before delivering: a listener that throws must not stall the line.
    this.schedule();
    if (done) this.deliver(done);
  };

  /** Take every byte whose serialisation is complete at `now`. */
  private release(now: number): Uint8Array | null {
    const parts: Uint8Array[] = [];
    let total = 0;
    while (this.first < this.chunks.length) {
      const head = this.chunks[this.first]!;
      // Computed from the chunk's fixed start, not accumulated per tick: no drift, no rounding creep.
      const complete = Math.min(head.bytes.length, Math.max(0, Math.floor((now - head.start) / this.byteTimeMs)));
      if (complete > head.released) {
        parts.push(head.bytes.subarray(head.released, complete));
        total += complete - head.released;
        head.released = complete;
      }
      if (complete < head.bytes.length) break;
      this.first += 1;
    }
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first > 1024) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
    this.queued -= total;
    if (total === 0) return null;
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(total);
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }

  private schedule(): void {
    if (this.timer || this.stopped || this.first === this.chunks.length) return;
    const head = this.chunks[this.first]!;
    const now = this.now();
    const nextDue = head.start + (head.released + 1) * this.byteTimeMs - now;
    const allDue = this.tailDone - now;
    // A short burst is released in one go when its last byte completes (low latency for
    // request/response); a long stream is released every TICK_MS; never before the next byte is due.
    const delay = Math.max(nextDue, Math.min(allDue, TICK_MS));
    this.timer = setTimeout(this.tick, Math.max(0, Math.ceil(delay)));
    // An idle or stalled line must never keep the process alive.
    this.timer.unref();
  }
}
