/**
 * The data plane of a failover group member: the firmware's DataPlanePort (so configuration
 * changes reach it like any appliance's) and the group's FloatingServicesPort (so the member
 * opens and closes it with its state). While standby it holds no listener at all — the running
 * config changes under it, nothing binds — and `open` starts a fresh DataPlane on whatever
 * table runs then. On one host both members share the VIP address:port; an open that finds it
 * still bound fails whole (the DataPlane releases what it got) and the member retries.
 */
import type { ForwardingCore } from '../../firmware/forwarding/forwarding-core.js';
import type { FloatingServicesPort } from '../../firmware/failover/ports.js';
import { tcpFlows } from '../../firmware/failover/serving.js';
import type { DataPlanePort } from '../../firmware/ports.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { DataPlane } from '../data-plane/data-plane.js';

export class FloatingDataPlane implements DataPlanePort, FloatingServicesPort {
  private plane: DataPlane | null = null;

  constructor(
    private readonly core: ForwardingCore,
    /** The running table now. */
    private readonly rules: () => RuleTable,
  ) {}

  get listening(): boolean {
    return this.plane !== null;
  }

  async prepare(next: RuleTable): Promise<void> {
    await this.plane?.prepare(next);
  }

  switched(next: RuleTable, endedFlows: readonly number[]): void {
    this.plane?.switched(next, endedFlows);
  }

  async abandon(next: RuleTable): Promise<void> {
    await this.plane?.abandon(next);
  }

  async open(): Promise<void> {
    if (this.plane) return;
    const plane = new DataPlane(this.core);
    const table = this.rules();
    try {
      await plane.start(table);
    } catch (err) {
      await plane.stop();
      throw err;
    }
    this.plane = plane;
    // A commit that landed while the listeners were starting: bring them to the table that runs.
    const now = this.rules();
    if (now !== table) {
      await plane.prepare(now);
      plane.switched(now, []);
    }
  }

  async close(): Promise<number> {
    const plane = this.plane;
    this.plane = null;
    if (!plane) return 0;
    const cut = tcpFlows(this.core);
    await plane.stop();
    return cut;
  }
}
