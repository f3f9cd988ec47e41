import { describe, expect, it } from 'vitest';
import { FloatingServices, RETRY_MAX_MS, type ServicesEvent } from '../../../../firmware/failover/floating-services.js';
import type { FloatingServicesPort } from '../../../../firmware/failover/ports.js';
import { FakeClock } from '../../../support/fake-clock.js';

/** A port whose opens settle when the test says so. */
class SlowPort implements FloatingServicesPort {
  open_ = 0;
  closes = 0;
  listening = false;
  fail = 0;
  private release: (() => void) | null = null;

  open(): Promise<void> {
    this.open_++;
    return new Promise((resolve, reject) => {
      this.release = () => {
        if (this.fail > 0) {
          this.fail--;
          reject(new Error('listen EADDRINUSE 127.0.0.1:8000'));
        } else {
          this.listening = true;
          resolve();
        }
      };
    });
  }

  finishOpen(): void {
    this.release?.();
    this.release = null;
  }

  async close(): Promise<number> {
    this.closes++;
    this.listening = false;
    return 7;
  }
}

describe('floating services', () => {
  it('a standby decided while the open is in flight closes what the open got', async () => {
    const clock = new FakeClock();
    const port = new SlowPort();
    const events: ServicesEvent[] = [];
    const fs = new FloatingServices(port, clock, (e) => events.push(e));
    fs.want(true);
    await clock.advance(0);
    fs.want(false);
    port.finishOpen();
    await fs.settled();
    expect(port.listening).toBe(false);
    expect(port.closes).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'failover-services', listening: false, droppedConnections: 7 });
  });

  it('backs off up to its cap while the address stays taken, and stops retrying once no longer wanted', async () => {
    const clock = new FakeClock();
    const port = new SlowPort();
    const events: ServicesEvent[] = [];
    const fs = new FloatingServices(port, clock, (e) => events.push(e));
    port.fail = 1_000;
    fs.want(true);
    for (let i = 0; i < 12; i++) {
      await clock.advance(0);
      port.finishOpen();
      await clock.advance(RETRY_MAX_MS);
    }
    const delays = events.flatMap((e) => (e.type === 'failover-conflict' ? [e.retryInMs] : []));
    expect(delays.slice(0, 5)).toEqual([50, 100, 200, 400, 800]);
    expect(Math.max(...delays)).toBe(RETRY_MAX_MS);
    const opens = port.open_;
    fs.want(false);
    port.finishOpen();
    await clock.advance(10_000);
    expect(port.open_).toBe(opens);
    expect(fs.isListening).toBe(false);
  });
});
