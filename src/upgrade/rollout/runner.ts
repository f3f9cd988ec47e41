/**
 * Runs a rollout: wave after wave, the devices of a wave in parallel (at most `concurrency` at
 * a time), each upgrade bounded by the rollout's per-device deadline.
 *
 * - Before each device starts, the database decides: the rollout must still be `running`, this
 *   process must still hold its lease, and the failures must not exceed the allowed number
 *   (else the rollout halts). A pause or abort written by any process thus stops new starts;
 *   devices already upgrading finish and are recorded.
 * - A device is written `upgrading`, with its start time, before its upgrade begins; then
 *   `succeeded` (the appliance runs the image's version, confirmed) or `failed` with the error.
 * - A device still upgrading at its deadline is failed ("deadline passed after N s") and
 *   abandoned: its upgrade is told to stop through its signal, and whatever it does later is
 *   ignored.
 * - A wave starts only when every device of the waves before it succeeded. A wave that ends
 *   with failures (fewer than would halt it) halts the rollout too: the next wave never starts
 *   on a fleet that is not fully upgraded. Resuming a halted rollout retries its failed devices.
 * - A run that died (process killed, machine lost) left its in-flight devices `upgrading`; the
 *   next run upgrades them again — the upgrade is idempotent: an appliance that already runs the
 *   image, confirmed, counts as a success at once — and never touches a device that succeeded.
 */
import type { RolloutDeviceRecord, RolloutRecord, RolloutStore } from '../../store/rollouts.js';
import type { FirmwareCatalog } from '../catalog.js';
import { RolloutError } from './errors.js';
import type { RolloutEvent } from './events.js';
import { RolloutLease, type LeaseOptions } from './lease.js';
import type { RunnerRecord } from '../../store/runner-lease.js';

/**
 * Throws when this process may no longer act on the rollout's appliances: asked of the store
 * before each act that changes an appliance (upload, activate, reboot, failover). A runner that
 * was frozen (SIGSTOP, a VM paused, a long GC) wakes with timers due; without this look, its
 * next step could activate or reboot an appliance whose upgrade another process now drives.
 */
export type Fence = () => Promise<void>;

/**
 * Upgrades one appliance to `image` and resolves with what it then runs, or throws (the
 * error's message is recorded). It must stop when `signal` aborts, call `fence` before each
 * act that changes the appliance, and be idempotent.
 */
export type UpgradeOne = (appliance: string, image: Uint8Array, signal: AbortSignal, fence: Fence) => Promise<{ version: string; confirmed: boolean }>;

export const DEFAULT_CONCURRENCY = 8;

export interface RunOptions {
  upgrade: UpgradeOne;
  /** Devices upgraded at once within a wave. Default 8. */
  concurrency?: number;
  /**
   * Stops this run at once (Ctrl-C): no device starts, in-flight upgrades are told to stop and
   * stay `upgrading` in the database, so the next run does them again. The rollout's state is
   * not changed.
   */
  signal?: AbortSignal;
  lease?: LeaseOptions;
  /**
   * Called once this run holds the rollout's lease, before it acts: `replaced` is the holder
   * whose stale lease it took (null when the rollout had none). A server taking over a silent
   * runner says so here, not before: the runner may wake and renew its lease first.
   */
  onLease?: (replaced: RunnerRecord | null) => void;
}

export interface RunContext {
  rollouts: RolloutStore;
  catalog: FirmwareCatalog;
  now: () => number;
  emit: (event: RolloutEvent) => Promise<void>;
}

type Outcome = { state: 'succeeded'; version: string } | { state: 'failed'; error: string; version?: string } | { state: 'stopped' };

/** Runs rollout `id` (see the module comment). Throws RolloutError ('notFound', 'state', 'busy', 'leaseLost'). */
export async function runRollout(ctx: RunContext, id: number, options: RunOptions): Promise<void> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RolloutError('invalid', `concurrency: ${concurrency} is not a whole number from 1`);
  const record = await ctx.rollouts.get(id);
  if (!record) throw new RolloutError('notFound', `no rollout ${id} (fulcrum rollout list)`);
  if (record.state !== 'running') {
    const hint = record.state === 'paused' || record.state === 'halted' ? `: resume it first (fulcrum rollout resume ${id})` : '';
    throw new RolloutError('state', `rollout ${id} is ${record.state}${hint}`);
  }
  if (options.signal?.aborted) return;
  const image = await ctx.catalog.get(record.image);
  const lease = await RolloutLease.acquire(ctx.rollouts, id, options.lease);
  options.onLease?.(lease.replaced);
  const run = new Run(ctx, record, image, lease, options.upgrade, concurrency);
  const interrupt = () => run.stop();
  options.signal?.addEventListener('abort', interrupt, { once: true });
  lease.onLost(interrupt);
  try {
    await run.execute();
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
    await lease.release();
  }
  if (lease.lost)
    throw new RolloutError('leaseLost', `rollout ${id} was taken over by another process while this one ran it (its lease went stale); this process stopped`);
}

class Run {
  /** Aborted when this run must stop at once (interrupted, or the lease lost). */
  private readonly stopping = new AbortController();

  constructor(
    private readonly ctx: RunContext,
    private readonly rollout: RolloutRecord,
    private readonly image: Uint8Array,
    private readonly lease: RolloutLease,
    private readonly upgrade: UpgradeOne,
    private readonly concurrency: number,
  ) {}

  stop(): void {
    this.stopping.abort();
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private get id(): number {
    return this.rollout.id;
  }

  /**
   * Each turn reads the database afresh and works on the first wave not fully succeeded, until
   * the rollout succeeds or this run may not start anything. So a pause lifted while this run
   * still finishes its last upgrades simply lets it go on, and whatever another process
   * changed is seen at the next turn.
   */
  async execute(): Promise<void> {
    const recovered = (await this.devices()).filter((d) => d.state === 'upgrading').map((d) => d.appliance);
    await this.ctx.emit({ event: 'run', rollout: this.id, recovered });
    for (;;) {
      if (this.stopped) return;
      const devices = await this.devices();
      const wave = Math.min(...devices.filter((d) => d.state !== 'succeeded').map((d) => d.wave));
      if (wave === Infinity) break;
      const members = devices.filter((d) => d.wave === wave);
      const todo = members.filter((d) => d.state === 'pending' || d.state === 'upgrading');
      const failed = members.filter((d) => d.state === 'failed');
      if (todo.length === 0) {
        await this.halt(
          `wave ${wave} did not fully succeed (${failed.map((d) => `${d.appliance}: ${d.error}`).join('; ')}); the next wave starts only when every device of this one succeeded`,
        );
        return;
      }
      if (!(await this.mayStart())) return;
      await this.ctx.emit({ event: 'wave', rollout: this.id, wave, appliances: todo.map((d) => d.appliance) });
      // Nothing could be started although the rollout looked runnable: leave it to the next run
      // rather than spin.
      if ((await this.runWave(wave, todo)) === 0) return;
    }
    if (await this.ctx.rollouts.setState(this.id, 'succeeded', ['running'], null, this.ctx.now())) {
      await this.ctx.emit({ event: 'state', rollout: this.id, state: 'succeeded', reason: null });
    }
  }

  private devices(): Promise<RolloutDeviceRecord[]> {
    return this.ctx.rollouts.devices(this.id);
  }

  /** Upgrades `todo` while the rollout may go on: how many upgrades it started. */
  private async runWave(wave: number, todo: RolloutDeviceRecord[]): Promise<number> {
    const queue = [...todo];
    let started = 0;
    const worker = async (): Promise<void> => {
      while (queue.length > 0 && (await this.mayStart())) {
        // Another worker may have taken the last one while this one looked.
        const device = queue.shift();
        if (!device) return;
        // Refused when a pause or abort landed since mayStart looked: the next look sees it.
        if (!(await this.ctx.rollouts.startDevice(this.id, device.appliance, this.lease.token, this.ctx.now()))) continue;
        started++;
        await this.ctx.emit({ event: 'upgrading', rollout: this.id, wave, appliance: device.appliance });
        const startedAt = this.ctx.now();
        const outcome = await this.upgradeOne(device.appliance);
        if (outcome.state === 'stopped' || this.stopped) return;
        if (!(await this.ctx.rollouts.finishDevice(this.id, device.appliance, outcome, this.lease.token, this.ctx.now()))) return;
        const seconds = (this.ctx.now() - startedAt) / 1000;
        await this.ctx.emit(
          outcome.state === 'succeeded'
            ? { event: 'succeeded', rollout: this.id, wave, appliance: device.appliance, version: outcome.version, seconds }
            : { event: 'failed', rollout: this.id, wave, appliance: device.appliance, error: outcome.error, seconds },
        );
        if (outcome.state === 'failed') await this.checkThreshold();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, () => worker()));
    return started;
  }

  /** Whether a device may start now: the database's state, the lease, the threshold. */
  private async mayStart(): Promise<boolean> {
    if (this.stopped) return false;
    const record = await this.ctx.rollouts.get(this.id);
    if (!record || record.state !== 'running' || record.runner?.token !== this.lease.token) return false;
    return this.checkThreshold();
  }

  /** Halts the rollout when failures exceed the allowed number; whether it may go on. */
  private async checkThreshold(): Promise<boolean> {
    const failed = (await this.ctx.rollouts.countByState(this.id)).failed;
    if (failed <= this.rollout.allowedFailures) return true;
    await this.halt(`${failed} device(s) failed, more than the ${this.rollout.allowedFailures} allowed (max failures ${this.rollout.maxFailures})`);
    return false;
  }

  private async halt(reason: string): Promise<void> {
    if (await this.ctx.rollouts.setState(this.id, 'halted', ['running'], reason, this.ctx.now())) {
      await this.ctx.emit({ event: 'state', rollout: this.id, state: 'halted', reason });
    }
  }

  /** One device's upgrade, bounded by the deadline and by this run stopping. */
  private async upgradeOne(appliance: string): Promise<Outcome> {
    const controller = new AbortController();
    const deadlineMs = this.rollout.deadlineMs;
    let timer: NodeJS.Timeout | undefined;
    let onStop: (() => void) | undefined;
    const deadline = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => {
        const error = `deadline passed after ${formatSeconds(deadlineMs)} s`;
        controller.abort(new Error(error));
        resolve({ state: 'failed', error });
      }, deadlineMs);
    });
    const stopped = new Promise<Outcome>((resolve) => {
      onStop = () => {
        controller.abort(new Error('the rollout run was interrupted'));
        resolve({ state: 'stopped' });
      };
      if (this.stopped) onStop();
      else this.stopping.signal.addEventListener('abort', onStop, { once: true });
    });
    // A synchronous throw is a failure like any other.
    const work = Promise.resolve()
      .then(() => this.upgrade(appliance, this.image, controller.signal, this.fence))
      .then(
        (result) => this.judge(result),
        (error: unknown): Outcome => ({ state: 'failed', error: errorText(error) }),
      );
    try {
      return await Promise.race([work, deadline, stopped]);
    } finally {
      clearTimeout(timer);
      if (onStop) this.stopping.signal.removeEventListener('abort', onStop);
    }
  }

  /** See Fence: the lease looked up in the store, not only the last heartbeat's answer. */
  private readonly fence: Fence = async () => {
    if (!this.stopped && (await this.lease.held())) return;
    // held() told the lease it is lost, which stops this run; the upgrade stops at this throw.
    throw new RolloutError('leaseLost', `rollout ${this.id}: another process took the rollout over; this one no longer acts on its appliances`);
  };

  /** An upgrade that resolved still fails unless the appliance runs the image's version, confirmed. */
  private judge(result: { version: string; confirmed: boolean }): Outcome {
    const version = String(result?.version);
    if (version !== this.rollout.version)
      return { state: 'failed', error: `the appliance runs ${version} after the upgrade, not ${this.rollout.version}`, version };
    if (result?.confirmed !== true)
      return { state: 'failed', error: `the appliance runs ${version} but did not confirm it (it reverts at its next boot)`, version };
    return { state: 'succeeded', version };
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** 600000 → "600", 1500 → "1.5". */
function formatSeconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(3)));
}
