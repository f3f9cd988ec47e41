/**
 * The appliance's MIB view as the SNMP agent serves it: built from the appliance's state at most
 * once a second (a walk of a big table then reads one snapshot, and a poll storm costs one
 * snapshot a second), rebuilt at once after anything that changes configuration or state, and
 * the target of weight writes.
 */

import type { Appliance, ApplianceEvent } from '../../firmware/appliance.js';
import { MibView, type LastOperation } from '../../firmware/mgmt/mib-view.js';
import { backendExists, commitWeights, type WeightChange } from '../../firmware/mgmt/mib/weights.js';
import { describeError } from '../../firmware/mgmt/errors.js';
import type { Clock } from '../../firmware/ports.js';
import type { WeightTarget } from './set-handler.js';
import { WireView } from './wire-view.js';

/** How old a snapshot may be before a request gets a fresh one. */
export const VIEW_MAX_AGE_MS = 1_000;

export interface ApplianceMibOptions {
  clock: Clock;
  sysName: string;
  sysContact?: string;
  sysLocation?: string;
}

export class ApplianceMib implements WeightTarget {
  private wire: WireView | null = null;
  private builtAt = 0;
  private lastCommitEpochMs: number | null = null;
  private lastOperation: LastOperation | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly appliance: Appliance,
    private readonly options: ApplianceMibOptions,
  ) {
    this.unsubscribe = appliance.onEvent((e) => this.onEvent(e));
  }

  /** The current snapshot, rebuilt when older than VIEW_MAX_AGE_MS or invalidated. */
  current(): WireView {
    const now = this.options.clock.now();
    if (!this.wire || now - this.builtAt >= VIEW_MAX_AGE_MS) {
      this.wire = new WireView(this.build());
      this.builtAt = now;
    }
    return this.wire;
  }

  /** sysUpTime now, in TimeTicks (hundredths of a second), for notifications. */
  uptimeTicks(): number {
    return Math.floor((this.options.clock.now() - this.appliance.bootedAt) / 10) % 2 ** 32;
  }

  invalidate(): void {
    this.wire = null;
  }

  close(): void {
    this.unsubscribe();
  }

  rowExists(service: number, backend: number): boolean {
    return backendExists(this.appliance.rules, service, backend);
  }

  pendingConfirm(): boolean {
    return this.appliance.configManager.pending !== null;
  }

  async commitWeights(changes: readonly WeightChange[]): Promise<void> {
    this.lastOperation = { kind: 'weight', status: 'inProgress', message: '', configId: '' };
    this.invalidate();
    try {
      await commitWeights(this.appliance.configManager, changes);
      this.lastOperation = { kind: 'weight', status: 'succeeded', message: '', configId: this.appliance.configId };
    } catch (err) {
      this.lastOperation = { kind: 'weight', status: 'failed', message: describeError(err), configId: '' };
      throw err;
    } finally {
      this.invalidate();
    }
  }

  private onEvent(e: ApplianceEvent): void {
    if (e.type === 'commit' || e.type === 'confirm' || e.type === 'rollback') this.lastCommitEpochMs = e.at;
    if (e.type !== 'problem') this.invalidate();
  }

  private build(): MibView {
    const a = this.appliance;
    const status = a.configManager.status();
    return MibView.build({
      identity: a.identity,
      sysName: this.options.sysName,
      sysContact: this.options.sysContact ?? '',
      sysLocation: this.options.sysLocation ?? '',
      configId: status.runningId,
      startupConfigId: status.startupId,
      pendingConfirmMs: status.pendingConfirmMs,
      uptimeMs: this.options.clock.now() - a.bootedAt,
      nowEpochMs: this.options.clock.epochMs(),
      lastCommitEpochMs: this.lastCommitEpochMs,
      counters: a.counters(),
      lastOperation: this.lastOperation,
    });
  }
}
