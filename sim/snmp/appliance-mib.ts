/**
 * The appliance's MIB view as the SNMP agent serves it: built from the appliance's state at most
 * once a second (a walk of a big table then reads one snapshot, and a poll storm costs one
 * snapshot a second), rebuilt at once after anything that changes configuration or state, and
 * the target of weight writes, of configuration writes (the candidate this agent edits), of
 * firmware steps and of the failover action.
 */

import type { Appliance, ApplianceEvent } from '../../firmware/appliance.js';
import { MibView, type LastOperation } from '../../firmware/mgmt/mib-view.js';
import { dataInterface } from '../../firmware/mgmt/mib/interfaces-view.js';
import { backendExists, commitWeights, type WeightChange } from '../../firmware/mgmt/mib/weights.js';

import { emptyCandidate, planSet, type CandidateState, type ConfigAction, type SetVarbind } from '../../firmware/mgmt/mib/candidate.js';
import { runConfigAction } from '../../firmware/mgmt/mib/candidate-ops.js';
import { ErrorStatus } from '../../src/protocol/mib/smi.js';
import { FirmwareScalar, fulcrumCommit, fulcrumConfirm, fulcrumRollback } from '../../src/protocol/mib/fulcrum-mib.js';
import { formatOid } from '../../src/protocol/mib/oid.js';
import type { Clock } from '../../firmware/ports.js';
import type { ConfigTarget, FailoverTarget, FirmwareTarget, WeightTarget } from './set-handler.js';
import { applyFailoverAction, planFailoverSet } from '../../firmware/mgmt/mib/failover-set.js';
import { applyFirmwareSet, planFirmwareSet } from '../../firmware/mgmt/mib/firmware-set.js';
import { WireView } from './wire-view.js';
import { describeError } from '../../src/protocol/describe-error.js';

/** How old a snapshot may be before a request gets a fresh one. */
export const VIEW_MAX_AGE_MS = 1_000;

export interface ApplianceMibOptions {
  clock: Clock;
  sysName: string;
  sysContact?: string;
  sysLocation?: string;
  /** Where the data interface's octet counters start (see SnmpOptions). */
  interfaceCounterBase?: bigint;
}

/** The simulated data interface's speed: loopback has none, so say 10 Gb/s like the box. */
const DATA_INTERFACE_BPS = 10e9;

export class ApplianceMib implements WeightTarget, ConfigTarget, FirmwareTarget, FailoverTarget {
  private wire: WireView | null = null;
  private candidate: CandidateState;
  private builtAt = 0;
  private lastCommitEpochMs: number | null = null;
  private lastOperation: LastOperation | null = null;
  /** Why the last failover action was refused (fulcrumFoActionMessage); '' after one that was taken. */
  private failoverMessage = '';
  /** peerSignature() when the snapshot was built. */
  private builtPeers = '';
  private readonly unsubscribe: () => void;

  constructor(
    private readonly appliance: Appliance,
    private readonly options: ApplianceMibOptions,
  ) {
    this.unsubscribe = appliance.onEvent((e) => this.onEvent(e));
    this.candidate = emptyCandidate(appliance.rules);
  }

  /**
   * The current snapshot, rebuilt when older than VIEW_MAX_AGE_MS, invalidated, or when a failover
   * peer appeared or changed state (heartbeats raise no event, and a manager watching a failover
   * must not read a peer's old state for up to a second).
   */
  current(): WireView {
    const now = this.options.clock.now();
    const peers = this.peerSignature();
    if (!this.wire || now - this.builtAt >= VIEW_MAX_AGE_MS || peers !== this.builtPeers) {
      this.wire = new WireView(this.build());
      this.builtAt = now;
      this.builtPeers = peers;
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

  async setConfig(varbinds: readonly SetVarbind[]): Promise<{ errorStatus: number; errorIndex: number }> {
    const config = this.appliance.configManager;
    const before = this.candidate;
    const plan = planSet(before, varbinds, { running: this.appliance.rules, pendingConfirm: config.pending !== null, historyLength: config.history.length });
    this.invalidate();
    if (!plan.ok) {
      // A refused commit, confirm or rollback is an operation that failed: say why in the read-back.
      const kind = operationOf(varbinds[plan.errorIndex - 1]?.oid);
      if (kind) this.lastOperation = { kind, status: 'failed', message: plan.message, configId: '' };
      return { errorStatus: plan.errorStatus, errorIndex: plan.errorIndex };
    }
    // Taken now, synchronously: a concurrent request is checked against this state (the lock).
    this.candidate = plan.state;
    if (!plan.action) return { errorStatus: ErrorStatus.noError, errorIndex: 0 };
    const index = varbinds.findIndex((v) => operationOf(v.oid) === plan.action!.kind) + 1;
    try {
      await this.run(plan.action);
      return { errorStatus: ErrorStatus.noError, errorIndex: 0 };
    } catch {
      // The appliance changed nothing; neither does this request (its candidate edits included).
      if (this.candidate === plan.state) this.candidate = before;
      return { errorStatus: ErrorStatus.commitFailed, errorIndex: index };
    }
  }

  async setFirmware(varbinds: readonly SetVarbind[]): Promise<{ errorStatus: number; errorIndex: number }> {
    const fw = this.appliance.management.firmware;
    if (!fw) return { errorStatus: ErrorStatus.notWritable, errorIndex: 1 };
    const plan = planFirmwareSet(varbinds);
    if (!plan.ok) return { errorStatus: plan.errorStatus, errorIndex: plan.errorIndex };
    const actionIndex = varbinds.findIndex((v) => v.oid.length > 1 && v.oid.at(-2) === FirmwareScalar.action) + 1;
    try {
      return await applyFirmwareSet(fw, plan, actionIndex);
    } finally {
      this.invalidate();
    }
  }

  /** The operator's failover action, applied through the member at once (its transition is synchronous). */
  setFailover(varbinds: readonly SetVarbind[]): { errorStatus: number; errorIndex: number } {
    const member = this.appliance.group;
    const plan = planFailoverSet(varbinds, member?.status() ?? null);
    this.invalidate();
    if (!plan.ok) {
      if (plan.message) this.failoverMessage = plan.message;
      return { errorStatus: plan.errorStatus, errorIndex: plan.errorIndex };
    }
    if (plan.action && member) {
      applyFailoverAction(member, plan.action);
      this.failoverMessage = '';
    }
    return { errorStatus: ErrorStatus.noError, errorIndex: 0 };
  }

  private async run(action: ConfigAction): Promise<void> {
    const kind = action.kind;
    this.lastOperation = { kind, status: 'inProgress', message: '', configId: '' };
    try {
      const id = await runConfigAction(this.appliance.configManager, action);
      this.lastOperation = { kind, status: 'succeeded', message: '', configId: id };
    } catch (err) {
      this.lastOperation = { kind, status: 'failed', message: describeError(err), configId: '' };
      throw err;
    } finally {
      this.invalidate();
    }
  }

  private onEvent(e: ApplianceEvent): void {
    if (e.type === 'commit' || e.type === 'confirm' || e.type === 'rollback') this.lastCommitEpochMs = e.at;
    if (e.type !== 'problem') this.invalidate();
  }

  /** What of the failover peers the view shows and a heartbeat can change, timestamps aside. */
  private peerSignature(): string {
    const member = this.appliance.group;
    if (!member) return '';
    return member
      .status()
      .peers.map((p) => `${p.unit}:${p.state}:${p.priority}:${p.canServe}:${p.sameConfig}`)
      .join(',');
  }

  private build(): MibView {
    const a = this.appliance;
    const status = a.configManager.status();
    const counters = a.counters();
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
      counters,
      interfaces: [dataInterface(counters, this.options.interfaceCounterBase ?? 0n, DATA_INTERFACE_BPS)],
      ...(a.management.firmware ? { firmware: { status: a.management.firmware.status(), download: a.management.firmware.download.state } } : {}),
      lastOperation: this.lastOperation,
      candidate: this.candidate,
      // The configuration manager's running table: the one status.runningId names.
      running: a.rules,
      failover: { status: a.group?.status() ?? null, nowMs: this.options.clock.now(), actionMessage: this.failoverMessage },
    });
  }
}

/** The operation a write of this scalar asks for, if any. */
function operationOf(oid: readonly number[] | undefined): ConfigAction['kind'] | null {
  if (!oid) return null;
  const name = formatOid(oid);
  if (name === `${formatOid(fulcrumCommit)}.0`) return 'commit';
  if (name === `${formatOid(fulcrumConfirm)}.0`) return 'confirm';
  if (name === `${formatOid(fulcrumRollback)}.0`) return 'rollback';
  return null;
}
