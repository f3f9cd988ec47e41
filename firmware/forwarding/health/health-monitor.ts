import type { EndpointText, HealthCheck } from '../../../src/protocol/rules/model.js';
import type { Cancel, Clock, HealthProbePort, ProbeResult } from '../../ports.js';
import { HealthState } from './health-state.js';
import { describeError } from '../../../src/protocol/describe-error.js';

export interface HealthTarget {
  /** Opaque to the monitor; handed back on every transition. */
  readonly id: number;
  readonly address: EndpointText;
  readonly check: HealthCheck;
  /** Starting state: true for a new backend; a kept backend keeps what it had. */
  readonly initiallyUp: boolean;
}

export interface HealthTransition {
  id: number;
  address: EndpointText;
  up: boolean;
  detail: string;
  /** Probes run for this target so far, including the one that caused the transition. */
  probes: number;
}

/**
 * Probes a set of backends on their own cadence and reports state transitions.
 * Probes are spread over the first interval so a thousand backends do not fire at once, and
 * each probe is cut off at its timeout here even if the port forgets to.
 */
export class HealthMonitor {
  private readonly timers = new Map<number, Cancel>();
  private readonly states = new Map<number, HealthState>();
  private readonly probes = new Map<number, number>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly port: HealthProbePort,
    private readonly onTransition: (t: HealthTransition) => void,
  ) {}

  start(targets: readonly HealthTarget[]): void {
    targets.forEach((target, i) => {
      const state = new HealthState(target.check.rise, target.check.fall);
      state.up = target.initiallyUp;
      this.states.set(target.id, state);
      this.probes.set(target.id, 0);
      const firstDelay = Math.floor((target.check.intervalMs * i) / Math.max(1, targets.length));
      this.schedule(target, firstDelay);
    });
  }

  isUp(id: number): boolean {
    return this.states.get(id)?.up ?? true;
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  private schedule(target: HealthTarget, delayMs: number): void {
    if (this.stopped) return;
    this.timers.set(
      target.id,
      this.clock.after(delayMs, () => void this.runProbe(target)),
    );
  }

  private async runProbe(target: HealthTarget): Promise<void> {
    const startedAt = this.clock.now();
    const result = await this.probeWithTimeout(target);
    if (this.stopped) return;
    const state = this.states.get(target.id)!;
    const count = this.probes.get(target.id)! + 1;
    this.probes.set(target.id, count);
    const change = state.observe(result.ok);
    if (change) {
      this.onTransition({ id: target.id, address: target.address, up: change === 'up', detail: result.detail, probes: count });
    }
    // Keep the cadence at one probe per interval, measured from probe start.
    const elapsed = this.clock.now() - startedAt;
    this.schedule(target, Math.max(0, target.check.intervalMs - elapsed));
  }

  private probeWithTimeout(target: HealthTarget): Promise<ProbeResult> {
    return new Promise<ProbeResult>((resolve) => {
      let settled = false;
      const cancel = this.clock.after(target.check.timeoutMs, () => {
        if (settled) return;
        settled = true;
        resolve({ ok: false, detail: `timeout after ${target.check.timeoutMs}ms` });
      });
      this.port.probe(target.address, target.check).then(
        (r) => {
          if (settled) return;
          settled = true;
          cancel();
          resolve(r);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          cancel();
          resolve({ ok: false, detail: describeError(err) });
        },
      );
    });
  }
}
