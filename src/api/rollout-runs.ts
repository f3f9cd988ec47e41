/**
 * Rollouts run by the agent's server process: created or resumed through the API, each runs in
 * the background (the request answers at once with the rollout's status) and upgrades every
 * appliance over the agent's shared drivers, so an upgrade waits for the poll in flight on its
 * console and never opens the port twice. An appliance managed over SNMP fetches the image
 * itself, from this server (image-url.ts). State lives in the database as with the CLI, so
 * `fulcrum rollout status|pause|abort` see and steer these rollouts too. Closing the server
 * stops the runs as Ctrl-C stops the CLI's: the upgrades under way are left `upgrading`, and a
 * later resume does them again.
 *
 * On a store several agents share, a rollout whose runner died (its lease went stale while it
 * was running) is taken over by one of the other agents' servers (`adoptOrphans`, every
 * ADOPT_EVERY_MS): the runner lease decides which, so of several servers trying at once one
 * runs it and the others are told it is busy. A rollout stopped on purpose (Ctrl-C, a server
 * closed) has no runner and waits for an operator's resume, as on one machine.
 */
import type { Server } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { FirmwareCatalog } from '../upgrade/catalog.js';
import { RolloutEngine, RolloutError, runnerAlive, type RolloutSpec, type RolloutStatus, type RunOptions, type UpgradeOne } from '../upgrade/rollout/index.js';
import { upgradeAppliance } from '../upgrade/upgrade.js';
import { groupAwareUpgrade, storedGroups } from '../upgrade/group-upgrade.js';
import { apiGroupAccess } from './group-access.js';
import { sha256, toHex } from '../protocol/digest.js';
import type { ApiContext } from './context.js';
import { imageUrlFor, targetHost } from './image-url.js';

/** How often a server on a shared store looks for rollouts whose runner died. */
export const ADOPT_EVERY_MS = 10_000;

interface BackgroundRun {
  controller: AbortController;
  done: Promise<void>;
}

export class RolloutRuns {
  readonly engine: RolloutEngine;
  private readonly runs = new Map<number, BackgroundRun>();
  private closed = false;
  private readonly groupUpgrade: UpgradeOne;

  constructor(
    private readonly ctx: ApiContext,
    private readonly log: FastifyBaseLogger,
    /** The API's HTTP server, where SNMP appliances fetch images. */
    private readonly server: Server,
  ) {
    this.engine = new RolloutEngine({
      rollouts: ctx.store.rollouts,
      catalog: new FirmwareCatalog(ctx.store.firmwareImages),
      inventory: ctx.store.inventory,
      // Through the context, so rollout events reach the live stream as well as the store.
      events: { append: (e) => ctx.recordEvent({ ts: e.ts, appliance: e.appliance, kind: e.kind, detail: (e.detail ?? {}) as Record<string, unknown> }) },
      membershipOf: storedGroups(ctx.store.applianceState).membershipOf,
    });
    // Members of a failover group: the active fails over first, and each must come back into its group.
    this.groupUpgrade = groupAwareUpgrade(this.upgrade, { ...storedGroups(ctx.store.applianceState), access: apiGroupAccess(ctx) });
  }

  /** Creates the rollout and starts running it in the background. Throws RolloutError. */
  async start(spec: RolloutSpec, concurrency?: number): Promise<RolloutStatus> {
    const status = await this.engine.start(spec);
    this.runInBackground(status.id, concurrency);
    return this.engine.status(status.id);
  }

  /**
   * Makes a paused or halted rollout run again, in the background here — unless a live process
   * (this one, or a `fulcrum rollout` elsewhere) already runs it: that one carries on.
   */
  async resume(id: number, concurrency?: number): Promise<RolloutStatus> {
    const status = await this.engine.resume(id);
    const runner = (await this.ctx.store.rollouts.get(id))?.runner ?? null;
    const elsewhere = runner !== null && runnerAlive(runner, await this.ctx.store.rollouts.clock()) && !this.runs.has(id);
    if (status.state === 'running' && !elsewhere) this.runInBackground(id, concurrency);
    return this.engine.status(id);
  }

  /** Runs here the running rollouts whose runner died elsewhere; the ids it tried to take on. */
  async adoptOrphans(): Promise<number[]> {
    if (this.closed) return [];
    const now = await this.ctx.store.rollouts.clock();
    const orphans = (await this.ctx.store.rollouts.list(50)).filter(
      (r) => r.state === 'running' && r.runner !== null && !runnerAlive(r.runner, now) && !this.runs.has(r.id),
    );
    // Logged once the lease is taken: a silent runner that wakes first renews its lease and
    // carries on itself, and this server's run then stops as busy.
    for (const r of orphans)
      this.runInBackground(r.id, undefined, (replaced) =>
        this.log.warn({ rollout: r.id, runner: replaced ?? r.runner }, 'its runner stopped answering: carrying the rollout on here'),
      );
    return orphans.map((r) => r.id);
  }

  /** Stops every background run (in-flight upgrades stay `upgrading` for a later resume). */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.runs.values()];
    for (const r of runs) r.controller.abort();
    await Promise.all(runs.map((r) => r.done));
  }

  private runInBackground(id: number, concurrency?: number, onLease?: RunOptions['onLease']): void {
    if (this.closed || this.runs.has(id)) return;
    const controller = new AbortController();
    const done = this.engine
      .run(id, {
        upgrade: this.groupUpgrade,
        signal: controller.signal,
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(onLease ? { onLease } : {}),
      })
      .then(
        (status) => this.log.info({ rollout: id, state: status.state }, 'rollout run ended'),
        (err: unknown) => {
          // Another process took it over, or its state changed before the run began.
          const level = err instanceof RolloutError ? 'warn' : 'error';
          this.log[level]({ rollout: id, err }, 'rollout run stopped');
        },
      )
      .finally(() => this.runs.delete(id));
    this.runs.set(id, { controller, done });
  }

  /** One appliance's upgrade over the shared driver pool, with the inventory's current record. */
  private readonly upgrade: UpgradeOne = async (appliance, image, signal, fence) => {
    const record = await this.ctx.store.inventory.get(appliance);
    if (!record) throw new Error(`${appliance} is no longer in the inventory`);
    const imageUrl = record.target.startsWith('snmp:') ? await imageUrlFor(this.server, targetHost(record.target), toHex(sha256(image))) : undefined;
    const result = await this.ctx.drivers.use(record, (driver) => upgradeAppliance(driver, image, { signal, fence, ...(imageUrl ? { imageUrl } : {}) }));
    return { version: result.version, confirmed: result.confirmed };
  };
}
