import { SingleBar } from 'cli-progress';

/** A progress bar on stderr (with rate and ETA) that appears only if the work is still going after a second. */
export class DelayedProgress {
  private bar: SingleBar | null = null;
  private readonly startedAt = performance.now();
  private firstSent: number | null = null;

  constructor(
    private readonly label: string,
    private readonly enabled: boolean,
  ) {}

  update(sent: number, total: number): void {
    if (!this.enabled) return;
    // A resumed transfer starts part of the way: the rate counts what this run sent.
    this.firstSent ??= sent;
    if (!this.bar) {
      if (performance.now() - this.startedAt < 1_000) return;
      this.bar = new SingleBar({
        format: `${this.label} [{bar}] {percentage}% {value}/{total} bytes {speed} B/s eta {eta}s`,
        stream: process.stderr,
        hideCursor: true,
      });
      this.bar.start(total, sent, { speed: 0 });
    }
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.bar.update(sent, { speed: Math.round((sent - this.firstSent) / seconds) });
  }

  /** Idempotent: an error path may stop the bar before the `finally` that always does. */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
