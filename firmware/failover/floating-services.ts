/**
 * Keeps the floating services in step with the member's state: listening while active, closed
 * otherwise. A takeover may find the addresses still held (the old active not yet dead, or a
 * split brain on one host): the open is retried with a short, growing backoff for as long as the
 * member stays active, each failure an event — never a crash. Operations run one at a time in
 * order, so a close requested while an open is in flight closes what that open got.
 */
import type { Cancel, Clock } from '../ports.js';
import type { FloatingServicesPort } from './ports.js';

export const RETRY_FIRST_MS = 50;
export const RETRY_MAX_MS = 1_000;

export type ServicesEvent =
  | { type: 'failover-services'; listening: true; detail: string; attempts: number }
  | { type: 'failover-services'; listening: false; detail: string; droppedConnections: number }
  | { type: 'failover-conflict'; attempt: number; retryInMs: number; detail: string };

export class FloatingServices {
  private wanted = false;
  private listening = false;
  private attempts = 0;
  private retry: Cancel | null = null;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly port: FloatingServicesPort,
    private readonly clock: Clock,
    private readonly onEvent: (e: ServicesEvent) => void,
  ) {}

  get isListening(): boolean {
    return this.listening;
  }

  /** Active: listen (retrying); anything else: stop listening. */
  want(listen: boolean): void {
    if (this.stopped || listen === this.wanted) return;
    this.wanted = listen;
    this.retry?.();
    this.retry = null;
    this.attempts = 0;
    this.enqueue(() => (listen ? this.tryOpen() : this.close()));
  }

  /** Stops retrying; the host closes the listeners itself as it powers off. */
  stop(): void {
    this.stopped = true;
    this.wanted = false;
    this.retry?.();
    this.retry = null;
  }

  /** Resolves when every queued operation is done (tests, orderly shutdown). */
  settled(): Promise<void> {
    return this.chain;
  }

  private enqueue(op: () => Promise<void>): void {
    this.chain = this.chain.then(op, op);
  }

  private async tryOpen(): Promise<void> {
    if (!this.wanted || this.listening || this.stopped) return;
    this.attempts++;
    try {
      await this.port.open();
    } catch (err) {
      if (!this.wanted || this.stopped) return;
      const retryInMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(this.attempts - 1, 10));
      this.onEvent({ type: 'failover-conflict', attempt: this.attempts, retryInMs, detail: (err as Error).message });
      this.retry = this.clock.after(retryInMs, () => {
        this.retry = null;
        this.enqueue(() => this.tryOpen());
      });
      return;
    }
    this.listening = true;
    this.onEvent({
      type: 'failover-services',
      listening: true,
      attempts: this.attempts,
      detail: `listening on the group's services (attempt ${this.attempts})`,
    });
    // Became standby while the open was in flight: the close queued behind it finds it open.
  }

  private async close(): Promise<void> {
    if (this.wanted || !this.listening) return;
    this.listening = false;
    let droppedConnections = 0;
    try {
      droppedConnections = await this.port.close();
    } catch (err) {
      this.onEvent({ type: 'failover-conflict', attempt: 0, retryInMs: 0, detail: `closing the group's services failed: ${(err as Error).message}` });
      return;
    }
    this.onEvent({
      type: 'failover-services',
      listening: false,
      droppedConnections,
      detail: `stopped listening; ${droppedConnections} established TCP connection(s) cut`,
    });
  }
}
