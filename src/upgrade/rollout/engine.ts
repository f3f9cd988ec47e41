/**
 * Staged fleet firmware rollouts, in the spirit of hawkBit's rollout groups: an image goes to
 * the fleet in waves (a canary, then growing shares), a wave starts only once every device of
 * the one before succeeded, and too many failures halt it all. Every state lives in the
 * database, so the controls (pause, resume, abort) work from any process, and a run that dies
 * is carried on by the next one from where the database says it stood.
 *
 * This class creates rollouts and changes their state; runner.ts runs them.
 */
import type { Inventory } from '../../store/inventory.js';
import type { RolloutRecord, RolloutState, RolloutStore } from '../../store/rollouts.js';
import type { FirmwareCatalog } from '../catalog.js';
import { RolloutError } from './errors.js';
import { emitRolloutEvent, type EventSink, type RolloutEvent, type RolloutEventListener } from './events.js';
import { runRollout, type RunOptions } from './runner.js';
import { readStatus, type RolloutStatus } from './status.js';
import { planWaves, plannedWaveSizes, type Membership } from './group-waves.js';
import { allowedFailures, checkMaxFailures, checkWaves, DEFAULT_WAVES, type WaveStep } from './waves.js';

export const DEFAULT_DEADLINE_MS = 10 * 60_000;

export interface RolloutSpec {
  /** SHA-256 of an image in the catalog. */
  image: string;
  /** Inventory names, in the order the waves take them; 'all': the inventory, by name. */
  targets: readonly string[] | 'all';
  /** Cumulative wave steps (see waves.ts). Default 1, 10%, 50%, 100%. */
  waves?: readonly WaveStep[];
  /** Failures tolerated: a count or "P%" of all devices. Default 0: the first failure halts. */
  maxFailures?: number | string;
  /** How long one device's upgrade may take before it counts as failed. Default 10 minutes. */
  deadlineMs?: number;
}

export interface RolloutEngineOptions {
  rollouts: RolloutStore;
  catalog: FirmwareCatalog;
  inventory: Pick<Inventory, 'list'>;
  /** Where events are recorded (the store's events table). */
  events: EventSink;
  /** Told of every event as it is recorded. */
  onEvent?: RolloutEventListener;
  /** The clock for the times written to the database. */
  now?: () => number;
  /**
   * The failover group an appliance last reported (the store's appliance state): members of one
   * group never share a wave, standby first (group-waves.ts). None: every appliance is alone.
   */
  membershipOf?: (appliance: string) => Promise<Membership | null>;
}

const UNFINISHED: readonly RolloutState[] = ['running', 'paused', 'halted'];

export class RolloutEngine {
  readonly rollouts: RolloutStore;
  readonly catalog: FirmwareCatalog;
  private readonly inventory: Pick<Inventory, 'list'>;
  private readonly events: EventSink;
  private readonly listener: RolloutEventListener | undefined;
  readonly now: () => number;
  private readonly membershipOf: (appliance: string) => Promise<Membership | null>;

  constructor(options: RolloutEngineOptions) {
    this.membershipOf = options.membershipOf ?? (() => Promise.resolve(null));
    this.rollouts = options.rollouts;
    this.catalog = options.catalog;
    this.inventory = options.inventory;
    this.events = options.events;
    this.listener = options.onEvent;
    this.now = options.now ?? Date.now;
  }

  /**
   * Creates a rollout, `running` with every device `pending`, and returns it; nothing is
   * upgraded until `run`. Throws RolloutError: 'invalid' (waves, threshold, deadline, targets,
   * an image not in the catalog), 'unknownAppliances', 'conflict' (targets in a rollout that is
   * not over).
   */
  async start(spec: RolloutSpec): Promise<RolloutStatus> {
    const image = await this.catalog.entry(spec.image);
    if (!image) throw new RolloutError('invalid', `image ${spec.image} is not in the firmware catalog: add it first`);
    const steps = checkWaves(spec.waves ?? DEFAULT_WAVES);
    const maxFailures = checkMaxFailures(spec.maxFailures ?? 0);
    const deadlineMs = spec.deadlineMs ?? DEFAULT_DEADLINE_MS;
    if (!Number.isSafeInteger(deadlineMs) || deadlineMs <= 0)
      throw new RolloutError('invalid', `deadline: ${deadlineMs} ms is not a positive whole number of milliseconds`);
    const targets = await this.resolveTargets(spec.targets);
    const busy = await this.rollouts.unfinishedRolloutsOf(targets);
    if (busy.length > 0) {
      const names = [...new Set(busy.map((b) => b.appliance))];
      const which = [...new Set(busy.map((b) => `${b.rollout} (${b.state})`))].join(', ');
      throw new RolloutError(
        'conflict',
        `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} already in rollout ${which}: let it finish, or abort it first`,
        names,
      );
    }
    const memberships = new Map(await Promise.all(targets.map(async (t) => [t, await this.membershipOf(t)] as const)));
    const plan = planWaves(steps, targets, (t) => memberships.get(t) ?? null);
    const record = await this.rollouts.create(
      {
        image: image.sha256,
        version: image.version,
        waves: steps,
        maxFailures,
        allowedFailures: allowedFailures(maxFailures, targets.length),
        deadlineMs,
        devices: plan,
      },
      this.now(),
    );
    await this.emit({
      event: 'created',
      rollout: record.id,
      image: image.sha256,
      version: image.version,
      devices: targets.length,
      waveSizes: plannedWaveSizes(plan),
    });
    return this.status(record.id);
  }

  /**
   * Runs the rollout in this process until it succeeds, halts, is paused or aborted (from here
   * or from another process), or `options.signal` interrupts it; returns its status then. See
   * runner.ts for what exactly happens.
   */
  async run(id: number, options: RunOptions): Promise<RolloutStatus> {
    await runRollout({ rollouts: this.rollouts, catalog: this.catalog, now: this.now, emit: (e) => this.emit(e) }, id, options);
    return this.status(id);
  }

  /** No new device starts once a running rollout is paused; those upgrading finish. */
  pause(id: number): Promise<RolloutStatus> {
    return this.change(id, 'paused', ['running'], 'paused by the operator');
  }

  /**
   * Makes a paused rollout `running` again; a halted one too, after putting its failed devices
   * back to pending so they are tried again. A rollout already running stays so (a run that
   * died left it that way): either way the next `run` carries on.
   */
  async resume(id: number): Promise<RolloutStatus> {
    const record = await this.get(id);
    if (record.state === 'running') return this.status(id);
    if (record.state === 'halted') {
      // One transaction: a runner starting meanwhile must not find the rollout running with
      // its failures still counted (it would halt it again at once).
      const retried = await this.rollouts.resumeHalted(id, this.now());
      if (retried === null) return this.resume(id);
      await this.emit({ event: 'state', rollout: id, state: 'running', reason: null });
      if (retried.length > 0) await this.emit({ event: 'retry', rollout: id, appliances: retried });
      return this.status(id);
    }
    if (record.state !== 'paused') throw new RolloutError('state', `rollout ${id} is ${record.state}: there is nothing to resume (start a new rollout)`);
    return this.change(id, 'running', ['paused'], null);
  }

  /** Ends the rollout for good: no device starts any more; those upgrading finish. */
  abort(id: number): Promise<RolloutStatus> {
    return this.change(id, 'aborted', UNFINISHED, 'aborted by the operator');
  }

  async status(id: number): Promise<RolloutStatus> {
    const status = await readStatus(this.rollouts, id);
    if (!status) throw new RolloutError('notFound', `no rollout ${id} (fulcrum rollout list)`);
    return status;
  }

  /** The newest rollout, or null when there is none. */
  async latest(): Promise<RolloutStatus | null> {
    const record = await this.rollouts.latest();
    return record ? this.status(record.id) : null;
  }

  /** Newest first. */
  async list(limit = 100): Promise<RolloutStatus[]> {
    return Promise.all((await this.rollouts.list(limit)).map((r) => this.status(r.id)));
  }

  private async get(id: number): Promise<RolloutRecord> {
    const record = await this.rollouts.get(id);
    if (!record) throw new RolloutError('notFound', `no rollout ${id} (fulcrum rollout list)`);
    return record;
  }

  private async change(id: number, to: RolloutState, from: readonly RolloutState[], reason: string | null): Promise<RolloutStatus> {
    const record = await this.get(id);
    if (record.state === to) return this.status(id);
    if (!(await this.rollouts.setState(id, to, from, reason, this.now()))) {
      const current = (await this.get(id)).state;
      const verb = { running: 'resumed', paused: 'paused', aborted: 'aborted', halted: 'halted', succeeded: 'finished' }[to];
      throw new RolloutError('state', `rollout ${id} is ${current}: only a rollout that is ${from.join(' or ')} can be ${verb}`);
    }
    await this.emit({ event: 'state', rollout: id, state: to, reason });
    return this.status(id);
  }

  /** Inventory names, checked: none unknown, none twice. */
  private async resolveTargets(targets: readonly string[] | 'all'): Promise<string[]> {
    const known = (await this.inventory.list()).map((a) => a.name);
    if (targets === 'all') {
      if (known.length === 0) throw new RolloutError('invalid', 'the inventory is empty: add appliances first (fulcrum appliance add)');
      return known;
    }
    if (targets.length === 0) throw new RolloutError('invalid', 'targets: name at least one appliance');
    const twice = targets.filter((t, i) => targets.indexOf(t) !== i);
    if (twice.length > 0) throw new RolloutError('invalid', `targets: ${[...new Set(twice)].join(', ')} given more than once`);
    const names = new Set(known);
    const unknown = targets.filter((t) => !names.has(t));
    if (unknown.length > 0) {
      throw new RolloutError('unknownAppliances', `not in the inventory: ${unknown.join(', ')} (fulcrum appliance list)`, unknown);
    }
    return [...targets];
  }

  private emit(event: RolloutEvent): Promise<void> {
    return emitRolloutEvent(this.events, this.listener, event, this.now());
  }
}
