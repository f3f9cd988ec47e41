/**
 * An appliance in memory for unit tests of src/provision/: what it runs, whether a commit is
 * pending, every push it was sent. A target starting with snmp: behaves as an SNMP appliance
 * whose firmware predates fulcrumRunning: it cannot hand its running table back. `group` makes it
 * a failover group member; `groupAction` changes its state and tells `onGroupAction` (a test
 * makes a peer take over there).
 */
import { DriverError, type ApplianceDriver, type ApplianceInfo, type GroupAction, type PushOptions } from '../../drivers/driver.js';
import type { CountersSnapshot } from '../../src/protocol/counters.js';
import { configId, decodeRules, encodeRules, type RuleTable } from '../../src/protocol/rules/index.js';

export class FakeAppliance implements ApplianceDriver {
  readonly pushes: PushOptions[] = [];
  pendingConfirm: number | null = null;
  group: ApplianceInfo['group'];
  onGroupAction: ((action: GroupAction) => void) | null = null;
  /** What ran before the last push, for one step of rollback. */
  private before: RuleTable | null = null;

  constructor(
    public running: RuleTable,
    readonly target = 'serial:/dev/fake',
  ) {}

  info(): Promise<ApplianceInfo> {
    return Promise.resolve({
      model: 'FL-1000',
      serialNumber: 'F1',
      firmware: '1.0.0',
      configId: configId(this.running),
      uptimeSeconds: 1,
      pendingConfirm: this.pendingConfirm,
      ...(this.group ? { group: { ...this.group } } : {}),
    });
  }
  groupAction(action: GroupAction): Promise<NonNullable<ApplianceInfo['group']>> {
    if (!this.group) return Promise.reject(new DriverError('refused', 'this appliance belongs to no failover group', 'notInGroup'));
    this.group = { ...this.group, state: action === 'online' ? (this.group.state === 'offline' ? 'standby' : this.group.state) : action };
    this.onGroupAction?.(action);
    return Promise.resolve({ ...this.group });
  }
  readRunning(): Promise<Uint8Array> {
    if (this.target.startsWith('snmp:'))
      return Promise.reject(new DriverError('refused', "this appliance's SNMP agent does not serve fulcrumRunning", 'unsupported'));
    return Promise.resolve(encodeRules(this.running));
  }
  push(encoding: Uint8Array, options: PushOptions) {
    this.pushes.push(options);
    this.before = this.running;
    const previousConfigId = configId(this.running);
    this.running = decodeRules(encoding);
    this.pendingConfirm = options.confirmTimeoutMs > 0 ? Math.ceil(options.confirmTimeoutMs / 1000) : null;
    return Promise.resolve({ configId: configId(this.running), previousConfigId, mode: 'full' as const, bytes: encoding.length, seconds: 0 });
  }
  confirm() {
    this.pendingConfirm = null;
    return Promise.resolve({ configId: configId(this.running) });
  }
  rollback(): Promise<{ configId: string }> {
    if (this.before === null) return Promise.reject(new DriverError('refused', 'no earlier config', 'noHistory'));
    this.running = this.before;
    this.before = null;
    this.pendingConfirm = null;
    return Promise.resolve({ configId: configId(this.running) });
  }
  counters(): Promise<CountersSnapshot> {
    const services = this.running.services.map((s) => ({
      name: s.name,
      listen: s.listen,
      protocol: s.protocol,
      connsTotal: 0n,
      connsActive: 0,
      bytesIn: 0n,
      bytesOut: 0n,
      failures: 0n,
      fallbackConns: 0n,
      backends: [],
    }));
    return Promise.resolve({ services });
  }
  onEvent() {
    return () => undefined;
  }
  close() {
    return Promise.resolve();
  }
}
